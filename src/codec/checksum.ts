/**
 * Internet checksum helpers (RFC 1071, RFC 1624), the only place checksums are computed.
 *
 * All functions are pure over (bytes, offset, length) and allocate nothing, so they can run
 * per packet on the hot path.
 */

import { createSimdSummer, SIMD_CALL_MAX, type SimdSummer } from './checksum-simd.js';

export type ChecksumStatus = 'ok' | 'bad' | 'unverified';

/** True on little-endian hosts, where the 32-bit word path of sum16 applies. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Ranges at least this long are summed 4 bytes per load (shorter ones byte by byte). */
const WORD_PATH_MIN = 64;

/**
 * Words per lane block in the word path: each 16-bit lane gains at most 255 per word, so 128
 * words keep both lanes below 2^15 and the lane pair below 2^31 (small-integer arithmetic).
 */
const WORD_BLOCK = 128;

/** Uint32Array over the whole buffer last summed (reader chunks: one view per chunk, not per packet). */
let wordsBuffer: ArrayBufferLike | null = null;
let wordsView: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

/** The native 32-bit words of `buffer` (the view is kept while the same buffer comes back). */
function wordsOf(buffer: ArrayBufferLike): Uint32Array<ArrayBufferLike> {
  if (buffer !== wordsBuffer) {
    wordsBuffer = buffer;
    wordsView = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
  }
  return wordsView;
}

