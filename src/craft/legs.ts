/**
 * Leg building: the backend leg (LIP ↔ RS) from the client leg, through the DPVS full-NAT model
 * (src/dpvs/fnat.ts) exactly as `toa inject-toa --fnat` does: client→VIP packets through
 * fnatInbound (TOA / UOA / PROXY, pruning, seq/ack translation, NAT64), VIP→client packets
 * through fnatOutboundInverse (the RS→LIP packet DPVS turned into them). Standalone packets DPVS
 * sends first (UOA, PROXY) come out before the packet that caused them. IP-layer carriers (TTGW)
 * are added after translation: an IPv4 option (first option) or an IPv6 destination-options header
 * right after the fixed header; neither changes the transport checksum (the pseudo-header is the same).
 *
 * Also: wrapping an IP packet in a link header (linkHeader), for both legs.
 */
import { buildPacket, DEFAULT_DESTINATION_MAC, DEFAULT_SOURCE_MAC, type LinkSpec } from '../codec/build.js';
import { fillIpv4HeaderChecksum } from '../codec/checksum.js';
import { CliError } from '../codec/errors.js';
import { IPV4 } from '../codec/ipv4.js';
import { IPV6, IPV6_EXT } from '../codec/ipv6.js';
import { SLL_PACKET_TYPE } from '../codec/link.js';
import { readU16, writeU16 } from '../codec/bytes.js';
import { createFnatConnection, FnatResult, fnatInbound, fnatOutboundInverse, type FnatConnection } from '../dpvs/fnat.js';
import type { CarrierPlan } from './carrier.js';
import type { LegPacket } from './connection.js';

/** Spare room after each packet for the model (fnat.ts buffer contract: 128; PROXY v1 + NAT64 fit). */
const HEADROOM = 256;

export interface BackendParameters {
  client: Uint8Array;
  clientPort: number;
  vip: Uint8Array;
  vipPort: number;
  lip: Uint8Array;
  lipPort: number;
  rs: Uint8Array;
  rsPort: number;
  fnatIsn: number;
  plan: CarrierPlan;
  mtu: number;
}

/** One backend-leg packet; `extra` marks a standalone packet DPVS sends before the next one. */
export interface BackendPacket {
  toServer: boolean;
  l3: Uint8Array;
  extra: boolean;
}

export function createBackendConnection(p: BackendParameters): FnatConnection {
  const plan = p.plan;
  return createFnatConnection({
    client: p.client.slice(),
    clientPort: p.clientPort,
    vip: p.vip,
    vipPort: p.vipPort,
    local: p.lip,
    localPort: p.lipPort,
    real: p.rs,
    realPort: p.rsPort,
    fnatIsn: p.fnatIsn,
    toaWhen: plan.type === 'toa' ? plan.when : 'off',
    uoaMode: plan.type === 'uoa' ? plan.mode : 'off',
    proxyProtocol: plan.type === 'proxy' ? plan.version : 0,
  });
}

/** The backend leg of one connection's client leg. */
export function buildBackendLeg(client: LegPacket[], p: BackendParameters): BackendPacket[] {
  const conn = createBackendConnection(p);
  const result = new FnatResult();
  const out: BackendPacket[] = [];
  const carrier = p.plan.type === 'toa' ? p.plan.option : null;
  const opts = { mtu: p.mtu, carrier, when: p.plan.type === 'toa' ? p.plan.when : 'off' as const };
  client.forEach((packet, index) => {
    const len = packet.l3.length;
    const buf = new Uint8Array(len + HEADROOM);
    buf.set(packet.l3);
    const r = packet.toServer ? fnatInbound(conn, buf, 0, len, opts, result) : fnatOutboundInverse(conn, buf, 0, len, {}, result);
    if (r.status !== 'ok') throw new CliError(`packet ${index + 1} of the connection could not go through the full-NAT model: ${r.status}`, 1);
    if (r.standaloneLength > 0) out.push({ toServer: packet.toServer, l3: r.standalone.slice(), extra: true });
    let l3: Uint8Array = buf.subarray(0, r.newLength);
    if (packet.toServer && p.plan.type === 'ip') l3 = insertIpCarrier(l3, p.plan.bytes, p.plan.where);
    out.push({ toServer: packet.toServer, l3: l3.slice(), extra: false });
  });
  return out;
}

