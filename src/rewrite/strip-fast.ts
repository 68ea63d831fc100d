/**
 * strip's fast path (issue 3). Most packets of a backend capture carry nothing to strip; most of
 * the rest carry one TCP option carrier (TOA). Both are handled here without the
 * PacketInspector, without Carrier objects and without a view per packet:
 *
 *   classify(frame)   reads the packet in the reader's buffer (the engine's in-place frame) and says
 *                     PLAIN: it cannot hold a selected carrier, and the general path would pass it
 *                            unchanged and count nothing (the IP/TCP/UDP headers parse as 'ok');
 *                     CUT:   its one selected carrier is a TCP option (at `cutAt`), and nothing
 *                            else in it can be a carrier;
 *                     GENERAL: anything else (IP options, extension headers, opp, fragments,
 *                            damaged headers, a payload that starts like PROXY/SPP, two TCP
 *                            carriers, ...).
 *   cut(...)          removes that option as the general path does (removeOptionAt, or NOPs)
 *                     into the engine's scratch buffer, for a complete packet whose checksums are
 *                     right and a checksum mode that recomputes them; otherwise it returns
 *                     GENERAL before it has changed or counted anything. The work is kernels.ts
 *                     cutOption: WebAssembly for a large input (its chunk buffers and the scratch
 *                     buffer are in the checksum module's memory), else its JavaScript twin.
 *
 * The general path (StripRewriter in strip.ts) stays the reference: test/rewrite/strip-fast.test.ts
 * runs both over the samples, the corpus and generated packets and compares the bytes.
 *
 * Checksums: one pass over the TCP payload (congruentSum16, in the reader's buffer) serves both the
 * check of the stored checksum and the new one. The cut span is a multiple of 4 bytes inside the
 * header, so the payload's 16-bit words keep their alignment; the new checksum is the payload's sum
 * plus the new header's sum and pseudo-header, folded to the value the general path's full
 * recomputation gives (congruent sums fold to the same 16 bits).
 */
import { fromHex, readU16 } from '../codec/bytes.js';
import type { BufferedRecord } from '../codec/capture.js';
import { TAKE_NONE, type RecordRun } from '../codec/capture-types.js';
import { PCAP } from '../codec/pcap.js';
import { checksumBuffer, moduleMemoryOffset } from '../codec/checksum.js';
import { IPV4 } from '../codec/ipv4.js';
import { IPV6, IPV6_EXT } from '../codec/ipv6.js';
import { IPPROTO } from '../codec/ipproto.js';
import { LINKTYPE } from '../codec/linktype.js';
import { ETHERTYPE } from '../codec/link.js';
import { TCP, TCP_FLAG, TCP_OPTION } from '../codec/tcp.js';
import { isNopNopTimestamp } from '../codec/tcp-options.js';
import { UDP } from '../codec/udp.js';
import { isCarrierKind, looksLikeProxyV1, looksLikeProxyV2, looksLikeSpp, PROXY_V1_FIRST, PROXY_V2_FIRST, SPP_FIRST, tcpOptionFormat, type KindFilter } from '../carriers/index.js';
import type { ChecksumMode } from '../dpvs/l4fix.js';
import type { RewriteEngine } from './engine.js';
import { cutOption, KERNEL_DECLINED, LANE, LANE_CUT, LANE_FLAG, tcpKernels } from './kernels.js';
import type { FlowLog } from './strip-flows.js';
import { FrameLayout, locateIp } from './link.js';
import { selectsCarrier, type StripSelection } from './strip-kinds.js';

/** classify verdicts (cut returns GENERAL too). */
export const FAST = Object.freeze({ PLAIN: 0, CUT: 1, GENERAL: -2 });

/** IPv4 version 4 with a 20-byte header (no options). */
const IPV4_PLAIN_FIRST_BYTE = 0x45;

/**
 * Rounds of seed(): V8 gives a function its feedback vector only after some calls (lazy feedback
 * allocation), and calls before that record nothing: with one round the deoptimizations stayed.
 */
