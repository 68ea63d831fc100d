/**
 * Word-wise writers for the hot path of `decode --json`, on a DataView of the ByteWriter's buffer.
 *
 * Constant text is kept as 8-byte words (a Float64Array over the ASCII bytes, zero-padded) and
 * copied with one DataView.setFloat64 per word: bytes below 0x80 never form a NaN, so every word
 * goes through a double unchanged. Numbers are written 4 digits per DataView.setUint32 from tables.
 * Both may write up to 7 bytes past the returned position: the caller reserves room first
 * (`JsonView.at`) and later writes overwrite those bytes; nothing past `position` is ever output.
 */
import type { ByteWriter } from './writer.js';

/** Room every `JsonView.at` call guarantees after the position. */
export const VIEW_RESERVE = 8192;

/** Constant ASCII text as zero-padded 8-byte words. */
export class Fragment {
  readonly words: Float64Array;
  readonly length: number;

  constructor(text: string) {
    const n = text.length;
    this.length = n;
    this.words = new Float64Array((n + 7) >>> 3);
    const bytes = new Uint8Array(this.words.buffer);
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) throw new Error(`Fragment: non-ASCII character in ${JSON.stringify(text)}`);
      bytes[i] = c;
    }
  }
}

/** Whether every character of `s` is ASCII (so `new Fragment(s)` is allowed). */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** Copy `f` to `p`; returns the position after it. */
export function put(dv: DataView, p: number, f: Fragment): number {
  const words = f.words;
  const n = words.length;
  for (let i = 0; i < n; i++) dv.setFloat64(p + 8 * i, words[i]!, true);
  return p + f.length;
}

/** Four digits of 0..9999, zero-padded, as a little-endian word. */
const PADDED4 = new Uint32Array(10000);
/** Digits of 0..9999 without leading zeros, left-aligned in a little-endian word. */
const LEFT4 = new Uint32Array(10000);
/** Digit count of 0..9999. */
const DIGITS4 = new Uint8Array(10000);
for (let v = 0; v < 10000; v++) {
  const padded = String(v).padStart(4, '0');
  const plain = String(v);
  let word = 0;
  for (let i = 0; i < 4; i++) word |= padded.charCodeAt(i) << (8 * i);
  PADDED4[v] = word >>> 0;
  word = 0;
  for (let i = 0; i < plain.length; i++) word |= plain.charCodeAt(i) << (8 * i);
  LEFT4[v] = word >>> 0;
  DIGITS4[v] = plain.length;
}

/** Write a string of ASCII characters (numbers' String(n), names); returns the new position. */
export function putAscii(dv: DataView, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) dv.setUint8(p + i, s.charCodeAt(i));
  return p + s.length;
}

/**
 * Write `n` as ByteWriter.uint does (decimal digits for whole numbers, String(n) for anything
 * else); returns the new position.
 */
export function putUint(dv: DataView, p: number, n: number): number {
  if (n < 10000 && n >= 0 && (n | 0) === n) {
    dv.setUint32(p, LEFT4[n]!, true);
    return p + DIGITS4[n]!;
  }
  if (n < 100000000 && n >= 0 && (n | 0) === n) {
    const high = (n / 10000) | 0;
    dv.setUint32(p, LEFT4[high]!, true);
    p += DIGITS4[high]!;
    dv.setUint32(p, PADDED4[n - high * 10000]!, true);
    return p + 4;
  }
  if (n < 1000000000000 && n >= 0 && Math.floor(n) === n) {
    const high = Math.floor(n / 100000000);
    const rest = n - high * 100000000;
    const middle = (rest / 10000) | 0;
    dv.setUint32(p, LEFT4[high]!, true);
    p += DIGITS4[high]!;
    dv.setUint32(p, PADDED4[middle]!, true);
    dv.setUint32(p + 4, PADDED4[rest - middle * 10000]!, true);
    return p + 8;
  }
  // larger whole numbers are their decimal digits too; String(-0) is "0" like ByteWriter.uint
  return putAscii(dv, p, String(n));
}

/** Write 0 ≤ n < 10^9 (a whole number) as exactly 9 digits; returns the new position. */
export function putNine(dv: DataView, p: number, n: number): number {
  const high = (n / 100000000) | 0;
  const rest = n - high * 100000000;
  const middle = (rest / 10000) | 0;
  dv.setUint8(p, 48 + high);
  dv.setUint32(p + 1, PADDED4[middle]!, true);
  dv.setUint32(p + 5, PADDED4[rest - middle * 10000]!, true);
  return p + 9;
}

/** Write `n` left-padded with zeros to 9 digits exactly as ByteWriter.padded(n, 9) does, for any number. */
export function putPaddedNine(dv: DataView, p: number, n: number): number {
  if (n >= 0 && n < 1000000000 && (n | 0) === n) return putNine(dv, p, n);
  for (let i = 8; i >= 0; i--) {
    const q = Math.floor(n / 10);
    dv.setUint8(p + i, 48 + (n - q * 10));
    n = q;
  }
  return p + 9;
}

/** Dotted-quad part per byte value: the digits and a '.', left-aligned in a word; DIGITS4 has the count. */
const OCTET_DOT = new Uint32Array(256);
for (let v = 0; v < 256; v++) OCTET_DOT[v] = (LEFT4[v]! | (46 << (8 * DIGITS4[v]!))) >>> 0;

/** Write the dotted quad of data[offset, offset + 4); returns the new position. */
export function putIpv4(dv: DataView, p: number, data: Uint8Array, offset: number): number {
  let v = data[offset]!;
  dv.setUint32(p, OCTET_DOT[v]!, true);
  p += DIGITS4[v]! + 1;
  v = data[offset + 1]!;
  dv.setUint32(p, OCTET_DOT[v]!, true);
  p += DIGITS4[v]! + 1;
  v = data[offset + 2]!;
  dv.setUint32(p, OCTET_DOT[v]!, true);
  p += DIGITS4[v]! + 1;
  v = data[offset + 3]!;
  dv.setUint32(p, LEFT4[v]!, true);
  return p + DIGITS4[v]!;
}

/** Two lower-case hex digits per byte value, as a little-endian 16-bit word. */
const HEX_PAIRS = new Uint16Array(256);
for (let v = 0; v < 256; v++) {
  const s = v.toString(16).padStart(2, '0');
  HEX_PAIRS[v] = s.charCodeAt(0) | (s.charCodeAt(1) << 8);
}

/** Write lower-case hex of data[start, end); returns the new position. */
export function putHex(dv: DataView, p: number, data: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++, p += 2) dv.setUint16(p, HEX_PAIRS[data[i]!]!, true);
  return p;
}

/** A DataView of a ByteWriter's current buffer (made again when the buffer grows). */
export class JsonView {
  private buffer: Uint8Array | null = null;
  private dv: DataView = new DataView(new ArrayBuffer(0));

  /** Reserve `VIEW_RESERVE + extra` bytes after `w.position` and return the view of w's buffer. */
  at(w: ByteWriter, extra = 0): DataView {
    w.reserve(VIEW_RESERVE + extra);
    const b = w.buffer;
    if (b !== this.buffer) {
      this.buffer = b;
      this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    return this.dv;
  }
}