/**
 * Insert an IP-layer carrier: IPv4 option bytes (a multiple of 4) as the first option, or a whole
 * IPv6 destination-options header right after the fixed header. Lengths and the IPv4 header
 * checksum are fixed; the transport checksum is unchanged. Returns a new array.
 */
export function insertIpCarrier(l3: Uint8Array, bytes: Uint8Array, where: 'ipv4-option' | 'ipv6-dstopt'): Uint8Array {
  const out = new Uint8Array(l3.length + bytes.length);
  if (where === 'ipv4-option') {
    const headerLength = (l3[IPV4.VER_IHL]! & 0x0f) * 4;
    if (bytes.length % 4 !== 0 || headerLength + bytes.length > IPV4.MAX_HEADER) {
      throw new CliError(`an IPv4 option of ${bytes.length} bytes does not fit in a ${headerLength}-byte header`, 1);
    }
    out.set(l3.subarray(0, IPV4.MIN_HEADER), 0);
    out.set(bytes, IPV4.MIN_HEADER);
    out.set(l3.subarray(IPV4.MIN_HEADER), IPV4.MIN_HEADER + bytes.length);
    out[IPV4.VER_IHL] = 0x40 | ((headerLength + bytes.length) >>> 2);
    writeU16(out, IPV4.TOTAL_LENGTH, readU16(l3, IPV4.TOTAL_LENGTH) + bytes.length);
    writeU16(out, IPV4.CHECKSUM, 0);
    fillIpv4HeaderChecksum(out, 0, headerLength + bytes.length);
    return out;
  }
  out.set(l3.subarray(0, IPV6.HEADER), 0);
  out.set(bytes, IPV6.HEADER);
  out[IPV6.HEADER] = l3[IPV6.NEXT_HEADER]!;
  out[IPV6.NEXT_HEADER] = IPV6_EXT.DEST_OPTS;
  out.set(l3.subarray(IPV6.HEADER), IPV6.HEADER + bytes.length);
  writeU16(out, IPV6.PAYLOAD_LENGTH, readU16(l3, IPV6.PAYLOAD_LENGTH) + bytes.length);
  return out;
}

export interface LinkEnds {
  clientMac: Uint8Array;
  serverMac: Uint8Array;
}

/**
 * The link header for an IP packet of `version` going toward the server (or back). Ethernet:
 * client MAC → server MAC toward the server, the other way back. SLL/SLL2: packet type "to us"
 * toward the server, "outgoing" back, address = the sender's MAC.
 */
export function linkHeader(link: LinkSpec, version: 4 | 6, toServer: boolean, ends: LinkEnds): Uint8Array {
  const source = toServer ? ends.clientMac : ends.serverMac;
  const destination = toServer ? ends.serverMac : ends.clientMac;
  let spec: LinkSpec;
  switch (link.type) {
    case 'ethernet':
      spec = { ...link, source, destination };
      break;
    case 'sll':
    case 'sll2':
      spec = { ...link, packetType: toServer ? SLL_PACKET_TYPE.HOST : SLL_PACKET_TYPE.OUTGOING, address: source };
      break;
    default:
      spec = link;
  }
  // build a bare IP header behind the link header and keep only the link part
  const ipLength = version === 4 ? IPV4.MIN_HEADER : IPV6.HEADER;
  const frame = buildPacket({
    link: spec,
    ip: version === 4 ? { version: 4, source: new Uint8Array(4), destination: new Uint8Array(4) } : { version: 6, source: new Uint8Array(16), destination: new Uint8Array(16) },
    transport: { type: 'raw', protocol: 59 },
  });
  return frame.subarray(0, frame.length - ipLength);
}

export const DEFAULT_LINK_ENDS: LinkEnds = { clientMac: DEFAULT_SOURCE_MAC, serverMac: DEFAULT_DESTINATION_MAC };

/** Link header + IP packet. */
export function frame(header: Uint8Array, l3: Uint8Array): Uint8Array {
  const out = new Uint8Array(header.length + l3.length);
  out.set(header, 0);
  out.set(l3, header.length);
  return out;
}
