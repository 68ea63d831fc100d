/**
 * `inject-toa`: put client-address carriers into a capture, as a load balancer would have.
 *
 * Two modes:
 * - plain (default): the capture is the leg the carrier should appear on (typically LB -> backend);
 *   addresses, ports and sequence numbers stay; only the carrier (and what DPVS does with it:
 *   pruning, PROXY sequence shift, UOA shim, standalone packets) changes packets.
 * - --fnat: a client-leg capture (client <-> VIP) becomes the backend leg (LIP <-> RS) through the
 *   DPVS model: client->VIP packets through fnatInbound, VIP->client packets through
 *   fnatOutboundInverse (the RS->LIP packets DPVS would have turned into them). --nat64 takes an
 *   IPv6 client leg to an IPv4 backend (the link header is re-labelled).
 *
 * Formats (table FORMAT_TABLE): TCP-option carriers go through DPVS's insert + prune + retry
 * (carrier-insert.ts / fnat.ts), the IP-layer TTGW carrier is inserted as the first IPv4 option or
 * as an IPv6 destination-options header, UOA and PROXY go through the DPVS handlers (in plain mode
 * with an identity connection: local = client, real = server, Δf = 0).
 *
 * Policies (--when): as DPVS's ToaWhen (fnat.ts), plus 'syn' (client SYNs only: Alibaba CDN).
 * Without a SYN-ACK in the capture, fdata_seq (server ISN + 1) is taken from the first client ACK
 * of the flow; without a SYN, the client ISN is the first client seq − 1 (both counted in the report).
 *
 * Speed (plain mode, port+address TCP formats): the lean path keeps TCP flows in typed-array rows and reads
 * packets where the reader put them (leanRecord); for a large pcap input its common cases run in WebAssembly
 * over whole runs of records (the record lane, laneTake and kernels.ts injectScan, on the same rows in the
 * checksum module's memory). Both are checked against the general path by test/rewrite/inject-lean.test.ts.
 */
import { bytesEqual, type Endpoint } from '../codec/addr.js';
import { grown, readU16, readU32 } from '../codec/bytes.js';
import { isLargeInput, type BufferedRecord } from '../codec/capture.js';
import { TAKE_NONE, type RecordRun } from '../codec/capture-types.js';
import { checksumBuffer, moduleArrayOffset, moduleInt32Array, moduleMemoryOffset } from '../codec/checksum.js';
import { PCAP } from '../codec/pcap.js';
import { CliError } from '../codec/errors.js';
import { IPV4, fillIpv4Checksum } from '../codec/ipv4.js';
import { IPV6 } from '../codec/ipv6.js';
import { ETHERTYPE } from '../codec/link.js';
import { LINKTYPE } from '../codec/linktype.js';
import { IPPROTO } from '../codec/ipproto.js';
import { TCP, TCP_FLAG } from '../codec/tcp.js';
import { encodeIpv4OptionCarrier, encodeIpv6DestOptCarrier, encodeTcpCarrier, writeTcpCarrier, type PortAddressTcpFormat } from '../carriers/index.js';
import {
  FnatResult,
  createFnatConnection,
  fnatInbound,
  fnatOutboundInverse,
  whenEligible,
  type FnatConnection,
  type FnatOptions,
  type ToaWhen,
} from '../dpvs/fnat.js';
import { ChecksumState, PacketLayout, checksumBegin, checksumEnd, parseLayout, type ChecksumMode } from '../dpvs/l4fix.js';
import type { ToaError, ToaPlacement } from '../dpvs/toa-insert.js';
import { ChecksumAudit } from './checksum-audit.js';
import { InsertOutcome, insertDestinationOptions, insertIpv4Option, insertTcpCarrierWithFallback, type TcpInsertPolicy } from './carrier-insert.js';
import { NOT_HANDLED, type PacketRewriter, type RewriteEngine } from './engine.js';
import { INJECT_FLAG, INJECT_LANE, insertAtHead, KERNEL_DECLINED, LANE_CUT, tcpKernels, WHEN_CODE } from './kernels.js';
import { LEAN, LEAN_ROW } from './lean-rows.js';
import { AddressSlab, FlowTable, SKIP_REASONS, flowsExpectedIn, portAIsServer, type Flow, type SkipReason } from './flows.js';
import { setLinkFamily, type FrameLayout } from './link.js';
import type { RewriteSummary } from './summary.js';

export type InjectWhen = ToaWhen | 'syn';
export const INJECT_WHEN: readonly InjectWhen[] = ['dpvs', 'dpvs-legacy', 'lvs', 'handshake-ack', 'every', 'syn'];

type Layer = 'tcp-option' | 'ip' | 'uoa' | 'proxy';

interface FormatInfo {
  layer: Layer;
  defaultWhen: InjectWhen;
  placement: ToaPlacement;
  description: string;
}

/** Every --format: where the carrier goes, its default policy and what it is. */
export const FORMAT_TABLE = Object.freeze({
  dpvs: { layer: 'tcp-option', defaultWhen: 'dpvs', placement: 'first', description: 'DPVS: TOA 254/8 (IPv4 client) or 254/20 (IPv6 client, NAT64 too); UDP: UOA opp, first 3 client packets' },
  lvs: { layer: 'tcp-option', defaultWhen: 'lvs', placement: 'first', description: 'Alibaba LVS FULLNAT: 254/8, IPv6 client 253/20; SYN and pre-data segments' },
  tencent: { layer: 'tcp-option', defaultWhen: 'dpvs', placement: 'first', description: 'Tencent CLB/TGW 200/8 (IPv4 clients)' },
  ucloud: { layer: 'tcp-option', defaultWhen: 'dpvs', placement: 'first', description: 'UCloud ULB 200/8 (IPv4 clients)' },
  jd: { layer: 'tcp-option', defaultWhen: 'handshake-ack', placement: 'last', description: 'JD Jupiter 200/8 after the existing options, handshake ACK only' },
  'alibaba-vtoa': { layer: 'tcp-option', defaultWhen: 'dpvs', placement: 'first', description: 'Alibaba Cloud vtoa: 254/8 followed by 250/8 (VIP); IPv6 client 254/20' },
  'alibaba-vtoa-vpc': { layer: 'tcp-option', defaultWhen: 'dpvs', placement: 'first', description: 'Alibaba Cloud vtoa VPC: 252/20 (IPv6 client: 249/40); --vpc-id' },
  'alibaba-cdn': { layer: 'tcp-option', defaultWhen: 'syn', placement: 'first', description: 'Alibaba CDN 28/7 (IPv6: 28/19) on the client SYN' },
  ttgw: { layer: 'ip', defaultWhen: 'every', placement: 'first', description: 'ByteDance TTGW: IPv4 option 31 or IPv6 destination option, every client->server packet' },
  'uoa-opp': { layer: 'uoa', defaultWhen: 'every', placement: 'first', description: 'DPVS UOA opp shim (protocol 248), first 3 client UDP packets' },
  'uoa-ipo': { layer: 'uoa', defaultWhen: 'every', placement: 'first', description: 'DPVS UOA IPv4 option 31/8, first 3 client UDP packets' },
  'proxy-v1': { layer: 'proxy', defaultWhen: 'dpvs', placement: 'first', description: 'PROXY v1 in the first data segment, later seq/ack shifted' },
  'proxy-v2': { layer: 'proxy', defaultWhen: 'dpvs', placement: 'first', description: 'PROXY v2 in the first data segment (UDP: first datagram)' },
} satisfies Record<string, FormatInfo>);

export type InjectFormat = keyof typeof FORMAT_TABLE;

