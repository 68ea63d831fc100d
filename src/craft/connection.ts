/**
 * The client leg of one connection (client ↔ VIP) as a list of IP packets, built with the codec's
 * packet builder (src/codec/build.ts, link 'raw' so the result is the bare L3 packet).
 *
 * TCP: SYN (MSS, SACK-permitted, timestamps, window scale and raw extra options in Linux order),
 * SYN-ACK (its MSS is the RS's MSS lowered by 8, or 20 for an IPv6/NAT64 client, as DPVS's
 * tcp_out_adjust_mss does, so the backend leg carries the RS's own value), handshake ACK; per
 * exchange the request segments (PSH on the last; the server ACKs every second full segment),
 * the response segments (the client ACKs every second one and the last), an optional
 * retransmission of the first request segment; close by FIN (FIN, FIN, ACK), RST, or nothing.
 * Segments carry at most min(own MSS, peer's advertised MSS) minus the timestamp option bytes.
 * UDP: one request and one response datagram per exchange.
 *
 * ISNs, IPv4 IDs and timestamp values derive from a SHA-256 of the addresses and ports
 * (deterministic), unless given.
 */
import { createHash } from 'node:crypto';
import { buildPacket, type PacketSpec, type TcpOptionSpec } from '../codec/build.js';
import { CliError } from '../codec/errors.js';
import { TCP_FLAG, TCP_OPTION } from '../codec/tcp.js';
import { CRAFT_DEFAULTS, type CloseMode, type PacketOverride } from './model.js';
import { flagsValue, hexValue, unescapeText } from './parse.js';

export interface ResolvedConnection {
  protocol: 'tcp' | 'udp';
  client: Uint8Array;
  clientPort: number;
  vip: Uint8Array;
  vipPort: number;
  clientIsn: number;
  serverIsn: number;
  /** MSS of the client's SYN and of the RS's SYN-ACK (before DPVS lowers it toward the client). */
  clientMss: number;
  rsMss: number;
  /** What DPVS subtracts from the RS's MSS on the client leg (8 IPv4 client, 20 IPv6/NAT64). */
  mssReduce: number;
  wscale: number | null;
  sack: boolean;
  timestamps: boolean;
  extraOptions: Uint8Array[];
  extraOptionsEverywhere: boolean;
  exchanges: { request: Uint8Array | null; response: Uint8Array | null }[];
  close: CloseMode;
  retransmit: boolean;
  ttl: number;
  overrides: PacketOverride[];
}

/** One client-leg packet: the bare IP packet and its direction. */
export interface LegPacket {
  toServer: boolean;
  l3: Uint8Array;
}

/** A deterministic 32-bit value from text (SHA-256, first 4 bytes). */
export function hash32(text: string): number {
  const d = createHash('sha256').update(text).digest();
  return ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
}

interface Side {
  seq: number;
  id: number;
  tsval: number;
  lastPeerTsval: number;
}

