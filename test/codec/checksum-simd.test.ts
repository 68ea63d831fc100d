import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checksumBuffer, congruentSum16, copyInModuleMemory, fold, setSimdChecksum, simdSumCount, sum16 } from '../../src/codec/checksum.js';
import { createSimdSummer, SIMD_CALL_MAX, simdModuleBytes } from '../../src/codec/checksum-simd.js';

const MiB = 1 << 20;

/** A buffer in the SIMD module's memory (summed in place), 3.5 MiB, taken once (that room is never given back). */
const inModule = checksumBuffer(3.5 * MiB);

/** A plain buffer of the same size (summed through the copy area). */
const plain = new Uint8Array(inModule.length);

/** Range lengths: short, around the JS/SIMD crossover, packet sizes, over 64 KiB (the copy area), over 1 MiB (one call). */
const lengths = fc.oneof(
  fc.nat(80),
  fc.integer({ min: 96, max: 320 }),
  fc.integer({ min: 320, max: 9100 }),
  fc.integer({ min: 64 * 1024 - 70, max: 64 * 1024 + 70 }),
  fc.integer({ min: 70_000, max: 300_000 }),
  fc.integer({ min: MiB - 70, max: 3 * MiB }),
);

/** congruentSum16 folds to what sum16 folds to, for random bytes, view offsets, ranges and start sums, in both kinds of buffer. */
function checkRandomRanges(runs: number): void {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.nat(70),
      lengths,
      fc.nat(4096),
      fc.nat(0xffffff),
      fc.integer(),
      fc.constantFrom('random', 'ones', 'zeros'),
      (inPlace, viewOffset, length, startAt, acc, seed, fill) => {
        // in place: the very object checksumBuffer returned (congruentSum16 recognises it by identity);
        // otherwise a view at an offset of a plain buffer
        const view = inPlace ? inModule : plain.subarray(viewOffset);
        const start = Math.min(startAt + (inPlace ? viewOffset : 0), view.length - length);
        const end = start + length;
        if (fill === 'random') {
          let x = seed | 1;
          for (let i = start; i < end; i++) {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            view[i] = x & 0xff;
          }
        } else {
          view.fill(fill === 'ones' ? 0xff : 0, start, end);
        }
        expect(fold(congruentSum16(view, start, end, acc))).toBe(fold(sum16(view, start, end, acc)));
      },
    ),
    { numRuns: runs, endOnFailure: true },
  );
}

