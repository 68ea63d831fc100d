/**
 * PROXY protocol v1/v2 as DPVS inserts it (ip_vs_proxy_proto.c; spec/dpvs.md §7).
 *
 * Header content: family = client family; addresses = client and VIP; ports = cport and vport.
 *   v2: signature, 0x21, family/protocol (0x11 TCP4, 0x21 TCP6, 0x12 UDP4, 0x22 UDP6),
 *       BE address length 12/36, src, dst, sport, dport; 28 or 52 bytes, no TLVs.
 *   v1: "PROXY TCP4|TCP6 <client> <vip> <cport> <vport>\r\n" (at most 107 bytes).
 * The bytes come from the registry's encoders (src/carriers/proxy.ts encodeProxyV1/encodeProxyV2),
 * which write exactly this subset when given no TLVs.
 *
 * The parser here is DPVS's own, deliberately NOT the registry's strict decoders: DPVS replaces
 * any "PROXY ..." line ending in CRLF within 107 bytes and any v2 header whose version nibble is 2
 * and whose declared length fits, even when the registry would reject it as malformed (unknown
 * protocol word, bad command/family nibbles, LOCAL); it also fills a reused object (no allocation).
 * v1 addresses are read with the codec's parseIpv4/parseIpv6 (inet_pton rules: a dotted quad only
 * as the last 32 bits of an IPv6 address).
 */
import { readU16 } from '../codec/bytes.js';
import { parseIpv4, parseIpv6 } from '../codec/addr.js';
import { PROXY_V1, PROXY_V2, encodeProxyV1, encodeProxyV2, looksLikeProxyV1, looksLikeProxyV2 } from '../carriers/proxy.js';
import { closeGap, openGap, type PacketLayout } from './l4fix.js';

export { PROXY_V2_SIGNATURE } from '../carriers/proxy.js';
/** PROXY_PROTO_V1_MAX_DATALEN */
export const PROXY_V1_MAX_LENGTH = PROXY_V1.MAX_LENGTH;
export const PROXY_V2_LENGTH_V4 = PROXY_V2.HEADER + PROXY_V2.ADDRESS_LENGTH_INET;
export const PROXY_V2_LENGTH_V6 = PROXY_V2.HEADER + PROXY_V2.ADDRESS_LENGTH_INET6;

export type ProxyTransport = 'tcp' | 'udp';

/**
 * The DPVS PROXY header of `version` (through the registry's encoders). `source`/`destination`
 * are 4 or 16 bytes of the same family. Allocates the header: called once per connection
 * (the first data segment / first UDP datagram), not per packet.
 */
export function encodeProxyHeader(
  version: 1 | 2,
  transport: ProxyTransport,
  source: Uint8Array,
  destination: Uint8Array,
  sourcePort: number,
  destinationPort: number,
): Uint8Array {
  const fields = {
    clientAddress: source,
    virtualAddress: destination,
    clientPort: sourcePort,
    virtualPort: destinationPort,
    transport: transport === 'tcp' ? 'stream' : 'dgram',
  } as const;
  return version === 2 ? encodeProxyV2(fields) : encodeProxyV1(fields);
}

/** What parseProxyHeader found at the start of a payload. */
export class ProxyHeaderInfo {
  /** 0 when no PROXY header starts here. */
  version: 0 | 1 | 2 = 0;
  /** Header length in bytes. */
  length = 0;
  /** Address family of the addresses (4 or 6), 0 when unknown/unparsed (LOCAL, UNKNOWN, UNIX). */
  af: 0 | 4 | 6 = 0;
  source = new Uint8Array(16);
  destination = new Uint8Array(16);
  sourcePort = 0;
  destinationPort = 0;
}

/**
 * Parse a PROXY v1/v2 header at buf[at, end). Fills `info` (version 0 when none or incomplete).
 * Never throws.
 */
export function parseProxyHeader(buf: Uint8Array, at: number, end: number, info: ProxyHeaderInfo): ProxyHeaderInfo {
  info.version = 0;
  info.length = 0;
  info.af = 0;
  if (end - at >= PROXY_V2.HEADER && looksLikeProxyV2(buf, at, end) && buf[at + PROXY_V2.VERSION_COMMAND]! >>> 4 === PROXY_V2.VERSION) {
    const total = PROXY_V2.HEADER + readU16(buf, at + PROXY_V2.LENGTH);
    if (total > end - at) return info;
    info.version = 2;
    info.length = total;
    const family = buf[at + PROXY_V2.FAMILY_TRANSPORT]! >>> 4;
    const addressLength = family === PROXY_V2.FAMILY_INET ? 4 : family === PROXY_V2.FAMILY_INET6 ? 16 : 0;
    if (addressLength > 0 && total >= PROXY_V2.HEADER + 2 * addressLength + 4) {
      info.af = family === PROXY_V2.FAMILY_INET ? 4 : 6;
      let p = at + PROXY_V2.ADDRESSES;
      info.source.set(buf.subarray(p, p + addressLength));
      p += addressLength;
      info.destination.set(buf.subarray(p, p + addressLength));
      p += addressLength;
      info.sourcePort = readU16(buf, p);
      info.destinationPort = readU16(buf, p + 2);
    }
    return info;
  }
  if (!looksLikeProxyV1(buf, at, end)) return info;
  const limit = Math.min(end, at + PROXY_V1.MAX_LENGTH);
  let crlf = -1;
  for (let i = at; i + 1 < limit; i++) {
    if (buf[i] === 0x0d && buf[i + 1] === 0x0a) {
      crlf = i;
      break;
    }
  }
  if (crlf < 0) return info;
  info.version = 1;
  info.length = crlf + 2 - at;
  let line = '';
  for (let i = at; i < crlf; i++) line += String.fromCharCode(buf[i]!);
  const parts = line.split(' ');
  if (parts.length === 6 && (parts[1] === 'TCP4' || parts[1] === 'TCP6')) {
    const v6 = parts[1] === 'TCP6';
    const src = v6 ? parseIpv6(parts[2]!) : parseIpv4(parts[2]!);
    const dst = v6 ? parseIpv6(parts[3]!) : parseIpv4(parts[3]!);
    const sp = Number(parts[4]);
    const dp = Number(parts[5]);
    if (src && dst && Number.isInteger(sp) && Number.isInteger(dp) && sp >= 0 && sp <= 65535 && dp >= 0 && dp <= 65535) {
      info.af = v6 ? 6 : 4;
      info.source.set(src);
      info.destination.set(dst);
      info.sourcePort = sp;
      info.destinationPort = dp;
    }
  }
  return info;
}

/**
 * Replace `oldLength` bytes at the start of the transport payload (offset `payloadAt`) with
 * `header`. Lengths follow (IP length; the caller fixes a UDP length). Returns new - old.
 * The caller guarantees the buffer has room for the growth.
 */
export function insertProxyProtocol(buf: Uint8Array, layout: PacketLayout, payloadAt: number, header: Uint8Array, oldLength = 0): number {
  const room = header.length - oldLength;
  if (room > 0) openGap(buf, layout, payloadAt, room);
  else if (room < 0) closeGap(buf, layout, payloadAt, -room);
  buf.set(header, payloadAt);
  return room;
}
