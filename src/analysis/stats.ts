/**
 * The engine of `toa stats`: one pass over one or more captures, memory bounded by the number of
 * TCP 4-tuples (flows.ts), producing a `StatsReport` (the `--json` document, see docs/stats-json.md).
 *
 * Per packet: PacketInspector (dissection, checksums, carriers), then counters, then — for TCP —
 * one flow-table lookup and a few number updates. Objects are created only when a packet carries
 * something (a carrier, a note) or when a connection is finished (verdict, examples).
 * Several files share one flow table, so a connection split over rotated files is one connection.
 */
import type { Carrier } from '../carriers/index.js';
import { isIpv4Mapped } from '../carriers/fields.js';
import type { KindFilter } from '../carriers/kinds.js';
import { formatEndpoint, formatIp, type Endpoint } from '../codec/addr.js';
import type { CaptureInfo, PacketRecord } from '../codec/capture-types.js';
import { DISSECT_LAYER, ENCAPSULATION } from '../codec/dissect.js';
import { IPPROTO } from '../codec/ipproto.js';
import { linkTypeName } from '../codec/linktype.js';
import { TCP_FLAG } from '../codec/tcp.js';
import { AnomalyTally, type AnomalyCode, type AnomalyEntry, type AnomalyExample } from './anomalies.js';
import { CARRIER_SLOT, D, dottedQuadValue, EVIDENCE, FLOW_FLAG, FlowTable, formatIpv4Value, I, PairIndex, ROW_DOUBLES, ROW_INTS, type CarrierView, type FlowEndpoints } from './flows.js';
import { PacketInspector } from './inspect.js';
import { BACKEND_MODULES, findModule, peerOutcome, resolvePeer, type BackendModule, type ModuleName, type PeerOutcome, type PeerResult } from './modules.js';
import { classifyFlow, carrierLength, MISSING_VERDICTS, VERDICT_MEANING, VERDICTS, type Verdict } from './verdict.js';

export const STATS_SCHEMA = 'toa-stats/1';

export interface StatsOptions {
  /** --mtu: MTU of the load balancer's backend link (default 1500). */
  mtu?: number;
  /** --top: rows in top lists and examples per verdict/anomaly (default 10; 0 = all). */
  top?: number;
  /** --module: the backend module used for verdicts and per-flow peers (default: verdicts with dpvs, no per-flow list). */
  module?: ModuleName | null;
  /** --vip: server endpoints that are VIPs (connections to them are the client leg). */
  vips?: Endpoint[];
  /** --kinds filter handed to the inspector. */
  kinds?: KindFilter;
  /** Verify checksums (default true). */
  checksums?: boolean;
  /** Called for every finished TCP connection (tests, cross-checks). */
  onConnection?: (c: ConnectionSummary) => void;
}

/** One finished TCP connection, as handed to `onConnection` and listed in examples. */
export interface ConnectionSummary {
  client: string;
  server: string;
  clientEvidence: string;
  file: string;
  firstPacket: number;
  packets: number;
  bytes: number;
  clientPackets: number;
  serverPackets: number;
  clientPayload: number;
  serverPayload: number;
  synPacket: number | null;
  ackPacket: number | null;
  verdict: Verdict;
  /** Client address named by the first carrier ("addr" or "addr:port"), null when none. */
  carrierClient: string | null;
  peer: PeerResult;
}

export interface FileOverview {
  file: string;
  format: string;
  linkTypes: { linkType: number; name: string; packets: number }[];
  interfaces: number;
  packets: number;
  /** Captured bytes (sum of the captured lengths). */
  bytes: number;
  /** Bytes on the wire (sum of the original lengths). */
  originalBytes: number;
  firstTime: string | null;
  lastTime: string | null;
  durationSeconds: number;
  truncatedPackets: number;
  /** Damage that ended the read early (the packets before it were counted). */
  error: string | null;
}

export interface ChecksumRow {
  layer: 'ipv4' | 'tcp' | 'udp' | 'icmp' | 'icmpv6';
  ok: number;
  bad: number;
  unverified: number;
  none: number;
}

export interface CarrierFormatRow {
  format: string;
  carrier: string;
  kind: number | null;
  length: number;
  family: 'ipv4' | 'ipv6' | 'none';
  packets: number;
}

export interface ClientRow {
  address: string;
  packets: number;
  flows: number;
}

export interface VerdictExample {
  client: string;
  server: string;
  file: string;
  firstPacket: number;
  synPacket: number | null;
  ackPacket: number | null;
  detail: string;
}

export interface VerdictRow {
  verdict: Verdict;
  flows: number;
  /** flows / all TCP connections. */
  share: number;
  meaning: string;
  examples: VerdictExample[];
}

export interface ModuleRow {
  module: ModuleName;
  title: string;
  reads: string;
  /** Connections where getpeername returns the client. */
  client: number;
  /** NAT64: client only through getsockopt(TOA_SO_GET_LOOKUP). */
  clientGetsockopt: number;
  /** Connections where the application sees the load balancer address. */
  lb: number;
  /** Not judged: handshake missing or client→VIP leg. */
  notJudged: number;
}

export interface PeerRow {
  client: string;
  server: string;
  file: string;
  firstPacket: number;
  verdict: Verdict;
  peer: PeerResult;
}

export interface StatsReport {
  schema: typeof STATS_SCHEMA;
  options: { mtu: number; top: number; module: ModuleName | null; verdictModule: ModuleName; vips: string[]; kinds: string | null };
  overview: {
    files: FileOverview[];
    packets: number;
    bytes: number;
    originalBytes: number;
    firstTime: string | null;
    lastTime: string | null;
    durationSeconds: number;
    truncatedPackets: number;
    protocols: { protocol: string; number: number | null; packets: number }[];
    encapsulated: { vxlan: number; ipInIp: number };
    ipFragments: number;
    dissectWarnings: number;
    checksums: ChecksumRow[];
  };
  carriers: {
    packets: number;
    formats: CarrierFormatRow[];
    tcpConnections: number;
    connectionsWithCarrier: number;
    distinctClients: number;
    topClientsByPackets: ClientRow[];
    topClientsByFlows: ClientRow[];
  };
  flows: { tcpConnections: number; tcpFourTuples: number; reusedFourTuples: number; judged: number; missing: number };
  verdicts: VerdictRow[];
  modules: ModuleRow[];
  peers: { module: ModuleName; flows: PeerRow[] } | null;
  anomalies: AnomalyEntry[];
}

/** Entries of StatsCollector.sums: time of the current packet (ms), byte sums, first and last times (ms). */
const SUM = Object.freeze({ TIME: 0, FILE_BYTES: 1, FILE_ORIGINAL_BYTES: 2, BYTES: 3, ORIGINAL_BYTES: 4, FILE_FIRST: 5, FILE_LAST: 6, FIRST: 7, LAST: 8 });

