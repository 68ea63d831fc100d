/** ByteWriter: decimal, padded, hex and text output against JavaScript's own formatting. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AsciiWords, ByteWriter, IPV4_ROOM, U32_ROOM, ascii, paddedRoom, putIpv4, putPadded, putU32, putWords } from '../../src/render/writer.js';

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

describe('positional writers (putU32, putPadded, putIpv4, putWords)', () => {
  /** A writer whose buffer ends exactly `room` bytes after `at`: a write needing more throws a RangeError. */
  function tight(at: number, room: number): ByteWriter {
    const w = new ByteWriter(at + room);
    w.position = at;
    return w;
  }

  it('putU32 writes the unsigned decimal of uint32 and int32 arguments within U32_ROOM', () => {
    const check = (x: number): void => {
      const w = tight(3, U32_ROOM);
      w.position = putU32(w.at(U32_ROOM), w.position, x);
      expect(w.takeFrom(3)).toBe(String(x >>> 0));
    };
    fc.assert(fc.property(fc.integer({ min: -0x80000000, max: 0xffffffff }), (x) => check(x)), { numRuns: 3000 });
    for (let p = 1; p <= 1e9; p *= 10) for (const n of [p - 1, p, p + 1]) check(n);
    for (const n of [0, 4294967295, 4294967296 - 2, -1, 2147483647, 2147483648, -2147483648]) check(n);
  });

  it('putPadded matches padded digits (6 and 9 fast paths, other widths, values too large)', () => {
    for (const width of [1, 2, 6, 8, 9]) {
      for (const n of [0, 1, 9, 10, 99999, 100000, 999999, 1000000, 123456789, 999999999, 1000000000, 2 ** 31 + 5]) {
        const w = tight(1, paddedRoom(width));
        w.position = putPadded(w.at(paddedRoom(width)), w.position, n, width);
        expect(w.takeFrom(1)).toBe(String(n).padStart(width, '0').slice(-width));
      }
    }
  });

  it('putIpv4 writes every octet value within IPV4_ROOM', () => {
    for (let o = 0; o < 256; o++) {
      const w = tight(2, IPV4_ROOM);
      w.position = putIpv4(w.at(IPV4_ROOM), w.position, Uint8Array.of(9, o, 255 - o, o >>> 1, 100), 1);
      expect(w.takeFrom(2)).toBe(`${o}.${255 - o}.${o >>> 1}.100`);
    }
  });

  it('putWords copies ASCII text of any length within its room, and later writes replace the slack', () => {
    for (const s of ['', 'a', 'IP ', ', win ', '12345678', '123456789', 'Flags [FSRP.UEW]', '~'.repeat(40)]) {
      const t = new AsciiWords(s);
      expect(t.bytes).toEqual(ascii(s));
      const w = tight(5, t.room + 1);
      w.position = putWords(w.at(t.room), w.position, t);
      w.byte(33);
      expect(w.takeFrom(5)).toBe(s + '!');
    }
    expect(() => new AsciiWords('é')).toThrow();
  });
});
