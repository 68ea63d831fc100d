/**
 * ByteWriter: the renderers' output buffer. Text is written as bytes straight into a growable
 * Uint8Array (digits of numbers, dotted quads, hex) so the hot path builds no intermediate
 * strings and needs no separate UTF-8 encoding pass. The owner drains `buffer[0, position)`
 * (e.g. to a BufferedOutput) and resets `position` to 0.
 *
 * Every method checks the capacity itself; strings with non-ASCII characters are UTF-8 encoded.
 */

const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/** "00".."99" as 200 ASCII bytes: two digits per table step. */
const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[2 * i] = 48 + Math.floor(i / 10);
  DIGIT_PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** For each byte value v: at 4v the digit count, then up to 3 ASCII digits. */
const OCTET_DIGITS = new Uint8Array(256 * 4);
for (let v = 0; v < 256; v++) {
  const digits = String(v);
  OCTET_DIGITS[4 * v] = digits.length;
  for (let i = 0; i < digits.length; i++) OCTET_DIGITS[4 * v + 1 + i] = digits.charCodeAt(i);
}
const encoder = new TextEncoder();
const decoder = new TextDecoder();

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

  constructor(initialBytes = 1024 * 1024) {
    this.buffer = new Uint8Array(initialBytes);
  }

  /** Make room for `n` more bytes (growing the buffer). */
  reserve(n: number): void {
    if (this.position + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.position + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buffer.subarray(0, this.position));
    this.buffer = bigger;
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
    if (n < 100000000 && n >= 0 && (n | 0) === n) {
      if (this.position + 8 > this.buffer.length) this.reserve(8);
      this.below1e8(n);
      return;
    }
    if (!(n >= 0) || n !== Math.floor(n) || n > Number.MAX_SAFE_INTEGER) {
      // not a count (a -1 "absent" marker, NaN): never write garbage digits
      this.text(String(n));
      return;
    }
    // 10^8 ≤ n < 2^53: the leading part (at most 8 digits), then exactly 8 digits
    if (this.position + 16 > this.buffer.length) this.reserve(16);
    const high = Math.floor(n / 100000000);
    const low = n - high * 100000000;
    this.below1e8(high);
    const lowHigh = (low / 10000) | 0;
    const p = this.position;
    this.fourDigits(lowHigh, p);
    this.fourDigits(low - lowHigh * 10000, p + 4);
    this.position = p + 8;
  }

  /** Digits of an integer 0 ≤ n < 10^8 (capacity already reserved). */
  private below1e8(n: number): void {
    if (n < 10000) {
      this.below1e4(n);
      return;
    }
    const high = (n / 10000) | 0;
    this.below1e4(high);
    this.fourDigits(n - high * 10000, this.position);
    this.position += 4;
  }

  /** Digits of an integer 0 ≤ n < 10^4 (capacity already reserved). */
  private below1e4(n: number): void {
    const b = this.buffer;
    const p = this.position;
    if (n < 10) {
      b[p] = 48 + n;
      this.position = p + 1;
    } else if (n < 100) {
      const r = n << 1;
      b[p] = DIGIT_PAIRS[r]!;
      b[p + 1] = DIGIT_PAIRS[r + 1]!;
      this.position = p + 2;
    } else if (n < 1000) {
      const q = (n / 100) | 0;
      const r = (n - q * 100) << 1;
      b[p] = 48 + q;
      b[p + 1] = DIGIT_PAIRS[r]!;
      b[p + 2] = DIGIT_PAIRS[r + 1]!;
      this.position = p + 3;
    } else {
      this.fourDigits(n, p);
      this.position = p + 4;
    }
  }

  /** Exactly four digits of an integer 0 ≤ n < 10^4 at buffer[p, p+4) (capacity already reserved). */
  private fourDigits(n: number, p: number): void {
    const b = this.buffer;
    const q = (n / 100) | 0;
    const r = (n - q * 100) << 1;
    const s = q << 1;
    b[p] = DIGIT_PAIRS[s]!;
    b[p + 1] = DIGIT_PAIRS[s + 1]!;
    b[p + 2] = DIGIT_PAIRS[r]!;
    b[p + 3] = DIGIT_PAIRS[r + 1]!;
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
    if (this.position + width > this.buffer.length) this.reserve(width);
    const b = this.buffer;
    let p = this.position + width;
    this.position = p;
    for (let i = 0; i < width; i++) {
      const q = Math.floor(n / 10);
      b[--p] = 48 + (n - q * 10);
      n = q;
    }
  }

  /** Append the dotted quad of data[offset..offset+4). */
  ipv4(data: Uint8Array, offset: number): void {
    if (this.position + 15 > this.buffer.length) this.reserve(15);
    this.octet(data[offset]!);
    this.buffer[this.position++] = 46;
    this.octet(data[offset + 1]!);
    this.buffer[this.position++] = 46;
    this.octet(data[offset + 2]!);
    this.buffer[this.position++] = 46;
    this.octet(data[offset + 3]!);
  }

  /** Digits of a byte value from OCTET_DIGITS (capacity already reserved). */
  private octet(v: number): void {
    const b = this.buffer;
    let p = this.position;
    const t = v << 2;
    const n = OCTET_DIGITS[t]!;
    b[p++] = OCTET_DIGITS[t + 1]!;
    if (n > 1) b[p++] = OCTET_DIGITS[t + 2]!;
    if (n > 2) b[p++] = OCTET_DIGITS[t + 3]!;
    this.position = p;
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