const CHECKSUM_LAYERS = ['ipv4', 'tcp', 'udp', 'icmp', 'icmpv6'] as const;
const PROTOCOL_NAMES: Record<number, string> = { 1: 'icmp', 2: 'igmp', 6: 'tcp', 17: 'udp', 47: 'gre', 50: 'esp', 51: 'ah', 58: 'icmpv6', 132: 'sctp', 248: 'opp' };
const OPTION_CARRIERS = new Set(['tcp-option', 'ipv4-option', 'ipv6-dstopt', 'opp']);

interface ModuleTally {
  client: number;
  clientGetsockopt: number;
  lb: number;
  notJudged: number;
}

interface ClientTally {
  packets: number;
  flows: number;
}

/** ISO time of `ms`, or null when it is not a time a Date can hold (|ms| > 8.64e15, e.g. a damaged pcapng timestamp). */
function timeText(ms: number): string | null {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(Math.floor(ms)).toISOString() : null;
}

function fractionText(n: number): string {
  return n.toFixed(3);
}

export class StatsCollector {
  readonly mtu: number;
  readonly top: number;
  readonly module: BackendModule | null;
  readonly verdictModule: BackendModule;
  private readonly vips: Endpoint[];
  private readonly kindsSpec: string | null;
  private readonly onConnection: ((c: ConnectionSummary) => void) | undefined;
  private readonly inspector: PacketInspector;
  private readonly table = new FlowTable();

  // overview
  private readonly files: FileOverview[] = [];
  private file: FileOverview | null = null;
  private fileIndex = 0;
  private fileLinkTypes = new Map<number, number>();
  /**
   * The per-packet sums and times that are not small integers, in one typed array (a store into it
   * never allocates): SUM indices. The FILE_ ones are copied into the FileOverview by endFile.
   */
  private readonly sums = Float64Array.of(0, 0, 0, 0, 0, Infinity, -Infinity, Infinity, -Infinity);
  private filePackets = 0;
  private fileTruncated = 0;
  private packets = 0;
  private truncated = 0;
  private nonIp = 0;
  private fragments = 0;
  private vxlan = 0;
  private ipInIp = 0;
  private warnings = 0;
  private readonly protocolCounts = new Float64Array(256);
  /** [layer][ok, bad, unverified, none] */
  private readonly checksums = CHECKSUM_LAYERS.map(() => new Float64Array(4));

  // carriers
  private carrierPackets = 0;
  /** format → (kind * 65536 + length) → row */
  private readonly formats = new Map<string, Map<number, CarrierFormatRow>>();
  /** Clients named by carriers: dotted-quad IPv4 addresses by value (counters: packets, flows), other texts by text. */
  private readonly clientsByValue = new PairIndex();
  private readonly clientsByText = new Map<string, ClientTally>();
  /**
   * Client endpoints (address and port) named by carriers: the client-leg heuristic. Dotted-quad IPv4
   * addresses by value, other address texts as "addr|port".
   */
  private readonly endpointsByValue = new PairIndex();
  private readonly endpointsByText = new Set<string>();
  /** Module outcomes (BACKEND_MODULES order) per (SYN shape, ACK shape, socket family) of compact carriers. */
  private readonly outcomeCache = new Map<number, PeerOutcome[]>();

  // connections
  private connections = 0;
  private connectionsWithCarrier = 0;
  private judged = 0;
  private missing = 0;
  private readonly verdictCounts = new Map<Verdict, number>();
  private readonly verdictExamples = new Map<Verdict, VerdictExample[]>();
  /** Per BACKEND_MODULES entry, same order. */
  private readonly moduleTallies: ModuleTally[] = BACKEND_MODULES.map(() => ({ client: 0, clientGetsockopt: 0, lb: 0, notJudged: 0 }));
  private readonly peerRows: PeerRow[] = [];
  private readonly anomalies: AnomalyTally;

  constructor(options: StatsOptions = {}) {
    this.mtu = options.mtu ?? 1500;
    this.top = options.top ?? 10;
    this.module = options.module ? findModule(options.module) ?? null : null;
    this.verdictModule = this.module ?? findModule('dpvs')!;
    this.vips = options.vips ?? [];
    this.kindsSpec = options.kinds?.spec ?? null;
    this.onConnection = options.onConnection;
    this.inspector = new PacketInspector({ checksums: options.checksums !== false, kinds: options.kinds });
    this.anomalies = new AnomalyTally(this.top);
  }

  /** Start a capture file (call before its packets). */
  beginFile(info: CaptureInfo): void {
    this.fileIndex++;
    this.fileLinkTypes = new Map();
    this.sums[SUM.FILE_FIRST] = Infinity;
    this.sums[SUM.FILE_LAST] = -Infinity;
    this.filePackets = 0;
    this.sums[SUM.FILE_BYTES] = 0;
    this.sums[SUM.FILE_ORIGINAL_BYTES] = 0;
    this.fileTruncated = 0;
    this.file = {
      file: info.file, format: info.format, linkTypes: [], interfaces: 0, packets: 0, bytes: 0, originalBytes: 0,
      firstTime: null, lastTime: null, durationSeconds: 0, truncatedPackets: 0, error: null,
    };
    this.files.push(this.file);
  }

  /** End the current file; `info` for the final interface list, `error` when the read stopped at damage. */
  endFile(info: CaptureInfo, error: string | null = null): void {
    const f = this.file;
    if (f === null) return;
    this.flushLinkTypes();
    this.runLinkType = -1;
    f.packets = this.filePackets;
    const sums = this.sums;
    f.bytes = sums[SUM.FILE_BYTES]!;
    f.originalBytes = sums[SUM.FILE_ORIGINAL_BYTES]!;
    f.truncatedPackets = this.fileTruncated;
    f.interfaces = info.interfaces.length;
    f.linkTypes = [...this.fileLinkTypes].map(([linkType, packets]) => ({ linkType, name: linkTypeName(linkType), packets }));
    if (f.linkTypes.length === 0) {
      for (const i of info.interfaces) if (!f.linkTypes.some((l) => l.linkType === i.linkType)) f.linkTypes.push({ linkType: i.linkType, name: linkTypeName(i.linkType), packets: 0 });
    }
    f.firstTime = timeText(sums[SUM.FILE_FIRST]!);
    f.lastTime = timeText(sums[SUM.FILE_LAST]!);
    f.durationSeconds = f.packets > 0 ? Math.max(0, (sums[SUM.FILE_LAST]! - sums[SUM.FILE_FIRST]!) / 1000) : 0;
    f.error = error;
    this.file = null;
  }