/** UOA mode of the DPVS handlers for a format: DPVS's own default (opp) for `dpvs`, as its UDP services do. */
function uoaModeFor(format: string): 'opp' | 'ipo' | 'off' {
  if (format === 'uoa-ipo') return 'ipo';
  return format === 'uoa-opp' || format === 'dpvs' ? 'opp' : 'off';
}
export const INJECT_FORMATS = Object.keys(FORMAT_TABLE) as InjectFormat[];

export interface FnatSetup {
  local: Uint8Array;
  /** First local port (incremented per connection), or null: the client's own port. */
  localPort: number | null;
  real: Uint8Array;
  realPort: number;
  /** F, or null: F = the client ISN (Δf = 0). */
  fnatIsn: number | null;
  nat64: boolean;
  wscaleRs: number;
  wscaleVs: number;
}

export interface InjectOptions {
  format: InjectFormat;
  /** null: the format's default policy. */
  when: InjectWhen | null;
  client: Endpoint | null;
  server: Endpoint | null;
  mtu: number;
  prune: boolean;
  checksum: ChecksumMode;
  vpcId: number;
  fnat: FnatSetup | null;
  /**
   * false: no lean path (every packet through the general one; the lean path's equality tests run
   * both). Default true.
   */
  lean?: boolean;
  /** False: no record lane (leanRecord's work in WebAssembly over whole runs of records). Default true. */
  lane?: boolean;
}

const SYN_ACK = TCP_FLAG.SYN | TCP_FLAG.ACK;

function skipReasonOf(error: ToaError | null): SkipReason {
  switch (error) {
    case 'FRAG':
    case 'NOROOM':
    case 'NOROUTE':
    case 'NOTSUPP':
      return error;
    default:
      return 'NOROOM';
  }
}

/** Per-flow handler options for the DPVS model (built once per flow). */
interface FlowHandlerOptions {
  good: FnatOptions;
  bad: FnatOptions;
}

export class InjectRewriter implements PacketRewriter {
  /** Packets are classified in the reader's buffer; only those rewritten get their own view (`toFrameOffsets`). */
  readonly inPlace = true;
  readonly flows = new FlowTable();
  private readonly layout = new PacketLayout();
  private readonly audit = new ChecksumAudit();
  private readonly checksumState = new ChecksumState();
  private readonly outcome = new InsertOutcome();
  private readonly result = new FnatResult();
  private readonly info: FormatInfo;
  private readonly when: InjectWhen;
  private readonly policy: TcpInsertPolicy;
  private readonly handlerOptions = new Map<Flow, FlowHandlerOptions>();
  private readonly ipCarriers = new Map<Flow, Uint8Array>();
  /** Per-flow TCP carrier bytes live in shared chunks (one small view per flow, no buffer each). */
  private readonly carrierSlab = new AddressSlab();
  private connectionsCreated = 0;
  private summary!: RewriteSummary;
  /** insertTcp's outcome for the caller to count. */
  private insertOk = false;
  private insertSkip: SkipReason = 'not-eligible';

  /** The lean path's TCP formats (null: no lean path for this run). */
  private readonly leanFormat: PortAddressTcpFormat | null = null;
  private readonly leanFormatV6: PortAddressTcpFormat | null = null;
  readonly rewriteRecord?: (rec: BufferedRecord, engine: RewriteEngine) => number;
  readonly takeRecords?: (buf: Uint8Array, pos: number, end: number, run: RecordRun, engine: RewriteEngine) => number;
  /** The record lane: on for this input (expectInput), its block in the module memory, its flags. */
  private laneOn = false;
  private lane: Int32Array | null = null;
  private laneAt = -1;
  private laneTried = false;
  private laneFlags = 0;
  /** Packets the record lane took (tests). */
  laneRecords = 0;
  /** Lean TCP flows: a LEAN_ROW row per flow index (state bits, client ISN, fdata_seq, counters). */
  private leanRows: Int32Array = new Int32Array(0);
  /** Skip counts of lean flows for reasons other than not-eligible (rare), by SKIP_REASONS index. */
  private readonly leanOtherSkips = new Map<number, number[]>();
  /** leanTcp's findings for the packet at hand. */
  private leanIndex = 0;
  private leanFlags = 0;
  /** The carrier bytes of the lean packet at hand (IPv4, IPv6 client) and the client address scratch. */
  private readonly leanCarrier4 = new Uint8Array(8);
  private readonly leanCarrier6 = new Uint8Array(20);
  private readonly leanAddress4 = new Uint8Array(4);
  private readonly leanAddress6 = new Uint8Array(16);

  constructor(private readonly options: InjectOptions) {
    this.info = FORMAT_TABLE[options.format];
    this.when = options.when ?? this.info.defaultWhen;
    this.policy = { mtu: options.mtu, placement: this.info.placement, legacy: this.when === 'dpvs-legacy', prune: options.prune };
    const lean = options.lean !== false;
    const v4Format = portAddressFormat(options.format, false);
    if (lean && options.fnat === null && v4Format !== undefined) {
      this.leanFormat = v4Format;
      this.leanFormatV6 = portAddressFormat(options.format, true) ?? null;
      this.rewriteRecord = (rec, engine) => this.leanRecord(rec, engine);
      if (options.lane !== false) this.takeRecords = (buf, pos, end, run, engine) => this.laneTake(buf, pos, end, run, engine);
      this.flows.onMaterialize = (flow, index) => this.leanFill(flow, index);
    }
  }

  /**
   * Room for the flows a capture of this size probably has: no rehashing and no column copies on the way. For
   * the record lane (a large input), the flow table and the lean rows go to the checksum module's memory.
   */
  expectInput(fileBytes: number): void {
    this.laneOn = this.takeRecords !== undefined && isLargeInput(fileBytes) && tcpKernels() !== null;
    const capacity = this.flows.reserve(flowsExpectedIn(fileBytes), this.laneOn);
    if (this.rewriteRecord !== undefined && this.leanRows.length < capacity * LEAN_ROW.STRIDE) this.growLeanRows(capacity * LEAN_ROW.STRIDE);
  }

  /** The lean rows grown to `length` ints (in the module memory while the lane is on and room is left). */
  private growLeanRows(length: number): void {
    this.leanRows = grown(this.leanRows, length, this.laneOn ? moduleInt32Array : undefined);
  }