/** Generate the client leg. */
export function generateClientLeg(c: ResolvedConnection): LegPacket[] {
  const v6 = c.client.length === 16;
  const specs: { toServer: boolean; spec: PacketSpec }[] = [];
  const key = `${Array.from(c.client).join('.')}|${c.clientPort}|${Array.from(c.vip).join('.')}|${c.vipPort}|${c.protocol}`;
  const client: Side = { seq: c.clientIsn, id: hash32(`id-c|${key}`) & 0xffff, tsval: hash32(`ts-c|${key}`), lastPeerTsval: 0 };
  const server: Side = { seq: c.serverIsn, id: hash32(`id-s|${key}`) & 0xffff, tsval: hash32(`ts-s|${key}`), lastPeerTsval: 0 };

  const ipFor = (toServer: boolean, side: Side): PacketSpec['ip'] => {
    const source = toServer ? c.client : c.vip;
    const destination = toServer ? c.vip : c.client;
    if (v6) return { version: 6, source, destination, hopLimit: c.ttl };
    const id = side.id;
    side.id = (side.id + 1) & 0xffff;
    return { version: 4, source, destination, ttl: c.ttl, dontFragment: true, identification: id };
  };

  if (c.protocol === 'udp') {
    for (const e of c.exchanges) {
      if (e.request) specs.push({ toServer: true, spec: { link: { type: 'raw' }, ip: ipFor(true, client), transport: { type: 'udp', sourcePort: c.clientPort, destinationPort: c.vipPort }, payload: e.request } });
      if (e.response) specs.push({ toServer: false, spec: { link: { type: 'raw' }, ip: ipFor(false, server), transport: { type: 'udp', sourcePort: c.vipPort, destinationPort: c.clientPort }, payload: e.response } });
    }
    return finish(specs, c);
  }

  const tsLength = c.timestamps ? 12 : 0;
  const serverMssToClient = (c.rsMss - c.mssReduce) & 0xffff;
  const clientSegment = Math.max(1, Math.min(c.clientMss, serverMssToClient) - tsLength);
  const serverSegment = Math.max(1, Math.min(c.rsMss, c.clientMss) - tsLength);
  const window = (syn: boolean): number => (syn || c.wscale === null ? CRAFT_DEFAULTS.window : Math.max(1, CRAFT_DEFAULTS.window >>> c.wscale));

  const tsOption = (side: Side, echo: boolean): TcpOptionSpec => {
    const data = new Uint8Array(8);
    const view = new DataView(data.buffer);
    view.setUint32(0, side.tsval >>> 0);
    view.setUint32(4, echo ? side.lastPeerTsval >>> 0 : 0);
    side.tsval = (side.tsval + 1) >>> 0;
    return { kind: TCP_OPTION.TIMESTAMP, data };
  };
  const extras = (): TcpOptionSpec[] => c.extraOptions.map((b) => (b.length === 1 ? { kind: b[0]! } : { kind: b[0]!, data: b.subarray(2) }));
  const synOptions = (side: Side, mss: number, echo: boolean): TcpOptionSpec[] => {
    const list: TcpOptionSpec[] = [{ kind: TCP_OPTION.MSS, data: [mss >>> 8, mss & 0xff] }];
    if (c.sack && c.timestamps) list.push({ kind: TCP_OPTION.SACK_PERMITTED }, tsOption(side, echo));
    else if (c.timestamps) list.push({ kind: TCP_OPTION.NOP }, { kind: TCP_OPTION.NOP }, tsOption(side, echo));
    if (c.wscale !== null) list.push({ kind: TCP_OPTION.NOP }, { kind: TCP_OPTION.WSCALE, data: [c.wscale] });
    if (c.sack && !c.timestamps) list.push({ kind: TCP_OPTION.NOP }, { kind: TCP_OPTION.NOP }, { kind: TCP_OPTION.SACK_PERMITTED });
    list.push(...extras());
    return list;
  };
  const dataOptions = (side: Side): TcpOptionSpec[] => {
    const list: TcpOptionSpec[] = [];
    if (c.timestamps) list.push({ kind: TCP_OPTION.NOP }, { kind: TCP_OPTION.NOP }, tsOption(side, true));
    if (c.extraOptionsEverywhere) list.push(...extras());
    return list;
  };
  const peerOf = (side: Side): Side => (side === client ? server : client);
  const segment = (toServer: boolean, flags: number, ack: number, payload: Uint8Array | undefined, options: TcpOptionSpec[], syn = false): PacketSpec => {
    const side = toServer ? client : server;
    const spec: PacketSpec = {
      link: { type: 'raw' },
      ip: ipFor(toServer, side),
      transport: {
        type: 'tcp',
        sourcePort: toServer ? c.clientPort : c.vipPort,
        destinationPort: toServer ? c.vipPort : c.clientPort,
        sequenceNumber: side.seq,
        acknowledgmentNumber: (flags & TCP_FLAG.ACK) !== 0 ? ack : 0,
        flags,
        windowSize: window(syn),
        options,
      },
      payload,
    };
    // the peer sees this packet's timestamp
    if (c.timestamps) peerOf(side).lastPeerTsval = (side.tsval - 1) >>> 0;
    return spec;
  };
  const push = (toServer: boolean, spec: PacketSpec): void => {
    specs.push({ toServer, spec });
  };

  // handshake
  push(true, segment(true, TCP_FLAG.SYN, 0, undefined, synOptions(client, c.clientMss, false), true));
  client.seq = (client.seq + 1) >>> 0;
  push(false, segment(false, TCP_FLAG.SYN | TCP_FLAG.ACK, client.seq, undefined, synOptions(server, serverMssToClient, true), true));
  server.seq = (server.seq + 1) >>> 0;
  push(true, segment(true, TCP_FLAG.ACK, server.seq, undefined, dataOptions(client)));

  let retransmitted = !c.retransmit;
  const send = (toServer: boolean, data: Uint8Array, size: number): void => {
    const side = toServer ? client : server;
    const peer = peerOf(side);
    let unacked = 0;
    for (let at = 0; at < data.length; at += size) {
      const chunk = data.subarray(at, Math.min(data.length, at + size));
      const last = at + size >= data.length;
      const flags = TCP_FLAG.ACK | (last ? TCP_FLAG.PSH : 0);
      const seqBefore = side.seq;
      push(toServer, segment(toServer, flags, peer.seq, chunk, dataOptions(side)));
      side.seq = (side.seq + chunk.length) >>> 0;
      if (toServer && !retransmitted) {
        retransmitted = true;
        const again = side.seq;
        side.seq = seqBefore;
        push(toServer, segment(toServer, flags, peer.seq, chunk, dataOptions(side)));
        side.seq = again;
      }
      unacked++;
      if (unacked === 2 && !last) {
        push(!toServer, segment(!toServer, TCP_FLAG.ACK, side.seq, undefined, dataOptions(peer)));
        unacked = 0;
      }
    }
  };
  for (const e of c.exchanges) {
    if (e.request && e.request.length > 0) send(true, e.request, clientSegment);
    if (e.response && e.response.length > 0) send(false, e.response, serverSegment);
    else if (e.request && e.request.length > 0) push(false, segment(false, TCP_FLAG.ACK, client.seq, undefined, dataOptions(server)));
    if (e.response && e.response.length > 0) push(true, segment(true, TCP_FLAG.ACK, server.seq, undefined, dataOptions(client)));
  }
  if (c.close === 'fin') {
    push(true, segment(true, TCP_FLAG.FIN | TCP_FLAG.ACK, server.seq, undefined, dataOptions(client)));
    client.seq = (client.seq + 1) >>> 0;
    push(false, segment(false, TCP_FLAG.FIN | TCP_FLAG.ACK, client.seq, undefined, dataOptions(server)));
    server.seq = (server.seq + 1) >>> 0;
    push(true, segment(true, TCP_FLAG.ACK, server.seq, undefined, dataOptions(client)));
  } else if (c.close === 'rst') {
    push(true, segment(true, TCP_FLAG.RST | TCP_FLAG.ACK, server.seq, undefined, []));
  }
  return finish(specs, c);
}

