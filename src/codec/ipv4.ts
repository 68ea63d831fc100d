/** IPv4 header (RFC 791): field offsets, accessors and fix-ups on raw bytes. */
import { readU16, writeU16 } from './bytes.js';
import { fillIpv4HeaderChecksum, pseudoHeaderV4 } from './checksum.js';

export const IPV4 = Object.freeze({
  VER_IHL: 0,
  TOS: 1,
  TOTAL_LENGTH: 2,
  ID: 4,
  FLAGS_FRAG: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SRC: 12,
  DST: 16,
  MIN_HEADER: 20,
  MAX_HEADER: 60,
  FLAG_DF: 0x4000,
  FLAG_MF: 0x2000,
  FRAG_OFFSET_MASK: 0x1fff,
});

/** IPv4 option types (RFC 791 and the carriers). */
export const IPV4_OPTION = Object.freeze({ EOL: 0, NOP: 1 });

export function ipv4HeaderLength(b: Uint8Array, o: number): number {
  return (b[o + IPV4.VER_IHL]! & 0x0f) * 4;
}
export function ipv4TotalLength(b: Uint8Array, o: number): number {
  return readU16(b, o + IPV4.TOTAL_LENGTH);
}
export function setIpv4TotalLength(b: Uint8Array, o: number, v: number): void {
  writeU16(b, o + IPV4.TOTAL_LENGTH, v);
}
export function ipv4Protocol(b: Uint8Array, o: number): number {
  return b[o + IPV4.PROTOCOL]!;
}
/** True for any fragment: MF set or a non-zero fragment offset. */
export function ipv4IsFragment(b: Uint8Array, o: number): boolean {
  return (readU16(b, o + IPV4.FLAGS_FRAG) & (IPV4.FLAG_MF | IPV4.FRAG_OFFSET_MASK)) !== 0;
}
/** True when this is a non-first fragment (no transport header present). */
export function ipv4IsLaterFragment(b: Uint8Array, o: number): boolean {
  return (readU16(b, o + IPV4.FLAGS_FRAG) & IPV4.FRAG_OFFSET_MASK) !== 0;
}
export function setIpv4HeaderLength(b: Uint8Array, o: number, bytes: number): void {
  b[o + IPV4.VER_IHL] = (b[o + IPV4.VER_IHL]! & 0xf0) | (bytes >>> 2);
}
export function fillIpv4Checksum(b: Uint8Array, o: number): void {
  fillIpv4HeaderChecksum(b, o, ipv4HeaderLength(b, o));
}
/** Pseudo-header sum for the transport of the IPv4 packet at o. */
export function ipv4Pseudo(b: Uint8Array, o: number, protocol: number, l4Length: number): number {
  return pseudoHeaderV4(b, o + IPV4.SRC, o + IPV4.DST, protocol, l4Length);
}
