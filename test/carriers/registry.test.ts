import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { MalformedError } from '../../src/codec/errors.js';
import {
  FORMATS, decodeCarrier, decodeIpVsCaNotification, decodeOpp, describeFormats, encodeCarrier, encodeIpv4OptionCarrier,
  encodeIpv6DestOptCarrier, encodeOppHeader, encodeProxyV1, encodeProxyV2, encodeTcpCarrier, requireFormat, resolveFormat,
  scanIpv4Options, scanIpv6DestOpts, scanPayload, scanTcpOptions, type Carrier, type CarrierFields, type CarrierNote,
} from '../../src/carriers/index.js';

/** Decode bytes produced by a format's encoder with the scanner that handles its carrier. */
function scanEncoded(format: string, bytes: Uint8Array, notes: CarrierNote[] = []): Carrier[] {
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

const V4: CarrierFields = { clientAddress: '192.0.2.1', clientPort: 40000, virtualAddress: '198.51.100.10', virtualPort: 80, vni: 0x00abcdef, vpcId: 0x123456 };
const V6: CarrierFields = { clientAddress: '2001:db8::1', clientPort: 40000, virtualAddress: '2001:db8::80', virtualPort: 443, vni: 7, vpcId: 0x123456 };

/** Per format: which sample(s) it takes and which decoded fields must come back. */
const CASES: Record<string, { fields: CarrierFields; expect: Partial<Carrier> }[]> = {
  'toa-v4': [{ fields: V4, expect: { kind: 254, length: 8, clientAddress: '192.0.2.1', clientPort: 40000 } }],
  'toa-v6': [{ fields: V6, expect: { kind: 254, length: 20, clientAddress: '2001:db8::1', clientPort: 40000 } }],
  'toa-extra-v4': [{ fields: V4, expect: { kind: 254, length: 16, clientAddress: '192.0.2.1', clientPort: 40000, virtualAddress: '198.51.100.10', virtualPort: 80 } }],
  'toa-v6-253': [{ fields: V6, expect: { kind: 253, length: 20, clientAddress: '2001:db8::1', clientPort: 40000 } }],
  'toa-v4-253': [{ fields: V4, expect: { kind: 253, length: 8, clientAddress: '192.0.2.1', clientPort: 40000 } }],
  'toa-v4-200': [{ fields: V4, expect: { kind: 200, length: 8, clientAddress: '192.0.2.1', clientPort: 40000 } }],
  'tencent-vpc-id': [{ fields: V4, expect: { kind: 201, length: 6, clientAddress: null, clientPort: null, vpcId: 0x123456 } }],
  'tencent-vip': [{ fields: V4, expect: { kind: 202, length: 8, clientAddress: null, virtualAddress: '198.51.100.10', virtualPort: 80 } }],
  'alibaba-vtoa-vip': [{ fields: V4, expect: { kind: 250, length: 8, clientAddress: null, virtualAddress: '198.51.100.10', virtualPort: 80 } }],
  'alibaba-vtoa-vpc': [{ fields: V4, expect: { kind: 252, length: 20, clientAddress: '192.0.2.1', clientPort: 40000, vpcId: 0x123456, virtualAddress: '198.51.100.10', virtualPort: 80 } }],
  'alibaba-vtoa-vpc-v6': [{ fields: V6, expect: { kind: 249, length: 40, clientAddress: '2001:db8::1', clientPort: 40000, vpcId: 0x123456, virtualAddress: '2001:db8::80' } }],
  'alibaba-cdn-v4': [{ fields: V4, expect: { kind: 28, length: 7, clientAddress: '192.0.2.1', clientPort: null } }],
  'alibaba-cdn-v6': [{ fields: V6, expect: { kind: 28, length: 19, clientAddress: '2001:db8::1', clientPort: null } }],
  'uoa-ipo': [{ fields: V4, expect: { kind: 31, length: 8, clientAddress: '192.0.2.1', clientPort: 40000, firstOption: true } }],
  'uoa-opp': [
    { fields: V4, expect: { kind: 31, length: 8, clientAddress: '192.0.2.1', clientPort: 40000, oppVersion: 1, nextProtocol: 17 } },
    { fields: V6, expect: { kind: 31, length: 20, clientAddress: '2001:db8::1', clientPort: 40000, oppVersion: 2, nextProtocol: 17 } },
  ],
  'ttgw-v4': [
    { fields: V4, expect: { kind: 31, length: 16, operation: 0, clientAddress: '192.0.2.1', clientPort: 40000, virtualAddress: '198.51.100.10', virtualPort: 80 } },
    { fields: V6, expect: { kind: 31, length: 40, operation: 1, clientAddress: '2001:db8::1', clientPort: 40000, virtualAddress: '2001:db8::80', virtualPort: 443 } },
  ],
  'ttgw-v4-asym': [
    { fields: V4, expect: { kind: 30, length: 16, asymmetric: true, clientAddress: '192.0.2.1', virtualAddress: '198.51.100.10' } },
    { fields: V6, expect: { kind: 30, length: 40, asymmetric: true, clientAddress: '2001:db8::1', virtualAddress: '2001:db8::80' } },
  ],
  'ttgw-v6': [
    { fields: V4, expect: { kind: 31, length: 12, clientAddress: '192.0.2.1', clientPort: 40000, virtualAddress: '198.51.100.10', virtualPort: 80, firstOption: true } },
    { fields: V6, expect: { kind: 31, length: 36, clientAddress: '2001:db8::1', clientPort: 40000, virtualAddress: '2001:db8::80', virtualPort: 443 } },
  ],
  'ttgw-v6-asym': [
    { fields: V4, expect: { kind: 30, length: 12, asymmetric: true, clientAddress: '192.0.2.1' } },
    { fields: V6, expect: { kind: 30, length: 36, asymmetric: true, clientAddress: '2001:db8::1' } },
  ],
  'ttgw-v2': [
    { fields: V4, expect: { kind: 29, length: 16, operation: 0, vni: 0x00abcdef, clientAddress: '192.0.2.1', clientPort: 40000 } },
    { fields: V6, expect: { kind: 29, length: 32, operation: 1, vni: 7, clientAddress: '2001:db8::1', clientPort: 40000 } },
  ],
  'ttgw-v2-v6': [
    { fields: V4, expect: { kind: 29, length: 12, vni: 0x00abcdef, clientAddress: '192.0.2.1', clientPort: 40000 } },
    { fields: V6, expect: { kind: 29, length: 28, vni: 7, clientAddress: '2001:db8::1', clientPort: 40000 } },
  ],
  'ovs-slb-rs': [{ fields: V4, expect: { kind: 30, length: 8, clientAddress: '192.0.2.1', clientPort: 40000 } }],
  'ip-vs-ca-icmp': [
    { fields: { ...V4, flowSourcePort: 5000, flowDestinationPort: 53 }, expect: { kind: 200, length: 14, protocol: 17, flowSourcePort: 5000, flowDestinationPort: 53, clientAddress: '192.0.2.1', clientPort: 40000 } },
    { fields: { ...V6, protocol: 6 }, expect: { kind: 253, length: 26, protocol: 6, clientAddress: '2001:db8::1', clientPort: 40000 } },
  ],
  'proxy-v1': [
    { fields: V4, expect: { length: 45, family: 'TCP4', clientAddress: '192.0.2.1', clientPort: 40000, virtualAddress: '198.51.100.10', virtualPort: 80 } },
    { fields: V6, expect: { family: 'TCP6', clientAddress: '2001:db8::1', clientPort: 40000, virtualAddress: '2001:db8::80', virtualPort: 443 } },
  ],
  'proxy-v2': [
    { fields: V4, expect: { length: 28, command: 'PROXY', family: 'inet', transport: 'stream', clientAddress: '192.0.2.1', clientPort: 40000, virtualAddress: '198.51.100.10', virtualPort: 80 } },
    { fields: { ...V6, transport: 'dgram' }, expect: { length: 52, family: 'inet6', transport: 'dgram', clientAddress: '2001:db8::1', virtualPort: 443 } },
  ],
  spp: [
    { fields: V4, expect: { length: 38, clientAddress: '192.0.2.1', clientPort: 40000, virtualAddress: '198.51.100.10', virtualPort: 80 } },
    { fields: V6, expect: { length: 38, clientAddress: '2001:db8::1', virtualAddress: '2001:db8::80', virtualPort: 443 } },
  ],
};

describe('registry table', () => {
  it('covers every row of tables 1a (T1..T14), 1b (I1..I8 except I6 = I1) and 1c (P1..P3)', () => {
    const rows = new Set(FORMATS.map((f) => f.row));
    for (let i = 1; i <= 14; i++) expect(rows.has(`T${i}`), `T${i}`).toBe(true);
    for (const r of ['I1', 'I2', 'I3', 'I4', 'I5', 'I7', 'I8', 'P1', 'P2', 'P3']) expect(rows.has(r), r).toBe(true);
    expect(requireFormat('jd-ipoa').row).toBe('I1'); // I6 is the same wire format as I1
    expect(requireFormat('uoa-ipo').vendors.join(' ')).toMatch(/JD ipoa/);
  });
  it('has unique names and aliases', () => {
    const seen = new Set<string>();
    for (const f of FORMATS) for (const n of [f.format, ...f.aliases]) {
      expect(seen.has(n), n).toBe(false);
      seen.add(n);
    }
    expect(resolveFormat('DPVS-TOA-V4')?.format).toBe('toa-v4');
    expect(resolveFormat('tencent-toa')?.format).toBe('toa-v4-200');
    expect(resolveFormat('lvs-toa-v6')?.format).toBe('toa-v6-253');
    expect(resolveFormat('nope')).toBeUndefined();
    expect(() => requireFormat('nope')).toThrow(MalformedError);
  });
  it('describeFormats lists every row with plain strings', () => {
    const rows = describeFormats();
    expect(rows).toHaveLength(FORMATS.length);
    expect(rows.find((r) => r.format === 'host-id')).toMatchObject({ address: 'not a carrier', kind: '253/254' });
    expect(rows.find((r) => r.format === 'tencent-vip')).toMatchObject({ address: 'none', kind: '202', lengths: '8' });
    expect(rows.find((r) => r.format === 'ttgw-v4')).toMatchObject({ address: 'client', lengths: '16/40' });
    for (const r of rows) for (const v of Object.values(r)) expect(typeof v).toBe('string');
  });
  it('has a round-trip case for every non-look-alike row', () => {
    for (const f of FORMATS) if (!f.lookalike) expect(CASES[f.format], f.format).toBeDefined();
  });
});

describe('encode → decode round trip for every registry row', () => {
  for (const [format, cases] of Object.entries(CASES)) {
    for (const { fields, expect: want } of cases) {
      it(`${format} (${String(want.length ?? want.family ?? '')})`, () => {
        const bytes = encodeCarrier(format, fields);
        const notes: CarrierNote[] = [];
        const found = scanEncoded(format, bytes, notes);
        expect(found).toHaveLength(1);
        expect(found[0]).toMatchObject({ format, offset: requireFormat(format).carrier === 'ipv6-dstopt' ? 2 : 0, ...want });
        expect(notes.filter((n) => n.severity === 'warning')).toEqual([]);
        // table-level decode gives the same result
        const f = requireFormat(format);
        if (f.carrier === 'tcp-option' || f.carrier === 'ipv4-option') expect({ ...decodeCarrier(format, bytes, 0, bytes[1]!), ...(f.carrier === 'ipv4-option' ? { firstOption: true } : {}) }).toEqual(found[0]);
        // re-encoding the decoded fields gives the same bytes (lossless for everything the format carries)
        const c = found[0]!;
        const again = encodeCarrier(format, {
          ...fields,
          ...(c.clientAddress !== null ? { clientAddress: c.clientAddress } : {}),
          ...(c.clientPort !== null ? { clientPort: c.clientPort } : {}),
        });
        expect(toHex(again)).toBe(toHex(bytes));
      });
    }
  }
  it('the Host ID look-alike encodes and is reported as a note, not a carrier', () => {
    const bytes = encodeCarrier('host-id', { hostId: Uint8Array.of(1, 2, 3, 4) });
    expect(toHex(bytes)).toBe('fd08034801020304');
    const notes: CarrierNote[] = [];
    expect(scanEncoded('host-id', bytes, notes)).toEqual([]);
    expect(notes).toMatchObject([{ code: 'host-id', kind: 253, length: 8, offset: 0 }]);
  });
});

describe('spec vectors', () => {
  it('T10 real capture fc14 a85e 0a0a0538 4fa82c00 0a0a08d0 0cea 0101 (Alibaba vtoa VPC)', () => {
    const b = fromHex('fc14 a85e 0a0a0538 4fa82c00 0a0a08d0 0cea 0101');
    const out: Carrier[] = [];
    expect(scanTcpOptions(b, 0, b.length, false, out)).toBe(1);
    expect(out[0]).toMatchObject({
      format: 'alibaba-vtoa-vpc', kind: 252, length: 20, clientPort: 0xa85e, clientAddress: '10.10.5.56',
      vpcId: 0x4fa82c00, virtualAddress: '10.10.8.208', virtualPort: 0x0cea, offset: 0,
    });
  });
  it('DPVS TV-1 option fe 08 9c 40 c0 00 02 01', () => {
    const b = fromHex('fe089c40c0000201');
    const out: Carrier[] = [];
    scanTcpOptions(b, 0, 8, false, out);
    expect(out).toEqual([{ carrier: 'tcp-option', kind: 254, length: 8, format: 'toa-v4', clientAddress: '192.0.2.1', clientPort: 40000, offset: 0 }]);
    expect(toHex(encodeTcpCarrier('dpvs-toa-v4', { clientAddress: Uint8Array.of(192, 0, 2, 1), clientPort: 40000 }))).toBe('fe089c40c0000201');
  });
  it('DPVS TV-2: TOA first, then NOP NOP TS; offsets are absolute inside a larger buffer', () => {
    const b = fromHex('aaaa fe089c40c0000201 0101080a0000000100000002 bbbb');
    const out: Carrier[] = [];
    const notes: CarrierNote[] = [];
    expect(scanTcpOptions(b, 2, 22, false, out, notes)).toBe(1);
    expect(out[0]).toMatchObject({ offset: 2, clientAddress: '192.0.2.1' });
    expect(notes).toEqual([]);
  });
  it('DPVS TV-6/TV-7 IPv6 / NAT64 option fe 14 9c 40 2001:db8::1', () => {
    const hex = 'fe149c4020010db8000000000000000000000001';
    const b = fromHex(hex + '0101080a0000000100000002');
    const out: Carrier[] = [];
    scanTcpOptions(b, 0, b.length, false, out);
    expect(out).toMatchObject([{ format: 'toa-v6', kind: 254, length: 20, clientAddress: '2001:db8::1', clientPort: 40000 }]);
    expect(toHex(encodeTcpCarrier('toa-v6', { clientAddress: '2001:db8::1', clientPort: 40000 }))).toBe(hex);
  });
  it('DPVS TV-22 opp bytes 10 11 00 0c 1f 08 14 e9 c0 00 02 01 and ipo option 1f 08 14 e9 c0 00 02 01', () => {
    const opp = fromHex('1011000c1f0814e9c0000201');
    const out: Carrier[] = [];
    expect(decodeOpp(opp, 0, opp.length, out)).toBe(1);
    expect(out[0]).toMatchObject({ carrier: 'opp', format: 'uoa-opp', kind: 31, length: 8, oppVersion: 1, nextProtocol: 17, clientAddress: '192.0.2.1', clientPort: 5353 });
    expect(toHex(encodeOppHeader({ clientAddress: '192.0.2.1', clientPort: 5353 }))).toBe('1011000c1f0814e9c0000201');
    const ipo = fromHex('1f0814e9c0000201');
    const out2: Carrier[] = [];
    scanIpv4Options(ipo, 0, 8, out2);
    expect(out2[0]).toMatchObject({ carrier: 'ipv4-option', format: 'uoa-ipo', clientAddress: '192.0.2.1', clientPort: 5353, firstOption: true });
    expect(toHex(encodeIpv4OptionCarrier('uoa-ipo', { clientAddress: '192.0.2.1', clientPort: 5353 }))).toBe('1f0814e9c0000201');
  });
  it('DPVS TV-23 PROXY v2 bytes and the v1 line', () => {
    const v2 = '0d0a0d0a000d0a515549540a2111000cc0000201c633640a9c400050';
    const f = { clientAddress: '192.0.2.1', clientPort: 40000, virtualAddress: '198.51.100.10', virtualPort: 80 };
    expect(toHex(encodeProxyV2(f))).toBe(v2);
    const line = 'PROXY TCP4 192.0.2.1 198.51.100.10 40000 80\r\n';
    expect(Buffer.from(encodeProxyV1(f)).toString('latin1')).toBe(line);
    expect(encodeProxyV1(f)).toHaveLength(45);
    const out: Carrier[] = [];
    scanPayload(fromHex(v2 + '474554'), 0, 31, 'tcp', out);
    scanPayload(new Uint8Array(Buffer.from(line + 'GET / HTTP/1.1\r\n', 'latin1')), 0, 61, 'tcp', out);
    expect(out[0]).toMatchObject({ carrier: 'proxy-v2', length: 28, ...f });
    expect(out[1]).toMatchObject({ carrier: 'proxy-v1', length: 45, family: 'TCP4', ...f });
  });
  it('TTGW over IPv6: the dst-opt header is hdr len 1 / 4 and needs no padding', () => {
    const h4 = encodeIpv6DestOptCarrier('ttgw-v6', { ...V4, nextHeader: 6 });
    expect(h4).toHaveLength(16);
    expect(Array.from(h4.subarray(0, 4))).toEqual([6, 1, 31, 12]);
    const h6 = encodeIpv6DestOptCarrier('ttgw-v6', V6);
    expect(h6).toHaveLength(40);
    expect(Array.from(h6.subarray(0, 4))).toEqual([59, 4, 31, 36]);
    const v2 = encodeIpv6DestOptCarrier('ttgw-v2-v6', V6);
    expect(Array.from(v2.subarray(0, 4))).toEqual([59, 3, 29, 28]);
  });
});

describe('encoder errors', () => {
  it('refuses the wrong family, missing fields and out-of-range values with MalformedError', () => {
    expect(() => encodeCarrier('toa-v4', V6)).toThrow(/IPv4/);
    expect(() => encodeCarrier('toa-v4', { clientAddress: '192.0.2.1' })).toThrow(MalformedError);
    expect(() => encodeCarrier('toa-v4', { clientAddress: '192.0.2.1', clientPort: 70000 })).toThrow(/0\.\.65535/);
    expect(() => encodeCarrier('ttgw-v4', { ...V4, virtualAddress: '2001:db8::1' })).toThrow(MalformedError);
    expect(() => encodeCarrier('toa-v4', { clientAddress: 'banana', clientPort: 1 })).toThrow(/not an IPv4 or IPv6/);
    expect(() => encodeTcpCarrier('uoa-ipo', V4)).toThrow(/not in TCP options/);
    expect(() => encodeIpv4OptionCarrier('toa-v4', V4)).toThrow(/not in IPv4 options/);
    expect(() => encodeIpv6DestOptCarrier('ttgw-v4', V4)).toThrow(/not in IPv6 destination options/);
  });
  it('align pads with leading NOPs; kind override writes the kind byte', () => {
    expect(toHex(encodeTcpCarrier('alibaba-cdn-v4', V4, { align: true }))).toBe('011c0701c0000201');
    expect(toHex(encodeTcpCarrier('tencent-vpc-id', { vpcId: 5 }, { align: true }))).toBe('0101c90600000005');
    expect(toHex(encodeTcpCarrier('custom-v4', V4, { kind: 100 }))).toBe('64089c40c0000201');
    expect(() => encodeTcpCarrier('toa-v4', V4, { kind: 1 })).toThrow(MalformedError);
  });
  it('decodeCarrier checks lengths and bounds instead of reading past the buffer', () => {
    expect(() => decodeCarrier('toa-v4', fromHex('fe089c40c000'), 0, 8)).toThrow(/truncated/);
    expect(() => decodeCarrier('toa-v4', fromHex('fe089c40c0000201'), 0, 20)).toThrow(MalformedError);
  });
});
