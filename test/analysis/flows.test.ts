import { describe, expect, it } from 'vitest';
import { CARRIER_SLOT, D, dottedQuadValue, FLOW_DIRECTION, FlowTable, formatIpv4Value, PairIndex, ROW_DOUBLES } from '../../src/analysis/flows.js';
import type { Carrier } from '../../src/carriers/index.js';
import { parseIp } from '../../src/codec/addr.js';

/** Source address at 0, destination at 16 (IPv6) or 4 (IPv4), like a tiny packet. */
function addresses(source: string, destination: string): { data: Uint8Array; length: 4 | 16 } {
  const s = parseIp(source)!;
  const d = parseIp(destination)!;
  const data = new Uint8Array(32);
  data.set(s, 0);
  data.set(d, 16);
  return { data, length: s.length === 4 ? 4 : 16 };
}

function lookup(t: FlowTable, source: string, sport: number, destination: string, dport: number) {
  const { data, length } = addresses(source, destination);
  return t.lookup(data, 0, 16, length, sport, dport);
}

describe('FlowTable', () => {
  it('finds the same record in both directions and sets the direction', () => {
    const t = new FlowTable();
    const a = lookup(t, '10.0.0.1', 40000, '10.0.0.2', 80);
    expect(t.direction).toBe(FLOW_DIRECTION.A_TO_B);
    const b = lookup(t, '10.0.0.2', 80, '10.0.0.1', 40000);
    expect(b).toBe(a);
    expect(t.direction).toBe(FLOW_DIRECTION.B_TO_A);
    expect(t.size).toBe(1);
    expect(t.endpoints(a)).toMatchObject({ client: '10.0.0.1:40000', server: '10.0.0.2:80' });
  });

  it('keeps swapped ports, other families and near-identical tuples apart, through table growth', () => {
    const t = new FlowTable();
    const seen = new Map<string, unknown>();
    // 20,000 tuples: grows the slot array several times; includes port-swapped and address-swapped twins
    for (let i = 0; i < 5000; i++) {
      const host = `10.${(i >> 8) & 255}.${i & 255}.1`;
      const keys: [string, number, string, number][] = [
        [host, 1000 + i, '10.0.0.2', 80],
        [host, 80, '10.0.0.2', 1000 + i],
        ['10.0.0.2', 1000 + i, host, 81],
        [`2001:db8::${i.toString(16)}`, 1000 + i, '2001:db8::2', 80],
      ];
      for (const k of keys) {
        const r = lookup(t, ...k);
        const name = k.join(' ');
        expect(seen.has(name)).toBe(false);
        seen.set(name, r);
      }
    }
    expect(t.size).toBe(20000);
    expect(new Set(seen.values()).size).toBe(20000);
    // every tuple still resolves to its own record, from both sides
    for (const [name, record] of seen) {
      const [s, sp, d, dp] = name.split(' ');
      expect(lookup(t, s!, Number(sp), d!, Number(dp))).toBe(record);
      expect(lookup(t, d!, Number(dp), s!, Number(sp))).toBe(record);
    }
    expect(t.size).toBe(20000);
  });

  it('endpointIs compares address bytes and the optional port', () => {
    const t = new FlowTable();
    const r = lookup(t, '2001:db8::1', 5000, '2001:db8::2', 443);
    expect(t.endpointIs(r, 1, parseIp('2001:db8::2')!, 443)).toBe(true);
    expect(t.endpointIs(r, 1, parseIp('2001:db8::2')!, null)).toBe(true);
    expect(t.endpointIs(r, 1, parseIp('2001:db8::2')!, 80)).toBe(false);
    expect(t.endpointIs(r, 0, parseIp('10.0.0.1')!, null)).toBe(false);
    expect(t.address(r, 0)).toBe('2001:db8::1');
  });

  it('keeps a carrier as shape + IPv4 + port and gives the same fields back; other carriers as objects; reset clears them', () => {
    const t = new FlowTable();
    const f = lookup(t, '10.0.0.1', 40000, '10.0.0.2', 80);
    const toa: Carrier = { carrier: 'tcp-option', kind: 254, length: 8, format: 'toa-v4', clientAddress: '203.0.113.250', clientPort: 65535, offset: 54 };
    const ttgw: Carrier = { carrier: 'ipv4-option', kind: 31, length: 16, format: 'ttgw-v4', clientAddress: '198.51.100.7', clientPort: null, offset: 34, firstOption: false };
    const v6: Carrier = { carrier: 'tcp-option', kind: 254, length: 20, format: 'toa-v6', clientAddress: '2001:db8::7', clientPort: 8, offset: 54 };
    t.keepCarrier(f, CARRIER_SLOT.ACK, toa);
    t.keepCarrier(f, CARRIER_SLOT.SYN, ttgw);
    t.keepCarrier(f, CARRIER_SLOT.LATER, v6);
    expect(t.carrierShapeOf(f, CARRIER_SLOT.ACK)).toBeGreaterThan(0);
    expect(t.carrierShapeOf(f, CARRIER_SLOT.LATER)).toBe(-1);
    expect(t.carriers(f, CARRIER_SLOT.ACK)).toEqual([{ carrier: 'tcp-option', kind: 254, length: 8, format: 'toa-v4', clientAddress: '203.0.113.250', clientPort: 65535 }]);
    expect(t.carrier(f, CARRIER_SLOT.SYN)).toEqual({ carrier: 'ipv4-option', kind: 31, length: 16, format: 'ttgw-v4', clientAddress: '198.51.100.7', clientPort: null, firstOption: false });
    expect(t.carrier(f, CARRIER_SLOT.LATER)).toBe(v6);
    expect(t.hasCarrier(f, CARRIER_SLOT.FIRST)).toBe(false);
    // same shape, other address: one shape number
    const g = lookup(t, '10.0.0.3', 40000, '10.0.0.2', 80);
    t.keepCarrier(g, CARRIER_SLOT.ACK, { ...toa, clientAddress: '192.0.2.1', clientPort: 1 });
    expect(t.carrierShapeOf(g, CARRIER_SLOT.ACK)).toBe(t.carrierShapeOf(f, CARRIER_SLOT.ACK));
    expect(t.carrier(g, CARRIER_SLOT.ACK)?.clientAddress).toBe('192.0.2.1');
    t.doubles[f * ROW_DOUBLES + D.PACKETS_A] = 3;
    t.resetConnection(f);
    for (const slot of Object.values(CARRIER_SLOT)) expect(t.hasCarrier(f, slot)).toBe(false);
    expect(t.packets(f)).toBe(0);
    expect(t.reusedFourTuples()).toBe(1);
    expect(lookup(t, '10.0.0.2', 80, '10.0.0.1', 40000)).toBe(f);
    expect(t.endpoints(f)).toMatchObject({ client: '10.0.0.1:40000', server: '10.0.0.2:80' });
  });

  it('dottedQuadValue reads only the text formatIpv4 writes', () => {
    expect(dottedQuadValue('0.0.0.0')).toBe(0);
    expect(dottedQuadValue('255.255.255.255')).toBe(0xffffffff);
    expect(dottedQuadValue('198.51.100.7')).toBe(0xc6336407);
    expect(formatIpv4Value(0xc6336407)).toBe('198.51.100.7');
    for (const text of ['010.1.1.1', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.4 ', '::ffff:1.2.3.4', '', '1..2.3', '1.2.3.-4', '1.2.3.04']) {
      expect(dottedQuadValue(text)).toBe(-1);
    }
  });

  it('PairIndex finds pairs by value through growth, rows in insertion order with their counters', () => {
    const p = new PairIndex();
    for (let i = 0; i < 20000; i++) {
      const row = p.add(0xc0000000 + i * 7919, i % 3 === 0 ? 0 : 65535 - (i % 1000));
      expect(row).toBe(i);
      p.addToCounter(row, 0, i);
      p.addToCounter(row, 1, 1);
    }
    expect(p.size).toBe(20000);
    for (let i = 0; i < 20000; i += 97) {
      const port = i % 3 === 0 ? 0 : 65535 - (i % 1000);
      expect(p.find(0xc0000000 + i * 7919, port)).toBe(i);
      expect(p.add(0xc0000000 + i * 7919, port)).toBe(i);
      expect(p.address(i)).toBe(0xc0000000 + i * 7919);
      expect(p.counter(i, 0)).toBe(i);
      expect(p.counter(i, 1)).toBe(1);
    }
    expect(p.find(0xc0000000 + 1 * 7919, 0)).toBe(-1);
    expect(p.size).toBe(20000);
  });
});
