/**
 * DPVS NAT64 / NAT46 header translation (ip_vs_nat64.c: mbuf_6to4, mbuf_4to6), in place on raw
 * packets. Addresses are supplied by the caller (laddr/rip inbound, vip/client outbound).
 *
 * mbuf_6to4 (IPv6 client -> IPv4 RS): the 40-byte IPv6 header is replaced by a 20-byte IPv4 header
 *   0x45, TOS 0, total length = 20 + payload length, ID 0, DF, TTL = hop limit,
 *   protocol = IPv6 next header. Extension headers are not supported; only TCP, UDP, SCTP,
 *   ICMPv6 and OPP (248) are accepted. The transport moves 20 bytes earlier.
 * mbuf_4to6 (IPv4 RS -> IPv6 client): the IPv4 header (options dropped) is replaced by an IPv6
 *   header with traffic class and flow label 0, hop limit = TTL, next header = protocol,
 *   payload length = total length - IHL*4. The transport moves (40 - IHL*4) bytes later, so the
 *   buffer needs 20 bytes of headroom after the packet.
 * Neither function computes checksums; the caller's checksumEnd does (IPv4 header included).
 */
import { writeU16 } from '../codec/bytes.js';
import { IPPROTO } from '../codec/ipproto.js';
import { IPV4 } from '../codec/ipv4.js';
import { IPV6 } from '../codec/ipv6.js';
import { type PacketLayout } from './l4fix.js';

export type Nat64Status = 'ok' | 'unsupported' | 'wrong-family' | 'no-room';

/** Protocols mbuf_6to4 accepts. */
function nat64Accepts(protocol: number): boolean {
  return (
    protocol === IPPROTO.TCP || protocol === IPPROTO.UDP || protocol === IPPROTO.SCTP || protocol === IPPROTO.ICMPV6 || protocol === IPPROTO.OPP
  );
}

/** mbuf_6to4: IPv6 packet at layout.l3 becomes IPv4 from `source` to `destination` (4 bytes each). */
export function nat64SixToFour(buf: Uint8Array, layout: PacketLayout, source: Uint8Array, destination: Uint8Array): Nat64Status {
  if (layout.af !== 6) return 'wrong-family';
  if (layout.hasExtensionHeaders || !nat64Accepts(layout.protocol)) return 'unsupported';
  const l3 = layout.l3;
  const hopLimit = buf[l3 + IPV6.HOP_LIMIT]!;
  const protocol = layout.protocol;
  const payload = layout.ipLength - IPV6.HEADER;
  const capturedPayload = layout.captured - IPV6.HEADER;
  buf.copyWithin(l3 + IPV4.MIN_HEADER, l3 + IPV6.HEADER, l3 + layout.captured);
  buf[l3 + IPV4.VER_IHL] = 0x45;
  buf[l3 + IPV4.TOS] = 0;
  writeU16(buf, l3 + IPV4.TOTAL_LENGTH, IPV4.MIN_HEADER + payload);
  writeU16(buf, l3 + IPV4.ID, 0);
  writeU16(buf, l3 + IPV4.FLAGS_FRAG, IPV4.FLAG_DF);
  buf[l3 + IPV4.TTL] = hopLimit;
  buf[l3 + IPV4.PROTOCOL] = protocol;
  writeU16(buf, l3 + IPV4.CHECKSUM, 0);
  buf.set(source.subarray(0, 4), l3 + IPV4.SRC);
  buf.set(destination.subarray(0, 4), l3 + IPV4.DST);
  layout.af = 4;
  layout.ipHeaderLength = IPV4.MIN_HEADER;
  layout.ipLength = IPV4.MIN_HEADER + payload;
  layout.captured = IPV4.MIN_HEADER + capturedPayload;
  layout.l4 = l3 + IPV4.MIN_HEADER;
  layout.nextHeaderField = 0;
  return 'ok';
}

/** mbuf_4to6: IPv4 packet at layout.l3 becomes IPv6 from `source` to `destination` (16 bytes each). */
export function nat46FourToSix(buf: Uint8Array, layout: PacketLayout, source: Uint8Array, destination: Uint8Array): Nat64Status {
  if (layout.af !== 4) return 'wrong-family';
  const l3 = layout.l3;
  const ihl = layout.ipHeaderLength;
  const grow = IPV6.HEADER - ihl;
  if (l3 + layout.captured + grow > buf.length) return 'no-room';
  const ttl = buf[l3 + IPV4.TTL]!;
  const protocol = layout.protocol;
  const payload = layout.ipLength - ihl;
  const capturedPayload = layout.captured - ihl;
  buf.copyWithin(l3 + IPV6.HEADER, l3 + ihl, l3 + layout.captured);
  buf[l3] = 0x60;
  buf[l3 + 1] = 0;
  buf[l3 + 2] = 0;
  buf[l3 + 3] = 0;
  writeU16(buf, l3 + IPV6.PAYLOAD_LENGTH, payload);
  buf[l3 + IPV6.NEXT_HEADER] = protocol;
  buf[l3 + IPV6.HOP_LIMIT] = ttl;
  buf.set(source.subarray(0, 16), l3 + IPV6.SRC);
  buf.set(destination.subarray(0, 16), l3 + IPV6.DST);
  layout.af = 6;
  layout.ipHeaderLength = IPV6.HEADER;
  layout.ipLength = IPV6.HEADER + payload;
  layout.captured = IPV6.HEADER + capturedPayload;
  layout.l4 = l3 + IPV6.HEADER;
  layout.hasExtensionHeaders = false;
  layout.nextHeaderField = IPV6.NEXT_HEADER;
  return 'ok';
}
