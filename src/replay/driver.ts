/**
 * Capture → SYN-proxy model driver (`toa synproxy-replay`).
 *
 * Every client→VIP TCP packet of the input goes through the model at its capture time. The
 * backend is, per client connection, either the recording itself (when the input holds that
 * connection's VIP→client packets: they are moved onto the rs-side leg, R→L, and fed to the model
 * as the RS's answers) or a modelled RS (ModelledRealServer) answering the RS SYN and acking data.
 *
 * The recorded client acknowledged its own server's sequence space, not the model's cookie K. So,
 * unless `keepClientAcks`, a client packet's ack (and SACK edges) are re-based by K − r0, where r0
 * is the recorded server ISN: the seq of the recorded VIP→client SYN-ACK, or, without one, the ack
 * of the client's first ACK − 1. An input captured in front of DPVS with the same secret re-bases by 0.
 *
 * Time: the model's clock is the capture time. Answers of the modelled RS leave `rsDelayMicros`
 * after what they answer; a recorded response is released when the model has sent the RS SYN,
 * at max(its capture time, RS SYN time + the recorded SYN→SYN-ACK delay for the SYN-ACK). Pending
 * backend packets are delivered before the next input packet that is not earlier. At the end,
 * the model's timers run until every RS-SYN retry is spent (retries can therefore be later than
 * the last input packet).
 *
 * One model per address family (NAT64 is not modelled); the local and RS addresses of a family come
 * from --lip / --rs or the documentation defaults (10.0.0.100:5000 / 10.0.0.2:8080,
 * 2001:db8:1::100 / 2001:db8:2::2).
 */
import { readU16, readU32, writeU16, writeU32 } from '../codec/bytes.js';
import { openCapture, openCaptureBytes, type CaptureReader } from '../codec/capture.js';
import type { PacketRecord } from '../codec/capture-types.js';
import { CodecError } from '../codec/errors.js';
import { IPV4 } from '../codec/ipv4.js';
import { IPV6 } from '../codec/ipv6.js';
import { LINK_RESULT, LinkInfo, parseLinkLayer, ETHERNET } from '../codec/link.js';
import { LINKTYPE } from '../codec/linktype.js';
import { TCP, TCP_FLAG } from '../codec/tcp.js';
import type { CookieSecret } from '../dpvs/cookie.js';
import type { SynproxyConfig } from '../dpvs/synproxy-config.js';
import { fillChecksums, locateTcp, newTcpLocation, type TcpLocation } from '../dpvs/synproxy-packets.js';
import { ModelledRealServer, type ModelledRsOptions } from '../dpvs/synproxy-rs.js';
import { SynproxyModel, type SynproxyDecision, type SynproxyEvent } from '../dpvs/synproxy.js';
import {
  endpointKey,
  endpointKeyOf,
  endpointText,
  flowKey,
  optionFacts,
  quickProtocol,
  rebaseAck,
  reverseKey,
  shiftSackEdges,
  type FlowMacs,
} from './packet.js';
import { ReportBuilder, type ConnectionState } from './report.js';

export type ReplayLeg = 'client-side' | 'rs-side';
/** to-vip: the client's packet; to-client / to-rs: sent by DPVS; from-rs: the backend's packet. */
export type ReplayDirection = 'to-vip' | 'to-client' | 'to-rs' | 'from-rs';
export type ReplaySource = 'input' | 'model' | 'modelled-rs' | 'recorded-response';

export interface AddressPort {
  address: Uint8Array;
  port: number | null;
}

export interface ReplayParams {
  /** Capture path, or the bytes of a capture (stdin read beforehand). */
  input: string | { name: string; bytes: Uint8Array };
  /** VIP:port (port null: any port of that address); null = the destinations of the input's SYNs. */
  vip: AddressPort | null;
  local: AddressPort | null;
  real: AddressPort | null;
  secret: CookieSecret;
  minute: number;
  fnatIsn: number;
  config: SynproxyConfig;
  rs: Partial<ModelledRsOptions>;
  /** Microseconds between a packet the modelled RS receives and its answer. */
  rsDelayMicros: number;
  /** Feed the client's acks as recorded (no re-basing on the model's cookie). */
  keepClientAcks: boolean;
  /** The modelled RS never answers (a dead backend: RS SYN retries run out). */
  rsSilent?: boolean;
}

