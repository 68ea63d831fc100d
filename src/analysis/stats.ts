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
import type { KindFilter } from '../carriers/kinds.js';
import { formatEndpoint, formatIp, type Endpoint } from '../codec/addr.js';
import type { CaptureInfo, PacketRecord } from '../codec/capture-types.js';
import { DISSECT_LAYER, ENCAPSULATION } from '../codec/dissect.js';
import { IPPROTO } from '../codec/ipproto.js';
import { linkTypeName } from '../codec/linktype.js';
import { TCP_FLAG } from '../codec/tcp.js';
import { AnomalyTally, type AnomalyEntry, type AnomalyExample } from './anomalies.js';
import { FlowTable, type FlowEndpoints, type FlowRecord } from './flows.js';
import { PacketInspector } from './inspect.js';
import { BACKEND_MODULES, findModule, resolvePeer, type BackendModule, type ModuleName, type PeerResult } from './modules.js';
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
  private fileFirst = Infinity;
  private fileLast = -Infinity;
  /** Per-file counters, copied into the FileOverview by endFile. */
  private filePackets = 0;
  private fileBytes = 0;
  private fileOriginalBytes = 0;
  private fileTruncated = 0;
  private first = Infinity;
  private last = -Infinity;
  private packets = 0;
  private bytes = 0;
  private originalBytes = 0;
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
  private readonly clients = new Map<string, ClientTally>();
  /** Client endpoints ("addr|port") named by carriers: the client-leg heuristic. */
  private readonly carrierEndpoints = new Set<string>();

  // connections
  private connections = 0;
  private connectionsWithCarrier = 0;
  private judged = 0;
  private missing = 0;
  private readonly verdictCounts = new Map<Verdict, number>();
  private readonly verdictExamples = new Map<Verdict, VerdictExample[]>();
  private readonly moduleTallies = new Map<ModuleName, ModuleTally>();
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
    for (const m of BACKEND_MODULES) this.moduleTallies.set(m.name, { client: 0, clientGetsockopt: 0, lb: 0, notJudged: 0 });
  }

  /** Start a capture file (call before its packets). */
  beginFile(info: CaptureInfo): void {
    this.fileIndex++;
    this.fileLinkTypes = new Map();
    this.fileFirst = Infinity;
    this.fileLast = -Infinity;
    this.filePackets = 0;
    this.fileBytes = 0;
    this.fileOriginalBytes = 0;
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
    f.bytes = this.fileBytes;
    f.originalBytes = this.fileOriginalBytes;
    f.truncatedPackets = this.fileTruncated;
    f.interfaces = info.interfaces.length;
    f.linkTypes = [...this.fileLinkTypes].map(([linkType, packets]) => ({ linkType, name: linkTypeName(linkType), packets }));
    if (f.linkTypes.length === 0) {
      for (const i of info.interfaces) if (!f.linkTypes.some((l) => l.linkType === i.linkType)) f.linkTypes.push({ linkType: i.linkType, name: linkTypeName(i.linkType), packets: 0 });
    }
    f.firstTime = timeText(this.fileFirst);
    f.lastTime = timeText(this.fileLast);
    f.durationSeconds = f.packets > 0 ? Math.max(0, (this.fileLast - this.fileFirst) / 1000) : 0;
    f.error = error;
    this.file = null;
  }

  /** One packet of the current file (synchronous; the record is only read during the call). */
  packet(rec: PacketRecord): void {
    const data = rec.data;
    const time = rec.timestampSeconds * 1000 + rec.timestampNanos / 1e6;
    this.filePackets++;
    this.fileBytes += rec.capturedLength;
    this.fileOriginalBytes += rec.originalLength;
    this.packets++;
    this.bytes += rec.capturedLength;
    this.originalBytes += rec.originalLength;
    if (time < this.fileFirst) this.fileFirst = time;
    if (time > this.fileLast) this.fileLast = time;
    if (time < this.first) this.first = time;
    if (time > this.last) this.last = time;
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
    this.tcpPacket(rec, time, clientCarriers);
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
    let sourceText: string | null = null;
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
      if (!tcp) {
        const t = this.clients.get(c.clientAddress);
        if (t === undefined) this.clients.set(c.clientAddress, { packets: 1, flows: 0 });
        else t.packets++;
      }
      const d = this.inspector.d;
      sourceText ??= formatIp(rec.data, d.ipSourceOffset, d.ipAddressLength === 16 ? 16 : 4);
      if (sameAddress(c.clientAddress, sourceText)) {
        const address = c.clientAddress;
        this.anomalies.add('carrier-is-source', () => this.example(rec, `${c.format} names ${address}, the packet's own source`));
      }
    }
    if (clientCount > 1) {
      this.anomalies.add('multiple-carriers', () =>
        this.example(rec, carriers.filter((c) => c.clientAddress !== null).map((c) => `${c.format} ${c.clientAddress}`).join(', ')));
    }
    return clientCount;
  }

  private decideSideWithoutHandshake(f: FlowRecord): void {
    const t = this.table;
    for (const vip of this.vips) {
      if (t.endpointIs(f, 1, vip.address, vip.port)) {
        f.clientSide = 0;
        f.clientEvidence = 'vip';
        return;
      }
      if (t.endpointIs(f, 0, vip.address, vip.port)) {
        f.clientSide = 1;
        f.clientEvidence = 'vip';
        return;
      }
    }
    f.clientSide = f.portB > f.portA ? 1 : 0;
    f.clientEvidence = 'port';
  }

  private tcpPacket(rec: PacketRecord, time: number, clientCarriers: number): void {
    const d = this.inspector.d;
    const data = rec.data;
    const table = this.table;
    const f = table.lookup(data, d.ipSourceOffset, d.ipDestinationOffset, d.ipAddressLength === 16 ? 16 : 4, d.sourcePort, d.destinationPort);
    const direction = table.direction;
    const flags = d.tcpFlags;
    const syn = (flags & TCP_FLAG.SYN) !== 0;
    const ack = (flags & TCP_FLAG.ACK) !== 0;
    const rst = (flags & TCP_FLAG.RST) !== 0;
    const seq = d.sequenceNumber;
    if (syn && !ack && f.packets > 0) {
      const firstSeq = direction === 0 ? f.firstSeqA : f.firstSeqB;
      if (firstSeq !== -1 && firstSeq !== seq) {
        this.finishConnection(f);
        f.resetConnection();
      }
    }
    if (f.packets === 0) {
      f.fileIndex = this.fileIndex;
      f.firstPacket = rec.index;
      f.firstTime = time;
      if (syn && !ack) {
        f.clientSide = direction;
        f.clientEvidence = 'syn';
      } else if (syn && ack) {
        f.clientSide = 1 - direction;
        f.clientEvidence = 'syn-ack';
      } else {
        this.decideSideWithoutHandshake(f);
      }
    } else if (syn && f.clientEvidence !== 'syn') {
      f.clientSide = ack ? 1 - direction : direction;
      f.clientEvidence = ack ? 'syn-ack' : 'syn';
    }
    f.packets++;
    f.bytes += rec.originalLength;
    f.lastTime = time;
    const payload = d.payloadLengthOnWire;
    if (direction === 0) {
      f.packetsAtoB++;
      f.payloadAtoB += payload;
      if (f.firstSeqA === -1) f.firstSeqA = seq;
    } else {
      f.packetsBtoA++;
      f.payloadBtoA += payload;
      if (f.firstSeqB === -1) f.firstSeqB = seq;
    }
    if ((flags & TCP_FLAG.FIN) !== 0) f.finSeen = true;
    if (rst) f.rstSeen = true;
    const fromClient = direction === f.clientSide;
    const carriers = this.inspector.carriers;

    if (fromClient) {
      if (syn && !ack) {
        if (f.synCount === 0) {
          f.synSequence = seq;
          f.synPacket = rec.index;
          f.synFile = this.fileIndex;
          if (clientCarriers > 0) f.synCarriers = optionCarriers(carriers);
        }
        f.synCount++;
      } else if (
        ack && !syn && !rst && f.ackPacket === 0 && f.synCount > 0 &&
        (f.synAckCount === 0 || d.acknowledgmentNumber === ((f.synAckSequence + 1) >>> 0))
      ) {
        f.ackPacket = rec.index;
        f.ackFile = this.fileIndex;
        f.ackIpLength = d.ipEnd - d.l3Offset;
        f.ackTcpHeaderLength = d.tcpHeaderLength;
        f.ackIpVersion = d.ipVersion;
        if (clientCarriers > 0) f.ackCarriers = optionCarriers(carriers);
      } else if (clientCarriers > 0 && f.laterCarrier === null) {
        for (const c of carriers) {
          if (c.clientAddress !== null && OPTION_CARRIERS.has(c.carrier)) {
            f.laterCarrier = c;
            f.laterCarrierPacket = rec.index;
            break;
          }
        }
      }
      if (clientCarriers > 0) {
        f.carrierPackets++;
        for (const c of carriers) {
          if (c.clientAddress === null) continue;
          if (c.carrier === 'proxy-v1' || c.carrier === 'proxy-v2') f.proxyHeader = true;
          if (f.firstCarrier === null) {
            f.firstCarrier = c;
            this.carrierEndpoints.add(c.clientPort === null ? c.clientAddress : `${c.clientAddress}|${c.clientPort}`);
          }
        }
      }
    } else {
      if (syn && ack) {
        if (f.synAckCount === 0) {
          f.synAckSequence = seq;
          f.synAckTime = time;
          f.synAckWindow = d.windowSize;
          if (d.windowSize === 0) f.zeroWindowSince = time;
        }
        f.synAckCount++;
      }
      if (f.zeroWindowSince >= 0 && d.windowSize > 0 && !rst) {
        f.windowOpenedAfter = time - f.zeroWindowSince;
        f.zeroWindowSince = -1;
      }
      if (rst && d.hopLimit === 63 && f.rstTtl63Packet === 0 && f.serverPayload === 0) {
        f.rstTtl63Packet = rec.index;
        f.rstTtl63AfterSynAck = f.synAckCount > 0;
      }
      if (clientCarriers > 0) {
        f.serverCarrierPackets++;
        this.anomalies.add('carrier-server-to-client', () =>
          this.example(rec, carriers.filter((c) => c.clientAddress !== null).map((c) => `${c.format} ${c.clientAddress}`).join(', ')));
      }
    }
  }

  private isClientLeg(f: FlowRecord, clientAddress: string, clientPort: number): boolean {
    const serverSide: 0 | 1 = f.clientSide === 1 ? 0 : 1;
    for (const vip of this.vips) if (this.table.endpointIs(f, serverSide, vip.address, vip.port)) return true;
    return this.carrierEndpoints.has(`${clientAddress}|${clientPort}`);
  }

  private finishConnection(f: FlowRecord): void {
    if (f.packets === 0) return;
    this.connections++;
    // One address text per connection (what getpeername returns without a carrier); the full
    // endpoint texts only when an example, a peer row or the callback needs them.
    const clientSide: 0 | 1 = f.clientSide === 1 ? 1 : 0;
    const clientAddress = this.table.address(f, clientSide);
    const clientPort = clientSide === 0 ? f.portA : f.portB;
    let endpoints: FlowEndpoints | null = null;
    const ends = (): FlowEndpoints => (endpoints ??= this.table.endpoints(f));
    const fileName = this.files[f.fileIndex - 1]?.file ?? '';
    const clientLeg = this.isClientLeg(f, clientAddress, clientPort);
    const handshake = f.synCount > 0 && f.ackPacket > 0;
    const judged = handshake && !clientLeg;
    const input = {
      socketFamily: f.ipVersion,
      synCarriers: f.synCarriers,
      ackCarriers: f.ackCarriers,
      lbAddress: clientAddress,
      lbPort: clientPort,
    };
    let verdictPeer: PeerResult | null = null;
    for (const m of BACKEND_MODULES) {
      const tally = this.moduleTallies.get(m.name)!;
      const peer = resolvePeer(m, input);
      if (m === this.verdictModule) verdictPeer = peer;
      if (!judged) tally.notJudged++;
      else if (peer.outcome === 'client') tally.client++;
      else if (peer.outcome === 'client-getsockopt') tally.clientGetsockopt++;
      else tally.lb++;
    }
    const peer = verdictPeer!;
    const verdict = classifyFlow(f, peer, clientLeg, { mtu: this.mtu });
    if (judged) this.judged++;
    if (MISSING_VERDICTS.has(verdict)) this.missing++;
    this.verdictCounts.set(verdict, (this.verdictCounts.get(verdict) ?? 0) + 1);
    let list = this.verdictExamples.get(verdict);
    if (list === undefined) this.verdictExamples.set(verdict, (list = []));
    if (this.top === 0 || list.length < this.top) {
      list.push({
        client: ends().client, server: ends().server, file: fileName, firstPacket: f.firstPacket,
        synPacket: f.synCount > 0 ? f.synPacket : null, ackPacket: f.ackPacket > 0 ? f.ackPacket : null,
        detail: this.verdictDetail(f, verdict, peer),
      });
    }
    if (this.module !== null && (this.top === 0 || this.peerRows.length < this.top)) {
      this.peerRows.push({ client: ends().client, server: ends().server, file: fileName, firstPacket: f.firstPacket, verdict, peer });
    }

    // carriers and clients
    const carrier = f.firstCarrier;
    if (f.carrierPackets > 0 || f.serverCarrierPackets > 0) this.connectionsWithCarrier++;
    if (carrier !== null && carrier.clientAddress !== null) {
      const t = this.clients.get(carrier.clientAddress);
      if (t === undefined) this.clients.set(carrier.clientAddress, { packets: f.packets, flows: 1 });
      else {
        t.packets += f.packets;
        t.flows++;
      }
    }

    // connection-level anomalies
    const at = (packet: number, detail: string) => (): AnomalyExample => ({ flow: `${ends().client} > ${ends().server}`, file: fileName, packet, detail });
    if (clientLeg && f.carrierPackets > 0 && carrier !== null) {
      this.anomalies.add('carrier-on-client-leg', at(f.firstPacket, `${carrier.format} names ${carrier.clientAddress} on a packet from the client ${clientAddress}`));
    }
    if (f.synAckWindow === 0) {
      const detail = f.windowOpenedAfter >= 0 ? `window opened after ${f.windowOpenedAfter.toFixed(3)} ms` : 'window never opened in the capture';
      this.anomalies.add('synack-window-zero', at(f.firstPacket, detail));
    }
    if (f.rstTtl63Packet > 0) {
      this.anomalies.add('rst-ttl-63', at(f.rstTtl63Packet, f.rstTtl63AfterSynAck ? 'RST TTL 63 after the SYN-ACK, before server data' : 'RST TTL 63, no SYN-ACK in the capture'));
    }
    if (f.synCount > 1) this.anomalies.add('syn-retransmission', at(f.synPacket, `${f.synCount} SYNs with sequence ${f.synSequence}`));
    if (handshake && f.payloadAtoB === 0 && f.payloadBtoA === 0) {
      this.anomalies.add('handshake-no-data', at(f.ackPacket, `${f.packets} packets, no payload${f.finSeen ? ', FIN' : ''}${f.rstSeen ? ', RST' : ''}`));
    }

    if (this.onConnection) {
      this.onConnection({
        client: ends().client, server: ends().server, clientEvidence: f.clientEvidence, file: fileName, firstPacket: f.firstPacket,
        packets: f.packets, bytes: f.bytes, clientPackets: f.clientPackets, serverPackets: f.serverPackets,
        clientPayload: f.clientPayload, serverPayload: f.serverPayload,
        synPacket: f.synCount > 0 ? f.synPacket : null, ackPacket: f.ackPacket > 0 ? f.ackPacket : null,
        verdict, carrierClient: carrier === null || carrier.clientAddress === null ? null : carrier.clientPort === null ? carrier.clientAddress : formatEndpoint(carrier.clientAddress, carrier.clientPort),
        peer,
      });
    }
  }

  private verdictDetail(f: FlowRecord, verdict: Verdict, peer: PeerResult): string {
    const need = carrierLength(f);
    const describe = (c: Carrier) => `${c.format} (${c.kind ?? '-'}/${c.length}) ${c.clientAddress}${c.clientPort === null ? '' : `:${c.clientPort}`}`;
    switch (verdict) {
      case 'ok':
        return `${this.verdictModule.name} reads ${peer.format} from the ${peer.packet === 'syn' ? 'SYN' : 'handshake ACK'}: ${peer.address}${peer.port === null ? '' : ` port ${peer.port}`}${peer.outcome === 'client-getsockopt' ? ' (NAT64: getsockopt only)' : ''}`;
      case 'unread-kind':
        return `handshake ACK carries ${(f.ackCarriers ?? []).filter((c) => c.clientAddress !== null).map(describe).join(', ')}; ${this.verdictModule.name} reads ${this.verdictModule.reads}`;
      case 'mtu':
        return `handshake ACK is ${f.ackIpLength} bytes; ${f.ackIpLength} + ${need} > MTU ${this.mtu}`;
      case 'no-room':
        return `TCP header is ${f.ackTcpHeaderLength} bytes: ${60 - f.ackTcpHeaderLength} free < ${need} needed`;
      case 'syn-only':
        return `SYN (packet ${f.synPacket}) carries ${(f.synCarriers ?? []).map(describe).join(', ')}; handshake ACK (packet ${f.ackPacket}) has none`;
      case 'data-only':
        return `first carrier on packet ${f.laterCarrierPacket}: ${describe(f.laterCarrier!)}; handshake ACK (packet ${f.ackPacket}) has none`;
      case 'proxy-protocol':
        return 'PROXY protocol header in the client data';
      case 'no-carrier':
        return `${f.clientPackets} client packets, none with a carrier`;
      case 'no-handshake':
        return f.synCount === 0 ? 'no SYN from the client in the capture' : 'SYN seen, no handshake-completing ACK';
      case 'client-leg':
        return 'the client endpoint is named by a carrier of another connection, or the server is a --vip';
    }
  }

  /** Finish every open connection and build the report. Call once, after the last file. */
  finish(): StatsReport {
    for (const f of this.table.records) this.finishConnection(f);
    const top = this.top === 0 ? Infinity : this.top;
    const protocols: StatsReport['overview']['protocols'] = [];
    for (let p = 0; p < 256; p++) {
      const n = this.protocolCounts[p]!;
      if (n > 0) protocols.push({ protocol: PROTOCOL_NAMES[p] ?? `ip-proto-${p}`, number: p, packets: n });
    }
    protocols.sort((a, b) => b.packets - a.packets || (a.number ?? 0) - (b.number ?? 0));
    if (this.fragments > 0) protocols.push({ protocol: 'ip-fragment', number: null, packets: this.fragments });
    if (this.nonIp > 0) protocols.push({ protocol: 'non-ip', number: null, packets: this.nonIp });
    const clientRows = [...this.clients].map(([address, t]) => ({ address, packets: t.packets, flows: t.flows }));
    const byPackets = [...clientRows].sort((a, b) => b.packets - a.packets || b.flows - a.flows || textOrder(a.address, b.address)).slice(0, top);
    const byFlows = [...clientRows].sort((a, b) => b.flows - a.flows || b.packets - a.packets || textOrder(a.address, b.address)).slice(0, top);
    const formats = [...this.formats.values()].flatMap((m) => [...m.values()]).sort((a, b) => b.packets - a.packets || textOrder(a.format, b.format));
    const verdicts: VerdictRow[] = VERDICTS.map((v) => {
      const flows = this.verdictCounts.get(v) ?? 0;
      return { verdict: v, flows, share: this.connections === 0 ? 0 : Number(fractionText(flows / this.connections)), meaning: VERDICT_MEANING[v], examples: this.verdictExamples.get(v) ?? [] };
    });
    const modules: ModuleRow[] = BACKEND_MODULES.map((m) => ({ module: m.name, title: m.title, reads: m.reads, ...this.moduleTallies.get(m.name)! }));
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
        bytes: this.bytes,
        originalBytes: this.originalBytes,
        firstTime: timeText(this.first),
        lastTime: timeText(this.last),
        durationSeconds: this.packets > 0 ? Math.max(0, (this.last - this.first) / 1000) : 0,
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
        distinctClients: this.clients.size,
        topClientsByPackets: byPackets,
        topClientsByFlows: byFlows,
      },
      flows: {
        tcpConnections: this.connections,
        tcpFourTuples: this.table.size,
        reusedFourTuples: this.table.records.reduce((n, r) => n + (r.reuse > 0 ? 1 : 0), 0),
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

/** Code-unit order (stable across locales, much faster than localeCompare on large lists). */
function textOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function verdictIndex(v: string): number {
  return v === 'ok' ? 0 : v === 'bad' ? 1 : v === 'none' ? 3 : 2;
}

/** Client-address carriers of the option kinds a backend module could read (PROXY/SPP left out). */
function optionCarriers(carriers: Carrier[]): Carrier[] | null {
  let out: Carrier[] | null = null;
  for (const c of carriers) {
    if (c.clientAddress === null || !OPTION_CARRIERS.has(c.carrier)) continue;
    (out ??= []).push(c);
  }
  return out;
}

/** Same address text, treating an IPv4-mapped IPv6 address as its IPv4 form. */
function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const strip = (s: string) => (s.startsWith('::ffff:') && s.includes('.') ? s.slice(7) : s);
  return strip(a) === strip(b);
}
