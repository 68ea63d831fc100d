import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv4, formatIpv6 } from '../../src/codec/addr.js';
import {
  FORMATS, decodeIpVsCaNotification, decodeOpp, encodeCarrier, parseKindSpec, requireFormat, scanIpv4Options, scanIpv6DestOpts,
  scanPayload, scanTcpOptions, type Carrier, type CarrierFields, type CarrierNote,
} from '../../src/carriers/index.js';
import { arbIpv4, arbIpv6, arbPort, arbU32 } from '../arbitraries.js';

const text = (a: Uint8Array) => (a.length === 4 ? formatIpv4(a, 0) : formatIpv6(a, 0));
const mapped = (a: Uint8Array) => a.length === 16 && a.subarray(0, 10).every((b) => b === 0) && a[10] === 0xff && a[11] === 0xff;

function scanEncoded(format: string, bytes: Uint8Array, notes: CarrierNote[]): Carrier[] {
  const f = requireFormat(format);
  const out: Carrier[] = [];
  switch (f.carrier) {
    case 'tcp-option': scanTcpOptions(bytes, 0, bytes.length, false, out, notes); break;
    case 'ipv4-option': scanIpv4Options(bytes, 0, bytes.length, out, notes); break;
    case 'ipv6-dstopt': scanIpv6DestOpts(bytes, 0, bytes.length, out, notes); break;
    case 'opp': decodeOpp(bytes, 0, bytes.length, out, notes); break;
    case 'proxy-v1': case 'proxy-v2': scanPayload(bytes, 0, bytes.length, 'tcp', out, notes); break;
    case 'spp': scanPayload(bytes, 0, bytes.length, 'udp', out, notes); break;
    case 'icmp-echo': { const c = decodeIpVsCaNotification(bytes, 0, bytes.length); if (c) out.push(c); break; }
  }
  return out;
}

const families = (family: string): (4 | 16)[] => (family === 'ipv4' ? [4] : family === 'ipv6' ? [16] : family === 'none' ? [4] : [4, 16]);

describe('property: encode → decode round trip over random addresses and ports, every format', () => {
  for (const f of FORMATS.filter((x) => !x.lookalike)) {
    for (const size of families(f.family)) {
      it(`${f.format} (${size === 4 ? 'IPv4' : 'IPv6'})`, () => {
        const arbAddress = size === 4 ? arbIpv4() : arbIpv6();
        fc.assert(
          fc.property(arbAddress, arbAddress, arbPort(), arbPort(), arbU32(), (client, virtual, clientPort, virtualPort, number) => {
            // Host ID's ExID as a 253/254 port is, by rule, never an address
            if ((f.kind === 253 || f.kind === 254) && f.carrier === 'tcp-option') fc.pre(clientPort !== 0x0348);
            if (f.format === 'spp') fc.pre(!mapped(client) && !mapped(virtual));
            const vpcId = f.format === 'alibaba-vtoa-vpc-v6' ? number & 0xffffff : number;
            const fields: CarrierFields = { clientAddress: client, clientPort, virtualAddress: virtual, virtualPort, vni: number, vpcId };
            const bytes = encodeCarrier(f.format, fields);
            const notes: CarrierNote[] = [];
            const found = scanEncoded(f.format, bytes, notes);
            expect(found).toHaveLength(1);
            const c = found[0]!;
            expect(c.format).toBe(f.format);
            expect(notes.filter((n) => n.code !== 'exid-collision')).toEqual([]);
            if (f.carriesClientAddress) expect(c.clientAddress).toBe(text(client));
            else expect(c.clientAddress).toBeNull();
            if (c.clientPort !== null) expect(c.clientPort).toBe(clientPort);
            if (c.virtualAddress !== undefined) expect(c.virtualAddress).toBe(text(virtual));
            if (c.virtualPort !== undefined) expect(c.virtualPort).toBe(virtualPort);
            if (c.vni !== undefined) expect(c.vni).toBe(number);
            if (c.vpcId !== undefined) expect(c.vpcId).toBe(vpcId);
            // every format that has a client port must return it
            if (f.carriesClientAddress && !f.format.startsWith('alibaba-cdn')) expect(c.clientPort).toBe(clientPort);
          }),
          { numRuns: 150 },
        );
      });
    }
  }
});