  /**
   * The record lane (RewriteEngine takeRecords): leanRecord and leanTcp for IPv4 TCP packets of known flows,
   * and leanInsertFast's carrier, run in WebAssembly (kernels.ts injectScan) over the pcap records of an
   * Ethernet capture with little-endian headers whose chunk buffers, flow table and lean rows are in the
   * module memory. Records it does not take (new flows, IPv6, VLAN tags, other protocols, a carrier the fast
   * insertion cannot place, ...) go to leanRecord as before; it counts as those paths do. TAKE_NONE for an
   * input it cannot take at all, or any more (another link type or byte order, not a large file, a table that
   * grew out of the module memory).
   */
  private laneTake(buf: Uint8Array, pos: number, end: number, run: RecordRun, engine: RewriteEngine): number {
    if (!this.laneOn || !run.littleEndian || run.linkType !== LINKTYPE.ETHERNET) return TAKE_NONE;
    const kernels = tcpKernels();
    const at = kernels === null ? -1 : moduleMemoryOffset(buf);
    if (at < 0) return TAKE_NONE;
    const cells = this.lane ?? this.laneCells();
    if (cells === null) return TAKE_NONE;
    const flows = this.flows;
    const slots = moduleArrayOffset(flows.slotArray);
    const rows = moduleArrayOffset(flows.rowArray);
    const leanRows = moduleArrayOffset(this.leanRows);
    if (slots < 0 || rows < 0 || leanRows < 0) return TAKE_NONE;
    const staging = moduleMemoryOffset(engine.scratch);
    cells[INJECT_LANE.MAX_RECORD] = run.maxRecordBytes;
    cells[INJECT_LANE.SNAP_LENGTH] = run.snapLength;
    cells[INJECT_LANE.FLAGS] = staging >= 0 ? this.laneFlags : this.laneFlags & ~INJECT_FLAG.INSERT;
    cells[INJECT_LANE.STAGING] = staging;
    cells[INJECT_LANE.STAGING_SIZE] = engine.scratch.length;
    cells[INJECT_LANE.SLOTS] = slots;
    cells[INJECT_LANE.ROWS] = rows;
    cells[INJECT_LANE.MASK] = flows.slotMask;
    cells[INJECT_LANE.LEAN_ROWS] = leanRows;
    cells[INJECT_LANE.LEAN_CAPACITY] = this.leanRows.length / LEAN_ROW.STRIDE;
    cells[INJECT_LANE.FLOW_CAPACITY] = flows.rowCapacity;
    const s = engine.summary;
    this.summary = s;
    let p = pos;
    for (;;) {
      cells[INJECT_LANE.FLOW_COUNT] = flows.size;
      const code = kernels!.injectScan(at + p, at + end, this.laneAt);
      if (cells[INJECT_LANE.FLOW_COUNT] !== flows.size) flows.adoptFlows(cells[INJECT_LANE.FLOW_COUNT]!);
      const runEnd = cells[INJECT_LANE.RUN_END]! - at;
      const taken = cells[INJECT_LANE.RUN_PACKETS]!;
      if (taken !== 0) {
        engine.passRecords(buf, p, runEnd, taken, cells[INJECT_LANE.RUN_BYTES]!, run);
        this.laneRecords += taken;
      }
      const notEligible = cells[INJECT_LANE.NOT_ELIGIBLE]!;
      if (notEligible !== 0) {
        s.skipped['not-eligible'] += notEligible;
        cells[INJECT_LANE.NOT_ELIGIBLE] = 0;
      }
      const inserted = cells[INJECT_LANE.INSERTED]!;
      if (inserted !== 0) {
        s.carriersInserted += inserted;
        cells[INJECT_LANE.INSERTED] = 0;
      }
      if (code !== LANE_CUT) return runEnd;
      const captured = cells[INJECT_LANE.STAGED_CAPTURED]!;
      engine.writeRewrittenRecord(cells[INJECT_LANE.STAGED_LENGTH]!, captured, run);
      this.laneRecords++;
      p = runEnd + PCAP.RECORD_HEADER_LENGTH + captured;
    }
  }

  /** Make the lane's block in the module memory (once): settings, results, the carrier's bytes. */
  private laneCells(): Int32Array | null {
    if (this.laneTried) return null;
    this.laneTried = true;
    const area = checksumBuffer(INJECT_LANE.WORDS * 4 + 8);
    const at = moduleMemoryOffset(area);
    if (at < 0 || this.leanFormat === null) return null;
    const cells = new Int32Array(area.buffer, area.byteOffset, INJECT_LANE.WORDS);
    const carrier = area.subarray(INJECT_LANE.WORDS * 4);
    writeTcpCarrier(carrier, 0, this.leanFormat, 0, new Uint8Array(4));
    if (carrier[1] !== 8) return null;
    const client = this.options.client;
    const checksum = this.options.checksum;
    let flags = this.info.placement === 'first' && (checksum === 'full' || checksum === 'auto') ? INJECT_FLAG.INSERT : 0;
    if (client !== null) {
      if (client.address.length === 4) carrier.set(client.address, 4);
      else flags &= ~INJECT_FLAG.INSERT; // an IPv6 --client on IPv4 packets: leanInsert's other format
      flags |= INJECT_FLAG.CLIENT_GIVEN;
    }
    // new flows are made in the lane too, unless --server decides their sides (leanCreate)
    if (this.options.server === null) flags |= INJECT_FLAG.CREATE;
    cells[INJECT_LANE.KIND] = carrier[0]!;
    cells[INJECT_LANE.CLIENT_PORT] = client?.port ?? -1;
    cells[INJECT_LANE.CARRIER] = at + INJECT_LANE.WORDS * 4;
    cells[INJECT_LANE.WHEN] = WHEN_CODE[this.when] ?? -1;
    cells[INJECT_LANE.MTU] = this.options.mtu;
    this.laneFlags = flags;
    this.lane = cells;
    this.laneAt = at;
    return cells;
  }

  rewrite(rec: BufferedRecord, frame: FrameLayout, engine: RewriteEngine): number {
    this.summary = engine.summary;
    const s = engine.summary;
    const data = frame.buffer;
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
    const protocol = layout.protocol;
    if (protocol !== IPPROTO.TCP && protocol !== IPPROTO.UDP) {
      s.otherProtocolPassed++;
      return -1;
    }
    if (protocol === IPPROTO.TCP && this.rewriteRecord !== undefined) {
      // a lean run keeps every TCP flow in its columns, also for packets the lean parser left to this path
      if (!this.leanTcp(data, frame.l3, layout.af, layout.l4)) return -1;
      return this.leanInsert(rec, frame, engine, data, frame.l3, layout.af, true);
    }
    const flows = this.flows;
    const flow = flows.lookup(protocol, data, frame.l3, layout.af, layout.l4);
    if (flows.created) this.decideSides(flow);
    const forward = flows.lastForward;
    const l4 = layout.l4;
    let flags = 0;
    if (protocol === IPPROTO.TCP) {
      flags = data[l4 + TCP.FLAGS]!;
      if ((flags & TCP_FLAG.SYN) !== 0) {
        const clientIsA = (flags & TCP_FLAG.ACK) === 0 ? forward : !forward;
        if (flow.sideFrom !== 'syn' || flow.clientIsA !== clientIsA) {
          if (flow.clientIsA !== clientIsA) this.forgetFlowCarriers(flow);
          flow.clientIsA = clientIsA;
          flow.sideFrom = 'syn';
        }
      }
    }
    const fromClient = forward === flow.clientIsA;
    if (fromClient) flow.packetsClientToServer++;
    else flow.packetsServerToClient++;
    if (protocol === IPPROTO.TCP) this.trackTcp(flow, data, l4, flags, fromClient);
    if (this.options.fnat !== null) return this.fnatPacket(rec, frame, engine, flow, fromClient, flags);
    return this.plainPacket(rec, frame, engine, flow, fromClient, flags);
  }

  /** Leave the reader's buffer: frame and layout offsets from here on are offsets in rec.data. */
  private toFrameOffsets(rec: BufferedRecord, engine: RewriteEngine): void {
    const shift = engine.frameRelative(rec);
    this.layout.l3 -= shift;
    this.layout.l4 -= shift;
  }

  finish(summary: RewriteSummary): void {
    const flows = this.flows;
    summary.flows = flows.size;
    let ports = 0;
    const rows = this.leanRows;
    for (let index = 0; index < flows.size; index++) {
      const st = index * LEAN_ROW.STRIDE < rows.length ? rows[index * LEAN_ROW.STRIDE + LEAN_ROW.STATE]! : 0;
      if ((st & LEAN.FLOW) !== 0) {
        if ((st & (LEAN.SIDE_SYN | LEAN.SIDE_SERVER)) === 0) ports++;
      } else if (flows.flowAt(index).sideFrom === 'ports') ports++;
    }
    summary.flowsSideFromPorts = ports;
  }

