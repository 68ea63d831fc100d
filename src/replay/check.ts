/**
 * `toa synproxy-replay --check`: both legs of a SYN-proxy load balancer, as captured on it, are
 * checked against the model.
 *
 * Legs: a pcapng with interfaces named `client-side` and `rs-side` (what the replay writes), else
 * a capture with exactly two interfaces (the first is the client side), or two files (the first
 * is the client side).
 *
 * Pairing: an rs-side connection (its SYN L→R) is paired with the client connection named by the
 * TOA of its first non-SYN L→R packet; the ones without TOA are paired in order of first SYN with
 * the client connections left. Per pair: F = the RS SYN's seq, c_isn = the client SYN's seq,
 * Δf = F − c_isn, K = the client-side SYN-ACK's seq, r_isn = the RS SYN-ACK's seq, Δs = K − r_isn.
 *
 * Then the model runs on the captured inputs (client→VIP packets and RS→LIP packets, in capture
 * time order) with each pair's F, local and RS endpoints, and everything it sends is compared,
 * in order per direction, with what was captured: a captured packet that differs, a packet the
 * model sends that is missing, and a captured packet the model does not send are disagreements.
 * Alignment: the model's packet is looked for among the next 8 captured ones of its direction;
 * when none is identical, the next captured one is "differs" if it has the same flags and IP
 * length, else the model's packet is "missing". Altering a packet the parameters come from (the
 * RS SYN: F; the SYN-ACKs: K, r_isn) changes Δf or Δs, so the whole connection then disagrees.
 * Not compared: the IPv4 ID (and so the header checksum) of the RS SYN, which DPVS never sets.
 */
import { openCapture } from '../codec/capture.js';
import { readU16, readU32 } from '../codec/bytes.js';
import { CliError, CodecError } from '../codec/errors.js';
import { IPV4 } from '../codec/ipv4.js';
import { IPV6 } from '../codec/ipv6.js';
import { LinkInfo } from '../codec/link.js';
import { TCP, TCP_FLAG } from '../codec/tcp.js';
import type { CookieSecret } from '../dpvs/cookie.js';
import type { SynproxyConfig } from '../dpvs/synproxy-config.js';
import { locateTcp, newTcpLocation, type TcpLocation } from '../dpvs/synproxy-packets.js';
import { SynproxyModel, type SynproxyConnection, type SynproxyEvent } from '../dpvs/synproxy.js';
import { parseLinkLayer, LINK_RESULT } from '../codec/link.js';
import { describeDifferences } from './diff.js';
import { endpointKey, endpointKeyOf, endpointText, flowKey, hex32, optionFacts, quickProtocol, reverseKey, timeText } from './packet.js';

export interface CheckParams {
  inputs: string[];
  vip: { address: Uint8Array; port: number | null } | null;
  secret: CookieSecret;
  minute: number;
  /** F for a client connection that could not be paired. */
  fnatIsn: number;
  config: SynproxyConfig;
}

export type CheckLeg = 'client-side' | 'rs-side';

export interface CapturedRef {
  leg: CheckLeg;
  file: string;
  /** 1-based packet number in its file. */
  index: number;
  time: string;
}

export interface Disagreement {
  kind: 'differs' | 'missing' | 'unexpected';
  leg: CheckLeg;
  /** The captured packet (null for 'missing'). */
  captured: CapturedRef | null;
  /** The captured input packet the model translated to produce its packet (null for 'unexpected'). */
  cause: CapturedRef | null;
  /** What the model did with it (decision kind). */
  decision: string | null;
  differences: string[];
  message: string;
}

/** A captured packet the model does not send (`where`: '' or ' here'). */
function unexpected(ref: CapturedRef, where: string): Disagreement {
  return {
    kind: 'unexpected',
    leg: ref.leg,
    captured: ref,
    cause: null,
    decision: null,
    differences: [],
    message: `captured ${ref.leg} packet #${ref.index} is not sent by the model${where}`,
  };
}

export interface PairReport {
  client: string;
  vip: string;
  local: string;
  rs: string;
  pairedBy: 'toa' | 'order';
  clientIsn: string | null;
  cookie: string | null;
  fnatIsn: string;
  rsIsn: string | null;
  deltaF: string | null;
  deltaS: string | null;
  /** Seconds the client window stayed 0 (captured SYN-ACK window 0 → first V→C window > 0); null when it was not 0 or never opened. */
  clientWindowZeroSeconds: number | null;
  clientWindowNeverOpened: boolean;
  /** Whether the first rs-side packet after the RS SYN carried a TOA (null: no such packet). */
  firstRsAckToa: boolean | null;
}

