/**
 * DPVS UOA (UDP Option of Address; ip_vs_proto_udp.c, include/uoa.h; spec/dpvs.md §6) on raw packets.
 *
 * Option (struct ipopt_uoa): kind 31, length 8 (IPv4 client) or 20 (IPv6 client), port BE, address.
 * ipo mode: the option goes right after the fixed 20-byte IPv4 header (before existing options);
 *   IHL += 2, total length += 8. Standalone when IHL*4 + 8 > 60 or length + 8 > MTU.
 * opp mode: a 4-byte shim (version nibble 1/2, next protocol, BE length 4 + optlen) plus the option
 *   between the IP header and UDP; IPv4 protocol / IPv6 next header = 248. Standalone when IPv6 has
 *   extension headers or length + 4 + optlen > MTU.
 * Insertion runs before address translation (the caller's order), so it carries the original source.
 */
import { writeU16 } from '../codec/bytes.js';
import { finish, fillIpv4HeaderChecksum, pseudoHeaderV6, sum16 } from '../codec/checksum.js';
import { IPPROTO } from '../codec/ipproto.js';
import { IPV4 } from '../codec/ipv4.js';
import { IPV6 } from '../codec/ipv6.js';
import { UDP } from '../codec/udp.js';
import { writeIpv4OptionCarrier } from '../carriers/ip-option.js';
import { writeOppHeader } from '../carriers/opp.js';
import { OPP } from '../carriers/registry.js';
import { openGap, type PacketLayout } from './l4fix.js';

/** IPOPT_UOA */
export const UOA_OPTION_KIND = OPP.OPTION_TYPE;
export const UOA_LENGTH_V4 = 8;
export const UOA_LENGTH_V6 = 20;
/** OPPHDR_IPV4 / OPPHDR_IPV6 in the high nibble of the shim's byte 0. */
export const OPP_VERSION_V4 = OPP.VERSION_IPV4;
export const OPP_VERSION_V6 = OPP.VERSION_IPV6;
export const OPP_HEADER_LENGTH = OPP.HEADER;

export type UoaMode = 'ipo' | 'opp';
export type UoaStatus = 'inserted' | 'standalone' | 'skipped' | 'no-room';

// The option and shim bytes are written by the registry's allocation-free writers
// (writeIpv4OptionCarrier 'uoa-ipo', writeOppHeader), the same bytes encodeIpv4OptionCarrier
// and encodeOppHeader return.

/**
 * insert_ipopt_uoa: IPv4 client and IPv4 packet only. Returns 'skipped' for an IPv6 client or
 * packet (DPVS still counts it as sent), 'standalone' when it does not fit.
 */
export function insertUoaIpo(buf: Uint8Array, layout: PacketLayout, port: number, address: Uint8Array, mtu: number): UoaStatus {
  if (layout.af !== 4 || address.length !== 4) return 'skipped';
  if (layout.ipHeaderLength + UOA_LENGTH_V4 > IPV4.MAX_HEADER || layout.ipLength + UOA_LENGTH_V4 > mtu) return 'standalone';
  if (layout.end + UOA_LENGTH_V4 > buf.length) return 'no-room';
  const at = layout.l3 + IPV4.MIN_HEADER;
  openGap(buf, layout, at, UOA_LENGTH_V4);
  writeIpv4OptionCarrier(buf, at, 'uoa-ipo', port, address);
  layout.ipHeaderLength += UOA_LENGTH_V4;
  layout.l4 += UOA_LENGTH_V4;
  buf[layout.l3 + IPV4.VER_IHL] = 0x40 | (layout.ipHeaderLength >>> 2);
  return 'inserted';
}

/**
 * insert_opp_uoa: shim + option between the IP header and the transport. On success the IP
 * protocol / next header becomes 248 and layout.l4 points at the SHIM; the UDP header follows
 * it at layout.l4 + 4 + option length (12 or 24 bytes after the shim start).
 */
export function insertUoaOpp(buf: Uint8Array, layout: PacketLayout, port: number, address: Uint8Array, mtu: number): UoaStatus {
  const optionLength = address.length === 16 ? UOA_LENGTH_V6 : UOA_LENGTH_V4;
  const shimLength = OPP_HEADER_LENGTH + optionLength;
  if (layout.af === 6 && layout.hasExtensionHeaders) return 'standalone';
  if (layout.ipLength + shimLength > mtu) return 'standalone';
  if (layout.end + shimLength > buf.length) return 'no-room';
  const at = layout.l4;
  const protocol = layout.protocol;
  openGap(buf, layout, at, shimLength);
  writeOppHeader(buf, at, protocol, port, address);
  if (layout.af === 4) buf[layout.l3 + IPV4.PROTOCOL] = IPPROTO.OPP;
  else buf[layout.l3 + layout.nextHeaderField] = IPPROTO.OPP;
  layout.protocol = IPPROTO.OPP;
  return 'inserted';
}