describe('property: scanners on random byte ranges never throw and stay inside the range', () => {
  // bytes biased toward kinds, lengths and magic values the scanners react to
  const interesting = [0, 1, 2, 4, 6, 7, 8, 12, 14, 16, 19, 20, 24, 28, 29, 30, 31, 32, 36, 40, 0x10, 0x11, 0x20, 0x21, 0x0d, 0x0a,
    0x7b, 0x56, 0xec, 200, 201, 202, 249, 250, 252, 253, 254, 0x03, 0x48, 0xf9, 0x89];
  const arbByte = fc.oneof(fc.constantFrom(...interesting), fc.integer({ min: 0, max: 255 }));
  const arbRange = fc.array(arbByte, { maxLength: 80 }).map((a) => Uint8Array.from(a)).chain((bytes) =>
    fc.record({
      bytes: fc.constant(bytes),
      start: fc.integer({ min: 0, max: bytes.length }),
      extra: fc.integer({ min: 0, max: 90 }),
      isSyn: fc.boolean(),
    }),
  );
  const inside = (items: { offset: number }[], start: number, end: number) => {
    for (const x of items) {
      expect(x.offset).toBeGreaterThanOrEqual(start);
      expect(x.offset).toBeLessThan(end);
    }
  };
  it('every scanner, with and without notes and --kinds', () => {
    const kinds = parseKindSpec('254,253,200,100:8,28:7');
    fc.assert(
      fc.property(arbRange, ({ bytes, start, extra, isSyn }) => {
        const end = Math.min(bytes.length, start + extra);
        const out: Carrier[] = [];
        const notes: CarrierNote[] = [];
        const calls: (() => number)[] = [
          () => scanTcpOptions(bytes, start, start + extra, isSyn, out, notes),
          () => scanTcpOptions(bytes, start, start + extra, isSyn, out, notes, kinds),
          () => scanTcpOptions(bytes, start, start + extra, isSyn, out),
          () => scanIpv4Options(bytes, start, start + extra, out, notes),
          () => scanIpv6DestOpts(bytes, start, start + extra, out, notes),
          () => decodeOpp(bytes, start, start + extra, out, notes),
          () => scanPayload(bytes, start, start + extra, 'tcp', out, notes),
          () => scanPayload(bytes, start, start + extra, 'udp', out, notes),
          () => (decodeIpVsCaNotification(bytes, start, start + extra) ? 1 : 0),
        ];
        for (const call of calls) {
          out.length = 0;
          notes.length = 0;
          const n = call();
          expect(n).toBeGreaterThanOrEqual(0);
          if (end > start) {
            inside(out, start, end);
            inside(notes, start, end);
          } else {
            expect(out).toEqual([]);
          }
          for (const c of out) {
            // the whole carrier lies inside the range
            const size = c.carrier === 'ipv6-dstopt' ? c.length + 2 : c.carrier === 'opp' ? c.length + 4 : c.length;
            expect(c.offset + size).toBeLessThanOrEqual(end);
            for (const t of c.tlvs ?? []) expect(t.offset + 3 + t.length).toBeLessThanOrEqual(end);
            JSON.stringify(c); // JSON-safe
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
  it('PROXY-looking payloads (valid signatures, random rest) never throw', () => {
    const sig = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), fc.integer({ min: 0, max: 3 }), (rest, v1, fam) => {
        const head = v1 ? new Uint8Array(Buffer.from('PROXY ')) : Uint8Array.of(...sig, 0x21, (fam << 4) | 1);
        const b = new Uint8Array(head.length + rest.length);
        b.set(head);
        b.set(rest, head.length);
        const out: Carrier[] = [];
        const notes: CarrierNote[] = [];
        scanPayload(b, 0, b.length, 'tcp', out, notes);
        expect(out.length + notes.length).toBeGreaterThan(0);
        for (const c of out) expect(c.offset + c.length).toBeLessThanOrEqual(b.length);
      }),
      { numRuns: 2000 },
    );
  });
  it('a carrier placed among ordinary TCP options is found once at its offset', () => {
    const filler = fc.constantFrom('01', '020405b4', '030307', '0402', '080a0000000100000002');
    fc.assert(
      fc.property(fc.array(filler, { maxLength: 3 }), fc.array(filler, { maxLength: 3 }), arbIpv4(), arbPort(), (before, after, ip, port) => {
        fc.pre(port !== 0x0348);
        const toa = Buffer.from(encodeCarrier('toa-v4', { clientAddress: ip, clientPort: port })).toString('hex');
        const hex = before.join('') + toa + after.join('');
        const b = new Uint8Array(Buffer.from(hex, 'hex'));
        fc.pre(b.length <= 40);
        const out: Carrier[] = [];
        expect(scanTcpOptions(b, 0, b.length, false, out)).toBe(1);
        expect(out[0]!.offset).toBe(before.join('').length / 2);
        expect(out[0]!.clientAddress).toBe(text(ip));
      }),
      { numRuns: 500 },
    );
  });
});