/** One packet of the replay, in output order. */
export interface ReplayPacket {
  seconds: number;
  nanoseconds: number;
  leg: ReplayLeg;
  direction: ReplayDirection;
  source: ReplaySource;
  /** Owned L3 bytes. */
  packet: Uint8Array;
  /** Ethernet addresses for the frame (null: write raw IP). */
  ethernet: { destination: Uint8Array; source: Uint8Array } | null;
  /** 1-based input packet number for input packets and recorded responses, else null. */
  inputIndex: number | null;
  connection: ConnectionState | null;
  decision: SynproxyDecision | null;
}

/** A model decision without a packet (stored, dropped, cookie ok, consumed, ...). */
export interface ReplayNote {
  seconds: number;
  nanoseconds: number;
  connection: ConnectionState | null;
  decision: SynproxyDecision;
  /** The input packet the note is about, when there is one. */
  inputIndex: number | null;
}

export interface ReplaySink {
  packet(p: ReplayPacket): void;
  note(n: ReplayNote): void;
}

export interface ReplayCounts {
  inputPackets: number;
  /** Client→VIP packets given to the model (all appear on the client-side leg). */
  clientPackets: number;
  /** VIP→client packets moved to the rs-side leg as the backend's answers. */
  responsesDelivered: number;
  /** VIP→client packets never delivered (no RS SYN was sent for their connection). */
  responsesUndelivered: number;
  notIp: number;
  notTcp: number;
  /** TCP packets neither to nor from a VIP. */
  otherTcp: number;
  /** Packets of a family with no model (e.g. --lip IPv4 and an IPv6 client: NAT64 is not modelled). */
  familyNotModelled: number;
  /** Damaged packets (truncated or malformed IP/TCP), skipped. */
  damaged: number;
  outputClientSide: number;
  outputRsSide: number;
}

export interface ReplayProblem {
  packet: number;
  message: string;
}

export interface ReplayResult {
  counts: ReplayCounts;
  connections: ConnectionState[];
  report: ReportBuilder;
  /** The output link: Ethernet when the input's first packet is Ethernet, else raw IP. */
  linkType: number;
  /** Damaged or skipped packets with a reason (first 100). */
  problems: ReplayProblem[];
  vips: string[];
}

const DEFAULT_LOCAL_V4 = Uint8Array.of(10, 0, 0, 100);
const DEFAULT_REAL_V4 = Uint8Array.of(10, 0, 0, 2);
const DEFAULT_LOCAL_V6 = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00);
const DEFAULT_REAL_V6 = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02);
const DEFAULT_LOCAL_PORT = 5000;
const DEFAULT_REAL_PORT = 8080;
const MAX_PROBLEMS = 100;

interface Recorded {
  packet: Uint8Array;
  seconds: number;
  nanoseconds: number;
  index: number;
  synAck: boolean;
}

interface Flow {
  key: string;
  family: 4 | 6;
  client: string;
  vip: string;
  macs: FlowMacs | null;
  clientIsn: number | null;
  synAt: number;
  /** Recorded server ISN (r0). */
  recordedIsn: number | null;
  /** Recorded SYN→SYN-ACK delay in ns. */
  recordedRtt: number;
  cookie: number | null;
  responsesInInput: boolean;
  slot: ModelSlot | null;
  deltaF: number | null;
  rsSynAt: number;
  local: { address: Uint8Array; port: number } | null;
  real: { address: Uint8Array; port: number } | null;
  waiting: Recorded[];
  lastRelease: number;
  state: ConnectionState | null;
}

interface ModelSlot {
  family: 4 | 6;
  model: SynproxyModel;
  rs: ModelledRealServer;
  byId: Map<number, Flow>;
}