const SEED_ROUNDS = 64;
/**
 * Frames for StripFastPath.seed() (Ethernet, IPv4, checksums not needed by classify): an ACK with TOA
 * (kind 254, 8 bytes), NOP NOP and timestamps and a 4-byte payload; the same with the TCP Fast Open
 * ExID (0xF989) in the first two bytes of the option (a TOA on a non-SYN, but it takes the Fast Open test);
 * a UDP datagram with a payload; an ACK with NOP NOP timestamps only and a payload.
 */
export const SEED_FRAMES = [
  '02000000000102000000000208004500004000004000400600000a0000010a0001029c4000500000000100000001a01001f500000000fe089c40c633640a0101080a000000010000000147455420',
  '02000000000102000000000208004500004000004000400600000a0000010a0001029c4000500000000100000001a01001f500000000fe08f9890102030a0101080a000000010000000147455420',
  '02000000000102000000000208004500002000004000401100000a0000010a0001029c400035000c000061626364',
  '02000000000102000000000208004500003800004000400600000a0000010a0001029c4000500000000100000001801001f5000000000101080a000000010000000147455420',
];

export class StripFastPath {
  /** TCP option kinds that can be a selected carrier (registry kinds, or the --kinds pairs' kinds). */
  private readonly tcpKinds = new Uint8Array(256);
  private readonly tcpFilter: KindFilter | undefined;
  /** Payload carriers --kinds may select (an unselected one is left in place by the general path too). */
  private readonly proxyV1: boolean;
  private readonly proxyV2: boolean;
  private readonly spp: boolean;
  /** cut() recomputes checksums only in the modes that do it in full for a complete packet. */
  private readonly fullChecksums: boolean;
  /** CUT: offset of the carrier option in the reader's buffer. */
  private cutAt = -1;
  /** Packets classify passed as PLAIN, and packets cut() rewrote (for tests and profiling); the lane counts in both. */
  plain = 0;
  cuts = 0;
  /** Of those, the packets the record lane took. */
  laneRecords = 0;

  constructor(
    private readonly selection: StripSelection,
    private readonly nop: boolean,
    checksum: ChecksumMode,
  ) {
    this.tcpFilter = selection.tcpFilter;
    const formats = selection.formats.size > 0;
    if (selection.tcp || formats) {
      const filter = selection.tcpFilter;
      if (filter) for (const pair of filter.pairs.keys()) this.tcpKinds[pair >>> 8] = 1;
      else for (let k = 0; k < 256; k++) if (isCarrierKind('tcp-option', k)) this.tcpKinds[k] = 1;
    }
    this.proxyV1 = selection.proxyV1 || formats;
    this.proxyV2 = selection.proxyV2 || formats;
    this.spp = selection.spp || formats;
    this.fullChecksums = checksum === 'full' || checksum === 'auto';
    this.seed();
  }

  /**
   * Run classify() on the SEED_FRAMES frames, results dropped. A capture usually opens with handshakes
   * (bench/out/big.pcap: 1,000 SYNs and SYN-ACKs first), so classify and scanOptions were optimized before
   * any packet had taken their carrier and payload branches and were deoptimized at the first one in every
   * run ("Insufficient type feedback", 4 deoptimizations, node --trace-deopt; the fast path then ran in
   * baseline code again until it was optimized anew). classify changes nothing but cutAt.
   */
  private seed(): void {
    const frame = new FrameLayout();
    const frames = SEED_FRAMES.map(fromHex);
    for (let round = 0; round < SEED_ROUNDS; round++) {
      for (const bytes of frames) if (locateIp(bytes, LINKTYPE.ETHERNET, frame)) this.classify(frame);
    }
    this.cutAt = -1;
  }

