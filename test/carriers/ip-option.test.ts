import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/codec/bytes.js';
import {
  decodeOpp, encodeIpv4OptionCarrier, encodeIpv6DestOptCarrier, oppLength, scanIpv4Options, scanIpv6DestOpts, wrapDestinationOptions,
  type Carrier, type CarrierNote,
} from '../../src/carriers/index.js';

function v4(hex: string) {
  const b = fromHex(hex);
  const out: Carrier[] = [];
  const notes: CarrierNote[] = [];
  scanIpv4Options(b, 0, b.length, out, notes);
  return { out, notes };
}
function v6(hex: string) {
  const b = fromHex(hex);
  const out: Carrier[] = [];
  const notes: CarrierNote[] = [];
  scanIpv6DestOpts(b, 0, b.length, out, notes);
  return { out, notes };
}

describe('IPv4 options — rule 6', () => {
  it('TTGW 31/16 hand-written: op 0, cport 40000, vport 80, 192.0.2.1 → 198.51.100.10', () => {
    const { out, notes } = v4('1f10 0000 9c40 0050 c0000201 c633640a');
    expect(notes).toEqual([]);
    expect(out).toEqual([{
      carrier: 'ipv4-option', kind: 31, length: 16, format: 'ttgw-v4', offset: 0, firstOption: true, operation: 0,
      clientAddress: '192.0.2.1', clientPort: 40000, virtualAddress: '198.51.100.10', virtualPort: 80,
    }]);
  });
  it('records whether the option is the first one (ByteDance reads only the first)', () => {
    const { out } = v4('01 1f08 14e9 c0000201 1e10 0000 9c40 0050 c0000201 c633640a 000000');
    expect(out).toMatchObject([
      { format: 'uoa-ipo', offset: 1, firstOption: false },
      { format: 'ttgw-v4-asym', offset: 9, firstOption: false, asymmetric: true },
    ]);
    expect(v4('1f0814e9c0000201').out[0]!.firstOption).toBe(true);
  });
  it('type 30/8 is the OVS slb_rs style; 29/16 is TTGW v2 with VNI', () => {
    expect(v4('1e080050c0000201').out).toMatchObject([{ format: 'ovs-slb-rs', clientPort: 80, clientAddress: '192.0.2.1' }]);
    expect(v4('1d10 0000 00abcdef 9c40 0000 c0000201').out).toMatchObject([{ format: 'ttgw-v2', vni: 0xabcdef, clientPort: 40000, clientAddress: '192.0.2.1' }]);
  });
  it('a TTGW operation byte that disagrees with the length is decoded by length and noted', () => {
    const { out, notes } = v4('1f10 0100 9c40 0050 c0000201 c633640a');
    expect(out).toMatchObject([{ clientAddress: '192.0.2.1', operation: 1 }]);
    expect(notes).toMatchObject([{ code: 'family-mismatch', offset: 0 }]);
    expect(v4('1d10 0100 00000001 9c40 0000 c0000201').notes).toMatchObject([{ code: 'family-mismatch' }]);
  });
  it('31 at an unused length is noted; record-route (7) is skipped silently', () => {
    expect(v4('1f0c0000000000000000000000').notes).toMatchObject([{ code: 'unknown-length', kind: 31, length: 12 }]);
    const rr = v4('07070400000000 1f0814e9c0000201 00');
    expect(rr.notes).toEqual([]);
    expect(rr.out).toMatchObject([{ format: 'uoa-ipo', offset: 7 }]);
  });
  it('malformed walks: length < 2, overrun, missing length byte', () => {
    expect(v4('1f01c0000201').notes).toMatchObject([{ code: 'malformed-option', offset: 0, length: 1 }]);
    expect(v4('1f10000000').notes).toMatchObject([{ code: 'malformed-option', offset: 0, length: 16 }]);
    expect(v4('01011f').notes).toMatchObject([{ code: 'malformed-option', offset: 2 }]);
  });
  it('encodes the exact IPv4 option bytes', () => {
    expect(Buffer.from(encodeIpv4OptionCarrier('ttgw-v4', { clientAddress: '192.0.2.1', clientPort: 40000, virtualAddress: '198.51.100.10', virtualPort: 80 })).toString('hex'))
      .toBe('1f1000009c400050c0000201c633640a');
  });
});

