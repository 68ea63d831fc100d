/**
 * `strip`: remove client-address carriers from a capture.
 *
 * Every carrier the PacketInspector recognises (src/analysis/inspect.ts), or only those selected
 * with --kinds, is removed where it sits:
 *   - TCP option: the option and the NOP padding that made it 4-byte aligned (the inverse of a
 *     DPVS-style insert); with --nop it is overwritten with NOPs instead (what DPVS does to
 *     client-supplied TOA), and also when no aligned span can be cut;
 *   - IPv4 option: cut (IHL shrinks) when 4-byte aligned (with adjacent NOPs), else NOPs;
 *   - IPv6 destination option: the whole destination-options header when it holds nothing else
 *     (the previous next-header takes its value), else the option becomes PadN;
 *   - opp shim (protocol 248): cut, the IP protocol / next header becomes the shim's next protocol;
 *   - PROXY v1/v2 (and SPP) at the start of a payload: cut; for TCP the sequence shift is undone
 *     for the rest of the connection (sender's seq and the peer's ack and SACK edges after the
 *     header's seq shrink by the header length); for UDP the UDP length shrinks.
 * Lengths and checksums as in inject (l4fix.ts checksumBegin/End, bad checksums kept bad).
 * Encapsulated packets (VXLAN, IP-in-IP) and ICMP-carried notifications pass unchanged.
 */
import { readU16, readU32, writeU16, writeU32 } from '../codec/bytes.js';
import type { BufferedRecord } from '../codec/capture.js';
import type { RecordRun } from '../codec/capture-types.js';
import { IPV4 } from '../codec/ipv4.js';
import { IPV6 } from '../codec/ipv6.js';
import { IPPROTO } from '../codec/ipproto.js';
import { TCP, TCP_FLAG, TCP_OPTION } from '../codec/tcp.js';
import { UDP } from '../codec/udp.js';
import { PacketInspector } from '../analysis/inspect.js';
import type { Carrier } from '../carriers/index.js';
import { sackAdjust } from '../dpvs/fnat.js';
import { ChecksumState, PacketLayout, checksumBegin, checksumEnd, closeGap, parseLayout, type ChecksumMode } from '../dpvs/l4fix.js';
import { removeOptionAt } from '../dpvs/toa-insert.js';
import { ChecksumAudit } from './checksum-audit.js';
import type { PacketRewriter, RewriteEngine } from './engine.js';
import { FlowTable, flowsExpectedIn } from './flows.js';
import { FlowLog } from './strip-flows.js';
import type { FrameLayout } from './link.js';
import type { RewriteSummary } from './summary.js';
import { FAST, StripFastPath } from './strip-fast.js';
import { parseStripKinds, selectsCarrier, type StripSelection } from './strip-kinds.js';

export { parseStripKinds, type StripSelection };

export interface StripOptions {
  /** --kinds: null = every carrier. */
  kinds: string | null;
  nop: boolean;
  checksum: ChecksumMode;
  /** False: every packet takes the general path (the reference the fast path is tested against). Default true. */
  fastPath?: boolean;
  /** False: no record lane (the fast path's WebAssembly classify and cut over whole runs of records). Default true. */
  lane?: boolean;
}

function selected(sel: StripSelection, c: Carrier): boolean {
  return selectsCarrier(sel, c.format, c.carrier);
}

const PROXY_V1_FIRST = 0x50; // 'P'
const PROXY_V2_FIRST = 0x0d;
const SPP_FIRST = 0x56;

function seqAfter(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** True when the options hold a kind other than EOL, NOP, MSS, WS, SACK-permitted, SACK, timestamps (or are malformed). */
function unusualOption(data: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const kind = data[i]!;
    if (kind === TCP_OPTION.EOL) return false;
    if (kind === TCP_OPTION.NOP) {
      i++;
      continue;
    }
    if (kind !== TCP_OPTION.MSS && kind !== TCP_OPTION.WSCALE && kind !== TCP_OPTION.SACK_PERMITTED && kind !== TCP_OPTION.SACK && kind !== TCP_OPTION.TIMESTAMP) return true;
    if (i + 1 >= end) return true;
    const length = data[i + 1]!;
    if (length < 2) return true;
    i += length;
  }
  return false;
}

function byOffsetDescending(a: Carrier, b: Carrier): number {
  return b.offset - a.offset;
}

/** A TCP connection whose PROXY header was cut: the sequence shift undone for the rest of it. */
interface ProxyShift {
  /** seq of the segment that started with the header, and the header length. */
  seq: number;
  shift: number;
  /** True when the client is the flow's side A (the source of its first packet). */
  clientIsA: boolean;
}