  // ---------------------------------------------------------------- lean path

  /**
   * The lean path for one record: Ethernet (one VLAN tag at most) or raw IP, IPv4 without options
   * limits or IPv6 without extension headers, TCP with its whole header captured, read in the reader's
   * buffer. Everything else (and every odd case: fragments, cut or damaged headers) goes to the
   * general path, which keeps TCP flows in the same columns (`leanTcp`).
   */
  private leanRecord(rec: BufferedRecord, engine: RewriteEngine): number {
    const data = rec.buffer;
    const start = rec.dataStart;
    const end = start + rec.capturedLength;
    let l3 = start;
    const linkType = rec.linkType;
    if (linkType === LINKTYPE.ETHERNET) {
      if (end - start < 14) return NOT_HANDLED;
      let type = readU16(data, start + 12);
      l3 = start + 14;
      if (type === ETHERTYPE.VLAN) {
        if (end - l3 < 4) return NOT_HANDLED;
        type = readU16(data, l3 + 2);
        l3 += 4;
      }
      if (type !== ETHERTYPE.IPV4 && type !== ETHERTYPE.IPV6) return NOT_HANDLED;
    } else if (linkType !== LINKTYPE.RAW && linkType !== LINKTYPE.RAW_OLD12 && linkType !== LINKTYPE.RAW_OLD14) {
      return NOT_HANDLED;
    }
    const available = end - l3;
    if (available < IPV4.MIN_HEADER) return NOT_HANDLED;
    const version = data[l3]! >>> 4;
    let af: 4 | 6;
    let l4: number;
    let ipLength: number;
    let ipCaptured: number;
    if (version === 4) {
      const ihl = (data[l3]! & 0x0f) * 4;
      ipLength = readU16(data, l3 + IPV4.TOTAL_LENGTH);
      ipCaptured = available < ipLength ? available : ipLength;
      if (ihl < IPV4.MIN_HEADER || ipLength < ihl || ipCaptured < ihl) return NOT_HANDLED;
      if (data[l3 + IPV4.PROTOCOL] !== IPPROTO.TCP || (readU16(data, l3 + IPV4.FLAGS_FRAG) & (IPV4.FLAG_MF | IPV4.FRAG_OFFSET_MASK)) !== 0) return NOT_HANDLED;
      af = 4;
      l4 = l3 + ihl;
    } else if (version === 6) {
      if (available < IPV6.HEADER) return NOT_HANDLED;
      const payload = readU16(data, l3 + IPV6.PAYLOAD_LENGTH);
      if (payload === 0 || data[l3 + IPV6.NEXT_HEADER] !== IPPROTO.TCP) return NOT_HANDLED;
      ipLength = IPV6.HEADER + payload;
      ipCaptured = available < ipLength ? available : ipLength;
      af = 6;
      l4 = l3 + IPV6.HEADER;
    } else {
      return NOT_HANDLED;
    }
    const l4Captured = ipCaptured - (l4 - l3);
    if (l4Captured < TCP.MIN_HEADER) return NOT_HANDLED;
    const doff = (data[l4 + TCP.DATA_OFFSET]! >>> 4) * 4;
    if (doff < TCP.MIN_HEADER || doff > ipLength - (l4 - l3) || l4Captured < doff) return NOT_HANDLED;
    this.summary = engine.summary;
    if (!this.leanTcp(data, l3, af, l4)) return -1;
    // a carrier goes in: the layout parseLayout gives (the fields leanInsertFast reads; leanInsert
    // locates the frame and parses it in full before any other insertion)
    const layout = this.layout;
    layout.status = 'ok';
    layout.af = af;
    layout.l3 = l3;
    layout.l4 = l4;
    layout.ipHeaderLength = l4 - l3;
    layout.protocol = IPPROTO.TCP;
    layout.ipLength = ipLength;
    layout.captured = ipCaptured;
    layout.hasExtensionHeaders = false;
    layout.nextHeaderField = af === 4 ? 0 : IPV6.NEXT_HEADER;
    layout.l4HeaderLength = doff;
    const frame = engine.frame;
    frame.buffer = data;
    frame.base = start;
    return this.leanInsert(rec, frame, engine, data, l3, af, false);
  }

  /**
   * Flow tracking, counters and eligibility of one TCP packet of a lean run (as rewrite, trackTcp and
   * plainPacket do for a Flow). True when it is a client->server packet that gets a carrier attempt.
   */
  private leanTcp(data: Uint8Array, l3: number, af: 4 | 6, l4: number): boolean {
    const flows = this.flows;
    const index = flows.lookupIndex(IPPROTO.TCP, data, l3, af, l4);
    if (flows.created) this.leanCreate(index, data, l3, af, l4);
    const forward = flows.lastForward;
    const rows = this.leanRows;
    const row = index * LEAN_ROW.STRIDE;
    let st = rows[row + LEAN_ROW.STATE]!;
    const flags = data[l4 + TCP.FLAGS]!;
    if ((flags & TCP_FLAG.SYN) !== 0) {
      const clientIsA = (flags & TCP_FLAG.ACK) === 0 ? forward : !forward;
      const wasA = (st & LEAN.CLIENT_IS_A) !== 0;
      if ((st & LEAN.SIDE_SYN) === 0 || wasA !== clientIsA) {
        if (wasA !== clientIsA) {
          st &= ~(LEAN.ISN_KNOWN | LEAN.FDATA_KNOWN | LEAN.FDATA_GUESSED);
          rows[row + LEAN_ROW.FDATA_SEQ] = 0;
        }
        st = (st & ~(LEAN.CLIENT_IS_A | LEAN.SIDE_SERVER)) | LEAN.SIDE_SYN | (clientIsA ? LEAN.CLIENT_IS_A : 0);
      }
    }
    const fromClient = forward === ((st & LEAN.CLIENT_IS_A) !== 0);
    rows[row + (fromClient ? LEAN_ROW.CLIENT_TO_SERVER : LEAN_ROW.SERVER_TO_CLIENT)]!++;
    const seq = readU32(data, l4 + TCP.SEQ);
    if (fromClient) {
      if ((flags & SYN_ACK) === TCP_FLAG.SYN) {
        if ((st & LEAN.ISN_KNOWN) !== 0 && seq !== rows[row + LEAN_ROW.CLIENT_ISN]! >>> 0) {
          // a new connection on the same 4-tuple
          st &= ~(LEAN.FDATA_KNOWN | LEAN.FDATA_GUESSED);
          rows[row + LEAN_ROW.FDATA_SEQ] = 0;
        }
        rows[row + LEAN_ROW.CLIENT_ISN] = seq;
        st |= LEAN.ISN_KNOWN;
      } else {
        if ((st & LEAN.ISN_KNOWN) === 0) {
          rows[row + LEAN_ROW.CLIENT_ISN] = seq - 1;
          st |= LEAN.ISN_KNOWN;
        }
        if ((st & LEAN.FDATA_KNOWN) === 0 && (flags & SYN_ACK) === TCP_FLAG.ACK) {
          rows[row + LEAN_ROW.FDATA_SEQ] = readU32(data, l4 + TCP.ACK);
          st |= LEAN.FDATA_KNOWN | LEAN.FDATA_GUESSED;
        }
      }
    } else if ((flags & SYN_ACK) === SYN_ACK) {
      rows[row + LEAN_ROW.FDATA_SEQ] = seq + 1;
      st = (st | LEAN.FDATA_KNOWN) & ~LEAN.FDATA_GUESSED;
    }
    rows[row + LEAN_ROW.STATE] = st;
    if (!fromClient) return false;
    const ack = readU32(data, l4 + TCP.ACK);
    if (!eligibleBy(this.when, flags, seq, ack, (st & LEAN.FDATA_KNOWN) !== 0, rows[row + LEAN_ROW.FDATA_SEQ]! >>> 0, rows[row + LEAN_ROW.CLIENT_ISN]! >>> 0)) {
      this.summary.skipped['not-eligible']++;
      rows[row + LEAN_ROW.NOT_ELIGIBLE]!++;
      return false;
    }
    this.leanIndex = index;
    this.leanFlags = flags;
    return true;
  }