  /** One packet of the current file (synchronous; the record is only read during the call). */
  packet(rec: PacketRecord): void {
    const data = rec.data;
    const time = rec.timestampSeconds * 1000 + rec.timestampNanos / 1e6;
    const sums = this.sums;
    sums[SUM.TIME] = time;
    this.filePackets++;
    this.packets++;
    sums[SUM.FILE_BYTES]! += rec.capturedLength;
    sums[SUM.FILE_ORIGINAL_BYTES]! += rec.originalLength;
    sums[SUM.BYTES]! += rec.capturedLength;
    sums[SUM.ORIGINAL_BYTES]! += rec.originalLength;
    if (time < sums[SUM.FILE_FIRST]!) sums[SUM.FILE_FIRST] = time;
    if (time > sums[SUM.FILE_LAST]!) sums[SUM.FILE_LAST] = time;
    if (time < sums[SUM.FIRST]!) sums[SUM.FIRST] = time;
    if (time > sums[SUM.LAST]!) sums[SUM.LAST] = time;
    const lt = rec.linkType;
    if (lt === this.runLinkType) this.runLength++;
    else this.countLinkType(lt);

    const inspector = this.inspector;
    inspector.inspect(data, lt, rec.originalLength);
    const d = inspector.d;
    if (d.truncated || rec.capturedLength < rec.originalLength) {
      this.fileTruncated++;
      this.truncated++;
    }
    this.warnings += d.warningCount;
    if (d.ipVersion === 0) {
      this.nonIp++;
      return;
    }
    if (d.encapsulation === ENCAPSULATION.VXLAN) this.vxlan++;
    else if (d.encapsulation === ENCAPSULATION.IP_IN_IP) this.ipInIp++;
    const protocol = d.transportProtocol;
    if (d.isLaterFragment) this.fragments++;
    else if (protocol >= 0 && protocol < 256) this.protocolCounts[protocol]!++;
    this.countChecksums(d.ipVersion, protocol, d.ipChecksum, d.l4Checksum);

    const carriers = inspector.carriers;
    const notes = inspector.notes;
    if (notes.length > 0) this.packetNotes(rec);
    let clientCarriers = 0;
    if (carriers.length > 0) clientCarriers = this.packetCarriers(rec, carriers, protocol === IPPROTO.TCP);

    if (protocol !== IPPROTO.TCP || d.reached < DISSECT_LAYER.TRANSPORT || d.isLaterFragment) return;
    this.tcpPacket(rec, clientCarriers);
  }



  /** Link types are counted in runs (one Map update per change, not per packet). */
  private runLinkType = -1;
  private runLength = 0;
  private flushLinkTypes(): void {
    if (this.runLength > 0) this.fileLinkTypes.set(this.runLinkType, (this.fileLinkTypes.get(this.runLinkType) ?? 0) + this.runLength);
    this.runLength = 0;
  }
  private countLinkType(lt: number): void {
    this.flushLinkTypes();
    this.runLinkType = lt;
    this.runLength = 1;
  }

  private countChecksums(version: number, protocol: number, ip: string, l4: string): void {
    if (version === 4) this.checksums[0]![verdictIndex(ip)]!++;
    let layer = -1;
    if (protocol === IPPROTO.TCP) layer = 1;
    else if (protocol === IPPROTO.UDP) layer = 2;
    else if (protocol === IPPROTO.ICMP) layer = 3;
    else if (protocol === IPPROTO.ICMPV6) layer = 4;
    if (layer > 0) this.checksums[layer]![verdictIndex(l4)]!++;
  }

  private packetLabel(rec: PacketRecord): string {
    const d = this.inspector.d;
    const data = rec.data;
    const length = d.ipAddressLength === 16 ? 16 : 4;
    const source = formatIp(data, d.ipSourceOffset, length);
    const destination = formatIp(data, d.ipDestinationOffset, length);
    if (d.sourcePort < 0) return `${source} > ${destination}`;
    return `${formatEndpoint(source, d.sourcePort)} > ${formatEndpoint(destination, d.destinationPort)}`;
  }

  private example(rec: PacketRecord, detail: string): AnomalyExample {
    return { flow: this.packetLabel(rec), file: this.file!.file, packet: rec.index, detail };
  }

  private packetNotes(rec: PacketRecord): void {
    let malformed: string | null = null;
    let fastOpen = false;
    let collision: string | null = null;
    let hostId = false;
    for (const n of this.inspector.notes) {
      if (n.code === 'tcp-fast-open') fastOpen = true;
      else if (n.code === 'exid-collision') collision ??= n.message;
      else if (n.code === 'host-id') hostId = true;
      else if (n.severity === 'warning') malformed ??= n.message;
    }
    if (fastOpen) this.anomalies.add('tcp-fast-open', () => this.example(rec, 'kind 254 ExID 0xF989 (TCP Fast Open)'));
    if (collision !== null) this.anomalies.add('exid-collision', () => this.example(rec, collision!));
    if (hostId) this.anomalies.add('host-id', () => this.example(rec, 'ExID 0x0348 (RFC 7974 Host ID)'));
    if (malformed !== null) this.anomalies.add('malformed-option', () => this.example(rec, malformed!));
  }

  /** Per-packet carrier counters; returns the number of carriers naming a client address. */
  private packetCarriers(rec: PacketRecord, carriers: Carrier[], tcp: boolean): number {
    this.carrierPackets++;
    let clientCount = 0;
    for (const c of carriers) {
      let byShape = this.formats.get(c.format);
      if (byShape === undefined) this.formats.set(c.format, (byShape = new Map()));
      const shape = (c.kind ?? 0) * 0x10000 + c.length;
      let row = byShape.get(shape);
      if (row === undefined) {
        const family = c.clientAddress === null ? 'none' : c.clientAddress.includes(':') ? 'ipv6' : 'ipv4';
        row = { format: c.format, carrier: c.carrier, kind: c.kind, length: c.length, family, packets: 0 };
        byShape.set(shape, row);
      }
      row.packets++;
      if (c.clientAddress === null) continue;
      clientCount++;
      if (!tcp) this.tallyClient(c.clientAddress, 1, 0);
      const d = this.inspector.d;
      if (isAddressAt(c.clientAddress, rec.data, d.ipSourceOffset, d.ipAddressLength === 16 ? 16 : 4)) {
        const address = c.clientAddress;
        this.anomalies.add('carrier-is-source', () => this.example(rec, `${c.format} names ${address}, the packet's own source`));
      }
    }
    if (clientCount > 1) {
      this.anomalies.add('multiple-carriers', () => this.example(rec, clientCarrierList(carriers)));
    }
    return clientCount;
  }

