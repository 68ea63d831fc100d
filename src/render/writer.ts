/**
 * ByteWriter: the renderers' output buffer. Text is written as bytes straight into a growable
 * Uint8Array (digits of numbers, dotted quads, hex) so the hot path builds no intermediate
 * strings and needs no separate UTF-8 encoding pass. The owner drains `buffer[0, position)`
 * (e.g. to a BufferedOutput) and resets `position` to 0.
 *
 * Every method checks the capacity itself; strings with non-ASCII characters are UTF-8 encoded.
 */

const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/*
 * Positional writers for the hot paths. Each writes at `p` through a DataView of the writer's buffer
 * (ByteWriter.view) and returns the position after what it wrote, so a renderer keeps the position in
 * a local variable. They store whole 4- or 8-byte words, so they may also write up to 7 bytes past
 * the returned position: the caller reserves the documented room first (ByteWriter.reserve), stores
 * the final position back into the writer, and later writes overwrite those bytes (nothing past
 * `position` is ever output).
 */

/** Four digits of 0..9999, zero-padded, as a little-endian word. */
const PADDED4 = new Uint32Array(10000);
/** The digits of 0..9999 without leading zeros, left-aligned in a little-endian word. */
const LEFT4 = new Uint32Array(10000);
/** Digit count of 0..9999. */
const DIGITS4 = new Uint8Array(10000);
// One digit character per loop, no divisions: this runs at start-up in the interpreter, where the
// division form (digit = (v / 1000) | 0 ...) took 4-7 ms and this one 0.5 ms (node 20, 2026-12-07).
for (let v = 0, d0 = 48; d0 < 58; d0++) {
  for (let d1 = 48; d1 < 58; d1++) {
    for (let d2 = 48; d2 < 58; d2++) {
      for (let d3 = 48; d3 < 58; d3++, v++) {
        const word = d0 | (d1 << 8) | (d2 << 16) | (d3 << 24); // below 2^31: '9' is 0x39
        const digits = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : 4;
        PADDED4[v] = word;
        DIGITS4[v] = digits;
        LEFT4[v] = word >>> (8 * (4 - digits)); // drop the leading zeros
      }
    }
  }
}

/** Room putU32 needs after `p` (10 digits and the rest of a word). */
export const U32_ROOM = 16;

/**
 * The decimal digits of the 32-bit value `x >>> 0`. Pass uint32 values as they are or as `x | 0`
 * (an int32 argument crosses a call without a boxed number).
 */
export function putU32(v: DataView, p: number, x: number): number {
  const n = x >>> 0;
  if (n < 10000) {
    v.setUint32(p, LEFT4[n]!, true);
    return p + DIGITS4[n]!;
  }
  // 5 to 10 digits: the leading 1-4 (high), then 4 (middle, only from 9 digits on) and 4 (low), zero-padded.
  // Written with three stores at most, so that the function stays small enough for V8 to inline it at
  // more of its call sites (a line calls it about 9 times).
  let high = (n / 10000) >>> 0;
  const low = n - high * 10000;
  let q = p;
  if (high >= 10000) {
    const top = (high / 10000) >>> 0;
    v.setUint32(q, LEFT4[top]!, true);
    q += DIGITS4[top]!;
    high -= top * 10000;
    v.setUint32(q, PADDED4[high]!, true);
    q += 4;
  } else {
    v.setUint32(q, LEFT4[high]!, true);
    q += DIGITS4[high]!;
  }
  v.setUint32(q, PADDED4[low]!, true);
  return q + 4;
}

/** Room putPadded needs after `p` for `width` digits. */
export function paddedRoom(width: number): number {
  return width + 8;
}

