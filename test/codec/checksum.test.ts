import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  finish,
  fold,
  incrementalUpdate16,
  ipv4HeaderChecksum,
  sum16,
  verifyIpv4HeaderChecksum,
  fillIpv4HeaderChecksum,
} from '../../src/codec/checksum.js';
import { fromHex } from '../../src/codec/bytes.js';

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

  it('fold and finish', () => {
    expect(fold(0x1fffe)).toBe(0xffff);
    expect(finish(0xffff)).toBe(0);
  });
});