  private decideSideWithoutHandshake(f: number): void {
    const t = this.table;
    const ints = t.ints;
    const o = f * ROW_INTS;
    for (const vip of this.vips) {
      if (t.endpointIs(f, 1, vip.address, vip.port)) {
        ints[o + I.CLIENT_SIDE] = 0;
        ints[o + I.EVIDENCE] = EVIDENCE.VIP;
        return;
      }
      if (t.endpointIs(f, 0, vip.address, vip.port)) {
        ints[o + I.CLIENT_SIDE] = 1;
        ints[o + I.EVIDENCE] = EVIDENCE.VIP;
        return;
      }
    }
    ints[o + I.CLIENT_SIDE] = t.portB(f) > t.portA(f) ? 1 : 0;
    ints[o + I.EVIDENCE] = EVIDENCE.PORT;
  }

  private tcpPacket(rec: PacketRecord, clientCarriers: number): void {
    const d = this.inspector.d;
    const t = this.table;
    const f = t.lookup(rec.data, d.ipSourceOffset, d.ipDestinationOffset, d.ipAddressLength === 16 ? 16 : 4, d.sourcePort, d.destinationPort);
    const direction = t.direction;
    const flags = d.tcpFlags;
    const syn = (flags & TCP_FLAG.SYN) !== 0;
    const ack = (flags & TCP_FLAG.ACK) !== 0;
    const rst = (flags & TCP_FLAG.RST) !== 0;
    const seq = d.sequenceNumber | 0;
    const ints = t.ints;
    const doubles = t.doubles;
    const o = f * ROW_INTS;
    const od = f * ROW_DOUBLES;
    let fromA = doubles[od + D.PACKETS_A]!;
    let fromB = doubles[od + D.PACKETS_B]!;
    if (syn && !ack && fromA + fromB > 0) {
      // a SYN with another sequence number than the first one seen from that side: a new connection
      if (direction === 0 ? fromA > 0 && ints[o + I.FIRST_SEQ_A] !== seq : fromB > 0 && ints[o + I.FIRST_SEQ_B] !== seq) {
        this.finishConnection(f);
        t.resetConnection(f);
        fromA = fromB = 0;
      }
    }
    if (fromA + fromB === 0) {
      ints[o + I.FILE_INDEX] = this.fileIndex;
      doubles[od + D.FIRST_PACKET] = rec.index;
      if (syn && !ack) {
        ints[o + I.CLIENT_SIDE] = direction;
        ints[o + I.EVIDENCE] = EVIDENCE.SYN;
      } else if (syn && ack) {
        ints[o + I.CLIENT_SIDE] = 1 - direction;
        ints[o + I.EVIDENCE] = EVIDENCE.SYN_ACK;
      } else {
        this.decideSideWithoutHandshake(f);
      }
    } else if (syn && ints[o + I.EVIDENCE] !== EVIDENCE.SYN) {
      ints[o + I.CLIENT_SIDE] = ack ? 1 - direction : direction;
      ints[o + I.EVIDENCE] = ack ? EVIDENCE.SYN_ACK : EVIDENCE.SYN;
    }
    doubles[od + D.BYTES]! += rec.originalLength;
    const payload = d.payloadLengthOnWire;
    if (direction === 0) {
      if (fromA === 0) ints[o + I.FIRST_SEQ_A] = seq;
      doubles[od + D.PACKETS_A] = fromA + 1;
      doubles[od + D.PAYLOAD_A]! += payload;
    } else {
      if (fromB === 0) ints[o + I.FIRST_SEQ_B] = seq;
      doubles[od + D.PACKETS_B] = fromB + 1;
      doubles[od + D.PAYLOAD_B]! += payload;
    }
    if ((flags & TCP_FLAG.FIN) !== 0) ints[o + I.FLAGS]! |= FLOW_FLAG.FIN;
    if (rst) ints[o + I.FLAGS]! |= FLOW_FLAG.RST;
    if (direction === ints[o + I.CLIENT_SIDE]) this.clientPacket(rec, f, o, od, syn, ack, rst, clientCarriers);
    else this.serverPacket(rec, f, o, od, syn, ack, rst, clientCarriers);
  }

  /** A packet from the client of row f (o / od: the row's first int / double). */
  private clientPacket(rec: PacketRecord, f: number, o: number, od: number, syn: boolean, ack: boolean, rst: boolean, clientCarriers: number): void {
    const t = this.table;
    const d = this.inspector.d;
    const ints = t.ints;
    const doubles = t.doubles;
    if (syn && !ack) {
      if (doubles[od + D.SYN_COUNT] === 0) {
        ints[o + I.SYN_SEQUENCE] = d.sequenceNumber | 0;
        doubles[od + D.SYN_PACKET] = rec.index;
        if (clientCarriers > 0) this.keepOptionCarriers(f, CARRIER_SLOT.SYN);
      }
      doubles[od + D.SYN_COUNT]!++;
    } else if (
      ack && !syn && !rst && doubles[od + D.ACK_PACKET] === 0 && doubles[od + D.SYN_COUNT]! > 0 &&
      (doubles[od + D.SYN_ACK_COUNT] === 0 || d.acknowledgmentNumber === ((ints[o + I.SYN_ACK_SEQUENCE]! + 1) >>> 0))
    ) {
      doubles[od + D.ACK_PACKET] = rec.index;
      ints[o + I.ACK_IP_LENGTH] = d.ipEnd - d.l3Offset;
      ints[o + I.ACK_TCP_HEADER_LENGTH] = d.tcpHeaderLength;
      ints[o + I.ACK_IP_VERSION] = d.ipVersion;
      if (clientCarriers > 0) this.keepOptionCarriers(f, CARRIER_SLOT.ACK);
    } else if (clientCarriers > 0 && !t.hasCarrier(f, CARRIER_SLOT.LATER)) {
      for (const c of this.inspector.carriers) {
        if (c.clientAddress !== null && OPTION_CARRIERS.has(c.carrier)) {
          t.keepCarrier(f, CARRIER_SLOT.LATER, c);
          doubles[od + D.LATER_CARRIER_PACKET] = rec.index;
          break;
        }
      }
    }
    if (clientCarriers > 0) {
      doubles[od + D.CARRIER_PACKETS]!++;
      for (const c of this.inspector.carriers) {
        if (c.clientAddress === null) continue;
        if (c.carrier === 'proxy-v1' || c.carrier === 'proxy-v2') ints[o + I.FLAGS]! |= FLOW_FLAG.PROXY_HEADER;
        if (!t.hasCarrier(f, CARRIER_SLOT.FIRST)) {
          t.keepCarrier(f, CARRIER_SLOT.FIRST, c);
          this.addCarrierEndpoint(c.clientAddress, c.clientPort);
        }
      }
    }
  }