  /** A new lean flow (side A = this packet's source): columns grown, client side from --server or the ports. */
  private leanCreate(index: number, data: Uint8Array, l3: number, af: 4 | 6, l4: number): void {
    const needed = (index + 1) * LEAN_ROW.STRIDE;
    if (needed > this.leanRows.length) this.growLeanRows(Math.max(needed, 4096 * LEAN_ROW.STRIDE, this.leanRows.length * 2));
    const portA = readU16(data, l4);
    const portB = readU16(data, l4 + 2);
    let st: number = LEAN.FLOW | (portAIsServer(portA, portB) ? 0 : LEAN.CLIENT_IS_A);
    const server = this.options.server;
    if (server !== null) {
      const size = af === 4 ? 4 : 16;
      const source = l3 + (af === 4 ? IPV4.SRC : IPV6.SRC);
      const destination = l3 + (af === 4 ? IPV4.DST : IPV6.DST);
      const matchA = sameAddressAt(server.address, data, source, size) && (server.port === null || server.port === portA);
      const matchB = sameAddressAt(server.address, data, destination, size) && (server.port === null || server.port === portB);
      if (matchA !== matchB) st = LEAN.FLOW | LEAN.SIDE_SERVER | (matchB ? LEAN.CLIENT_IS_A : 0);
    }
    this.leanRows[index * LEAN_ROW.STRIDE + LEAN_ROW.STATE] = st;
  }

  /** The carrier attempt for the client->server packet leanTcp accepted (frame and layout filled, offsets in the reader's buffer). */
  private leanInsert(rec: BufferedRecord, frame: FrameLayout, engine: RewriteEngine, data: Uint8Array, l3: number, af: 4 | 6, located: boolean): number {
    const index = this.leanIndex;
    const carrier = this.leanCarrierOf(data, l3, af, this.layout.l4);
    if (carrier === null) {
      this.leanCount(index, false, 'family');
      return -1;
    }
    const fast = this.leanInsertFast(rec, frame, engine, carrier);
    if (fast >= 0) {
      this.leanCount(index, true, 'not-eligible');
      return fast;
    }
    if (!located && (!engine.locate(rec) || parseLayout(data, frame.l3, frame.ipCaptured, this.layout) !== 'ok')) {
      throw new Error(`internal: packet ${rec.index} passed the lean checks but not the general ones`);
    }
    this.toFrameOffsets(rec, engine);
    const n = this.insertTcp(rec, frame, engine, carrier, (this.leanFlags & TCP_FLAG.SYN) !== 0);
    this.leanCount(index, this.insertOk, this.insertSkip);
    return n;
  }

  /**
   * insertTcp for its most common case, in one pass: a complete packet whose IPv4 header and TCP
   * checksums are right, with room for the carrier at the head of the options ('first' placement,
   * within the MTU) and full checksums: kernels.ts insertAtHead (WebAssembly for a large input's chunk
   * buffers, else JavaScript), which checks the checksums and builds the new frame in one pass. Returns
   * the new frame length, or NOT_HANDLED for insertTcp.
   */
  private leanInsertFast(rec: BufferedRecord, frame: FrameLayout, engine: RewriteEngine, carrier: Uint8Array): number {
    const layout = this.layout;
    const optionLength = carrier.length;
    const checksum = this.options.checksum;
    if (
      this.info.placement !== 'first' ||
      (checksum !== 'full' && checksum !== 'auto') ||
      (optionLength & 3) !== 0 ||
      !layout.complete ||
      layout.ipLength > this.options.mtu - optionLength ||
      TCP.MAX_HEADER - layout.l4HeaderLength < optionLength
    ) {
      return NOT_HANDLED;
    }
    const base = frame.base;
    const frameLength = rec.capturedLength;
    const buf = engine.scratchFor(frameLength + optionLength);
    const n = insertAtHead(frame.buffer, base, frameLength, layout.l3 - base, layout.l4 - base, layout.l4HeaderLength, layout.ipLength, layout.captured, layout.af, carrier, buf);
    return n === KERNEL_DECLINED ? NOT_HANDLED : n;
  }

  /** The carrier bytes for a client->server packet (its source is the client), or null (none for the family). */
  private leanCarrierOf(data: Uint8Array, l3: number, af: 4 | 6, l4: number): Uint8Array | null {
    const client = this.options.client;
    let address: Uint8Array;
    if (client !== null) {
      address = client.address;
    } else {
      address = af === 4 ? this.leanAddress4 : this.leanAddress6;
      const source = l3 + (af === 4 ? IPV4.SRC : IPV6.SRC);
      for (let i = 0; i < address.length; i++) address[i] = data[source + i]!;
    }
    const port = client?.port ?? readU16(data, l4);
    const v6 = address.length === 16;
    const format = v6 ? this.leanFormatV6 : this.leanFormat;
    if (format === null) return null;
    const out = v6 ? this.leanCarrier6 : this.leanCarrier4;
    writeTcpCarrier(out, 0, format, port, address);
    return out;
  }

  private leanCount(index: number, inserted: boolean, reason: SkipReason): void {
    const s = this.summary;
    if (inserted) {
      s.carriersInserted++;
      this.leanRows[index * LEAN_ROW.STRIDE + LEAN_ROW.INSERTED]!++;
      return;
    }
    s.skipped[reason]++;
    if (reason === 'not-eligible') {
      this.leanRows[index * LEAN_ROW.STRIDE + LEAN_ROW.NOT_ELIGIBLE]!++;
      return;
    }
    let counts = this.leanOtherSkips.get(index);
    if (counts === undefined) this.leanOtherSkips.set(index, (counts = new Array<number>(SKIP_REASONS.length).fill(0)));
    counts[SKIP_REASONS.indexOf(reason)]!++;
  }

  /** The Flow object of a lean flow, for --report: its state copied from the columns. */
  private leanFill(flow: Flow, index: number): void {
    const row = index * LEAN_ROW.STRIDE;
    const rows = this.leanRows;
    const st = rows[row + LEAN_ROW.STATE]!;
    flow.clientIsA = (st & LEAN.CLIENT_IS_A) !== 0;
    flow.sideFrom = (st & LEAN.SIDE_SYN) !== 0 ? 'syn' : (st & LEAN.SIDE_SERVER) !== 0 ? 'server-option' : 'ports';
    flow.clientIsn = rows[row + LEAN_ROW.CLIENT_ISN]! >>> 0;
    flow.clientIsnKnown = (st & LEAN.ISN_KNOWN) !== 0;
    flow.fdataSeq = rows[row + LEAN_ROW.FDATA_SEQ]! >>> 0;
    flow.fdataKnown = (st & LEAN.FDATA_KNOWN) !== 0;
    flow.fdataGuessed = (st & LEAN.FDATA_GUESSED) !== 0;
    flow.packetsClientToServer = rows[row + LEAN_ROW.CLIENT_TO_SERVER]!;
    flow.packetsServerToClient = rows[row + LEAN_ROW.SERVER_TO_CLIENT]!;
    flow.carriersInserted = rows[row + LEAN_ROW.INSERTED]!;
    flow.skip('not-eligible', rows[row + LEAN_ROW.NOT_ELIGIBLE]!);
    const other = this.leanOtherSkips.get(index);
    if (other !== undefined) for (let i = 0; i < other.length; i++) if (other[i]! > 0) flow.skip(SKIP_REASONS[i]!, other[i]!);
  }