/** Add the 16-bit big-endian words of bytes[start, end) to `acc` (an odd trailing byte is padded with 0). */
export function sum16(bytes: Uint8Array, start: number, end: number, acc = 0): number {
  if (end - start >= WORD_PATH_MIN && LITTLE_ENDIAN) return sum16Words(bytes, start, end, acc);
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

/**
 * sum16 for long ranges, with the identical result: the sum of big-endian words equals
 * 256 × (bytes at an even distance from `start`) + (bytes at an odd distance). Those two byte sums
 * are gathered from aligned native 32-bit loads: `x & 0x00FF00FF` holds the bytes at word offsets
 * 0 and 2 in two 16-bit lanes, `(x >>> 8) & 0x00FF00FF` those at 1 and 3 (little-endian host).
 */
function sum16Words(bytes: Uint8Array, start: number, end: number, acc: number): number {
  const words = wordsOf(bytes.buffer);
  const base = bytes.byteOffset;
  let high = 0; // bytes at an even distance from start (high byte of each word)
  let low = 0; // bytes at an odd distance
  let i = start;
  for (; ((base + i) & 3) !== 0; i++) {
    if (((i - start) & 1) === 0) high += bytes[i]!;
    else low += bytes[i]!;
  }
  const headOdd = ((i - start) & 1) !== 0;
  let w = (base + i) >>> 2;
  const wordEnd = (base + end) >>> 2;
  let lanes02 = 0; // bytes at word offsets 0 and 2
  let lanes13 = 0; // bytes at word offsets 1 and 3
  while (w < wordEnd) {
    const blockEnd = wordEnd - w > WORD_BLOCK ? w + WORD_BLOCK : wordEnd;
    let a = 0;
    let b = 0;
    for (; w + 4 <= blockEnd; w += 4) {
      const x0 = words[w]!;
      const x1 = words[w + 1]!;
      const x2 = words[w + 2]!;
      const x3 = words[w + 3]!;
      a += (x0 & 0xff00ff) + (x1 & 0xff00ff) + (x2 & 0xff00ff) + (x3 & 0xff00ff);
      b += ((x0 >>> 8) & 0xff00ff) + ((x1 >>> 8) & 0xff00ff) + ((x2 >>> 8) & 0xff00ff) + ((x3 >>> 8) & 0xff00ff);
    }
    for (; w < blockEnd; w++) {
      const x = words[w]!;
      a += x & 0xff00ff;
      b += (x >>> 8) & 0xff00ff;
    }
    lanes02 += (a & 0xffff) + (a >>> 16);
    lanes13 += (b & 0xffff) + (b >>> 16);
  }
  if (headOdd) {
    high += lanes13;
    low += lanes02;
  } else {
    high += lanes02;
    low += lanes13;
  }
  for (i = (w << 2) - base; i < end; i++) {
    if (((i - start) & 1) === 0) high += bytes[i]!;
    else low += bytes[i]!;
  }
  return acc + high * 256 + low;
}

/** Words summed before the running total is reduced (keeps every sum below 2^53). */
const CONGRUENT_BLOCK = 1 << 20;

/**
 * A sum with the same fold() as sum16(bytes, start, end, acc), for checks that fold it (verifying a
 * checksum): congruent to it modulo 0xFFFF and zero only when it is zero, but not the same number.
 * Long ranges cost one addition per aligned native 32-bit word: a little-endian word
 * b0 + b1·2^8 + b2·2^16 + b3·2^24 is congruent to b0 + 256·b1 + b2 + 256·b3 (2^16 ≡ 1), which is
 * the big-endian words' share of those bytes when b0 sits at an odd distance from `start`, and
 * 256 times less (256·256 ≡ 1) when it sits at an even one. Ranges of SIMD_MIN bytes or more of a
 * chunk buffer from checksumBuffer (that very object) are summed in place by the SIMD module instead.
 */
export function congruentSum16(bytes: Uint8Array, start: number, end: number, acc = 0): number {
  if (end - start >= SIMD_MIN && arenaViews.length !== 0 && simdUse !== 'off') {
    // one of the chunk buffers in the module memory (the capture reader's, passed as they are): in place
    for (let k = 0; k < arenaViews.length; k++) {
      if (arenaViews[k] === bytes) return acc + simdSumAt(simd!, arenaOffsets[k]! + start, arenaOffsets[k]! + end) * 256;
    }
  }
  if (simdUse === 'on') {
    const summer = simdSummer();
    if (summer !== null) return acc + simdSumCopied(summer, bytes, start, end) * 256;
  }
  if (end - start < WORD_PATH_MIN || !LITTLE_ENDIAN) return sum16(bytes, start, end, acc);
  const words = wordsOf(bytes.buffer);
  const base = bytes.byteOffset;
  let i = start;
  for (; ((base + i) & 3) !== 0; i++) acc += ((i - start) & 1) === 0 ? bytes[i]! << 8 : bytes[i]!;
  const evenStart = ((i - start) & 1) === 0;
  let w = (base + i) >>> 2;
  const wordEnd = (base + end) >>> 2;
  let total = 0;
  while (w < wordEnd) {
    const blockEnd = wordEnd - w > CONGRUENT_BLOCK ? w + CONGRUENT_BLOCK : wordEnd;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (; w + 4 <= blockEnd; w += 4) {
      s0 += words[w]!;
      s1 += words[w + 1]!;
      s2 += words[w + 2]!;
      s3 += words[w + 3]!;
    }
    for (; w < blockEnd; w++) s0 += words[w]!;
    total = reduce16(total) + s0 + s1 + s2 + s3;
  }
  total = reduce16(total);
  acc += evenStart ? total * 256 : total;
  for (i = (w << 2) - base; i < end; i++) acc += ((i - start) & 1) === 0 ? bytes[i]! << 8 : bytes[i]!;
  return acc;
}

/** Ranges at least this long in a chunk buffer of the module memory are summed by the SIMD module. */
const SIMD_MIN = 128;

/** Bytes copied into the module's memory per call in the 'on' test mode (even: every piece starts at an even distance). */
const SIMD_COPY_MAX = 1 << 16;

/**
 * Module memory, fixed (never grown, so views of it stay valid): the copy area (64 KiB), then 14 MiB of
 * room for chunk buffers (checksumBuffer): a capture reader's first buffer and read-ahead ring take up to
 * six buffers of 1.25 MiB (7.5 MiB); a request that no longer fits gets a plain array (summed by the JS
 * path). Pages never
 * written are never touched, but V8 counts the whole memory as external memory: at 32 MiB it pushed the
 * process past V8's external-memory threshold and cost two scavenges and a ~10 ms mark-compact at start
 * (node --trace-gc, decode and strip of bench/out/big.pcap); at 14 MiB neither happens.
 */
const SIMD_PAGES = 1 + 224;

/** First free byte of the chunk-buffer area of the module memory. */
let arenaFree = SIMD_COPY_MAX;

/**
 * The chunk buffers handed out by checksumBuffer and where each starts in the module memory. A range
 * is summed in place when `bytes` is one of these very objects: an identity test costs nothing, where
 * asking any view for its `.buffer` costs a runtime call per packet.
 */
const arenaViews: Uint8Array[] = [];
const arenaOffsets: number[] = [];

/** Ranges summed in place by the module so far (tests: which path a range took). */
let simdSums = 0;

/** Test hook: how many ranges the module has summed in place. */
export function simdSumCount(): number {
  return simdSums;
}

/** The SIMD module, created on first use; null where WebAssembly SIMD or a little-endian host is missing. */
let simd: SimdSummer | null | undefined;

/** 'auto': SIMD for chunk buffers in the module memory only; 'on': also for other bytes, copied in (tests); 'off': never. */
let simdUse: 'auto' | 'on' | 'off' = 'auto';

function simdSummer(): SimdSummer | null {
  if (simd === undefined) simd = LITTLE_ENDIAN ? createSimdSummer(SIMD_PAGES) : null;
  return simd;
}

/**
 * Test hook: sum every range with the SIMD module ('on': bytes outside the module memory are copied
 * in), only chunk buffers in the module memory ('auto', the default), or none ('off': also makes
 * checksumBuffer return plain arrays). Returns whether the module is available.
 */
export function setSimdChecksum(use: 'auto' | 'on' | 'off'): boolean {
  simdUse = use;
  return simdSummer() !== null;
}

/**
 * A zeroed buffer of `length` bytes for data that will be checksummed in large amounts (the capture
 * reader's chunks of a large input): inside the SIMD module's memory while room is left, where
 * congruentSum16 sums ranges of this very object in place; a plain Uint8Array otherwise. The room is
 * never given back.
 */
export function checksumBuffer(length: number): Uint8Array {
  const summer = simdUse === 'off' ? null : simdSummer();
  if (summer === null || length > summer.memory.length - arenaFree) return new Uint8Array(length);
  const buffer = summer.memory.subarray(arenaFree, arenaFree + length);
  arenaViews.push(buffer);
  arenaOffsets.push(arenaFree);
  arenaFree += (length + 63) & ~63; // the next one 64-byte aligned
  return buffer;
}

/** Test hook: a mark of the buffers checksumBuffer has given so far (see releaseChecksumBuffers). */
export function checksumBufferMark(): number {
  return arenaViews.length;
}

/**
 * Test hook: take back the room of every buffer checksumBuffer gave after `mark`, so that many large-input runs
 * in one process each get theirs in the module memory. Those buffers must no longer be in use.
 */
export function releaseChecksumBuffers(mark: number): void {
  if (mark >= arenaViews.length) return;
  const from = arenaOffsets[mark]!;
  simd!.memory.fill(0, from, arenaFree); // checksumBuffer's buffers start zeroed
  arenaFree = from;
  arenaViews.length = mark;
  arenaOffsets.length = mark;
}

/**
 * A zeroed Int32Array of `length` in the module memory while room is left (checksumBuffer's room; for tables
 * the WebAssembly kernels read), else a plain one.
 */
export function moduleInt32Array(length: number): Int32Array {
  const bytes = checksumBuffer(length * 4);
  return moduleMemoryOffset(bytes) < 0 ? new Int32Array(length) : new Int32Array(bytes.buffer, bytes.byteOffset, length);
}

/** Where an array made by moduleInt32Array starts in the module memory, -1 when it is a plain one (or the module is off). */
export function moduleArrayOffset(array: Int32Array): number {
  if (simdUse === 'off' || simd === undefined || simd === null) return -1;
  return array.buffer === simd.memory.buffer ? array.byteOffset : -1;
}

/**
 * Where `buffer` starts in the module memory when it is one of the buffers checksumBuffer gave (that very
 * object), else -1; always -1 while setSimdChecksum('off') is in force.
 */
export function moduleMemoryOffset(buffer: Uint8Array): number {
  if (simdUse === 'off') return -1;
  for (let k = 0; k < arenaViews.length; k++) if (arenaViews[k] === buffer) return arenaOffsets[k]!;
  return -1;
}

/** The SIMD module (its memory and `sum`), or null where it is missing or setSimdChecksum('off') is in force. */
export function simdModule(): SimdSummer | null {
  return simdUse === 'off' ? null : simdSummer();
}

/**
 * Copy src[srcStart, srcEnd) to dst[dstAt, ...) when both are buffers checksumBuffer gave (in the module memory):
 * one copyWithin of the whole memory, where a copy between other arrays takes a view of the source range (an
 * allocation per packet in the rewriters' fast paths). False, with nothing copied, when either is another array.
 */
export function copyInModuleMemory(dst: Uint8Array, dstAt: number, src: Uint8Array, srcStart: number, srcEnd: number): boolean {
  const from = moduleMemoryOffset(src);
  const to = from < 0 ? -1 : moduleMemoryOffset(dst);
  if (to < 0) return false;
  // the whole memory is one array: the bounds of the two views are checked here, as set() would
  if (!(srcStart >= 0 && srcStart <= srcEnd && srcEnd <= src.length && dstAt >= 0 && dstAt + (srcEnd - srcStart) <= dst.length)) {
    throw new RangeError(`copyInModuleMemory: [${srcStart}, ${srcEnd}) of ${src.length} bytes to ${dstAt} of ${dst.length}`);
  }
  simd!.memory.copyWithin(to + dstAt, from + srcStart, from + srcEnd);
  return true;
}

/**
 * A number congruent modulo 0xFFFF to the sum of the little-endian 16-bit words of module memory
 * [from, to), zero only when that sum is: 256 times it is congruent to sum16 (256 × 256 ≡ 1), as a
 * little-endian word b0 + 256·b1 is 256 times less than the big-endian 256·b0 + b1.
 */
function simdSumAt(summer: SimdSummer, from: number, to: number): number {
  simdSums++;
  let total = 0;
  for (let i = from; i < to; i += SIMD_CALL_MAX) total += summer.sum(i, to - i > SIMD_CALL_MAX ? SIMD_CALL_MAX : to - i);
  return total;
}

/** simdSumAt for bytes outside the module memory, copied into its copy area piece by piece. */
function simdSumCopied(summer: SimdSummer, bytes: Uint8Array, start: number, end: number): number {
  let total = 0;
  for (let i = start; i < end; i += SIMD_COPY_MAX) {
    const n = end - i > SIMD_COPY_MAX ? SIMD_COPY_MAX : end - i;
    summer.memory.set(bytes.subarray(i, i + n), 0);
    total += summer.sum(0, n);
  }
  return total;
}

/**
 * A smaller number congruent to `n` (a whole number below 2^53) modulo 0xFFFF, below 2^38, and zero
 * only when `n` is: high and low parts added (2^16 ≡ 1), with no (slow) floating-point remainder.
 */
function reduce16(n: number): number {
  const high = Math.floor(n / 0x10000);
  return high + (n - high * 0x10000);
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
  // the four 16-bit words of the two addresses (sum16 of 4 bytes each, read directly)
  const words =
    ((bytes[srcOffset]! << 8) | bytes[srcOffset + 1]!) +
    ((bytes[srcOffset + 2]! << 8) | bytes[srcOffset + 3]!) +
    ((bytes[dstOffset]! << 8) | bytes[dstOffset + 1]!) +
    ((bytes[dstOffset + 2]! << 8) | bytes[dstOffset + 3]!);
  return words + protocol + l4Length;
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
  return fold(congruentSum16(bytes, l4Offset, l4Offset + l4Length, pseudo)) === 0xffff;
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