/** Fields of the original packet the standalone UOA packet copies. */
export interface StandaloneUoaSpec {
  mode: UoaMode;
  /** Outer (RS-side) source and destination: laddr and rip, 4 or 16 bytes. */
  source: Uint8Array;
  destination: Uint8Array;
  sourcePort: number;
  destinationPort: number;
  clientPort: number;
  clientAddress: Uint8Array;
  /** IPv4: TOS and TTL of the original, and the new ID (ip4_select_id; not reproducible, so given). */
  tos: number;
  ttl: number;
  id: number;
  /** IPv6: the original's first 4 bytes (version, traffic class, flow label) and hop limit (ttl). */
  versionClassFlow: number;
}

/**
 * send_standalone_uoa: an empty-payload UDP packet carrying the UOA, sent before the original.
 * Written at out[offset]; returns its length. IPv4: frag_off 0, UDP checksum 0.
 * IPv6 (opp only): UDP checksum computed with UDP length 8 and next header 17.
 */
export function buildStandaloneUoa(out: Uint8Array, offset: number, spec: StandaloneUoaSpec): number {
  const v4 = spec.source.length === 4;
  let at: number;
  if (v4) {
    const ipo = spec.mode === 'ipo';
    const headerLength = ipo ? IPV4.MIN_HEADER + UOA_LENGTH_V4 : IPV4.MIN_HEADER;
    out[offset] = 0x40 | (headerLength >>> 2);
    out[offset + IPV4.TOS] = spec.tos;
    writeU16(out, offset + IPV4.ID, spec.id);
    writeU16(out, offset + IPV4.FLAGS_FRAG, 0);
    out[offset + IPV4.TTL] = spec.ttl;
    out[offset + IPV4.PROTOCOL] = ipo ? IPPROTO.UDP : IPPROTO.OPP;
    out.set(spec.source, offset + IPV4.SRC);
    out.set(spec.destination, offset + IPV4.DST);
    at = offset + IPV4.MIN_HEADER;
    if (ipo) at += writeIpv4OptionCarrier(out, at, 'uoa-ipo', spec.clientPort, spec.clientAddress);
    else at += writeOppHeader(out, at, IPPROTO.UDP, spec.clientPort, spec.clientAddress);
    writeU16(out, at + UDP.SRC_PORT, spec.sourcePort);
    writeU16(out, at + UDP.DST_PORT, spec.destinationPort);
    writeU16(out, at + UDP.LENGTH, UDP.HEADER);
    writeU16(out, at + UDP.CHECKSUM, 0);
    const total = at + UDP.HEADER - offset;
    writeU16(out, offset + IPV4.TOTAL_LENGTH, total);
    fillIpv4HeaderChecksum(out, offset, headerLength);
    return total;
  }
  out[offset] = (spec.versionClassFlow >>> 24) & 0xff;
  out[offset + 1] = (spec.versionClassFlow >>> 16) & 0xff;
  out[offset + 2] = (spec.versionClassFlow >>> 8) & 0xff;
  out[offset + 3] = spec.versionClassFlow & 0xff;
  out[offset] = 0x60 | (out[offset]! & 0x0f);
  out[offset + IPV6.NEXT_HEADER] = IPPROTO.OPP;
  out[offset + IPV6.HOP_LIMIT] = spec.ttl;
  out.set(spec.source, offset + IPV6.SRC);
  out.set(spec.destination, offset + IPV6.DST);
  at = offset + IPV6.HEADER;
  at += writeOppHeader(out, at, IPPROTO.UDP, spec.clientPort, spec.clientAddress);
  writeU16(out, at + UDP.SRC_PORT, spec.sourcePort);
  writeU16(out, at + UDP.DST_PORT, spec.destinationPort);
  writeU16(out, at + UDP.LENGTH, UDP.HEADER);
  writeU16(out, at + UDP.CHECKSUM, 0);
  const pseudo = pseudoHeaderV6(out, offset + IPV6.SRC, offset + IPV6.DST, IPPROTO.UDP, UDP.HEADER);
  const c = finish(sum16(out, at, at + UDP.HEADER, pseudo));
  writeU16(out, at + UDP.CHECKSUM, c === 0 ? 0xffff : c);
  const total = at + UDP.HEADER - offset;
  writeU16(out, offset + IPV6.PAYLOAD_LENGTH, total - IPV6.HEADER);
  return total;
}