  /** A packet from the server of row f. */
  private serverPacket(rec: PacketRecord, f: number, o: number, od: number, syn: boolean, ack: boolean, rst: boolean, clientCarriers: number): void {
    const t = this.table;
    const d = this.inspector.d;
    const ints = t.ints;
    const doubles = t.doubles;
    if (syn && ack) {
      if (doubles[od + D.SYN_ACK_COUNT] === 0) {
        ints[o + I.SYN_ACK_SEQUENCE] = d.sequenceNumber | 0;
        ints[o + I.SYN_ACK_WINDOW] = d.windowSize;
        // waiting for the window to open (a time before the epoch never counts as waiting)
        const time = this.sums[SUM.TIME]!;
        if (d.windowSize === 0 && time >= 0) {
          t.zeroWindowSince.set(f, time);
          ints[o + I.FLAGS]! |= FLOW_FLAG.ZERO_WINDOW;
        }
      }
      doubles[od + D.SYN_ACK_COUNT]!++;
    }
    if ((ints[o + I.FLAGS]! & FLOW_FLAG.ZERO_WINDOW) !== 0 && d.windowSize > 0 && !rst) {
      t.windowOpenedAfter.set(f, this.sums[SUM.TIME]! - t.zeroWindowSince.get(f)!);
      t.zeroWindowSince.delete(f);
      ints[o + I.FLAGS] = (ints[o + I.FLAGS]! & ~FLOW_FLAG.ZERO_WINDOW) | FLOW_FLAG.WINDOW_OPENED;
    }
    if (rst && d.hopLimit === 63 && (ints[o + I.FLAGS]! & FLOW_FLAG.RST_TTL63) === 0 && t.serverPayload(f) === 0) {
      t.rstTtl63Packet.set(f, rec.index);
      ints[o + I.FLAGS]! |= FLOW_FLAG.RST_TTL63;
      if (doubles[od + D.SYN_ACK_COUNT]! > 0) ints[o + I.FLAGS]! |= FLOW_FLAG.RST_TTL63_AFTER_SYN_ACK;
    }
    if (clientCarriers > 0) {
      doubles[od + D.SERVER_CARRIER_PACKETS]!++;
      const carriers = this.inspector.carriers;
      this.anomalies.add('carrier-server-to-client', () => this.example(rec, clientCarrierList(carriers)));
    }
  }

  /** The SYN/ACK slot: the client-address carriers of the option kinds a backend module could read (PROXY/SPP left out). */
  private keepOptionCarriers(f: number, slot: number): void {
    const carriers = this.inspector.carriers;
    let only: Carrier | null = null;
    let n = 0;
    for (const c of carriers) {
      if (c.clientAddress === null || !OPTION_CARRIERS.has(c.carrier)) continue;
      only ??= c;
      n++;
    }
    if (n === 1) this.table.keepCarrier(f, slot, only!);
    else if (n > 1) this.table.keepCarrierObjects(f, slot, carriers.filter((c) => c.clientAddress !== null && OPTION_CARRIERS.has(c.carrier)));
  }

  private addCarrierEndpoint(address: string, port: number | null): void {
    // an endpoint without a port never matches a connection's "address|port"
    if (port === null) return;
    const value = dottedQuadValue(address);
    if (value >= 0) this.endpointsByValue.add(value, port);
    else this.endpointsByText.add(`${address}|${port}`);
  }

  private tallyClient(address: string, packets: number, flows: number): void {
    const value = dottedQuadValue(address);
    if (value >= 0) {
      const row = this.clientsByValue.add(value, 0);
      this.clientsByValue.addToCounter(row, 0, packets);
      this.clientsByValue.addToCounter(row, 1, flows);
      return;
    }
    const tally = this.clientsByText.get(address);
    if (tally === undefined) this.clientsByText.set(address, { packets, flows });
    else {
      tally.packets += packets;
      tally.flows += flows;
    }
  }

  private isClientLeg(f: number, clientSide: 0 | 1, clientPort: number): boolean {
    const t = this.table;
    const serverSide: 0 | 1 = clientSide === 0 ? 1 : 0;
    for (const vip of this.vips) if (t.endpointIs(f, serverSide, vip.address, vip.port)) return true;
    const value = t.ipv4Value(f, clientSide);
    if (value >= 0) return this.endpointsByValue.size > 0 && this.endpointsByValue.find(value, clientPort) >= 0;
    return this.endpointsByText.size > 0 && this.endpointsByText.has(`${t.address(f, clientSide)}|${clientPort}`);
  }

  /** What the module returns for the finished connection of row f (allocates; only for the rows that are shown). */
  private peerOf(m: BackendModule, f: number, clientAddress: string, clientPort: number): PeerResult {
    const t = this.table;
    return resolvePeer(m, {
      socketFamily: t.ipVersion(f) === 6 ? 6 : 4,
      synCarriers: t.carriers(f, CARRIER_SLOT.SYN),
      ackCarriers: t.carriers(f, CARRIER_SLOT.ACK),
      lbAddress: clientAddress,
      lbPort: clientPort,
    });
  }

  /** What every backend module returns for row f's connection (BACKEND_MODULES order). */
  private moduleOutcomes(f: number): readonly PeerOutcome[] {
    const t = this.table;
    const family = t.ipVersion(f) === 6 ? 6 : 4;
    const syn = t.carrierShapeOf(f, CARRIER_SLOT.SYN);
    const ack = t.carrierShapeOf(f, CARRIER_SLOT.ACK);
    const compute = (synList: readonly CarrierView[] | null, ackList: readonly CarrierView[] | null) =>
      BACKEND_MODULES.map((m) => peerOutcome(m, family, synList, ackList));
    if (syn < 0 || ack < 0) return compute(t.carriers(f, CARRIER_SLOT.SYN), t.carriers(f, CARRIER_SLOT.ACK));
    // compact carriers hold dotted-quad IPv4 addresses: the outcome depends on their shapes only
    const key = (syn * 0x10000 + ack) * 2 + (family === 6 ? 1 : 0);
    let outcomes = this.outcomeCache.get(key);
    if (outcomes === undefined) {
      outcomes = compute(syn > 0 ? t.shapeView(syn, '0.0.0.0') : null, ack > 0 ? t.shapeView(ack, '0.0.0.0') : null);
      this.outcomeCache.set(key, outcomes);
    }
    return outcomes;
  }