  /** PLAIN, CUT or GENERAL for the IP packet of an in-place frame (see the file comment). */
  classify(frame: FrameLayout): number {
    const b = frame.buffer;
    const l3 = frame.l3;
    const captured = frame.ipCaptured;
    const first = b[l3]!;
    let ipLength: number;
    let protocol: number;
    let l4: number;
    if (first === IPV4_PLAIN_FIRST_BYTE) {
      if (frame.link.etherType !== ETHERTYPE.IPV4 || captured < IPV4.MIN_HEADER) return FAST.GENERAL;
      ipLength = readU16(b, l3 + IPV4.TOTAL_LENGTH);
      if (ipLength < IPV4.MIN_HEADER || (readU16(b, l3 + IPV4.FLAGS_FRAG) & (IPV4.FLAG_MF | IPV4.FRAG_OFFSET_MASK)) !== 0) return FAST.GENERAL;
      protocol = b[l3 + IPV4.PROTOCOL]!;
      l4 = l3 + IPV4.MIN_HEADER;
    } else if (first >>> 4 === 6) {
      if (frame.link.etherType !== ETHERTYPE.IPV6 || captured < IPV6.HEADER) return FAST.GENERAL;
      const payload = readU16(b, l3 + IPV6.PAYLOAD_LENGTH);
      protocol = b[l3 + IPV6.NEXT_HEADER]!;
      if (payload === 0 || protocol === IPV6_EXT.HOP_BY_HOP || protocol === IPV6_EXT.ROUTING || protocol === IPV6_EXT.DEST_OPTS || protocol === IPV6_EXT.FRAGMENT) {
        return FAST.GENERAL;
      }
      ipLength = IPV6.HEADER + payload;
      l4 = l3 + IPV6.HEADER;
    } else {
      return FAST.GENERAL;
    }
    const end = l3 + captured;
    const l4Length = ipLength - (l4 - l3);
    if (protocol === IPPROTO.TCP) {
      if (end - l4 < TCP.MIN_HEADER) return FAST.GENERAL;
      const doff = (b[l4 + TCP.DATA_OFFSET]! >>> 4) * 4;
      if (doff < TCP.MIN_HEADER || doff > l4Length || end - l4 < doff) return FAST.GENERAL;
      if (l4Length > doff && this.payloadCarrier(b, l4 + doff, end, true)) return FAST.GENERAL;
      if (doff === TCP.MIN_HEADER) return FAST.PLAIN;
      // most segments carry NOP NOP timestamps and nothing else: no walk unless --kinds names kind 8
      if (this.tcpKinds[TCP_OPTION.TIMESTAMP] === 0 && isNopNopTimestamp(b, l4 + TCP.MIN_HEADER, doff - TCP.MIN_HEADER)) return FAST.PLAIN;
      return this.scanOptions(b, l4, l4 + doff);
    }
    if (protocol === IPPROTO.UDP) {
      if (l4Length < UDP.HEADER || end - l4 < UDP.HEADER) return FAST.GENERAL;
      return l4Length > UDP.HEADER && this.payloadCarrier(b, l4 + UDP.HEADER, end, false) ? FAST.GENERAL : FAST.PLAIN;
    }
    return protocol === IPPROTO.OPP ? FAST.GENERAL : FAST.PLAIN;
  }

  /** True when the payload at b[at, end) starts like a selected PROXY/SPP header. */
  private payloadCarrier(b: Uint8Array, at: number, end: number, tcp: boolean): boolean {
    if (at >= end) return false;
    const c = b[at]!;
    if (c === PROXY_V1_FIRST) return tcp && this.proxyV1 && looksLikeProxyV1(b, at, end);
    if (c === PROXY_V2_FIRST) return this.proxyV2 && looksLikeProxyV2(b, at, end);
    if (c === SPP_FIRST) return !tcp && this.spp && looksLikeSpp(b, at, end);
    return false;
  }

  /** True when the option at b[at] (of a SYN or not) is a carrier this strip removes. */
  selectedAt(b: Uint8Array, at: number, isSyn: boolean): boolean {
    const format = tcpOptionFormat(b, at, isSyn, this.tcpFilter);
    return format !== undefined && selectsCarrier(this.selection, format.format, format.carrier);
  }