export class StripRewriter implements PacketRewriter {
  /** Packets that cannot hold a carrier (and belong to no PROXY-shifted flow) are passed in the reader's buffer. */
  readonly inPlace = true;
  private readonly inspector: PacketInspector;
  private readonly selection: StripSelection;
  private readonly layout = new PacketLayout();
  private readonly audit = new ChecksumAudit();
  private readonly checksumState = new ChecksumState();
  /** Flows by index only: a flow gets an object only when a PROXY header was cut in it. */
  private readonly flows = new FlowTable();
  /** The fast path's lookups into `flows`, batched: flushed before the general path looks one up, and at the end. */
  private readonly flowLog = new FlowLog(this.flows);
  private readonly proxyShifts = new Map<number, ProxyShift>();
  private proxyFlows = 0;
  private readonly picked: Carrier[] = [];
  private summary!: RewriteSummary;
  /** Packets with nothing to strip or one TCP option carrier (strip-fast.ts); null: everything takes the general path. */
  private readonly fast: StripFastPath | null;

  constructor(private readonly options: StripOptions) {
    this.selection = parseStripKinds(options.kinds);
    this.inspector = new PacketInspector({ checksums: false, kinds: this.selection.tcpFilter, payload: true });
    this.fast = options.fastPath === false ? null : new StripFastPath(this.selection, options.nop, options.checksum);
    const fast = this.fast;
    if (fast !== null && options.lane !== false) {
      // while a PROXY shift is being undone every TCP packet needs its flow: the general path (as in rewrite)
      this.takeRecords = (buf, pos, end, run, engine) => (this.proxyFlows === 0 ? fast.take(buf, pos, end, run, engine, this.flowLog) : pos);
    }
  }

  readonly takeRecords?: (buf: Uint8Array, pos: number, end: number, run: RecordRun, engine: RewriteEngine) => number;

  /** Packets the fast path passed unchanged and packets it cut a carrier from, and how many of them its record lane took (0 without it). */
  get fastPathCounts(): { plain: number; cuts: number; lane: number } {
    return { plain: this.fast?.plain ?? 0, cuts: this.fast?.cuts ?? 0, lane: this.fast?.laneRecords ?? 0 };
  }

  /** Room in the flow table for the flows a capture of this size may have (no rehashing on the way). */
  expectInput(fileBytes: number): void {
    this.flows.reserve(flowsExpectedIn(fileBytes));
  }

  finish(summary: RewriteSummary): void {
    this.flowLog.flush();
    summary.flows = this.flows.size;
  }

  /** Leave the reader's buffer: frame and layout offsets become offsets in rec.data (returned). */
  private toFrameOffsets(rec: BufferedRecord, engine: RewriteEngine): Uint8Array {
    const shift = engine.frameRelative(rec);
    this.layout.l3 -= shift;
    this.layout.l4 -= shift;
    return rec.data;
  }

  /** Cheap test: could this packet hold a carrier at all? */
  private mayCarry(data: Uint8Array, layout: PacketLayout): boolean {
    if (layout.af === 4 ? layout.ipHeaderLength > IPV4.MIN_HEADER : layout.hasExtensionHeaders) return true;
    const protocol = layout.protocol;
    if (protocol === IPPROTO.OPP) return true;
    if (protocol === IPPROTO.TCP && layout.l4HeaderLength > TCP.MIN_HEADER && unusualOption(data, layout.l4 + TCP.MIN_HEADER, layout.l4 + layout.l4HeaderLength)) return true;
    if ((protocol === IPPROTO.TCP || protocol === IPPROTO.UDP) && layout.payloadLength > 0) {
      const at = layout.l4 + layout.l4HeaderLength;
      if (at < layout.end) {
        const b = data[at]!;
        return b === PROXY_V1_FIRST || b === PROXY_V2_FIRST || b === SPP_FIRST;
      }
    }
    return false;
  }

  rewrite(rec: BufferedRecord, frame: FrameLayout, engine: RewriteEngine): number {
    // while a PROXY shift is being undone every TCP packet needs its flow: the general path
    if (this.fast !== null && this.proxyFlows === 0) {
      const verdict = this.fast.classify(frame);
      if (verdict === FAST.PLAIN) {
        this.fast.plain++;
        return -1;
      }
      if (verdict === FAST.CUT) {
        const n = this.fast.cut(rec, frame, engine, this.flowLog);
        if (n >= 0) return n;
      }
    }
    return this.rewriteGeneral(rec, frame, engine);
  }