describe('IPv6 destination options — rule 7', () => {
  it('TTGW 31/12 hand-written (next header 6, hdr ext len 1)', () => {
    const { out, notes } = v6('0601 1f0c 9c40 0050 c0000201 c633640a');
    expect(notes).toEqual([]);
    expect(out).toEqual([{
      carrier: 'ipv6-dstopt', kind: 31, length: 12, format: 'ttgw-v6', offset: 2, firstOption: true,
      clientAddress: '192.0.2.1', clientPort: 40000, virtualAddress: '198.51.100.10', virtualPort: 80,
    }]);
  });
  it('walks Pad1 and PadN before the option', () => {
    // 2 hdr + Pad1 + PadN(len 1: 3 bytes) + option 14 = 20 → padded to 24 with PadN(2)
    const { out, notes } = v6('1102 00 0101 00 1d0c 00000007 9c40 0000 c0000201 0102 0000');
    expect(notes).toEqual([]);
    expect(out).toMatchObject([{ format: 'ttgw-v2-v6', offset: 6, vni: 7, clientPort: 40000, clientAddress: '192.0.2.1', firstOption: true }]);
  });
  it('wrapDestinationOptions pads with Pad1/PadN to 8 bytes', () => {
    expect(Buffer.from(wrapDestinationOptions(Uint8Array.of(0x1f, 0x01, 0xaa), 17)).toString('hex')).toBe('11001f01aa010100');
    expect(Buffer.from(wrapDestinationOptions(Uint8Array.of(0x1f, 0x03, 1, 2, 3), 17)).toString('hex')).toBe('11001f0301020300');
    const h = encodeIpv6DestOptCarrier('ttgw-v6-asym', { clientAddress: '2001:db8::1', clientPort: 1, virtualAddress: '2001:db8::2', virtualPort: 2, nextHeader: 17 });
    expect(h.length % 8).toBe(0);
    expect(v6(Buffer.from(h).toString('hex')).out).toMatchObject([{ format: 'ttgw-v6-asym', clientAddress: '2001:db8::1', virtualAddress: '2001:db8::2' }]);
  });
  it('a header declaring more than the range is noted; an option overrunning it stops the walk', () => {
    const longer = v6('0602 1f0c 9c40 0050 c0000201 c633640a');
    expect(longer.notes[0]).toMatchObject({ code: 'malformed-option', offset: 0, length: 24 });
    expect(longer.out).toHaveLength(1);
    expect(v6('0600 1f10 0000 0000').notes).toMatchObject([{ code: 'malformed-option', offset: 2 }]);
  });
  it('other option types are skipped; a carrier after one is not first', () => {
    const { out, notes } = v6('0603 c2040000ffff 1f0c 9c40 0050 c0000201 c633640a 0108 0000000000000000');
    expect(notes).toEqual([]);
    expect(out).toMatchObject([{ format: 'ttgw-v6', offset: 8, firstOption: false }]);
  });
});

describe('opp shim — rule 8', () => {
  it('decodes IPv6 client (version 2, length 24) and reports the shim length', () => {
    const hex = '20110018 1f14 9c40 20010db8000000000000000000000001';
    const b = fromHex(hex + '00350035000c0000');
    const out: Carrier[] = [];
    expect(decodeOpp(b, 0, b.length, out)).toBe(1);
    expect(out[0]).toMatchObject({ carrier: 'opp', kind: 31, length: 20, oppVersion: 2, clientAddress: '2001:db8::1', clientPort: 40000, offset: 0 });
    expect(oppLength(b, 0, b.length)).toBe(24);
    expect(oppLength(b, 0, 3)).toBe(-1);
  });
  it('rejects bad versions, lengths and inner options with notes', () => {
    const cases: [string, RegExp][] = [
      ['3011000c1f0814e9c0000201', /version byte 0x30/],
      ['1011000d1f0814e9c000020100', /length 13/],
      ['1011000c1e0814e9c0000201', /inner option type 30/],
      ['10110018' + '1f0814e9c0000201', /declares 24 bytes, 12 available/],
      ['1011', /cut after 2/],
    ];
    for (const [hex, re] of cases) {
      const b = fromHex(hex);
      const out: Carrier[] = [];
      const notes: CarrierNote[] = [];
      expect(decodeOpp(b, 0, b.length, out, notes)).toBe(0);
      expect(notes[0]?.code, hex).toBe('opp-malformed');
      expect(notes[0]!.message).toMatch(re);
    }
  });
  it('version/length disagreement is decoded by length with a family-mismatch note', () => {
    const b = fromHex('2011000c1f0814e9c0000201');
    const out: Carrier[] = [];
    const notes: CarrierNote[] = [];
    expect(decodeOpp(b, 0, b.length, out, notes)).toBe(1);
    expect(out[0]!.clientAddress).toBe('192.0.2.1');
    expect(notes).toMatchObject([{ code: 'family-mismatch' }]);
  });
});