export interface RejectedAckReport {
  client: string;
  captured: CapturedRef;
  seq: string;
  ack: string;
  reason: string;
}

export interface CheckResult {
  packets: { clientSide: number; rsSide: number; notTcp: number; damaged: number; other: number };
  pairs: PairReport[];
  unpairedClient: string[];
  unpairedRs: string[];
  rejectedAcks: RejectedAckReport[];
  disagreements: Disagreement[];
  compared: number;
}

interface Captured {
  ref: CapturedRef;
  seconds: number;
  nanoseconds: number;
  packet: Uint8Array;
  loc: TcpLocation;
  key: string;
  flags: number;
}

const LOOKAHEAD = 8;

async function readLegs(inputs: string[], result: CheckResult): Promise<Captured[]> {
  const all: Captured[] = [];
  const link = new LinkInfo();
  for (let f = 0; f < inputs.length; f++) {
    const file = inputs[f]!;
    const reader = await openCapture(file);
    await reader.read((rec) => {
      let leg: CheckLeg;
      if (inputs.length === 2) leg = f === 0 ? 'client-side' : 'rs-side';
      else {
        const interfaces = reader.info.interfaces;
        const named = interfaces.find((i) => i.name === 'client-side') && interfaces.find((i) => i.name === 'rs-side');
        const iface = interfaces[rec.interfaceId];
        if (named) leg = iface?.name === 'rs-side' ? 'rs-side' : 'client-side';
        else leg = rec.interfaceId === 0 ? 'client-side' : 'rs-side';
      }
      const status = parseLinkLayer(rec.data, 0, rec.data.length, rec.linkType, link);
      if (status !== LINK_RESULT.IPV4 && status !== LINK_RESULT.IPV6) {
        result.packets.other++;
        return;
      }
      const l3 = link.linkHeaderLength;
      if (quickProtocol(rec.data, l3, rec.data.length - l3) !== 6) {
        result.packets.notTcp++;
        return;
      }
      let loc: TcpLocation;
      try {
        loc = locateTcp(rec.data, l3, rec.data.length - l3, newTcpLocation());
      } catch (e) {
        if (!(e instanceof CodecError)) throw e;
        result.packets.damaged++;
        return;
      }
      const packet = rec.data.slice(loc.l3, loc.l3 + loc.ipLength);
      const own = locateTcp(packet, 0, packet.length, newTcpLocation());
      if (leg === 'client-side') result.packets.clientSide++;
      else result.packets.rsSide++;
      all.push({
        ref: { leg, file, index: rec.index, time: timeText(rec.timestampSeconds, rec.timestampNanos) },
        seconds: rec.timestampSeconds,
        nanoseconds: rec.timestampNanos,
        packet,
        loc: own,
        key: flowKey(packet, own),
        flags: packet[own.tcp + TCP.FLAGS]!,
      });
    });
    if (inputs.length === 1 && reader.info.interfaces.length < 2) {
      throw new CliError(`--check needs both legs: ${file} has ${reader.info.interfaces.length} interface(s)`, 2, 'give a pcapng with interfaces client-side and rs-side, or two files (client side first)');
    }
  }
  // Stable time order across the legs.
  all.sort((a, b) => a.seconds - b.seconds || a.nanoseconds - b.nanoseconds);
  return all;
}

const isPureSyn = (flags: number) => (flags & (TCP_FLAG.SYN | TCP_FLAG.ACK | TCP_FLAG.RST | TCP_FLAG.FIN)) === TCP_FLAG.SYN;
const isSynAck = (flags: number) => (flags & (TCP_FLAG.SYN | TCP_FLAG.ACK | TCP_FLAG.RST)) === (TCP_FLAG.SYN | TCP_FLAG.ACK);

interface ClientFlow {
  key: string;
  syn: Captured;
  synAck: Captured | null;
  toClient: Captured[];
}

interface RsFlow {
  key: string;
  syn: Captured;
  synAck: Captured | null;
  toRs: Captured[];
  clientKey: string | null;
}

interface Pair {
  client: ClientFlow;
  rs: RsFlow;
  pairedBy: 'toa' | 'order';
  fnatIsn: number;
  local: Uint8Array;
  localPort: number;
  real: Uint8Array;
  realPort: number;
}