  /** The reference path: every carrier the PacketInspector finds. */
  private rewriteGeneral(rec: BufferedRecord, frame: FrameLayout, engine: RewriteEngine): number {
    this.summary = engine.summary;
    const s = engine.summary;
    let data = frame.buffer; // the reader's buffer until toFrameOffsets
    const layout = this.layout;
    const status = parseLayout(data, frame.l3, frame.ipCaptured, layout);
    if (status === 'fragment') {
      s.fragmentsPassed++;
      return -1;
    }
    if (status !== 'ok') {
      s.unparsedPassed++;
      return -1;
    }
    const picked = this.picked;
    if (picked.length !== 0) picked.length = 0; // setting length is a runtime call even when it does not change
    const mayCarry = this.mayCarry(data, layout);
    if (!mayCarry && this.proxyFlows === 0) return -1;
    data = this.toFrameOffsets(rec, engine);
    if (mayCarry) {
      const inspector = this.inspector;
      inspector.inspect(data, rec.linkType, rec.originalLength);
      const d = inspector.d;
      if (d.encapsulation === 0 && d.l3Offset === frame.l3) {
        for (const c of inspector.carriers) if (c.carrier !== 'icmp-echo' && selected(this.selection, c)) picked.push(c);
      }
    }
    let flow = -1;
    let forward = true;
    const tcp = layout.protocol === IPPROTO.TCP;
    if (tcp && (this.proxyFlows > 0 || picked.length > 0)) {
      this.flowLog.flush();
      flow = this.flows.lookupIndex(IPPROTO.TCP, data, frame.l3, layout.af, layout.l4);
      forward = this.flows.lastForward;
      if (picked.length === 0 && !this.proxyShifts.has(flow)) flow = -1;
    }
    if (picked.length === 0 && flow < 0) return -1;
    if (picked.length > 1) picked.sort(byOffsetDescending);
    return this.strip(rec, frame, engine, flow, forward);
  }

  /** `flow`: the flow's index, -1 for none. */
  private strip(rec: BufferedRecord, frame: FrameLayout, engine: RewriteEngine, flow: number, forward: boolean): number {
    const s = this.summary;
    const layout = this.layout;
    const buf = engine.copyFrame(rec);
    const audit = this.audit;
    audit.audit(buf, layout);
    const cut = !layout.complete;
    const cs = this.checksumState;
    const mode: ChecksumMode = audit.transportBad ? 'incremental' : this.options.checksum;
    const d = this.inspector.d;
    const opp = layout.protocol === IPPROTO.OPP;
    const transport = opp ? d.transportProtocol : layout.protocol;
    const shim = opp ? readU16(buf, layout.l4 + 2) : 0;
    checksumBegin(buf, layout, mode, cs, layout.l4 + shim, transport);
    const l3 = frame.l3;
    const tcp = transport === IPPROTO.TCP && !opp;
    const seq = tcp ? readU32(buf, layout.l4 + TCP.SEQ) : 0;
    let changed = false;
    let removed = 0;
    let proxyLength = 0;
    for (const c of this.picked) {
      switch (c.carrier) {
        case 'proxy-v1':
        case 'proxy-v2':
        case 'spp': {
          const n = c.length;
          if (c.offset + n > layout.end) break;
          closeGap(buf, layout, c.offset, n);
          if (transport === IPPROTO.UDP) {
            const udp = layout.l4 + shim;
            writeU16(buf, udp + UDP.LENGTH, readU16(buf, udp + UDP.LENGTH) - n);
          } else if (tcp && c.carrier !== 'spp') {
            proxyLength = n;
          }
          removed++;
          changed = true;
          break;
        }
        case 'tcp-option': {
          if (!tcp) break;
          const n = buf[c.offset + 1]!;
          if (this.options.nop || removeOptionAt(buf, layout, c.offset) === 0) {
            buf.fill(TCP_OPTION.NOP, c.offset, c.offset + n);
            s.carriersNopped++;
          }
          removed++;
          changed = true;
          break;
        }
        case 'opp': {
          const at = d.oppOffset;
          if (at < 0 || at !== layout.l4) break;
          const next = buf[at + 1]!;
          if (layout.af === 4) buf[l3 + IPV4.PROTOCOL] = next;
          else buf[l3 + (layout.hasExtensionHeaders ? layout.nextHeaderField : IPV6.NEXT_HEADER)] = next;
          closeGap(buf, layout, at, shim);
          removed++;
          changed = true;
          break;
        }
        case 'ipv6-dstopt':
          if (this.removeDestinationOption(buf, layout, c)) {
            removed++;
            changed = true;
          }
          break;
        case 'ipv4-option':
          if (this.removeIpv4Option(buf, layout, c)) {
            removed++;
            changed = true;
          }
          break;
        default:
          break;
      }
    }
    // re-read the packet as it is now
    parseLayout(buf, l3, layout.captured, layout);
    const l4 = layout.l4;
    if (tcp && layout.protocol === IPPROTO.TCP) {
      const proxy = flow >= 0 ? this.proxyShifts.get(flow) : undefined;
      if (proxyLength > 0 && flow >= 0) {
        if (proxy === undefined) {
          this.proxyFlows++;
          this.proxyShifts.set(flow, { seq, shift: proxyLength, clientIsA: forward });
        } else {
          proxy.seq = seq;
          proxy.shift = proxyLength;
          proxy.clientIsA = forward;
        }
      } else if (proxy !== undefined) {
        const n = proxy.shift;
        if (forward === proxy.clientIsA) {
          const q = readU32(buf, l4 + TCP.SEQ);
          if (seqAfter(q, proxy.seq)) {
            writeU32(buf, l4 + TCP.SEQ, (q - n) >>> 0);
            changed = true;
          }
        } else if ((buf[l4 + TCP.FLAGS]! & TCP_FLAG.ACK) !== 0) {
          const a = readU32(buf, l4 + TCP.ACK);
          if (seqAfter(a, proxy.seq)) {
            writeU32(buf, l4 + TCP.ACK, (a - n) >>> 0);
            sackAdjust(buf, layout, -n);
            changed = true;
          }
        }
      }
    }
    if (!changed) return -1;
    if (removed > 0) s.carriersRemoved += removed;
    const transportAt = layout.protocol === IPPROTO.OPP ? l4 + readU16(buf, l4 + 2) : l4;
    checksumEnd(buf, layout, cs, transportAt, transport);
    audit.restoreIpv4Error(buf, l3);
    if (audit.bad) s.badChecksumsKept++;
    if (cut && this.options.checksum !== 'keep') s.truncatedIncremental++;
    return engine.finishFrame(rec, layout.captured);
  }

