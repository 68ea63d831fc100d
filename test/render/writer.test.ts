/** ByteWriter: decimal, padded, hex and text output against JavaScript's own formatting. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteWriter, ascii } from '../../src/render/writer.js';

describe('ByteWriter', () => {
  it('uint matches String(n) across the whole safe range, growing from a tiny buffer', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.maxSafeInteger().map(Math.abs)), (n) => {
        const w = new ByteWriter(1);
        w.uint(n);
        expect(w.toString()).toBe(String(n));
      }),
      { numRuns: 2000 },
    );
    for (const n of [0, 9, 10, 99, 100, 2147483647, 2147483648, 4294967295, 4294967296, Number.MAX_SAFE_INTEGER]) {
      const w = new ByteWriter(2);
      w.uint(n);
      expect(w.toString()).toBe(String(n));
    }
  });

  it('uint at every digit-count boundary and over 0..120000; ipv4 for every octet value', () => {
    const w = new ByteWriter(1);
    const expected: string[] = [];
    for (let p = 1; p <= 1e15; p *= 10) {
      for (const n of [p - 1, p, p + 1, 2 * p - 1, 9 * p + 9]) {
        w.uint(n);
        w.byte(32);
        expected.push(String(n));
      }
    }
    for (let n = 0; n <= 120000; n++) {
      w.uint(n);
      w.byte(32);
      expected.push(String(n));
    }
    expect(w.toString()).toBe(expected.join(' ') + ' ');
    const v = new ByteWriter(1);
    const quads: string[] = [];
    for (let o = 0; o < 256; o++) {
      v.ipv4(Uint8Array.of(o, 255 - o, o >>> 1, 7), 0);
      v.byte(32);
      quads.push(`${o}.${255 - o}.${o >>> 1}.7`);
    }
    expect(v.toString()).toBe(quads.join(' ') + ' ');
  });

  it('bytes appends short and long pre-encoded fragments, growing from a tiny buffer', () => {
    const w = new ByteWriter(1);
    const parts = ['', 'a', ',"x":', 'y'.repeat(24), 'z'.repeat(25), ',"toa":[],"notes":[],"checksums":{"ip":"ok","l4":"ok"},"warnings":[]', 'q'.repeat(5000)];
    for (const s of parts) w.bytes(ascii(s));
    expect(w.toString()).toBe(parts.join(''));
    expect(() => ascii('é')).toThrow();
  });

  it('int, padded, hexByte, hexBytes, ipv4', () => {
    const w = new ByteWriter(4);
    w.int(-42);
    w.byte(32);
    w.padded(123, 6);
    w.byte(32);
    w.padded(0, 9);
    w.byte(32);
    w.hexByte(0x0f);
    w.hexBytes(Uint8Array.of(0, 0xff, 0x10), 0, 3);
    w.byte(32);
    w.ipv4(Uint8Array.of(192, 0, 2, 255), 0);
    expect(w.toString()).toBe('-42 000123 000000000 0f00ff10 192.0.2.255');
  });

  it('text keeps ASCII and encodes anything else as UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const w = new ByteWriter(3);
        w.text('a');
        w.text(s);
        expect(w.toString()).toBe(new TextDecoder().decode(new TextEncoder().encode('a' + s)));
      }),
      { numRuns: 150 },
    );
  });

  it('takeFrom returns and removes the text after a mark', () => {
    const w = new ByteWriter();
    w.text('keep');
    const mark = w.position;
    w.text('take');
    expect(w.takeFrom(mark)).toBe('take');
    expect(w.toString()).toBe('keep');
  });
});

describe('ByteWriter.uint on values that are not counts', () => {
  it('writes -1, NaN and fractions as JavaScript prints them (never garbage digits)', () => {
    const w = new ByteWriter(2);
    for (const n of [-1, NaN, 1.5, 2 ** 60]) {
      w.uint(n);
      w.byte(32);
    }
    expect(w.toString()).toBe(`-1 NaN 1.5 ${2 ** 60} `);
  });
});
