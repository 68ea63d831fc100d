/**
 * Internet checksum helpers (RFC 1071, RFC 1624), the only place checksums are computed.
 *
 * All functions are pure over (bytes, offset, length) and allocate nothing, so they can run
 * per packet on the hot path.
 */

export type ChecksumStatus = 'ok' | 'bad' | 'unverified';

/** Add the 16-bit big-endian words of bytes[start, end) to `acc` (an odd trailing byte is padded with 0). */
export function sum16(bytes: Uint8Array, start: number, end: number, acc = 0): number {
  let i = start;
  const evenEnd = end - ((end - start) & 1);
  // Unrolled by 8 bytes; the accumulator stays well below 2^53 for any packet size.
  for (; i + 8 <= evenEnd; i += 8) {
    acc +=
      ((bytes[i]! << 8) | bytes[i + 1]!) +
      ((bytes[i + 2]! << 8) | bytes[i + 3]!) +
      ((bytes[i + 4]! << 8) | bytes[i + 5]!) +
      ((bytes[i + 6]! << 8) | bytes[i + 7]!);
  }
  for (; i < evenEnd; i += 2) acc += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) acc += bytes[i]! << 8;
  return acc;
}

/** Fold a running sum to 16 bits (ones' complement addition). */
export function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return acc;
}

/** Ones' complement of the folded sum: the value to store in a checksum field. */
export function finish(acc: number): number {
  return ~fold(acc) & 0xffff;
}

/**
 * Sum of the IPv4 pseudo-header: source and destination addresses taken from the packet
 * (4 bytes each at srcOffset and dstOffset), protocol and upper-layer length.
 */
export function pseudoHeaderV4(bytes: Uint8Array, srcOffset: number, dstOffset: number, protocol: number, l4Length: number): number {
  let acc = sum16(bytes, srcOffset, srcOffset + 4);
  acc = sum16(bytes, dstOffset, dstOffset + 4, acc);
  return acc + protocol + l4Length;
}

/** Sum of the IPv6 pseudo-header (RFC 8200 §8.1): 16-byte addresses, 32-bit length, next header. */
export function pseudoHeaderV6(bytes: Uint8Array, srcOffset: number, dstOffset: number, nextHeader: number, l4Length: number): number {
  let acc = sum16(bytes, srcOffset, srcOffset + 16);
  acc = sum16(bytes, dstOffset, dstOffset + 16, acc);
  return acc + Math.floor(l4Length / 0x10000) + (l4Length & 0xffff) + nextHeader;
}

/** Checksum of an IPv4 header at `offset` of `headerLength` bytes, with its checksum field treated as zero. */
export function ipv4HeaderChecksum(bytes: Uint8Array, offset: number, headerLength: number): number {
  let acc = sum16(bytes, offset, offset + 10);
  acc = sum16(bytes, offset + 12, offset + headerLength, acc);
  return finish(acc);
}

/** Compute and store the IPv4 header checksum in place. */
export function fillIpv4HeaderChecksum(bytes: Uint8Array, offset: number, headerLength: number): void {
  const c = ipv4HeaderChecksum(bytes, offset, headerLength);
  bytes[offset + 10] = c >>> 8;
  bytes[offset + 11] = c & 0xff;
}

/** True when the IPv4 header at `offset` sums to 0xFFFF including its checksum field. */
export function verifyIpv4HeaderChecksum(bytes: Uint8Array, offset: number, headerLength: number): boolean {
  return fold(sum16(bytes, offset, offset + headerLength)) === 0xffff;
}

/**
 * Transport checksum (TCP, UDP, ICMPv6, ...) over pseudo-header sum `pseudo` and the segment
 * bytes[l4Offset, l4Offset+l4Length), with the checksum field at l4Offset+checksumField treated as zero.
 */
export function transportChecksum(bytes: Uint8Array, l4Offset: number, l4Length: number, checksumField: number, pseudo: number): number {
  const fieldAt = l4Offset + checksumField;
  let acc = sum16(bytes, l4Offset, fieldAt, pseudo);
  acc = sum16(bytes, fieldAt + 2, l4Offset + l4Length, acc);
  // fieldAt - l4Offset is even for every protocol we handle, so word alignment is kept.
  return finish(acc);
}

/** True when the segment plus pseudo-header sums to 0xFFFF including the stored checksum. */
export function verifyTransportChecksum(bytes: Uint8Array, l4Offset: number, l4Length: number, pseudo: number): boolean {
  return fold(sum16(bytes, l4Offset, l4Offset + l4Length, pseudo)) === 0xffff;
}

/** UDP maps a computed 0 to 0xFFFF (RFC 768), because 0 means "no checksum". */
export function udpChecksumValue(computed: number): number {
  return computed === 0 ? 0xffff : computed;
}

/**
 * RFC 1624 eqn. 3 incremental update: HC' = ~(~HC + ~m + m'), for one 16-bit word changing from m to m'.
 */
export function incrementalUpdate16(checksum: number, oldWord: number, newWord: number): number {
  const acc = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~fold(acc) & 0xffff;
}

/**
 * Incremental update for a change of a whole byte range: old and new sums (sum16 of the
 * old and new bytes, aligned to the same word parity) replace each other in the checksum.
 * Used when options are inserted or removed in a packet whose payload was cut by snaplen.
 */
export function incrementalUpdateSums(checksum: number, oldSum: number, newSum: number): number {
  const acc = (~checksum & 0xffff) + (~fold(oldSum) & 0xffff) + fold(newSum);
  return ~fold(acc) & 0xffff;
}