  // ---------------------------------------------------------------- flow state

  private decideSides(flow: Flow): void {
    const server = this.options.server;
    if (server !== null) {
      const matchA = sameAddress(flow.addressA, server.address) && (server.port === null || server.port === flow.portA);
      const matchB = sameAddress(flow.addressB, server.address) && (server.port === null || server.port === flow.portB);
      if (matchA !== matchB) {
        flow.clientIsA = matchB;
        flow.sideFrom = 'server-option';
        return;
      }
    }
    flow.clientIsA = !portAIsServer(flow.portA, flow.portB);
    flow.sideFrom = 'ports';
  }

  private forgetFlowCarriers(flow: Flow): void {
    flow.carrier = null;
    flow.resetConnectionState();
    this.handlerOptions.delete(flow);
    this.ipCarriers.delete(flow);
  }

  /** Client ISN and fdata_seq as the capture shows them (client-leg numbering). */
  private trackTcp(flow: Flow, data: Uint8Array, l4: number, flags: number, fromClient: boolean): void {
    const seq = readU32(data, l4 + TCP.SEQ);
    if (fromClient) {
      if ((flags & SYN_ACK) === TCP_FLAG.SYN) {
        if (flow.clientIsnKnown && seq !== flow.clientIsn) {
          // a new connection on the same 4-tuple
          this.forgetFlowCarriers(flow);
        }
        flow.clientIsn = seq;
        flow.clientIsnKnown = true;
        return;
      }
      if (!flow.clientIsnKnown) {
        flow.clientIsn = (seq - 1) >>> 0;
        flow.clientIsnKnown = true;
      }
      if (!flow.fdataKnown && (flags & TCP_FLAG.ACK) !== 0 && (flags & TCP_FLAG.SYN) === 0) {
        flow.fdataSeq = readU32(data, l4 + TCP.ACK);
        flow.fdataKnown = true;
        flow.fdataGuessed = true;
      }
    } else if ((flags & SYN_ACK) === SYN_ACK) {
      flow.fdataSeq = (seq + 1) >>> 0;
      flow.fdataKnown = true;
      flow.fdataGuessed = false;
    }
  }

  private eligible(flow: Flow, flags: number, seq: number, ack: number): boolean {
    return eligibleBy(this.when, flags, seq, ack, flow.fdataKnown, flow.fdataSeq, flow.clientIsn);
  }

  private carriedAddress(flow: Flow): Uint8Array {
    return this.options.client?.address ?? flow.clientAddress;
  }
  private carriedPort(flow: Flow): number {
    return this.options.client?.port ?? flow.clientPort;
  }

  /** The TCP option bytes of this flow's carrier, or null when the format has none for its family. */
  private tcpCarrier(flow: Flow): Uint8Array | null {
    if (flow.carrier !== null) return flow.carrier;
    const address = this.carriedAddress(flow);
    const port = this.carriedPort(flow);
    const v6 = address.length === 16;
    const portAddress = portAddressFormat(this.options.format, v6);
    if (portAddress !== undefined) {
      // kind, length, port, address: written straight into the flow's slab bytes
      if (portAddress === null) return (flow.carrier = null);
      const view = this.carrierSlab.take(v6 ? 20 : 8);
      writeTcpCarrier(view, 0, portAddress, port, address);
      return (flow.carrier = view);
    }
    const fields = { clientAddress: address, clientPort: port, virtualAddress: flow.serverAddress, virtualPort: flow.serverPort, vpcId: this.options.vpcId };
    let bytes: Uint8Array | null;
    switch (this.options.format) {
      case 'alibaba-vtoa':
        if (v6) bytes = encodeTcpCarrier('toa-v6', fields);
        else if (flow.serverAddress.length !== 4) bytes = null;
        else bytes = concat(encodeTcpCarrier('toa-v4', fields), encodeTcpCarrier('alibaba-vtoa-vip', fields));
        break;
      case 'alibaba-vtoa-vpc':
        bytes = flow.serverAddress.length !== address.length ? null : encodeTcpCarrier(v6 ? 'alibaba-vtoa-vpc-v6' : 'alibaba-vtoa-vpc', fields);
        break;
      case 'alibaba-cdn':
        bytes = encodeTcpCarrier(v6 ? 'alibaba-cdn-v6' : 'alibaba-cdn-v4', fields);
        break;
      default:
        bytes = null;
    }
    flow.carrier = bytes === null ? null : this.carrierSlab.copy(bytes, 0, bytes.length);
    return flow.carrier;
  }

  /** TTGW bytes for a packet of family `af` (IPv4 option or whole IPv6 destination-options header). */
  private ipCarrier(flow: Flow, af: 4 | 6): Uint8Array | null {
    let bytes = this.ipCarriers.get(flow);
    if (bytes !== undefined) return bytes;
    const address = this.carriedAddress(flow);
    const fields = { clientAddress: address, clientPort: this.carriedPort(flow), virtualAddress: flow.serverAddress, virtualPort: flow.serverPort };
    if (flow.serverAddress.length !== address.length) return null;
    bytes = af === 4 ? encodeIpv4OptionCarrier('ttgw-v4', fields) : encodeIpv6DestOptCarrier('ttgw-v6', fields);
    this.ipCarriers.set(flow, bytes);
    return bytes;
  }

  private count(flow: Flow, inserted: boolean, reason: SkipReason): void {
    if (inserted) {
      this.summary.carriersInserted++;
      flow.carriersInserted++;
    } else {
      this.summary.skipped[reason]++;
      flow.skip(reason);
    }
  }

  // ---------------------------------------------------------------- plain mode