  private finishConnection(f: number): void {
    const t = this.table;
    if (t.packets(f) === 0) return;
    this.connections++;
    // One address text per connection (what getpeername returns without a carrier); the full
    // endpoint texts and the module's PeerResult only when an example, a peer row or the callback needs them.
    const clientSide: 0 | 1 = t.clientSide(f) === 1 ? 1 : 0;
    let clientAddress: string | null = null;
    const clientPort = clientSide === 0 ? t.portA(f) : t.portB(f);
    const fileName = this.files[t.int(f, I.FILE_INDEX) - 1]?.file ?? '';
    const clientLeg = this.isClientLeg(f, clientSide, clientPort);
    const synCount = t.double(f, D.SYN_COUNT);
    const ackPacket = t.double(f, D.ACK_PACKET);
    const handshake = synCount > 0 && ackPacket > 0;
    const judged = handshake && !clientLeg;
    const outcomes = this.moduleOutcomes(f);
    let verdictOutcome: PeerOutcome = 'lb';
    for (let i = 0; i < BACKEND_MODULES.length; i++) {
      const outcome = outcomes[i]!;
      if (BACKEND_MODULES[i] === this.verdictModule) verdictOutcome = outcome;
      const tally = this.moduleTallies[i]!;
      if (!judged) tally.notJudged++;
      else if (outcome === 'client') tally.client++;
      else if (outcome === 'client-getsockopt') tally.clientGetsockopt++;
      else tally.lb++;
    }
    const verdict = classifyFlow(t, f, verdictOutcome, clientLeg, { mtu: this.mtu });
    if (judged) this.judged++;
    if (MISSING_VERDICTS.has(verdict)) this.missing++;
    this.verdictCounts.set(verdict, (this.verdictCounts.get(verdict) ?? 0) + 1);
    let peer: PeerResult | null = null;
    let endpoints: FlowEndpoints | null = null;
    let list = this.verdictExamples.get(verdict);
    if (list === undefined) this.verdictExamples.set(verdict, (list = []));
    const firstPacket = t.double(f, D.FIRST_PACKET);
    const synPacket = synCount > 0 ? t.double(f, D.SYN_PACKET) : null;
    const ackPacketOrNull = ackPacket > 0 ? ackPacket : null;
    if (this.top === 0 || list.length < this.top) {
      endpoints = t.endpoints(f);
      peer = this.peerOf(this.verdictModule, f, endpoints.clientAddress, clientPort);
      list.push({
        client: endpoints.client, server: endpoints.server, file: fileName, firstPacket,
        synPacket, ackPacket: ackPacketOrNull, detail: this.verdictDetail(f, verdict, peer),
      });
    }
    if (this.module !== null && (this.top === 0 || this.peerRows.length < this.top)) {
      endpoints ??= t.endpoints(f);
      peer ??= this.peerOf(this.verdictModule, f, endpoints.clientAddress, clientPort);
      this.peerRows.push({ client: endpoints.client, server: endpoints.server, file: fileName, firstPacket, verdict, peer });
    }

    // carriers and clients
    const packets = t.packets(f);
    if (t.double(f, D.CARRIER_PACKETS) > 0 || t.double(f, D.SERVER_CARRIER_PACKETS) > 0) this.connectionsWithCarrier++;
    const firstShape = t.carrierShapeOf(f, CARRIER_SLOT.FIRST);
    // the first carrier as an object only when something shows it
    let carrier: CarrierView | null = null;
    if (firstShape > 0) {
      const row = this.clientsByValue.add(t.carrierAddressValue(f, CARRIER_SLOT.FIRST), 0);
      this.clientsByValue.addToCounter(row, 0, packets);
      this.clientsByValue.addToCounter(row, 1, 1);
    } else if (firstShape < 0) {
      carrier = t.carrier(f, CARRIER_SLOT.FIRST);
      this.tallyClient(carrier!.clientAddress!, packets, 1);
    }

    // connection-level anomalies (the example text is built only while examples are kept)
    const anomalies = this.anomalies;
    const carrierOnClientLeg = clientLeg && t.double(f, D.CARRIER_PACKETS) > 0 && firstShape !== 0;
    if (carrierOnClientLeg && anomalies.wantsExample('carrier-on-client-leg')) {
      carrier ??= t.carrier(f, CARRIER_SLOT.FIRST)!;
      clientAddress ??= t.address(f, clientSide);
      this.connectionAnomaly('carrier-on-client-leg', f, fileName, firstPacket, `${carrier.format} names ${carrier.clientAddress} on a packet from the client ${clientAddress}`);
    } else if (carrierOnClientLeg) anomalies.add('carrier-on-client-leg');
    const zeroWindow = t.double(f, D.SYN_ACK_COUNT) > 0 && t.int(f, I.SYN_ACK_WINDOW) === 0;
    if (zeroWindow && anomalies.wantsExample('synack-window-zero')) {
      const opened = (t.flags(f) & FLOW_FLAG.WINDOW_OPENED) !== 0 ? t.windowOpenedAfter.get(f)! : -1;
      this.connectionAnomaly('synack-window-zero', f, fileName, firstPacket, opened >= 0 ? `window opened after ${opened.toFixed(3)} ms` : 'window never opened in the capture');
    } else if (zeroWindow) anomalies.add('synack-window-zero');
    const rstTtl63Packet = (t.flags(f) & FLOW_FLAG.RST_TTL63) !== 0 ? t.rstTtl63Packet.get(f)! : 0;
    if (rstTtl63Packet > 0) {
      const afterSynAck = (t.flags(f) & FLOW_FLAG.RST_TTL63_AFTER_SYN_ACK) !== 0;
      this.connectionAnomaly('rst-ttl-63', f, fileName, rstTtl63Packet, afterSynAck ? 'RST TTL 63 after the SYN-ACK, before server data' : 'RST TTL 63, no SYN-ACK in the capture');
    }
    if (synCount > 1 && anomalies.wantsExample('syn-retransmission')) {
      this.connectionAnomaly('syn-retransmission', f, fileName, t.double(f, D.SYN_PACKET), `${synCount} SYNs with sequence ${(t.int(f, I.SYN_SEQUENCE) >>> 0)}`);
    } else if (synCount > 1) anomalies.add('syn-retransmission');
    if (handshake && t.double(f, D.PAYLOAD_A) === 0 && t.double(f, D.PAYLOAD_B) === 0 && anomalies.wantsExample('handshake-no-data')) {
      const closing = t.flags(f);
      this.connectionAnomaly('handshake-no-data', f, fileName, ackPacket,
        `${packets} packets, no payload${(closing & FLOW_FLAG.FIN) !== 0 ? ', FIN' : ''}${(closing & FLOW_FLAG.RST) !== 0 ? ', RST' : ''}`);
    } else if (handshake && t.double(f, D.PAYLOAD_A) === 0 && t.double(f, D.PAYLOAD_B) === 0) anomalies.add('handshake-no-data');

    if (this.onConnection) {
      if (firstShape !== 0) carrier ??= t.carrier(f, CARRIER_SLOT.FIRST);
      endpoints ??= t.endpoints(f);
      peer ??= this.peerOf(this.verdictModule, f, endpoints.clientAddress, clientPort);
      this.onConnection({
        client: endpoints.client, server: endpoints.server, clientEvidence: t.evidence(f), file: fileName, firstPacket,
        packets, bytes: t.double(f, D.BYTES), clientPackets: t.clientPackets(f), serverPackets: t.serverPackets(f),
        clientPayload: t.clientPayload(f), serverPayload: t.serverPayload(f),
        synPacket, ackPacket: ackPacketOrNull,
        verdict, carrierClient: carrier === null || carrier.clientAddress === null ? null : carrier.clientPort === null ? carrier.clientAddress : formatEndpoint(carrier.clientAddress, carrier.clientPort),
        peer,
      });
    }
  }