export async function runSynproxyCheck(params: CheckParams): Promise<CheckResult> {
  const result: CheckResult = {
    packets: { clientSide: 0, rsSide: 0, notTcp: 0, damaged: 0, other: 0 },
    pairs: [],
    unpairedClient: [],
    unpairedRs: [],
    rejectedAcks: [],
    disagreements: [],
    compared: 0,
  };
  const all = await readLegs(params.inputs, result);

  // VIPs: the destinations of client-side SYNs (or --vip).
  const vips = new Set<string>();
  let vipAddress: string | null = null;
  if (params.vip) {
    if (params.vip.port === null) vipAddress = endpointKeyOf(params.vip.address, 0).replace(/:0$/, '');
    else vips.add(endpointKeyOf(params.vip.address, params.vip.port));
  } else {
    for (const c of all) if (c.ref.leg === 'client-side' && isPureSyn(c.flags)) vips.add(endpointKey(c.packet, c.loc, 'dst'));
  }
  const isVip = (c: Captured, which: 'src' | 'dst'): boolean => {
    const key = endpointKey(c.packet, c.loc, which);
    return vips.has(key) || (vipAddress !== null && key.slice(0, key.lastIndexOf(':')) === vipAddress);
  };

  const clientFlows = new Map<string, ClientFlow>();
  const rsFlows = new Map<string, RsFlow>();
  const rsByKey = new Map<string, RsFlow>();
  for (const c of all) {
    if (c.ref.leg === 'client-side') {
      if (isVip(c, 'dst') && isPureSyn(c.flags) && !clientFlows.has(c.key)) clientFlows.set(c.key, { key: c.key, syn: c, synAck: null, toClient: [] });
      else if (isVip(c, 'src')) {
        const flow = clientFlows.get(reverseKey(c.key));
        if (flow) {
          if (isSynAck(c.flags) && flow.synAck === null) flow.synAck = c;
          flow.toClient.push(c);
        }
      }
    } else if (isPureSyn(c.flags)) {
      if (!rsByKey.has(c.key)) {
        const flow: RsFlow = { key: c.key, syn: c, synAck: null, toRs: [], clientKey: null };
        rsFlows.set(c.key, flow);
        rsByKey.set(c.key, flow);
      }
      rsByKey.get(c.key)!.toRs.push(c);
    } else {
      const forward = rsByKey.get(c.key);
      if (forward) {
        forward.toRs.push(c);
        if (forward.clientKey === null) {
          const facts = optionFacts(c.packet, c.loc);
          if (facts.toa) forward.clientKey = facts.toa;
        }
        continue;
      }
      const back = rsByKey.get(reverseKey(c.key));
      if (back && isSynAck(c.flags) && back.synAck === null) back.synAck = c;
    }
  }

  // Pair: by TOA first, then in order.
  const pairs: Pair[] = [];
  const pairedClients = new Set<string>();
  const clientByText = new Map<string, ClientFlow>();
  for (const flow of clientFlows.values()) clientByText.set(endpointText(flow.syn.packet, flow.syn.loc, 'src'), flow);
  const leftRs: RsFlow[] = [];
  for (const rs of rsFlows.values()) {
    const client = rs.clientKey ? clientByText.get(rs.clientKey) : undefined;
    if (client && !pairedClients.has(client.key)) {
      pairedClients.add(client.key);
      pairs.push(makePair(client, rs, 'toa'));
    } else leftRs.push(rs);
  }
  const leftClients = [...clientFlows.values()].filter((c) => !pairedClients.has(c.key));
  while (leftRs.length > 0 && leftClients.length > 0) pairs.push(makePair(leftClients.shift()!, leftRs.shift()!, 'order'));
  result.unpairedClient = leftClients.map((c) => `${endpointText(c.syn.packet, c.syn.loc, 'src')} → ${endpointText(c.syn.packet, c.syn.loc, 'dst')}`);
  result.unpairedRs = leftRs.map((r) => `${endpointText(r.syn.packet, r.syn.loc, 'src')} → ${endpointText(r.syn.packet, r.syn.loc, 'dst')}`);
  const pairByClient = new Map<string, Pair>();
  for (const p of pairs) pairByClient.set(p.client.key, p);

  for (const p of pairs) {
    const clientIsn = readU32(p.client.syn.packet, p.client.syn.loc.tcp + TCP.SEQ);
    const cookie = p.client.synAck ? readU32(p.client.synAck.packet, p.client.synAck.loc.tcp + TCP.SEQ) : null;
    const rsIsn = p.rs.synAck ? readU32(p.rs.synAck.packet, p.rs.synAck.loc.tcp + TCP.SEQ) : null;
    let zero: number | null = null;
    let neverOpened = false;
    if (p.client.synAck && readU16(p.client.synAck.packet, p.client.synAck.loc.tcp + TCP.WINDOW) === 0) {
      const opened = p.client.toClient.find((c) => c !== p.client.synAck && readU16(c.packet, c.loc.tcp + TCP.WINDOW) > 0);
      if (opened) zero = opened.seconds - p.client.synAck.seconds + (opened.nanoseconds - p.client.synAck.nanoseconds) / 1e9;
      else neverOpened = true;
    }
    const firstAck = p.rs.toRs.find((c) => !isPureSyn(c.flags));
    result.pairs.push({
      client: endpointText(p.client.syn.packet, p.client.syn.loc, 'src'),
      vip: endpointText(p.client.syn.packet, p.client.syn.loc, 'dst'),
      local: endpointText(p.rs.syn.packet, p.rs.syn.loc, 'src'),
      rs: endpointText(p.rs.syn.packet, p.rs.syn.loc, 'dst'),
      pairedBy: p.pairedBy,
      clientIsn: hex32(clientIsn),
      cookie: cookie === null ? null : hex32(cookie),
      fnatIsn: hex32(p.fnatIsn),
      rsIsn: rsIsn === null ? null : hex32(rsIsn),
      deltaF: hex32((p.fnatIsn - clientIsn) >>> 0),
      deltaS: cookie !== null && rsIsn !== null ? hex32((cookie - rsIsn) >>> 0) : null,
      clientWindowZeroSeconds: zero,
      clientWindowNeverOpened: neverOpened,
      firstRsAckToa: firstAck ? optionFacts(firstAck.packet, firstAck.loc).toa !== null : null,
    });
  }

  // Expected outputs, per direction key, with a cursor each.
  const expected = new Map<string, { list: Captured[]; next: number }>();
  const expect = (c: Captured) => {
    let q = expected.get(c.key);
    if (!q) expected.set(c.key, (q = { list: [], next: 0 }));
    q.list.push(c);
  };
  const inputs: Captured[] = [];
  for (const c of all) {
    if (c.ref.leg === 'client-side') {
      if (isVip(c, 'dst')) inputs.push(c);
      else if (isVip(c, 'src')) expect(c);
    } else if (rsByKey.has(c.key)) expect(c);
    else if (rsByKey.has(reverseKey(c.key))) inputs.push(c);
  }

  // One model per family; each connection takes its pair's F and endpoints.
  const models = new Map<4 | 6, SynproxyModel>();
  const modelFor = (family: 4 | 6): SynproxyModel => {
    let m = models.get(family);
    if (m) return m;
    const first = pairs.find((p) => p.local.length === (family === 4 ? 4 : 16));
    m = new SynproxyModel({
      config: params.config,
      secret: params.secret,
      minute: params.minute,
      localAddress: first?.local ?? new Uint8Array(family === 4 ? 4 : 16),
      realAddress: first?.real ?? new Uint8Array(family === 4 ? 4 : 16),
      localPort: first?.localPort ?? 5000,
      realPort: first?.realPort ?? 8080,
      // Also gives the connection its captured local and RS endpoints (read by the model right after).
      fnatIsn: (conn: SynproxyConnection) => {
        const f = conn.fnat;
        const size = f.clientAddress.length;
        const key = `${endpointKeyOf(f.clientAddress, f.clientPort)}>${endpointKeyOf(f.vipAddress, f.vipPort)}`;
        const pair = pairByClient.get(key);
        if (!pair || pair.local.length !== size) return params.fnatIsn;
        f.localAddress = pair.local;
        f.localPort = pair.localPort;
        f.realAddress = pair.real;
        f.realPort = pair.realPort;
        return pair.fnatIsn;
      },
      modelledRs: null,
    });
    models.set(family, m);
    return m;
  };

  const compare = (ev: SynproxyEvent, cause: Captured | null) => {
    if (!ev.packet || !ev.leg) {
      if (ev.decision.kind === 'cookie-bad' && cause) {
        // (the RST itself is compared below; the note is for the report)
      }
      return;
    }
    const out = ev.packet;
    const loc = locateTcp(out, 0, out.length, newTcpLocation());
    if (ev.decision.kind === 'cookie-bad' && cause) {
      result.rejectedAcks.push({
        client: endpointText(cause.packet, cause.loc, 'src'),
        captured: cause.ref,
        seq: hex32(readU32(cause.packet, cause.loc.tcp + TCP.SEQ)),
        ack: hex32(readU32(cause.packet, cause.loc.tcp + TCP.ACK)),
        reason: ev.decision.reason || 'invalid',
      });
    }
    const key = flowKey(out, loc);
    const q = expected.get(key);
    const ignoreId = ev.decision.kind === 'rs-syn' && loc.family === 4;
    const leg: CheckLeg = ev.leg;
    result.compared++;
    /** The model's packet has no captured counterpart. */
    const missing = () =>
      result.disagreements.push({
        kind: 'missing',
        leg,
        captured: null,
        cause: cause?.ref ?? null,
        decision: ev.decision.kind,
        differences: [],
        message: `the model sends a ${leg} packet ${endpointText(out, loc, 'src')} → ${endpointText(out, loc, 'dst')} (${ev.decision.kind}) that was not captured`,
      });
    if (!q || q.next >= q.list.length) {
      missing();
      return;
    }
    for (let j = q.next; j < Math.min(q.list.length, q.next + LOOKAHEAD); j++) {
      if (samePacket(out, q.list[j]!.packet, ignoreId)) {
        for (let k = q.next; k < j; k++) {
          result.disagreements.push(unexpected(q.list[k]!.ref, ' here'));
        }
        q.next = j + 1;
        return;
      }
    }
    const got = q.list[q.next]!;
    if (!resembles(out, loc, got)) {
      // Not the same kind of packet: the model's packet is missing; the captured one waits for the next.
      missing();
      return;
    }
    q.next++;
    const differences = describeDifferences(out, got.packet, ignoreId);
    result.disagreements.push({
      kind: 'differs',
      leg: got.ref.leg,
      captured: got.ref,
      cause: cause?.ref ?? null,
      decision: ev.decision.kind,
      differences,
      message:
        `captured ${got.ref.leg} packet #${got.ref.index} differs from the model's ${ev.decision.kind}` +
        (cause ? ` for ${cause.ref.leg} packet #${cause.ref.index}` : '') +
        `: ${differences.join('; ')}`,
    });
  };

  for (const c of inputs) {
    const m = modelFor(c.loc.family);
    let events: SynproxyEvent[];
    try {
      for (const ev of m.advance(c.seconds, c.nanoseconds)) compare(ev, null);
      events = c.ref.leg === 'client-side' ? m.clientPacket(c.packet, 0, c.packet.length, c.seconds, c.nanoseconds) : m.serverPacket(c.packet, 0, c.packet.length, c.seconds, c.nanoseconds);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      result.packets.damaged++;
      continue;
    }
    for (const ev of events) compare(ev, c);
  }
  // Captured packets the model never sent.
  for (const q of expected.values()) {
    for (let k = q.next; k < q.list.length; k++) {
      result.disagreements.push(unexpected(q.list[k]!.ref, ''));
    }
  }
  return result;
}