  private plainPacket(rec: BufferedRecord, frame: FrameLayout, engine: RewriteEngine, flow: Flow, fromClient: boolean, flags: number): number {
    const layer = this.info.layer;
    const tcp = flow.protocol === IPPROTO.TCP;
    // --format dpvs is DPVS's service behaviour: TOA on TCP, UOA in its default opp mode on UDP
    const dpvsUdp = !tcp && this.options.format === 'dpvs';
    const data = frame.buffer; // offsets in the reader's buffer until toFrameOffsets
    if (layer === 'tcp-option' && !dpvsUdp) {
      if (!tcp || !fromClient) return -1;
      const l4 = this.layout.l4;
      const seq = readU32(data, l4 + TCP.SEQ);
      const ack = readU32(data, l4 + TCP.ACK);
      if (!this.eligible(flow, flags, seq, ack)) {
        this.count(flow, false, 'not-eligible');
        return -1;
      }
      const carrier = this.tcpCarrier(flow);
      if (carrier === null) {
        this.count(flow, false, 'family');
        return -1;
      }
      this.toFrameOffsets(rec, engine);
      const n = this.insertTcp(rec, frame, engine, carrier, (flags & TCP_FLAG.SYN) !== 0);
      this.count(flow, this.insertOk, this.insertSkip);
      return n;
    }
    if (layer === 'ip') {
      if (!fromClient) return -1;
      if (tcp) {
        const l4 = this.layout.l4;
        if (!this.eligible(flow, flags, readU32(data, l4 + TCP.SEQ), readU32(data, l4 + TCP.ACK))) {
          this.count(flow, false, 'not-eligible');
          return -1;
        }
      }
      this.toFrameOffsets(rec, engine);
      return this.insertIp(rec, frame, engine, flow);
    }
    // UOA and PROXY: the DPVS handlers with an identity connection
    if (layer === 'uoa' && tcp) return -1;
    if (layer === 'tcp-option' && !dpvsUdp) return -1;
    if (layer === 'proxy' && !tcp && this.options.format !== 'proxy-v2') return -1;
    const conn = this.identityConnection(flow);
    if (fromClient) {
      if (tcp) {
        if ((flags & TCP_FLAG.SYN) !== 0) return -1; // never touched (DPVS would only strip its timestamp)
        if (!conn.proxyProtocolSent) {
          const l4 = this.layout.l4;
          const seq = readU32(data, l4 + TCP.SEQ);
          const ack = readU32(data, l4 + TCP.ACK);
          const first = ack === conn.fdataSeq && (flags & TCP_FLAG.RST) === 0 && seq === ((flow.clientIsn + 1) >>> 0) && this.layout.payloadLength > 0;
          if (!first) return -1;
        }
      } else if (conn.uoaMode !== 'off' ? conn.uoaSent >= conn.uoaMaxTrail : conn.proxyProtocolSent) {
        return -1;
      }
      this.toFrameOffsets(rec, engine);
      return this.throughInbound(rec, frame, engine, flow, conn);
    }
    if (!tcp || !conn.proxyProtocolSent || (flags & TCP_FLAG.SYN) !== 0) return -1;
    this.toFrameOffsets(rec, engine);
    return this.throughOutboundInverse(rec, frame, engine, flow, conn);
  }

  private identityConnection(flow: Flow): FnatConnection {
    let conn = flow.connection;
    if (conn === null) {
      const format = this.options.format;
      conn = createFnatConnection({
        client: this.carriedAddress(flow),
        clientPort: this.carriedPort(flow),
        vip: flow.serverAddress,
        vipPort: flow.serverPort,
        local: flow.clientAddress,
        localPort: flow.clientPort,
        real: flow.serverAddress,
        realPort: flow.serverPort,
        fnatIsn: flow.clientIsn,
        clientIsn: flow.clientIsn,
        fdataSeq: flow.fdataSeq,
        proxyProtocol: format === 'proxy-v1' ? 1 : format === 'proxy-v2' ? 2 : 0,
        uoaMode: uoaModeFor(format),
        toaWhen: 'off',
      });
      // a client address family other than the packets' (--client override) cannot use the handlers
      flow.connection = conn;
    }
    if (!conn.proxyProtocolSent) {
      conn.fnatIsn = flow.clientIsn;
      conn.fdataSeq = flow.fdataSeq;
    }
    return conn;
  }

  private beginCopy(rec: BufferedRecord, engine: RewriteEngine): Uint8Array {
    const buf = engine.copyFrame(rec);
    this.audit.audit(buf, this.layout);
    return buf;
  }

  private noteChecksums(cut: boolean): void {
    if (this.audit.bad) this.summary.badChecksumsKept++;
    if (cut && this.options.checksum !== 'keep') this.summary.truncatedIncremental++;
  }

  /**
   * The carrier into a copy of the frame (DPVS insert, prune, retry); the caller counts the outcome
   * (insertOk, insertSkip) for its flow. Returns the new frame length, or -1 (unchanged).
   */
  private insertTcp(rec: BufferedRecord, frame: FrameLayout, engine: RewriteEngine, carrier: Uint8Array, isSyn: boolean): number {
    const layout = this.layout;
    const buf = this.beginCopy(rec, engine);
    const cut = !layout.complete;
    const cs = this.checksumState;
    checksumBegin(buf, layout, this.audit.transportBad ? 'incremental' : this.options.checksum, cs);
    const outcome = this.outcome;
    const ok = insertTcpCarrierWithFallback(buf, layout, carrier, isSyn, this.policy, outcome);
    this.insertOk = ok;
    this.insertSkip = skipReasonOf(outcome.error);
    if (outcome.pruned > 0 || outcome.nopped > 0) this.summary.prunedPackets++;
    if (!ok && outcome.pruned === 0 && outcome.nopped === 0 && sameBytes(buf, rec.data, frame.l3, frame.l3 + frame.ipCaptured)) return -1;
    if (!ok && outcome.pruned === 0 && outcome.nopped === 0) this.summary.prunedPackets++; // rewritten in place by prune (TV-4)
    checksumEnd(buf, layout, cs);
    this.audit.restoreIpv4Error(buf, frame.l3);
    this.noteChecksums(cut);
    return engine.finishFrame(rec, layout.captured);
  }

  private insertIp(rec: BufferedRecord, frame: FrameLayout, engine: RewriteEngine, flow: Flow): number {
    const layout = this.layout;
    const bytes = this.ipCarrier(flow, layout.af);
    if (bytes === null) {
      this.count(flow, false, 'family');
      return -1;
    }
    const buf = this.beginCopy(rec, engine);
    const status = layout.af === 4 ? insertIpv4Option(buf, layout, bytes, this.options.mtu) : insertDestinationOptions(buf, layout, bytes, this.options.mtu);
    if (status !== 'inserted') {
      this.count(flow, false, status);
      return -1;
    }
    this.count(flow, true, 'not-eligible');
    // an IP-layer insertion leaves the pseudo-header (addresses, protocol, L4 length) as it was:
    // the transport checksum stays valid (or stays wrong) as it is
    if (layout.af === 4) {
      fillIpv4Checksum(buf, frame.l3);
      this.audit.restoreIpv4Error(buf, frame.l3);
    }
    if (this.audit.bad) this.summary.badChecksumsKept++;
    return engine.finishFrame(rec, layout.captured);
  }

  private handlerOptionsFor(flow: Flow): FlowHandlerOptions {
    let o = this.handlerOptions.get(flow);
    if (o === undefined) {
      const info = this.info;
      const carrier = info.layer === 'tcp-option' && this.options.format !== 'dpvs' ? this.tcpCarrier(flow) : null;
      const when: ToaWhen = info.layer !== 'tcp-option' ? 'off' : this.when === 'syn' ? 'off' : this.when;
      const base: FnatOptions = { mtu: this.options.mtu, when, carrier, placement: info.placement, prune: this.options.prune };
      o = { good: { ...base, checksum: this.options.checksum }, bad: { ...base, checksum: 'incremental' } };
      this.handlerOptions.set(flow, o);
    }
    return o;
  }

  private throughInbound(rec: BufferedRecord, frame: FrameLayout, engine: RewriteEngine, flow: Flow, conn: FnatConnection): number {
    const buf = this.beginCopy(rec, engine);
    const cut = !this.layout.complete;
    const o = this.handlerOptionsFor(flow);
    const options = this.audit.transportBad ? o.bad : o.good;
    const r = fnatInbound(conn, buf, frame.l3, frame.ipCaptured, options, this.result);
    return this.afterHandler(rec, frame, engine, flow, r, cut, true);
  }

  private throughOutboundInverse(rec: BufferedRecord, frame: FrameLayout, engine: RewriteEngine, flow: Flow, conn: FnatConnection): number {
    const buf = this.beginCopy(rec, engine);
    const cut = !this.layout.complete;
    const o = this.handlerOptionsFor(flow);
    const r = fnatOutboundInverse(conn, buf, frame.l3, frame.ipCaptured, this.audit.transportBad ? o.bad : o.good, this.result);
    return this.afterHandler(rec, frame, engine, flow, r, cut, false);
  }

