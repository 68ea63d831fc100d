/** IPv6 fixed header (RFC 8200): field offsets and accessors on raw bytes. */
import { readU16, writeU16 } from './bytes.js';
import { pseudoHeaderV6 } from './checksum.js';

export const IPV6 = Object.freeze({
  VER_TC_FLOW: 0,
  PAYLOAD_LENGTH: 4,
  NEXT_HEADER: 6,
  HOP_LIMIT: 7,
  SRC: 8,
  DST: 24,
  HEADER: 40,
});

/** Next-header values of the extension headers we walk. */
export const IPV6_EXT = Object.freeze({
  HOP_BY_HOP: 0,
  ROUTING: 43,
  FRAGMENT: 44,
  ESP: 50,
  AUTH: 51,
  NO_NEXT: 59,
  DEST_OPTS: 60,
  MOBILITY: 135,
});

export function ipv6PayloadLength(b: Uint8Array, o: number): number {
  return readU16(b, o + IPV6.PAYLOAD_LENGTH);
}
export function setIpv6PayloadLength(b: Uint8Array, o: number, v: number): void {
  writeU16(b, o + IPV6.PAYLOAD_LENGTH, v);
}
/** Pseudo-header sum for a transport in the IPv6 packet at o (addresses from the fixed header). */
export function ipv6Pseudo(b: Uint8Array, o: number, nextHeader: number, l4Length: number): number {
  return pseudoHeaderV6(b, o + IPV6.SRC, o + IPV6.DST, nextHeader, l4Length);
}
