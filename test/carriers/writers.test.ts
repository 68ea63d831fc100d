/**
 * The allocation-free writers (writeTcpCarrier, writeIpv4OptionCarrier, writeOppHeader) write
 * exactly the bytes of the allocating encoders, at any offset, and nothing else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeIpv4OptionCarrier, encodeOppHeader, encodeTcpCarrier, writeIpv4OptionCarrier, writeOppHeader, writeTcpCarrier,
  type PortAddressTcpFormat,
} from '../../src/carriers/index.js';
import { MalformedError } from '../../src/codec/errors.js';
import { arbIpv4, arbIpv6, arbPort } from '../arbitraries.js';

/** Write into a 0xEE-filled buffer at `offset`; return the written view and whether the rest is untouched. */
function written(write: (out: Uint8Array, offset: number) => number, offset: number): { bytes: Uint8Array; clean: boolean } {
  const out = new Uint8Array(offset + 64).fill(0xee);
  const n = write(out, offset);
  const clean = out.subarray(0, offset).every((b) => b === 0xee) && out.subarray(offset + n).every((b) => b === 0xee);
  return { bytes: out.subarray(offset, offset + n), clean };
}

describe('writeTcpCarrier', () => {
  const formats: Array<[PortAddressTcpFormat, 4 | 16]> = [['toa-v4', 4], ['toa-v6', 16], ['toa-v4-253', 4], ['toa-v6-253', 16], ['toa-v4-200', 4]];
  for (const [format, size] of formats) {
    it(`${format}: same bytes as encodeTcpCarrier at any offset`, () => {
      fc.assert(
        fc.property(size === 4 ? arbIpv4() : arbIpv6(), arbPort(), fc.nat(20), (address, port, offset) => {
          const w = written((out, at) => writeTcpCarrier(out, at, format, port, address), offset);
          expect(w.bytes).toEqual(encodeTcpCarrier(format, { clientAddress: address, clientPort: port }));
          expect(w.clean).toBe(true);
        }),
      );
    });
  }

  it('the DPVS TOA vector: fe 08 9c 40 c0 00 02 01', () => {
    const out = new Uint8Array(8);
    expect(writeTcpCarrier(out, 0, 'toa-v4', 40000, Uint8Array.of(192, 0, 2, 1))).toBe(8);
    expect(Buffer.from(out).toString('hex')).toBe('fe089c40c0000201');
  });

  it('throws MalformedError on the wrong family, a bad port or a format without that layout', () => {
    const out = new Uint8Array(40);
    expect(() => writeTcpCarrier(out, 0, 'toa-v4', 1, new Uint8Array(16))).toThrow(MalformedError);
    expect(() => writeTcpCarrier(out, 0, 'toa-v6', 70000, new Uint8Array(16))).toThrow(MalformedError);
    expect(() => writeTcpCarrier(out, 0, 'toa-extra-v4' as PortAddressTcpFormat, 1, new Uint8Array(4))).toThrow(MalformedError);
  });
});

describe('writeIpv4OptionCarrier', () => {
  for (const format of ['uoa-ipo', 'ovs-slb-rs'] as const) {
    it(`${format}: same bytes as encodeIpv4OptionCarrier`, () => {
      fc.assert(
        fc.property(arbIpv4(), arbPort(), fc.nat(20), (address, port, offset) => {
          const w = written((out, at) => writeIpv4OptionCarrier(out, at, format, port, address), offset);
          expect(w.bytes).toEqual(encodeIpv4OptionCarrier(format, { clientAddress: address, clientPort: port }));
          expect(w.clean).toBe(true);
        }),
      );
    });
  }

  it('refuses an IPv6 address', () => {
    expect(() => writeIpv4OptionCarrier(new Uint8Array(40), 0, 'uoa-ipo', 1, new Uint8Array(16))).toThrow(MalformedError);
  });
});

describe('writeOppHeader', () => {
  it('same bytes as encodeOppHeader for both families and any next protocol', () => {
    fc.assert(
      fc.property(fc.oneof(arbIpv4(), arbIpv6()), arbPort(), fc.integer({ min: 0, max: 255 }), fc.nat(20), (address, port, next, offset) => {
        const w = written((out, at) => writeOppHeader(out, at, next, port, address), offset);
        expect(w.bytes).toEqual(encodeOppHeader({ clientAddress: address, clientPort: port, nextHeader: next }));
        expect(w.clean).toBe(true);
      }),
    );
  });

  it('the dpvs.md §6 IPv4 shim: 10 11 00 0c 1f 08 port address', () => {
    const out = new Uint8Array(12);
    expect(writeOppHeader(out, 0, 17, 5353, Uint8Array.of(192, 0, 2, 1))).toBe(12);
    expect(Buffer.from(out).toString('hex')).toBe('1011000c1f0814e9c0000201');
  });

  it('throws MalformedError on a 5-byte address or next protocol 256', () => {
    expect(() => writeOppHeader(new Uint8Array(40), 0, 17, 1, new Uint8Array(5))).toThrow(MalformedError);
    expect(() => writeOppHeader(new Uint8Array(40), 0, 256, 1, new Uint8Array(4))).toThrow(MalformedError);
  });
});