interface Pending {
  at: number;
  seconds: number;
  nanoseconds: number;
  packet: Uint8Array;
  flow: Flow;
  slot: ModelSlot;
  source: 'modelled-rs' | 'recorded-response';
  index: number | null;
}

const NANOS = 1_000_000_000;


async function open(input: ReplayParams['input']): Promise<CaptureReader> {
  return typeof input === 'string' ? openCapture(input) : openCaptureBytes(input.bytes, input.name);
}

/** What the first pass learns: the VIPs and which client connections have recorded answers. */
interface Survey {
  vips: Set<string>;
  vipAddresses: Set<string>;
  flows: Set<string>;
  firstLinkType: number;
}

async function survey(params: ReplayParams): Promise<Survey> {
  const reader = await open(params.input);
  const link = new LinkInfo();
  const loc = newTcpLocation();
  const out: Survey = { vips: new Set(), vipAddresses: new Set(), flows: new Set(), firstLinkType: -1 };
  await reader.read((rec) => {
    if (out.firstLinkType < 0) out.firstLinkType = rec.linkType;
    const l3 = l3Of(rec, link);
    if (l3 < 0) return;
    if (quickProtocol(rec.data, l3, rec.data.length - l3) !== 6) return;
    try {
      locateTcp(rec.data, l3, rec.data.length - l3, loc);
    } catch {
      return;
    }
    const key = flowKey(rec.data, loc);
    out.flows.add(key);
    const flags = rec.data[loc.tcp + TCP.FLAGS]!;
    if (params.vip === null && (flags & (TCP_FLAG.SYN | TCP_FLAG.ACK | TCP_FLAG.RST | TCP_FLAG.FIN)) === TCP_FLAG.SYN) {
      out.vips.add(endpointKey(rec.data, loc, 'dst'));
    }
  });
  if (params.vip !== null) {
    if (params.vip.port === null) out.vipAddresses.add(endpointKeyOf(params.vip.address, 0).replace(/:0$/, ''));
    else out.vips.add(endpointKeyOf(params.vip.address, params.vip.port));
  }
  return out;
}

function l3Of(rec: PacketRecord, link: LinkInfo): number {
  const result = parseLinkLayer(rec.data, 0, rec.data.length, rec.linkType, link);
  if (result !== LINK_RESULT.IPV4 && result !== LINK_RESULT.IPV6) return -1;
  return link.linkHeaderLength;
}