  /** Count a connection-level anomaly; its example (flow text) is built only while examples are kept. */
  private connectionAnomaly(code: AnomalyCode, f: number, file: string, packet: number, detail: string): void {
    if (!this.anomalies.wantsExample(code)) {
      this.anomalies.add(code);
      return;
    }
    const e = this.table.endpoints(f);
    this.anomalies.add(code, () => ({ flow: `${e.client} > ${e.server}`, file, packet, detail }));
  }

  private verdictDetail(f: number, verdict: Verdict, peer: PeerResult): string {
    const t = this.table;
    const need = carrierLength(t, f);
    const describe = (c: CarrierView) => `${c.format} (${c.kind ?? '-'}/${c.length}) ${c.clientAddress}${c.clientPort === null ? '' : `:${c.clientPort}`}`;
    switch (verdict) {
      case 'ok':
        return `${this.verdictModule.name} reads ${peer.format} from the ${peer.packet === 'syn' ? 'SYN' : 'handshake ACK'}: ${peer.address}${peer.port === null ? '' : ` port ${peer.port}`}${peer.outcome === 'client-getsockopt' ? ' (NAT64: getsockopt only)' : ''}`;
      case 'unread-kind':
        return `handshake ACK carries ${(t.carriers(f, CARRIER_SLOT.ACK) ?? []).filter((c) => c.clientAddress !== null).map(describe).join(', ')}; ${this.verdictModule.name} reads ${this.verdictModule.reads}`;
      case 'mtu':
        return `handshake ACK is ${t.int(f, I.ACK_IP_LENGTH)} bytes; ${t.int(f, I.ACK_IP_LENGTH)} + ${need} > MTU ${this.mtu}`;
      case 'no-room':
        return `TCP header is ${t.int(f, I.ACK_TCP_HEADER_LENGTH)} bytes: ${60 - t.int(f, I.ACK_TCP_HEADER_LENGTH)} free < ${need} needed`;
      case 'syn-only':
        return `SYN (packet ${t.double(f, D.SYN_PACKET)}) carries ${(t.carriers(f, CARRIER_SLOT.SYN) ?? []).map(describe).join(', ')}; handshake ACK (packet ${t.double(f, D.ACK_PACKET)}) has none`;
      case 'data-only':
        return `first carrier on packet ${t.double(f, D.LATER_CARRIER_PACKET)}: ${describe(t.carrier(f, CARRIER_SLOT.LATER)!)}; handshake ACK (packet ${t.double(f, D.ACK_PACKET)}) has none`;
      case 'proxy-protocol':
        return 'PROXY protocol header in the client data';
      case 'no-carrier':
        return `${t.clientPackets(f)} client packets, none with a carrier`;
      case 'no-handshake':
        return t.double(f, D.SYN_COUNT) === 0 ? 'no SYN from the client in the capture' : 'SYN seen, no handshake-completing ACK';
      case 'client-leg':
        return 'the client endpoint is named by a carrier of another connection, or the server is a --vip';
    }
  }

  /**
   * The client rows by packets and by flows (first `top` of each). Rows are indices: the IPv4 clients
   * kept by value first, then those kept by text; an address is formatted only for the rows shown.
   */
  private topClients(top: number): { byPackets: ClientRow[]; byFlows: ClientRow[] } {
    const byValue = this.clientsByValue;
    const n = byValue.size;
    const texts = [...this.clientsByText];
    const rows: number[] = [];
    for (let i = 0; i < n + texts.length; i++) rows.push(i);
    const packets = (i: number) => (i < n ? byValue.counter(i, 0) : texts[i - n]![1].packets);
    const flows = (i: number) => (i < n ? byValue.counter(i, 1) : texts[i - n]![1].flows);
    const address = (i: number) => (i < n ? formatIpv4Value(byValue.address(i)) : texts[i - n]![0]);
    const orderKeys = new Float64Array(n);
    for (let i = 0; i < n; i++) orderKeys[i] = dottedQuadOrderKey(byValue.address(i));
    const addressOrder = (a: number, b: number) => (a < n && b < n ? orderKeys[a]! - orderKeys[b]! : textOrder(address(a), address(b)));
    const row = (i: number): ClientRow => ({ address: address(i), packets: packets(i), flows: flows(i) });
    // addresses are unique, so these orders are total: the first `top` rows are the same as a full sort's
    return {
      byPackets: firstRows(rows, (a, b) => packets(b) - packets(a) || flows(b) - flows(a) || addressOrder(a, b), top).map(row),
      byFlows: firstRows(rows, (a, b) => flows(b) - flows(a) || packets(b) - packets(a) || addressOrder(a, b), top).map(row),
    };
  }