/** Exactly `width` digits of `n` (its last `width` digits when larger), as ByteWriter.padded writes them. */
export function putPadded(v: DataView, p: number, n: number, width: number): number {
  if (width === 6 && n >= 0 && n < 1000000 && (n | 0) === n) {
    const high = (n / 10000) | 0;
    const low = n - high * 10000;
    v.setUint16(p, PADDED4[high]! >>> 16, true);
    v.setUint32(p + 2, PADDED4[low]!, true);
    return p + 6;
  }
  if (width === 9 && n >= 0 && n < 1000000000 && (n | 0) === n) {
    const high = (n / 100000000) | 0;
    const rest = n - high * 100000000;
    const middle = (rest / 10000) | 0;
    v.setUint8(p, 48 + high);
    v.setUint32(p + 1, PADDED4[middle]!, true);
    v.setUint32(p + 5, PADDED4[rest - middle * 10000]!, true);
    return p + 9;
  }
  let e = p + width;
  for (let i = 0; i < width; i++) {
    const q = Math.floor(n / 10);
    v.setUint8(--e, 48 + (n - q * 10));
    n = q;
  }
  return p + width;
}

/** Per byte value: its digits and a '.', left-aligned in a word (DIGITS4 has the digit count). */
const OCTET_DOT = new Uint32Array(256);
for (let v = 0; v < 256; v++) OCTET_DOT[v] = (LEFT4[v]! | (46 << (8 * DIGITS4[v]!))) >>> 0;

/** Room putIpv4 needs after `p`. */
export const IPV4_ROOM = 20;

/** The dotted quad of data[offset, offset + 4). */
export function putIpv4(v: DataView, p: number, data: Uint8Array, offset: number): number {
  let o = data[offset]!;
  v.setUint32(p, OCTET_DOT[o]!, true);
  p += DIGITS4[o]! + 1;
  o = data[offset + 1]!;
  v.setUint32(p, OCTET_DOT[o]!, true);
  p += DIGITS4[o]! + 1;
  o = data[offset + 2]!;
  v.setUint32(p, OCTET_DOT[o]!, true);
  p += DIGITS4[o]! + 1;
  o = data[offset + 3]!;
  v.setUint32(p, LEFT4[o]!, true);
  return p + DIGITS4[o]!;
}

/** Constant ASCII text as zero-padded 8-byte words, copied with one DataView.setFloat64 per word. */
export class AsciiWords {
  readonly words: Float64Array;
  readonly length: number;
  /** The same text as bytes (for ByteWriter.bytes). */
  readonly bytes: Uint8Array;

  constructor(text: string) {
    this.bytes = ascii(text);
    this.length = text.length;
    this.words = new Float64Array((text.length + 7) >>> 3);
    // ASCII bytes never make a NaN (its top byte would be 0x7f/0xff followed by 0xf0 or more), and
    // a word is only moved, never computed with: every bit pattern goes through unchanged
    new Uint8Array(this.words.buffer).set(this.bytes);
  }

  /** Room putWords needs after `p` for this text. */
  get room(): number {
    return this.words.length * 8;
  }
}

/** Copy `t` to `p`. */
export function putWords(v: DataView, p: number, t: AsciiWords): number {
  const words = t.words;
  for (let i = 0; i < words.length; i++) v.setFloat64(p + 8 * i, words[i]!, true);
  return p + t.length;
}

/** The bytes of an ASCII string, for constant text written with ByteWriter.bytes. */
export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) throw new Error(`ascii: non-ASCII character in ${JSON.stringify(s)}`);
    out[i] = c;
  }
  return out;
}

export class ByteWriter {
  buffer: Uint8Array;
  position = 0;
  /** A DataView of `buffer` (replaced with it), for the positional writers (putU32, putWords, ...). */
  view: DataView;

  constructor(initialBytes = 1024 * 1024) {
    this.buffer = new Uint8Array(initialBytes);
    this.view = new DataView(this.buffer.buffer);
  }

  /** Make room for `n` bytes after `position` and return `view` (for the positional writers). */
  at(n: number): DataView {
    if (this.position + n > this.buffer.length) this.reserve(n);
    return this.view;
  }

  /** Make room for `n` more bytes (growing the buffer). */
  reserve(n: number): void {
    if (this.position + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.position + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buffer.subarray(0, this.position));
    this.buffer = bigger;
    this.view = new DataView(bigger.buffer);
  }

