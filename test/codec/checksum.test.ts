import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  congruentSum16,
  pseudoHeaderV4,
  finish,
  fold,
  incrementalUpdate16,
  ipv4HeaderChecksum,
  sum16,
  verifyIpv4HeaderChecksum,
  fillIpv4HeaderChecksum,
} from '../../src/codec/checksum.js';
import { fromHex } from '../../src/codec/bytes.js';

/** `check` on 2000 random byte ranges of views that start at any byte of their buffer (as reader chunks do), with a random start sum. */
function forViewsAndRanges(check: (view: Uint8Array, start: number, end: number, acc: number) => void): void {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 2100, size: 'max' }),
      fc.nat(7),
      fc.nat(2100),
      fc.nat(2100),
      fc.nat(0xffffff),
      (raw, viewOffset, a, b, acc) => {
        const backing = new Uint8Array(raw.length + viewOffset);
        backing.set(raw, viewOffset);
        const view = backing.subarray(viewOffset);
        check(view, Math.min(a, b, view.length), Math.min(Math.max(a, b), view.length), acc);
      },
    ),
    { numRuns: 2000, endOnFailure: true },
  );
}

describe('checksum', () => {
  it('computes the RFC 1071 example header checksum', () => {
    // Classic example header: 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7
    const h = fromHex('45000073000040004011b861c0a80001c0a800c7');
    expect(ipv4HeaderChecksum(h, 0, 20)).toBe(0xb861);
    expect(verifyIpv4HeaderChecksum(h, 0, 20)).toBe(true);
    h[8] = 0x3f;
    expect(verifyIpv4HeaderChecksum(h, 0, 20)).toBe(false);
  });

  it('pads an odd trailing byte with zero', () => {
    expect(sum16(Uint8Array.of(0x01, 0x02, 0x03), 0, 3)).toBe(0x0102 + 0x0300);
  });

  it('incremental update (RFC 1624) equals a full recompute', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 0xffff }), (raw, word, value) => {
        const h = Uint8Array.from(raw);
        h[0] = 0x45;
        fillIpv4HeaderChecksum(h, 0, 20);
        const before = (h[10]! << 8) | h[11]!;
        const at = word === 5 ? 0 : word * 2; // never the checksum word itself
        const old = (h[at]! << 8) | h[at + 1]!;
        h[at] = value >>> 8;
        h[at + 1] = value & 0xff;
        if (at === 0) return; // version/IHL byte changed: skip, header length may differ
        const inc = incrementalUpdate16(before, old, value);
        expect(inc).toBe(ipv4HeaderChecksum(h, 0, 20));
      }),
    );
  });

  it('sum16 equals the word-by-word definition at every alignment, length and view offset', () => {
    const reference = (b: Uint8Array, start: number, end: number, acc: number): number => {
      for (let i = start; i < end; i += 2) acc += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
      return acc;
    };
    forViewsAndRanges((view, start, end, acc) => expect(sum16(view, start, end, acc)).toBe(reference(view, start, end, acc)));
    // all 0xFF bytes: the largest lane sums (blocks of 128 words and more)
    const ones = new Uint8Array(9000).fill(0xff);
    for (const [start, end] of [[0, 9000], [1, 8999], [3, 4099], [2, 515], [5, 70]] as const) {
      expect(sum16(ones.subarray(1), start, end - 1)).toBe(reference(ones.subarray(1), start, end - 1, 0));
    }
  });

  it('congruentSum16 folds to what sum16 folds to, at every alignment, length and view offset', () => {
    forViewsAndRanges((view, start, end, acc) => expect(fold(congruentSum16(view, start, end, acc))).toBe(fold(sum16(view, start, end, acc))));
    // sums that are multiples of 0xFFFF fold to 0xFFFF, never to 0; all-zero ranges fold to 0
    const ones = new Uint8Array(9000).fill(0xff);
    const zeros = new Uint8Array(9000);
    for (const bytes of [ones, zeros]) {
      for (const [start, end] of [[0, 9000], [1, 8999], [3, 4099], [2, 515], [5, 70], [4, 68]] as const) {
        const view = bytes.subarray(1);
        expect(fold(congruentSum16(view, start, end - 1))).toBe(fold(sum16(view, start, end - 1)));
      }
      // word-aligned at both ends: no head or tail bytes
      expect(fold(congruentSum16(bytes, 0, 8192))).toBe(fold(sum16(bytes, 0, 8192)));
    }
    // more words than one reduction block (2^20), each of them 0xFFFFFFFF
    const big = new Uint8Array(4 * (1 << 20) + 4096).fill(0xff);
    big[77] = 0x12;
    expect(fold(congruentSum16(big, 1, big.length - 3, 5))).toBe(fold(sum16(big, 1, big.length - 3, 5)));
  });

  it('pseudoHeaderV4 is the sum16 of both addresses plus protocol and length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 24 }), fc.nat(16), fc.nat(16), fc.nat(255), fc.nat(0xffff), (b, src, dst, protocol, length) => {
        expect(pseudoHeaderV4(b, src, dst, protocol, length)).toBe(sum16(b, src, src + 4, sum16(b, dst, dst + 4)) + protocol + length);
      }),
    );
  });

  it('fold and finish', () => {
    expect(fold(0x1fffe)).toBe(0xffff);
    expect(finish(0xffff)).toBe(0);
  });
});
