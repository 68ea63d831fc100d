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

  /** Append one byte (an ASCII character code). */
  byte(c: number): void {
    if (this.position >= this.buffer.length) this.reserve(1);
    this.buffer[this.position++] = c;
  }

  /** Append a non-negative integer in decimal (exact up to 2^53); anything else is written as String(n). */
  uint(n: number): void {
    if (!(n >= 0) || n !== Math.floor(n) || n > Number.MAX_SAFE_INTEGER) {
      // not a count (a -1 "absent" marker, NaN): never write garbage digits
      this.text(String(n));
      return;
    }
    if (this.position + 16 > this.buffer.length) this.reserve(16);
    const b = this.buffer;
    if (n < 10) {
      b[this.position++] = 48 + n;
      return;
    }
    if (n < 0x100000000) {
      const digits = n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
      let p = this.position + digits;
      this.position = p;
      while (n >= 10) {
        const q = (n / 10) >>> 0;
        b[--p] = 48 + (n - q * 10);
        n = q;
      }
      b[--p] = 48 + n;
      return;
    }
    let digits = 1;
    for (let t = n; t >= 10; digits++) t = Math.floor(t / 10);
    let p = this.position + digits;
    this.position = p;
    while (n >= 10) {
      const q = Math.floor(n / 10);
      b[--p] = 48 + (n - q * 10);
      n = q;
    }
    b[--p] = 48 + n;
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
    this.uint(data[offset]!);
    this.byte(46);
    this.uint(data[offset + 1]!);
    this.byte(46);
    this.uint(data[offset + 2]!);
    this.byte(46);
    this.uint(data[offset + 3]!);
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