  /** Counting, link re-labelling, standalone packets and the trailer after a DPVS handler. */
  private afterHandler(rec: BufferedRecord, frame: FrameLayout, engine: RewriteEngine, flow: Flow, r: FnatResult, cut: boolean, inbound: boolean): number {
    const s = this.summary;
    if (r.status !== 'ok') {
      if (r.status === 'fragment') s.fragmentsPassed++;
      else s.unparsedPassed++;
      return -1;
    }
    const buf = engine.scratch;
    if (inbound) {
      if (r.toa === 'inserted') this.count(flow, true, 'not-eligible');
      else if (r.toa === 'failed') this.count(flow, false, skipReasonOf(r.toaError));
      else if (r.toa === 'not-eligible') this.count(flow, false, 'not-eligible');
      if (r.pruned > 0 || r.toaNopped > 0) s.prunedPackets++;
      if (r.uoa === 'inserted' || r.proxyProtocol === 'inserted') this.count(flow, true, 'not-eligible');
      if (r.uoa === 'skipped') this.count(flow, false, 'family');
      if (r.proxyProtocol === 'failed') this.count(flow, false, 'FRAG');
    }
    const newAf = r.layout.af;
    if (newAf !== frame.af && !setLinkFamily(buf, rec.linkType, frame, newAf)) {
      throw new CliError(`packet ${rec.index}: link type ${rec.linkType} fixes the IP version, so the NAT64 translation cannot be written in it`, 1);
    }
    if (inbound && this.info.layer === 'ip' && this.options.fnat !== null) {
      // TTGW after the translation (not a DPVS feature; a TTGW-style LB in front of the backend)
      const bytes = this.ipCarrier(flow, newAf);
      if (bytes !== null) {
        const st = newAf === 4 ? insertIpv4Option(buf, r.layout, bytes, this.options.mtu) : insertDestinationOptions(buf, r.layout, bytes, this.options.mtu);
        if (st === 'inserted') {
          this.count(flow, true, 'not-eligible');
          if (newAf === 4) fillIpv4Checksum(buf, frame.l3);
          r.newLength = r.layout.captured;
        } else this.count(flow, false, st);
      } else this.count(flow, false, 'family');
    }
    if (frame.af === 4 && newAf === 4) this.audit.restoreIpv4Error(buf, frame.l3);
    if (r.standaloneLength > 0) {
      engine.writeExtra(rec, buf, frame.l3, r.standalone);
      flow.standalonePackets++;
      if (r.uoa === 'standalone') {
        s.standaloneUoa++;
        this.count(flow, true, 'not-eligible');
      } else {
        s.standaloneProxy++;
        this.count(flow, true, 'not-eligible');
      }
    }
    this.noteChecksums(cut);
    return engine.finishFrame(rec, r.newLength);
  }

  // ---------------------------------------------------------------- --fnat mode

  private fnatConnection(flow: Flow, fromClient: boolean, flags: number, data: Uint8Array): FnatConnection {
    let conn = flow.connection;
    if (conn !== null) return conn;
    const fnat = this.options.fnat!;
    let localPort = flow.clientPort;
    if (fnat.localPort !== null) {
      localPort = fnat.localPort + this.connectionsCreated;
      if (localPort > 65535) localPort = 1024 + ((localPort - 1024) % (65536 - 1024));
    }
    this.connectionsCreated++;
    const format = this.options.format;
    conn = createFnatConnection({
      client: this.carriedAddress(flow),
      clientPort: this.carriedPort(flow),
      vip: flow.serverAddress,
      vipPort: flow.serverPort,
      local: fnat.local,
      localPort,
      real: fnat.real,
      realPort: fnat.realPort,
      fnatIsn: fnat.fnatIsn ?? undefined,
      fdataSeq: flow.fdataSeq,
      wscaleRs: fnat.wscaleRs,
      wscaleVs: fnat.wscaleVs,
      proxyProtocol: format === 'proxy-v1' ? 1 : format === 'proxy-v2' ? 2 : 0,
      uoaMode: uoaModeFor(format),
      toaWhen: this.when === 'syn' ? 'off' : this.when,
    });
    const clientSyn = fromClient && (flags & SYN_ACK) === TCP_FLAG.SYN;
    if (fnat.fnatIsn === null) {
      // identity sequence space: F = c_isn, Δf = 0
      conn.fnatIsn = flow.clientIsn;
      conn.fnatIsnSet = true;
      conn.fnatDelta = 0;
    } else if (!clientSyn && flow.protocol === IPPROTO.TCP) {
      // no SYN seen: Δf from the guessed client ISN
      conn.fnatIsnSet = true;
      conn.fnatDelta = (fnat.fnatIsn - flow.clientIsn) >>> 0;
    }
    void data;
    flow.connection = conn;
    return conn;
  }

  private fnatPacket(rec: BufferedRecord, frame: FrameLayout, engine: RewriteEngine, flow: Flow, fromClient: boolean, flags: number): number {
    this.toFrameOffsets(rec, engine);
    const conn = this.fnatConnection(flow, fromClient, flags, frame.buffer);
    // fdata_seq in client-leg numbering (the same on both legs without SYN proxy)
    conn.fdataSeq = flow.fdataKnown ? flow.fdataSeq : 0;
    if (fromClient) {
      const o = this.handlerOptionsFor(flow);
      if (this.when === 'syn' && this.info.layer === 'tcp-option') {
        const synOnly = (flags & SYN_ACK) === TCP_FLAG.SYN;
        o.good.when = synOnly ? 'every' : 'off';
        o.bad.when = o.good.when;
      }
      if (this.options.fnat!.fnatIsn === null && (flags & SYN_ACK) === TCP_FLAG.SYN) conn.fnatIsn = flow.clientIsn;
      return this.throughInbound(rec, frame, engine, flow, conn);
    }
    const n = this.throughOutboundInverse(rec, frame, engine, flow, conn);
    if ((flags & SYN_ACK) === SYN_ACK) {
      flow.fdataSeq = conn.fdataSeq;
      flow.fdataKnown = true;
      flow.fdataGuessed = false;
    }
    return n;
  }
}

/** Whether a client->server TCP segment gets a carrier under `when` (fdata_seq and client ISN as tracked). */
function eligibleBy(when: InjectWhen, flags: number, seq: number, ack: number, fdataKnown: boolean, fdataSeq: number, clientIsn: number): boolean {
  if (when === 'syn') return (flags & SYN_ACK) === TCP_FLAG.SYN;
  return whenEligible(when, flags, seq, fdataKnown && ack === fdataSeq, clientIsn);
}

/**
 * The port+address TCP format a --format writes for a client family (null: none for that family), or
 * undefined when the format is built otherwise (tcpCarrier's switch).
 */
function portAddressFormat(format: InjectFormat, v6: boolean): PortAddressTcpFormat | null | undefined {
  switch (format) {
    case 'dpvs':
      return v6 ? 'toa-v6' : 'toa-v4';
    case 'lvs':
      return v6 ? 'toa-v6-253' : 'toa-v4';
    case 'tencent':
    case 'ucloud':
    case 'jd':
      return v6 ? null : 'toa-v4-200';
    default:
      return undefined;
  }
}

function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && bytesEqual(a, 0, b, 0, a.length);
}


/** `address` equals data[at, at + size). */
function sameAddressAt(address: Uint8Array, data: Uint8Array, at: number, size: number): boolean {
  return address.length === size && bytesEqual(address, 0, data, at, size);
}

function sameBytes(a: Uint8Array, b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (a[i] !== b[i]) return false;
  return true;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