  private removeIpv4Option(buf: Uint8Array, layout: PacketLayout, c: Carrier): boolean {
    if (layout.af !== 4) return false;
    const l3 = layout.l3;
    const headerEnd = l3 + layout.ipHeaderLength;
    let start = c.offset;
    let stop = c.offset + buf[c.offset + 1]!;
    if (stop > headerEnd) return false;
    while ((stop - start) & 3 && stop < headerEnd && buf[stop] === 1) stop++;
    while ((stop - start) & 3 && start > l3 + IPV4.MIN_HEADER && buf[start - 1] === 1) start--;
    const n = stop - start;
    if (n & 3) {
      buf.fill(1, c.offset, c.offset + buf[c.offset + 1]!);
      this.summary.carriersNopped++;
      return true;
    }
    closeGap(buf, layout, start, n);
    layout.ipHeaderLength -= n;
    layout.l4 -= n;
    buf[l3 + IPV4.VER_IHL] = 0x40 | (layout.ipHeaderLength >>> 2);
    return true;
  }

  private removeDestinationOption(buf: Uint8Array, layout: PacketLayout, c: Carrier): boolean {
    if (layout.af !== 6) return false;
    const d = this.inspector.d;
    const at = c.offset;
    for (let i = 0; i < d.extensionCount; i++) {
      const header = d.extensionOffsets[i]!;
      const length = d.extensionLengths[i]!;
      if (at < header || at >= header + length) continue;
      const optionLength = 2 + buf[at + 1]!;
      // does the header hold anything but this option and padding?
      let other = false;
      let j = header + 2;
      while (j < header + length) {
        const type = buf[j]!;
        if (type === 0) {
          j++;
          continue;
        }
        if (j + 1 >= header + length) break;
        if (type !== 1 && j !== at) other = true;
        j += 2 + buf[j + 1]!;
      }
      if (other) {
        buf[at] = 1;
        buf[at + 1] = optionLength - 2;
        buf.fill(0, at + 2, at + optionLength);
        return true;
      }
      const previous = i === 0 ? layout.l3 + IPV6.NEXT_HEADER : d.extensionOffsets[i - 1]!;
      buf[previous] = buf[header]!;
      closeGap(buf, layout, header, length);
      return true;
    }
    return false;
  }
}
