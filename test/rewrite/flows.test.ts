/** FlowTable: the typed-array key table behind inject-toa/strip/--reverse flow tracking. */
import { describe, expect, it } from 'vitest';
import { FlowTable } from '../../src/rewrite/flows.js';

/** Just enough of an IP + transport header for a flow key: addresses at their offsets, ports at l4. */
function header(af: 4 | 6, src: number[], dst: number[], sport: number, dport: number): { data: Uint8Array; l4: number } {
  const l4 = af === 4 ? 20 : 40;
  const data = new Uint8Array(l4 + 8);
  data.set(src, af === 4 ? 12 : 8);
  data.set(dst, af === 4 ? 16 : 24);
  data[l4] = sport >>> 8;
  data[l4 + 1] = sport & 0xff;
  data[l4 + 2] = dport >>> 8;
  data[l4 + 3] = dport & 0xff;
  return { data, l4 };
}

const v6 = (last: number): number[] => [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), last];

describe('FlowTable', () => {
  it('finds a flow from both directions, tells the direction, and keeps protocol, family and ports apart', () => {
    const t = new FlowTable();
    const a = header(4, [10, 0, 0, 1], [192, 168, 1, 10], 40000, 80);
    const b = header(4, [192, 168, 1, 10], [10, 0, 0, 1], 80, 40000);
    expect(t.lookupIndex(6, a.data, 0, 4, a.l4)).toBe(0);
    expect([t.created, t.lastForward]).toEqual([true, true]);
    expect(t.lookupIndex(6, b.data, 0, 4, b.l4)).toBe(0);
    expect([t.created, t.lastForward]).toEqual([false, false]);
    expect(t.lookupIndex(6, a.data, 0, 4, a.l4)).toBe(0);
    expect([t.created, t.lastForward]).toEqual([false, true]);
    expect(t.lookupIndex(17, a.data, 0, 4, a.l4)).toBe(1); // UDP on the same 4-tuple: another flow
    const swapped = header(4, [10, 0, 0, 1], [192, 168, 1, 10], 80, 40000); // ports swapped, addresses not
    expect(t.lookupIndex(6, swapped.data, 0, 4, swapped.l4)).toBe(2);
    const six = header(6, v6(1), v6(2), 40000, 80);
    const sixBack = header(6, v6(2), v6(1), 80, 40000);
    expect(t.lookupIndex(6, six.data, 0, 6, six.l4)).toBe(3);
    expect(t.lookupIndex(6, sixBack.data, 0, 6, sixBack.l4)).toBe(3);
    expect(t.lastForward).toBe(false);
    expect(t.lookupIndex(6, header(6, v6(1), v6(3), 40000, 80).data, 0, 6, 40)).toBe(4);
    expect(t.size).toBe(5);
  });

  it('keeps every flow through many growths (columns and slots), IPv4 and IPv6 mixed', () => {
    const t = new FlowTable();
    const n = 5000;
    const key = (i: number) => (i % 3 === 0 ? header(6, v6(i & 0xff), v6((i >>> 8) & 0xff), 1024 + i, 443) : header(4, [10, (i >>> 8) & 0xff, i & 0xff, 1], [192, 168, 1, 10], 1024 + i, 80));
    for (let i = 0; i < n; i++) {
      const k = key(i);
      expect(t.lookupIndex(6, k.data, 0, i % 3 === 0 ? 6 : 4, k.l4)).toBe(i);
      expect(t.created).toBe(true);
    }
    for (let i = n - 1; i >= 0; i--) {
      const k = key(i);
      expect(t.lookupIndex(6, k.data, 0, i % 3 === 0 ? 6 : 4, k.l4)).toBe(i);
      expect(t.created).toBe(false);
    }
    expect(t.size).toBe(n);
  });

  it('reserve(): room up front (a power of two, capped), only on an empty table; the same indices and directions, and growth past it', () => {
    const key = (i: number) => (i % 3 === 0 ? header(6, v6(i & 0xff), v6((i >>> 8) & 0xff), 1024 + i, 443) : header(4, [10, (i >>> 8) & 0xff, i & 0xff, 1], [192, 168, 1, 10], 1024 + i, 80));
    const back = (i: number) => (i % 3 === 0 ? header(6, v6((i >>> 8) & 0xff), v6(i & 0xff), 443, 1024 + i) : header(4, [192, 168, 1, 10], [10, (i >>> 8) & 0xff, i & 0xff, 1], 80, 1024 + i));
    const plain = new FlowTable();
    const reserved = new FlowTable();
    expect(reserved.reserve(5000)).toBe(8192);
    expect(new FlowTable().reserve(1e9)).toBe(1 << 20);
    expect(new FlowTable().reserve(10)).toBe(4096);
    const n = 12_000; // past the reserved 8192: the reserved table grows as a plain one does
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < n; i++) {
        const k = (i + round) % 2 === 0 ? key(i) : back(i);
        const af = i % 3 === 0 ? 6 : 4;
        const a = plain.lookupIndex(6, k.data, 0, af, k.l4);
        const b = reserved.lookupIndex(6, k.data, 0, af, k.l4);
        expect(b).toBe(a);
        expect([reserved.created, reserved.lastForward]).toEqual([plain.created, plain.lastForward]);
      }
    }
    expect(reserved.size).toBe(n);
    expect(reserved.reserve(1 << 20)).toBe(16384); // not empty: unchanged
  });

  it('lookup hands out one Flow per index with the first packet as side A', () => {
    const t = new FlowTable();
    const a = header(4, [10, 0, 0, 1], [192, 168, 1, 10], 40000, 80);
    const b = header(4, [192, 168, 1, 10], [10, 0, 0, 1], 80, 40000);
    const f = t.lookup(6, a.data, 0, 4, a.l4);
    expect(t.lookup(6, b.data, 0, 4, b.l4)).toBe(f);
    expect([f.id, f.portA, f.portB, Array.from(f.addressA), Array.from(f.addressB)]).toEqual([1, 40000, 80, [10, 0, 0, 1], [192, 168, 1, 10]]);
    const g = t.lookup(6, header(6, v6(1), v6(2), 1, 2).data, 0, 6, 40);
    expect([g.id, Array.from(g.addressA), Array.from(g.addressB)]).toEqual([2, v6(1), v6(2)]);
    expect(t.flows).toEqual([f, g]);
  });

  it('mixes lookupIndex and lookup: a Flow made later has the first packet as side A, flows fills the holes in order', () => {
    const t = new FlowTable();
    const filled: number[] = [];
    t.onMaterialize = (flow, index) => {
      filled.push(index);
      flow.packetsClientToServer = 100 + index;
    };
    const a = header(4, [10, 0, 0, 1], [192, 168, 1, 10], 40000, 80);
    const back = header(4, [192, 168, 1, 10], [10, 0, 0, 1], 80, 40000);
    expect(t.lookupIndex(6, a.data, 0, 4, a.l4)).toBe(0);
    const six = header(6, v6(1), v6(2), 1, 2);
    expect(t.lookupIndex(17, six.data, 0, 6, 40)).toBe(1);
    const u = t.lookup(17, header(4, [3, 3, 3, 3], [2, 2, 2, 2], 5, 6).data, 0, 4, 20);
    expect(u.id).toBe(3);
    // flow 1 first met again from its B side: still A = 10.0.0.1:40000
    const f = t.lookup(6, back.data, 0, 4, back.l4);
    expect(t.lastForward).toBe(false);
    expect([f.id, f.protocol, f.af, f.portA, f.portB, Array.from(f.addressA), Array.from(f.addressB)]).toEqual([1, 6, 4, 40000, 80, [10, 0, 0, 1], [192, 168, 1, 10]]);
    expect(t.lookup(6, a.data, 0, 4, a.l4)).toBe(f);
    expect(filled).toEqual([]);
    const all = t.flows;
    expect(filled).toEqual([1]); // only the flow without an object is made and filled
    expect(all.map((x) => x.id)).toEqual([1, 2, 3]);
    expect([all[1]!.protocol, all[1]!.af, all[1]!.portA, all[1]!.portB, Array.from(all[1]!.addressA), Array.from(all[1]!.addressB), all[1]!.packetsClientToServer]).toEqual([17, 6, 1, 2, v6(1), v6(2), 101]);
    expect(all[0]).toBe(f);
    expect(all[2]).toBe(u);
    expect(t.flowAt(1)).toBe(all[1]);
    expect(t.flows).toBe(all);
  });
});