  /** Append a string (ASCII fast path; UTF-8 for anything else). */
  text(s: string): void {
    const n = s.length;
    if (this.position + n > this.buffer.length) this.reserve(n);
    const b = this.buffer;
    let p = this.position;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.position = p;
        this.utf8(s.substring(i));
        return;
      }
      b[p++] = c;
    }
    this.position = p;
  }

  private utf8(s: string): void {
    this.reserve(s.length * 3);
    const r = encoder.encodeInto(s, this.buffer.subarray(this.position));
    this.position += r.written;
  }

  /** Append pre-encoded bytes (constant text made once with `ascii`). */
  bytes(a: Uint8Array): void {
    const n = a.length;
    if (this.position + n > this.buffer.length) this.reserve(n);
    if (n > 24) {
      // long fragments: one native copy beats the byte loop
      this.buffer.set(a, this.position);
      this.position += n;
      return;
    }
    const b = this.buffer;
    let p = this.position;
    for (let i = 0; i < n; i++) b[p++] = a[i]!;
    this.position = p;
  }

  /** Append one byte (an ASCII character code). */
  byte(c: number): void {
    if (this.position >= this.buffer.length) this.reserve(1);
    this.buffer[this.position++] = c;
  }

  /** Append a non-negative integer in decimal (exact up to 2^53); anything else is written as String(n). */
  uint(n: number): void {
    if (n <= 0xffffffff && n >= 0 && n >>> 0 === n) {
      this.position = putU32(this.at(U32_ROOM), this.position, n);
      return;
    }
    if (!(n >= 0) || n !== Math.floor(n) || n > Number.MAX_SAFE_INTEGER) {
      // not a count (a -1 "absent" marker, NaN): never write garbage digits
      this.text(String(n));
      return;
    }
    // 2^32 ≤ n ≤ 2^53: the leading part (below 2^32), then exactly 8 digits
    const v = this.at(U32_ROOM + paddedRoom(8));
    const high = Math.floor(n / 100000000);
    this.position = putPadded(v, putU32(v, this.position, high), n - high * 100000000, 8);
  }

  /** Append a signed integer in decimal. */
  int(n: number): void {
    if (n < 0) {
      this.byte(45);
      this.uint(-n);
    } else {
      this.uint(n);
    }
  }

  /** Append `n` (0 ≤ n < 10^width) left-padded with zeros to `width` digits. */
  padded(n: number, width: number): void {
    this.position = putPadded(this.at(paddedRoom(width)), this.position, n, width);
  }

  /** Append the dotted quad of data[offset..offset+4). */
  ipv4(data: Uint8Array, offset: number): void {
    this.position = putIpv4(this.at(IPV4_ROOM), this.position, data, offset);
  }

  /** Append two lower-case hex digits of a byte. */
  hexByte(v: number): void {
    if (this.position + 2 > this.buffer.length) this.reserve(2);
    this.buffer[this.position++] = HEX_DIGITS[v >>> 4]!;
    this.buffer[this.position++] = HEX_DIGITS[v & 15]!;
  }

  /** Append lower-case hex of data[start, end). */
  hexBytes(data: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.position + 2 * n > this.buffer.length) this.reserve(2 * n);
    const b = this.buffer;
    let p = this.position;
    for (let i = start; i < end; i++) {
      const v = data[i]!;
      b[p++] = HEX_DIGITS[v >>> 4]!;
      b[p++] = HEX_DIGITS[v & 15]!;
    }
    this.position = p;
  }

  /** The written bytes as a string (tests and small outputs). */
  toString(): string {
    return decoder.decode(this.buffer.subarray(0, this.position));
  }

  /** Return the text written since `mark` and drop it from the buffer. */
  takeFrom(mark: number): string {
    const s = decoder.decode(this.buffer.subarray(mark, this.position));
    this.position = mark;
    return s;
  }
}