/** Run the replay; packets and notes go to `sink` in output order. */
export async function runSynproxyReplay(params: ReplayParams, sink: ReplaySink): Promise<ReplayResult> {
  const surveyed = await survey(params);
  const report = new ReportBuilder();
  const counts: ReplayCounts = {
    inputPackets: 0,
    clientPackets: 0,
    responsesDelivered: 0,
    responsesUndelivered: 0,
    notIp: 0,
    notTcp: 0,
    otherTcp: 0,
    familyNotModelled: 0,
    damaged: 0,
    outputClientSide: 0,
    outputRsSide: 0,
  };
  const problems: ReplayProblem[] = [];
  const ethernetOut = surveyed.firstLinkType === LINKTYPE.ETHERNET;
  const flows = new Map<string, Flow>();
  const slots = new Map<4 | 6, ModelSlot | null>();
  let pending: Pending[] = [];
  let lastAt = 0;
  let currentIndex: number | null = null;
  /** seq and ack of the client packet being modelled (for rejected-ACK records). */
  let currentClient: { seq: number; ack: number } | null = null;
  // Times as nanoseconds since the first packet's second: exact in a double for ~104 days.
  let baseSeconds: number | null = null;
  const timeKey = (seconds: number, nanoseconds: number): number => {
    if (baseSeconds === null) baseSeconds = seconds;
    return (seconds - baseSeconds) * NANOS + nanoseconds;
  };
  const splitTime = (at: number): { seconds: number; nanoseconds: number } => {
    const whole = Math.floor(at / NANOS);
    return { seconds: (baseSeconds ?? 0) + whole, nanoseconds: Math.round(at - whole * NANOS) };
  };

  const problem = (packet: number, message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ packet, message });
  };

  const isVip = (buf: Uint8Array, loc: TcpLocation, which: 'src' | 'dst'): boolean => {
    if (surveyed.vips.has(endpointKey(buf, loc, which))) return true;
    if (surveyed.vipAddresses.size === 0) return false;
    const key = endpointKey(buf, loc, which);
    return surveyed.vipAddresses.has(key.slice(0, key.lastIndexOf(':')));
  };

  const slotFor = (family: 4 | 6): ModelSlot | null => {
    if (slots.has(family)) return slots.get(family)!;
    const size = family === 4 ? 4 : 16;
    const localGiven = params.local !== null;
    const realGiven = params.real !== null;
    let slot: ModelSlot | null = null;
    const localOk = !localGiven || params.local!.address.length === size;
    const realOk = !realGiven || params.real!.address.length === size;
    if (localOk && realOk) {
      const model = new SynproxyModel({
        config: params.config,
        secret: params.secret,
        minute: params.minute,
        localAddress: localGiven ? params.local!.address : family === 4 ? DEFAULT_LOCAL_V4 : DEFAULT_LOCAL_V6,
        localPort: params.local?.port ?? DEFAULT_LOCAL_PORT,
        realAddress: realGiven ? params.real!.address : family === 4 ? DEFAULT_REAL_V4 : DEFAULT_REAL_V6,
        realPort: params.real?.port ?? DEFAULT_REAL_PORT,
        fnatIsn: params.fnatIsn,
        modelledRs: null,
      });
      slot = { family, model, rs: new ModelledRealServer({ ...params.rs, delayMicros: params.rsDelayMicros }), byId: new Map() };
    }
    slots.set(family, slot);
    return slot;
  };

  const frameFor = (flow: Flow | null, direction: ReplayDirection): ReplayPacket['ethernet'] => {
    if (!ethernetOut || !flow?.macs) return null;
    const { peer, dpvs } = flow.macs;
    // DPVS-sent frames carry the client frame's MACs swapped; the backend's come the other way.
    if (direction === 'to-client' || direction === 'to-rs') return { destination: peer, source: dpvs };
    return { destination: dpvs, source: peer };
  };

  const emitPacket = (p: Omit<ReplayPacket, 'ethernet'>, flow: Flow | null) => {
    const full: ReplayPacket = { ...p, ethernet: frameFor(flow, p.direction) };
    if (p.leg === 'client-side') counts.outputClientSide++;
    else counts.outputRsSide++;
    if (p.connection) {
      if (p.leg === 'client-side') p.connection.report.packets.clientSide++;
      else p.connection.report.packets.rsSide++;
    }
    sink.packet(full);
  };

  const schedule = (item: Pending) => {
    // Keep `pending` ordered by time (stable for equal times).
    let i = pending.length;
    while (i > 0 && pending[i - 1]!.at > item.at) i--;
    pending.splice(i, 0, item);
  };

  /** Move a recorded VIP→client packet onto the rs-side leg: R→L, ack and SACK + Δf. */
  const toRsLeg = (flow: Flow, recorded: Recorded): Uint8Array => {
    const out = recorded.packet.slice();
    const loc = locateTcp(out, 0, out.length);
    const a = loc.family === 4 ? { src: IPV4.SRC, dst: IPV4.DST } : { src: IPV6.SRC, dst: IPV6.DST };
    out.set(flow.real!.address, a.src);
    out.set(flow.local!.address, a.dst);
    writeU16(out, loc.tcp + TCP.SRC_PORT, flow.real!.port);
    writeU16(out, loc.tcp + TCP.DST_PORT, flow.local!.port);
    const delta = flow.deltaF!;
    if ((out[loc.tcp + TCP.FLAGS]! & TCP_FLAG.ACK) !== 0) writeU32(out, loc.tcp + TCP.ACK, (readU32(out, loc.tcp + TCP.ACK) + delta) >>> 0);
    shiftSackEdges(out, loc, delta);
    fillChecksums(out, loc);
    return out;
  };

  const releaseResponses = (flow: Flow) => {
    if (flow.deltaF === null || flow.local === null || flow.real === null || flow.slot === null) return;
    for (const recorded of flow.waiting) {
      let at = Math.max(timeKey(recorded.seconds, recorded.nanoseconds), flow.lastRelease);
      if (recorded.synAck) at = Math.max(at, flow.rsSynAt + flow.recordedRtt);
      at = Math.max(at, lastAt);
      flow.lastRelease = at;
      const t = splitTime(at);
      schedule({ at, ...t, packet: toRsLeg(flow, recorded), flow, slot: flow.slot, source: 'recorded-response', index: recorded.index });
    }
    flow.waiting = [];
  };

  const handleEvents = (slot: ModelSlot, events: SynproxyEvent[], context: Flow | null) => {
    for (const ev of events) {
      const byId = ev.connection !== 0 ? slot.byId.get(ev.connection) : undefined;
      const flow = byId ?? context;
      const d = ev.decision;
      if (flow) {
        if (d.kind === 'syn-ack') flow.cookie = d.cookie;
        if (d.kind === 'cookie-ok') slot.byId.set(ev.connection, flow);
        // A reuse right after a new SYN continues that SYN's record.
        if (d.kind === 'reuse' && flow.state && flow.state.report.cookieCheck !== null) {
          const isn = currentClient ? (currentClient.seq - 1) >>> 0 : flow.clientIsn;
          flow.state = report.open(flow.client, flow.vip, ev.seconds, ev.nanoseconds, isn, flow.state.clientSyn);
          flow.deltaF = null;
        }
        if (d.kind === 'cookie-bad' && flow.state === null) {
          flow.state = report.open(flow.client, flow.vip, ev.seconds, ev.nanoseconds, null, null);
        }
      }
      const state = flow?.state ?? null;
      let loc: TcpLocation | null = null;
      if (ev.packet) loc = locateTcp(ev.packet, 0, ev.packet.length);
      if (flow && d.kind === 'rs-syn' && ev.packet && loc) {
        const a = loc.family === 4 ? { src: IPV4.SRC, dst: IPV4.DST, n: 4 } : { src: IPV6.SRC, dst: IPV6.DST, n: 16 };
        flow.local = { address: ev.packet.slice(a.src, a.src + a.n), port: readU16(ev.packet, loc.tcp + TCP.SRC_PORT) };
        flow.real = { address: ev.packet.slice(a.dst, a.dst + a.n), port: readU16(ev.packet, loc.tcp + TCP.DST_PORT) };
        flow.deltaF = d.deltaF;
        if (d.retry === 0) flow.rsSynAt = timeKey(ev.seconds, ev.nanoseconds);
      }
      if (state) {
        report.decision(state, d, ev.seconds, ev.nanoseconds, {
          packetFacts: ev.packet && loc ? optionFacts(ev.packet, loc) : null,
          payloadLength: loc ? loc.payloadLength : 0,
          window: ev.packet && loc && ev.direction === 'to-client' ? readU16(ev.packet, loc.tcp + TCP.WINDOW) : null,
          seq: d.kind === 'cookie-bad' && currentClient ? currentClient.seq : null,
          ack: d.kind === 'cookie-bad' && currentClient ? currentClient.ack : null,
          local: d.kind === 'rs-syn' && ev.packet && loc ? endpointText(ev.packet, loc, 'src') : null,
          rs: d.kind === 'rs-syn' && ev.packet && loc ? endpointText(ev.packet, loc, 'dst') : null,
        });
      }
      if (ev.packet && ev.leg && ev.direction) {
        emitPacket(
          {
            seconds: ev.seconds,
            nanoseconds: ev.nanoseconds,
            leg: ev.leg,
            direction: ev.direction,
            source: ev.direction === 'from-rs' ? 'modelled-rs' : 'model',
            packet: ev.packet,
            inputIndex: null,
            connection: state,
            decision: d,
          },
          flow,
        );
        if (ev.direction === 'to-rs' && flow && !flow.responsesInInput && !params.rsSilent) {
          const answers = slot.rs.receive(ev.packet, 0, ev.packet.length);
          const at = timeKey(ev.seconds, ev.nanoseconds) + params.rsDelayMicros * 1000;
          const t = splitTime(at);
          for (const answer of answers) schedule({ at, ...t, packet: answer, flow, slot, source: 'modelled-rs', index: null });
        }
      } else {
        sink.note({ seconds: ev.seconds, nanoseconds: ev.nanoseconds, connection: state, decision: d, inputIndex: d.kind === 'rs-syn-exhausted' ? null : currentIndex });
      }
      if (flow && d.kind === 'rs-syn') releaseResponses(flow);
    }
  };

  const deliver = (item: Pending) => {
    emitPacket(
      {
        seconds: item.seconds,
        nanoseconds: item.nanoseconds,
        leg: 'rs-side',
        direction: 'from-rs',
        source: item.source,
        packet: item.packet,
        inputIndex: item.index,
        connection: item.flow.state,
        decision: null,
      },
      item.flow,
    );
    if (item.source === 'recorded-response') counts.responsesDelivered++;
    currentIndex = item.index;
    let events: SynproxyEvent[];
    try {
      events = item.slot.model.serverPacket(item.packet, 0, item.packet.length, item.seconds, item.nanoseconds);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      counts.damaged++;
      problem(item.index ?? 0, `backend packet not modelled: ${e.message}`);
      return;
    }
    handleEvents(item.slot, events, item.flow);
  };

  const flushUntil = (at: number) => {
    while (pending.length > 0 && pending[0]!.at <= at) {
      const item = pending.shift()!;
      lastAt = Math.max(lastAt, item.at);
      deliver(item);
    }
  };

  const flowFor = (key: string, family: 4 | 6, buf: Uint8Array, loc: TcpLocation, clientSide: boolean): Flow => {
    let flow = flows.get(key);
    if (!flow) {
      flow = {
        key,
        family,
        client: endpointText(buf, loc, clientSide ? 'src' : 'dst'),
        vip: endpointText(buf, loc, clientSide ? 'dst' : 'src'),
        macs: null,
        clientIsn: null,
        synAt: 0,
        recordedIsn: null,
        recordedRtt: 0,
        cookie: null,
        responsesInInput: surveyed.flows.has(reverseKey(key)),
        slot: null,
        deltaF: null,
        rsSynAt: 0,
        local: null,
        real: null,
        waiting: [],
        lastRelease: 0,
        state: null,
      };
      flows.set(key, flow);
    }
    return flow;
  };

  const link = new LinkInfo();
  const loc = newTcpLocation();
  const reader = await open(params.input);
  await reader.read((rec) => {
    counts.inputPackets++;
    currentIndex = rec.index;
    const at = timeKey(rec.timestampSeconds, rec.timestampNanos);
    const l3 = l3Of(rec, link);
    if (l3 < 0) {
      counts.notIp++;
      return;
    }
    const data = rec.data;
    const protocol = quickProtocol(data, l3, data.length - l3);
    if (protocol !== 6) {
      counts.notTcp++;
      return;
    }
    try {
      locateTcp(data, l3, data.length - l3, loc);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      counts.damaged++;
      problem(rec.index, e.message);
      return;
    }
    const toVip = isVip(data, loc, 'dst');
    const fromVip = !toVip && isVip(data, loc, 'src');
    if (!toVip && !fromVip) {
      counts.otherTcp++;
      return;
    }
    const family = loc.family;
    const slot = slotFor(family);
    if (slot === null) {
      counts.familyNotModelled++;
      problem(rec.index, `IPv${family} packet, but --lip/--rs are IPv${family === 4 ? 6 : 4} (NAT64/NAT46 is not modelled)`);
      return;
    }
    flushUntil(at);
    lastAt = Math.max(lastAt, at);
    const packet = data.slice(loc.l3, loc.l3 + loc.ipLength);
    const own = locateTcp(packet, 0, packet.length);
    const flags = packet[own.tcp + TCP.FLAGS]!;
    if (fromVip) {
      const flow = flowFor(reverseKey(flowKey(data, loc)), family, data, loc, false);
      flow.slot = slot;
      const synAck = (flags & (TCP_FLAG.SYN | TCP_FLAG.ACK)) === (TCP_FLAG.SYN | TCP_FLAG.ACK);
      if (synAck) {
        flow.recordedIsn = readU32(packet, own.tcp + TCP.SEQ);
        flow.recordedRtt = Math.max(0, at - flow.synAt);
      }
      flow.waiting.push({ packet, seconds: rec.timestampSeconds, nanoseconds: rec.timestampNanos, index: rec.index, synAck });
      releaseResponses(flow);
      return;
    }
    const flow = flowFor(flowKey(data, loc), family, data, loc, true);
    flow.slot = slot;
    if (ethernetOut && rec.linkType === LINKTYPE.ETHERNET && flow.macs === null && l3 >= ETHERNET.HEADER) {
      flow.macs = { peer: data.slice(ETHERNET.SOURCE, ETHERNET.SOURCE + 6), dpvs: data.slice(ETHERNET.DESTINATION, ETHERNET.DESTINATION + 6) };
    }
    handleEvents(slot, slot.model.advance(rec.timestampSeconds, rec.timestampNanos), null);
    const seq = readU32(packet, own.tcp + TCP.SEQ);
    if ((flags & (TCP_FLAG.SYN | TCP_FLAG.ACK | TCP_FLAG.RST | TCP_FLAG.FIN)) === TCP_FLAG.SYN) {
      if (flow.clientIsn !== seq || flow.state === null) {
        flow.clientIsn = seq;
        flow.synAt = at;
        flow.recordedIsn = null;
        flow.cookie = null;
        flow.state = report.open(flow.client, flow.vip, rec.timestampSeconds, rec.timestampNanos, seq, optionFacts(packet, own));
      }
    } else if ((flags & TCP_FLAG.ACK) !== 0 && flow.cookie !== null && !params.keepClientAcks) {
      if (flow.recordedIsn === null) flow.recordedIsn = (readU32(packet, own.tcp + TCP.ACK) - 1) >>> 0;
      const delta = (flow.cookie - flow.recordedIsn) >>> 0;
      if (delta !== 0) rebaseAck(packet, own, delta);
    }
    counts.clientPackets++;
    emitPacket(
      {
        seconds: rec.timestampSeconds,
        nanoseconds: rec.timestampNanos,
        leg: 'client-side',
        direction: 'to-vip',
        source: 'input',
        packet,
        inputIndex: rec.index,
        connection: flow.state,
        decision: null,
      },
      flow,
    );
    currentClient = { seq: readU32(packet, own.tcp + TCP.SEQ), ack: readU32(packet, own.tcp + TCP.ACK) };
    let events: SynproxyEvent[];
    try {
      events = slot.model.clientPacket(packet, 0, packet.length, rec.timestampSeconds, rec.timestampNanos);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      counts.damaged++;
      problem(rec.index, `not modelled: ${e.message}`);
      return;
    }
    handleEvents(slot, events, flow);
    currentClient = null;
  });

  // Deliver what is left, then let the RS-SYN retry timers run out.
  flushUntil(Number.POSITIVE_INFINITY);
  const drainNs = ((params.config.rsSynMaxRetry + 1) * params.config.synSentTimeout + 1) * NANOS;
  for (let round = 0; round <= params.config.rsSynMaxRetry + 1; round++) {
    let any = false;
    for (const slot of slots.values()) {
      if (!slot) continue;
      const t = splitTime(lastAt + drainNs);
      currentIndex = null;
      const events = slot.model.advance(t.seconds, t.nanoseconds);
      if (events.length > 0) any = true;
      handleEvents(slot, events, null);
    }
    const before = pending.length;
    flushUntil(Number.POSITIVE_INFINITY);
    if (!any && before === 0) break;
  }
  for (const flow of flows.values()) counts.responsesUndelivered += flow.waiting.length;
  pending = [];

  return {
    counts,
    connections: report.connections,
    report,
    linkType: ethernetOut ? LINKTYPE.ETHERNET : LINKTYPE.RAW,
    problems,
    vips: [...surveyed.vips],
  };
}