function finish(specs: { toServer: boolean; spec: PacketSpec }[], c: ResolvedConnection): LegPacket[] {
  for (const o of c.overrides) {
    if (!Number.isInteger(o.packet) || o.packet < 1 || o.packet > specs.length) {
      throw new CliError(`override for packet ${o.packet}: the connection has packets 1..${specs.length}`, 2);
    }
    applyOverride(specs[o.packet - 1]!.spec, o);
  }
  const out: LegPacket[] = [];
  const dropped = new Set(c.overrides.filter((o) => o.drop).map((o) => o.packet));
  specs.forEach((s, i) => {
    if (dropped.has(i + 1)) return;
    try {
      out.push({ toServer: s.toServer, l3: buildPacket(s.spec) });
    } catch (e) {
      throw new CliError(`packet ${i + 1} of the connection cannot be built: ${(e as Error).message}`, 2);
    }
  });
  return out;
}

function applyOverride(spec: PacketSpec, o: PacketOverride): void {
  const what = `override of packet ${o.packet}`;
  const t = spec.transport;
  if (o.ttl !== undefined) {
    if (spec.ip.version === 4) spec.ip.ttl = o.ttl;
    else spec.ip.hopLimit = o.ttl;
  }
  if (o.payloadText !== undefined) spec.payload = unescapeText(o.payloadText);
  if (o.payloadHex !== undefined) spec.payload = hexValue(o.payloadHex, what);
  if (t.type === 'tcp') {
    if (o.flags !== undefined) t.flags = flagsValue(o.flags, what);
    if (o.optionsHex !== undefined) t.options = hexValue(o.optionsHex, what);
    if (o.window !== undefined) t.windowSize = o.window;
    if (o.sequenceNumber !== undefined) t.sequenceNumber = o.sequenceNumber;
    if (o.acknowledgmentNumber !== undefined) t.acknowledgmentNumber = o.acknowledgmentNumber;
  } else if (o.flags !== undefined || o.optionsHex !== undefined || o.window !== undefined) {
    throw new CliError(`${what}: flags, optionsHex and window apply to TCP packets only`, 2);
  }
}