describe('checksum: WebAssembly SIMD path', () => {
  afterAll(() => {
    setSimdChecksum('auto');
  });

  it('emits a module that validates (SIMD is available in the Node versions supported)', () => {
    const bytes = simdModuleBytes(1);
    expect(bytes.subarray(0, 8)).toEqual(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0));
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(setSimdChecksum('auto')).toBe(true);
    expect(inModule.buffer).not.toBe(plain.buffer);
    expect(inModule.buffer.byteLength).toBeGreaterThan(inModule.length); // the module memory
  });

  for (const use of ['on', 'off', 'auto'] as const) {
    it(`congruentSum16 ≡ sum16 with the SIMD path ${use === 'auto' ? 'for long ranges' : use}`, () => {
      setSimdChecksum(use);
      checkRandomRanges(use === 'on' ? 600 : 250);
    });
  }

  it('auto: ranges of a chunk buffer (that very object) are summed in place by the module; views of it and plain bytes by JS', () => {
    setSimdChecksum('auto');
    inModule.fill(0xa5, 0, 4096);
    const before = simdSumCount();
    expect(fold(congruentSum16(inModule, 3, 3 + 430))).toBe(fold(sum16(inModule, 3, 3 + 430)));
    expect(simdSumCount()).toBe(before + 1);
    congruentSum16(inModule, 3, 3 + 100); // below SIMD_MIN
    congruentSum16(inModule.subarray(0), 3, 3 + 430); // another object over the same bytes
    congruentSum16(plain, 3, 3 + 430);
    expect(simdSumCount()).toBe(before + 1);
  });

  it('all-0xFF ranges longer than one call (largest lanes) and all-zero ranges, in place and copied', () => {
    setSimdChecksum('on');
    for (const backing of [inModule, plain]) {
      for (const value of [0xff, 0]) {
        backing.fill(value);
        for (const [start, end] of [[0, backing.length], [1, 3 * MiB + 1], [3, SIMD_CALL_MAX + 3], [5, SIMD_CALL_MAX + 70], [7, 64 * 1024 + 8]] as const) {
          for (const acc of [0, 1, 0xfffe]) {
            expect(fold(congruentSum16(backing, start, end, acc))).toBe(fold(sum16(backing, start, end, acc)));
          }
        }
      }
    }
  });

  it('the module sum itself: little-endian words, odd last byte as a low byte', () => {
    const summer = createSimdSummer(1)!;
    const ref = (m: Uint8Array, p: number, n: number): number => {
      let s = 0;
      for (let i = p; i < p + n; i += 2) s += m[i]! + (i + 1 < p + n ? m[i + 1]! << 8 : 0);
      return s;
    };
    for (let i = 0; i < 300; i++) summer.memory[i] = (i * 37 + 11) & 0xff;
    for (let p = 0; p < 20; p++) {
      for (let n = 0; n < 200; n++) expect(fold(summer.sum(p, n))).toBe(fold(ref(summer.memory, p, n)));
    }
  });

  it('falls back to null (the JS path) without WebAssembly', () => {
    const saved = globalThis.WebAssembly;
    try {
      (globalThis as { WebAssembly?: unknown }).WebAssembly = undefined;
      expect(createSimdSummer(1)).toBeNull();
    } finally {
      globalThis.WebAssembly = saved;
    }
  });

  it('checksumBuffer gives zeroed buffers: in the module memory, or plain ones when SIMD is off', () => {
    setSimdChecksum('auto');
    const a = checksumBuffer(1000);
    expect(a.buffer).toBe(inModule.buffer);
    expect(a.every((b) => b === 0)).toBe(true);
    expect(a.byteOffset % 64).toBe(0);
    setSimdChecksum('off');
    const b = checksumBuffer(1000);
    expect(b.buffer).not.toBe(inModule.buffer);
    expect(b.length).toBe(1000);
    // larger than the room left: a plain one
    setSimdChecksum('auto');
    expect(checksumBuffer(64 * MiB).buffer).not.toBe(inModule.buffer);
  });

  it('copyInModuleMemory copies ranges between two checksumBuffer buffers (and within one), as set() of a view would', () => {
    setSimdChecksum('auto');
    const src = checksumBuffer(5000);
    const dst = checksumBuffer(3000);
    const before = checksumBuffer(64);
    const after = checksumBuffer(64);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 5000, maxLength: 5000 }), fc.nat(5000), fc.nat(5000), fc.nat(3000), (bytes, a, b, at) => {
        src.set(bytes);
        dst.fill(0x5a);
        const start = Math.min(a, b);
        const end = Math.min(Math.max(a, b), start + 3000 - at);
        const want = dst.slice();
        want.set(bytes.subarray(start, end), at);
        expect(copyInModuleMemory(dst, at, src, start, end)).toBe(true);
        expect(dst).toEqual(want);
        // within one buffer, overlapping (as copyWithin)
        const self = src.slice();
        self.copyWithin(at, start, end);
        expect(copyInModuleMemory(src, at, src, start, end)).toBe(true);
        expect(src).toEqual(self);
      }),
      { numRuns: 200 },
    );
    // the neighbours in the module memory are never written
    before.fill(1);
    after.fill(2);
    expect(() => copyInModuleMemory(dst, 2999, src, 0, 2)).toThrow(RangeError);
    expect(() => copyInModuleMemory(dst, 0, src, 4999, 5001)).toThrow(RangeError);
    expect(() => copyInModuleMemory(dst, -1, src, 0, 1)).toThrow(RangeError);
    expect(() => copyInModuleMemory(dst, 0, src, 3, 2)).toThrow(RangeError);
    expect(before.every((x) => x === 1) && after.every((x) => x === 2)).toBe(true);
    // either one another array: false, nothing copied
    const plainSrc = new Uint8Array(100).fill(7);
    dst.fill(0);
    expect(copyInModuleMemory(dst, 0, plainSrc, 0, 100)).toBe(false);
    expect(copyInModuleMemory(new Uint8Array(100), 0, src, 0, 100)).toBe(false);
    expect(copyInModuleMemory(dst, 0, src.subarray(0), 0, 100)).toBe(false);
    expect(dst.every((x) => x === 0)).toBe(true);
  });
});