  /** The options b[l4 + 20, optionsEnd): PLAIN (no selected carrier), CUT (one) or GENERAL (more). Walk rules of scanTcpOptions. */
  private scanOptions(b: Uint8Array, l4: number, optionsEnd: number): number {
    const kinds = this.tcpKinds;
    const isSyn = (b[l4 + TCP.FLAGS]! & TCP_FLAG.SYN) !== 0;
    let found = -1;
    let i = l4 + TCP.MIN_HEADER;
    while (i < optionsEnd) {
      const kind = b[i]!;
      if (kind === TCP_OPTION.EOL) break;
      if (kind === TCP_OPTION.NOP) {
        i++;
        continue;
      }
      if (i + 1 >= optionsEnd) break;
      const length = b[i + 1]!;
      if (length < 2 || i + length > optionsEnd) break;
      if (kinds[kind] === 1 && this.selectedAt(b, i, isSyn)) {
        if (found >= 0) return FAST.GENERAL;
        found = i;
      }
      i += length;
    }
    if (found < 0) return FAST.PLAIN;
    this.cutAt = found;
    return FAST.CUT;
  }

  /**
   * After classify said CUT: the frame with the carrier removed, in engine.scratch; returns the new
   * frame length, or GENERAL (nothing changed or counted) when the general path must do it.
   * `flows` sees the packet's flow as the general path's table would (strip's summary counts the flows looked up).
   */
  cut(rec: BufferedRecord, frame: FrameLayout, engine: RewriteEngine, flows: FlowLog): number {
    if (!this.fullChecksums) return FAST.GENERAL;
    const frameLength = rec.capturedLength;
    const buf = engine.scratchFor(frameLength);
    const src = frame.buffer;
    const base = frame.base;
    const af = frame.af;
    // classify passed IPv4 with a 20-byte header or IPv6 with TCP right after the fixed header
    const l3 = frame.l3;
    const ipLength = af === 4 ? readU16(src, l3 + IPV4.TOTAL_LENGTH) : IPV6.HEADER + readU16(src, l3 + IPV6.PAYLOAD_LENGTH);
    if (frame.ipCaptured !== ipLength) return FAST.GENERAL; // incomplete: no full checksums
    const l4 = l3 + (af === 4 ? IPV4.MIN_HEADER : IPV6.HEADER);
    const doff = (src[l4 + TCP.DATA_OFFSET]! >>> 4) * 4;
    const n = cutOption(src, base, frameLength, l3 - base, l4 - base, doff, ipLength, ipLength, af, this.cutAt - base, this.nop, buf);
    if (n === KERNEL_DECLINED) return FAST.GENERAL;
    // committed: the packet is the fast path's
    this.cuts++;
    flows.add(src, l3, af, l4);
    const s = engine.summary;
    if (n === frameLength) s.carriersNopped++;
    s.carriersRemoved++;
    return n;
  }

  /** The record lane's settings block and option-kind table in the module memory; null until the first take (or without kernels). */
  private lane: Int32Array | null = null;
  private laneAt = -1;
  private laneTried = false;
  /** stripScan's test of a candidate option (selectedAt on the module memory). */
  private laneSelected: ((at: number, syn: number) => number) | null = null;