  /** Finish every open connection and build the report. Call once, after the last file. */
  finish(): StatsReport {
    const rows = this.table.size;
    for (let f = 0; f < rows; f++) this.finishConnection(f);
    const top = this.top === 0 ? Infinity : this.top;
    const protocols: StatsReport['overview']['protocols'] = [];
    for (let p = 0; p < 256; p++) {
      const n = this.protocolCounts[p]!;
      if (n > 0) protocols.push({ protocol: PROTOCOL_NAMES[p] ?? `ip-proto-${p}`, number: p, packets: n });
    }
    protocols.sort((a, b) => b.packets - a.packets || (a.number ?? 0) - (b.number ?? 0));
    if (this.fragments > 0) protocols.push({ protocol: 'ip-fragment', number: null, packets: this.fragments });
    if (this.nonIp > 0) protocols.push({ protocol: 'non-ip', number: null, packets: this.nonIp });
    const { byPackets, byFlows } = this.topClients(top);
    const formats = [...this.formats.values()].flatMap((m) => [...m.values()]).sort((a, b) => b.packets - a.packets || textOrder(a.format, b.format));
    const verdicts: VerdictRow[] = VERDICTS.map((v) => {
      const flows = this.verdictCounts.get(v) ?? 0;
      return { verdict: v, flows, share: this.connections === 0 ? 0 : Number(fractionText(flows / this.connections)), meaning: VERDICT_MEANING[v], examples: this.verdictExamples.get(v) ?? [] };
    });
    const modules: ModuleRow[] = BACKEND_MODULES.map((m, i) => ({ module: m.name, title: m.title, reads: m.reads, ...this.moduleTallies[i]! }));
    return {
      schema: STATS_SCHEMA,
      options: {
        mtu: this.mtu, top: this.top, module: this.module?.name ?? null, verdictModule: this.verdictModule.name,
        vips: this.vips.map((v) => {
          const text = formatIp(v.address, 0, v.address.length === 16 ? 16 : 4);
          return v.port === null ? text : formatEndpoint(text, v.port);
        }),
        kinds: this.kindsSpec,
      },
      overview: {
        files: this.files,
        packets: this.packets,
        bytes: this.sums[SUM.BYTES]!,
        originalBytes: this.sums[SUM.ORIGINAL_BYTES]!,
        firstTime: timeText(this.sums[SUM.FIRST]!),
        lastTime: timeText(this.sums[SUM.LAST]!),
        durationSeconds: this.packets > 0 ? Math.max(0, (this.sums[SUM.LAST]! - this.sums[SUM.FIRST]!) / 1000) : 0,
        truncatedPackets: this.truncated,
        protocols,
        encapsulated: { vxlan: this.vxlan, ipInIp: this.ipInIp },
        ipFragments: this.fragments,
        dissectWarnings: this.warnings,
        checksums: CHECKSUM_LAYERS.map((layer, i) => {
          const c = this.checksums[i]!;
          return { layer, ok: c[0]!, bad: c[1]!, unverified: c[2]!, none: c[3]! };
        }),
      },
      carriers: {
        packets: this.carrierPackets,
        formats,
        tcpConnections: this.connections,
        connectionsWithCarrier: this.connectionsWithCarrier,
        distinctClients: this.clientsByValue.size + this.clientsByText.size,
        topClientsByPackets: byPackets,
        topClientsByFlows: byFlows,
      },
      flows: {
        tcpConnections: this.connections,
        tcpFourTuples: this.table.size,
        reusedFourTuples: this.table.reusedFourTuples(),
        judged: this.judged,
        missing: this.missing,
      },
      verdicts,
      modules,
      peers: this.module === null ? null : { module: this.module.name, flows: this.peerRows },
      anomalies: this.anomalies.entries(),
    };
  }
}

/** Rank of each octet's decimal text among the texts of 0..255 in code-unit order ("0" < "1" < "10" < "100" ...). */
const OCTET_TEXT_RANK: Uint8Array = (() => {
  const texts = Array.from({ length: 256 }, (_, i) => String(i)).sort(textOrder);
  const rank = new Uint8Array(256);
  texts.forEach((text, i) => (rank[Number(text)] = i));
  return rank;
})();

/**
 * A number that orders IPv4 addresses (held as numbers) like textOrder orders their dotted quads:
 * the first differing octet decides by its text (a shorter octet text that is a prefix of the other is
 * followed by '.' or the end, both below any digit, so the octet texts' own order agrees), so the
 * octets' text ranks, most significant first, give the same order.
 */
function dottedQuadOrderKey(address: number): number {
  return (
    OCTET_TEXT_RANK[Math.floor(address / 0x1000000)]! * 0x1000000 +
    OCTET_TEXT_RANK[Math.floor(address / 0x10000) & 255]! * 0x10000 +
    OCTET_TEXT_RANK[Math.floor(address / 0x100) & 255]! * 0x100 +
    OCTET_TEXT_RANK[address & 255]!
  );
}

/** Code-unit order (stable across locales, much faster than localeCompare on large lists). */
function textOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function verdictIndex(v: string): number {
  return v === 'ok' ? 0 : v === 'bad' ? 1 : v === 'none' ? 3 : 2;
}

/**
 * The first `k` rows of `rows` in the order `compare` (a total order), as sort + slice would give them,
 * without sorting everything when k is small.
 */
function firstRows<T>(rows: readonly T[], compare: (a: T, b: T) => number, k: number): T[] {
  if (k >= rows.length || k > 64) return [...rows].sort(compare).slice(0, k);
  const best: T[] = [];
  for (const r of rows) {
    if (best.length === k && (k === 0 || compare(r, best[k - 1]!) >= 0)) continue;
    let i = best.length;
    while (i > 0 && compare(r, best[i - 1]!) < 0) i--;
    best.splice(i, 0, r);
    if (best.length > k) best.pop();
  }
  return best;
}

/** "format address, format address" of the carriers naming a client (anomaly examples). */
function clientCarrierList(carriers: readonly Carrier[]): string {
  return carriers.filter((c) => c.clientAddress !== null).map((c) => `${c.format} ${c.clientAddress}`).join(', ');
}

/** True when `text` is text[start..] is the dotted quad of the 4 bytes at data[offset] (no string built). */
function isDottedQuad(text: string, start: number, data: Uint8Array, offset: number): boolean {
  let p = start;
  for (let k = 0; k < 4; k++) {
    if (k > 0 && text.charCodeAt(p++) !== 0x2e) return false;
    const b = data[offset + k]!;
    if (b >= 100 && text.charCodeAt(p++) !== 0x30 + ((b / 100) | 0)) return false;
    if (b >= 10 && text.charCodeAt(p++) !== 0x30 + ((((b / 10) | 0)) % 10)) return false;
    if (text.charCodeAt(p++) !== 0x30 + (b % 10)) return false;
  }
  return p === text.length;
}

/**
 * Is the address text `text` the address of the `length` bytes at data[offset]? The same text, or the
 * same once an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is taken as its IPv4 form. Builds no string
 * for IPv4 and IPv4-mapped addresses.
 */
function isAddressAt(text: string, data: Uint8Array, offset: number, length: 4 | 16): boolean {
  const start = text.startsWith('::ffff:') && text.includes('.') ? 7 : 0;
  if (length === 4) return isDottedQuad(text, start, data, offset);
  if (isIpv4Mapped(data, offset)) return isDottedQuad(text, start, data, offset + 12);
  // any other IPv6 address is written without a dotted part (RFC 5952), so only the same text matches
  return start === 0 && text.includes(':') && text === formatIp(data, offset, 16);
}
