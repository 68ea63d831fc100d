import { describe, expect, it } from 'vitest';
import { FLOW_DIRECTION, FlowTable } from '../../src/analysis/flows.js';
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
});