  /**
   * The record lane (RewriteEngine takeRecords): classify and cut run in WebAssembly (kernels.ts stripScan)
   * over the pcap records at buf[pos, end), for an Ethernet capture with little-endian record headers whose
   * chunk buffers are in the module memory. Plain records are written as runs, cut ones from the staging
   * area (the engine's scratch buffer); the first record it does not take (GENERAL, a record the reader
   * would warn about, a checksum to leave to the general path, ...) is left at the returned position.
   * Counts exactly as classify/cut do. TAKE_NONE for an input it cannot take at all (another link type or
   * byte order, no kernels, a buffer outside the module memory: a small input's never are in it).
   */
  take(buf: Uint8Array, pos: number, end: number, run: RecordRun, engine: RewriteEngine, flows: FlowLog): number {
    if (!run.littleEndian || run.linkType !== LINKTYPE.ETHERNET) return TAKE_NONE;
    const kernels = tcpKernels();
    const at = kernels === null ? -1 : moduleMemoryOffset(buf);
    if (at < 0) return TAKE_NONE;
    const cells = this.lane ?? this.laneCells();
    if (cells === null) return TAKE_NONE;
    const staging = moduleMemoryOffset(engine.scratch);
    cells[LANE.MAX_RECORD] = run.maxRecordBytes;
    cells[LANE.SNAP_LENGTH] = run.snapLength;
    cells[LANE.FLAGS] = this.laneFlags | (staging >= 0 && this.fullChecksums ? LANE_FLAG.CUTS : 0);
    cells[LANE.STAGING] = staging;
    cells[LANE.STAGING_SIZE] = engine.scratch.length;
    const memory = kernels!.memory;
    kernels!.setSelectedTest(this.laneSelected ??= (option, syn) => (this.selectedAt(memory, option, syn !== 0) ? 1 : 0));
    const s = engine.summary;
    let p = pos;
    for (;;) {
      const code = kernels!.stripScan(at + p, at + end, this.laneAt);
      const runEnd = cells[LANE.RUN_END]! - at;
      const plain = cells[LANE.RUN_PACKETS]!;
      if (plain !== 0) {
        engine.passRecords(buf, p, runEnd, plain, cells[LANE.RUN_BYTES]!, run);
        this.plain += plain;
        this.laneRecords += plain;
      }
      if (code !== LANE_CUT) return runEnd;
      const captured = cells[LANE.CUT_CAPTURED]!;
      const staged = cells[LANE.STAGED_LENGTH]!;
      engine.writeRewrittenRecord(staged, captured, run);
      this.cuts++;
      this.laneRecords++;
      flows.add(memory, cells[LANE.CUT_L3]!, cells[LANE.CUT_AF] === 4 ? 4 : 6, cells[LANE.CUT_L4]!);
      if (staged - PCAP.RECORD_HEADER_LENGTH === captured) s.carriersNopped++;
      s.carriersRemoved++;
      p = runEnd + PCAP.RECORD_HEADER_LENGTH + captured;
    }
  }

  /** LANE_FLAG bits from the selection (all but CUTS, which depends on the staging area). */
  private get laneFlags(): number {
    return (
      (this.nop ? LANE_FLAG.NOP : 0) |
      (this.proxyV1 ? LANE_FLAG.PROXY_V1 : 0) |
      (this.proxyV2 ? LANE_FLAG.PROXY_V2 : 0) |
      (this.spp ? LANE_FLAG.SPP : 0) |
      (this.tcpKinds[TCP_OPTION.TIMESTAMP] === 1 ? LANE_FLAG.TIMESTAMP_KIND : 0)
    );
  }

  /** Make the lane's block in the module memory (once): settings, results, the option-kind table. */
  private laneCells(): Int32Array | null {
    if (this.laneTried) return null;
    this.laneTried = true;
    const area = checksumBuffer(LANE.WORDS * 4 + 256);
    const at = moduleMemoryOffset(area);
    if (at < 0) return null;
    area.set(this.tcpKinds, LANE.WORDS * 4);
    const cells = new Int32Array(area.buffer, area.byteOffset, LANE.WORDS);
    cells[LANE.KINDS] = at + LANE.WORDS * 4;
    cells[LANE.PROXY_V1_FIRST] = PROXY_V1_FIRST;
    cells[LANE.PROXY_V2_FIRST] = PROXY_V2_FIRST;
    cells[LANE.SPP_FIRST] = SPP_FIRST;
    this.lane = cells;
    this.laneAt = at;
    return cells;
  }
}