function makePair(client: ClientFlow, rs: RsFlow, pairedBy: 'toa' | 'order'): Pair {
  const s = rs.syn;
  const v4 = s.loc.family === 4;
  const src = v4 ? IPV4.SRC : IPV6.SRC;
  const dst = v4 ? IPV4.DST : IPV6.DST;
  const n = v4 ? 4 : 16;
  return {
    client,
    rs,
    pairedBy,
    fnatIsn: readU32(s.packet, s.loc.tcp + TCP.SEQ),
    local: s.packet.slice(src, src + n),
    localPort: readU16(s.packet, s.loc.tcp + TCP.SRC_PORT),
    real: s.packet.slice(dst, dst + n),
    realPort: readU16(s.packet, s.loc.tcp + TCP.DST_PORT),
  };
}

/** Same TCP flags and the same IP length: a captured packet that is this one, translated differently. */
function resembles(out: Uint8Array, loc: TcpLocation, got: Captured): boolean {
  return out[loc.tcp + TCP.FLAGS] === got.flags && loc.ipLength === got.loc.ipLength;
}

/** Byte equality, optionally ignoring the IPv4 ID and header checksum. */
function samePacket(a: Uint8Array, b: Uint8Array, ignoreIpv4Id: boolean): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (ignoreIpv4Id && (i === IPV4.ID || i === IPV4.ID + 1 || i === IPV4.CHECKSUM || i === IPV4.CHECKSUM + 1)) continue;
    return false;
  }
  return true;
}
