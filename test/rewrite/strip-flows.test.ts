/**
 * FlowLog (strip's batched flow lookups) leaves a FlowTable exactly as looking each packet up at
 * once does: same flow count, and the same flow index and direction for any later lookup, across
 * IPv4 and IPv6, both directions of a connection, and more packets than the log holds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowTable } from '../../src/rewrite/flows.js';
import { FlowLog } from '../../src/rewrite/strip-flows.js';

interface Packet {
  v6: boolean;
  a: number;
  b: number;
  pa: number;
  pb: number;
  reverse: boolean;
}

/** A raw IPv4 or IPv6 header (addresses only matter) followed by the ports, at offset 0. */
function bytesOf(p: Packet): { data: Uint8Array; l4: number } {
  const l4 = p.v6 ? 40 : 20;
  const data = new Uint8Array(l4 + 4);
  const [src, dst, sp, dp] = p.reverse ? [p.b, p.a, p.pb, p.pa] : [p.a, p.b, p.pa, p.pb];
  if (p.v6) {
    data[0] = 0x60;
    data[8] = 0x20;
    data[23] = src;
    data[24] = 0x20;
    data[39] = dst;
  } else {
    data[0] = 0x45;
    data[12] = 10;
    data[15] = src;
    data[16] = 10;
    data[19] = dst;
  }
  data[l4] = sp >>> 8;
  data[l4 + 1] = sp & 0xff;
  data[l4 + 2] = dp >>> 8;
  data[l4 + 3] = dp & 0xff;
  return { data, l4 };
}

const arbPacket = (): fc.Arbitrary<Packet> =>
  fc.record({
    v6: fc.boolean(),
    a: fc.integer({ min: 0, max: 3 }),
    b: fc.integer({ min: 0, max: 3 }),
    pa: fc.constantFrom(80, 443, 40000, 65535),
    pb: fc.integer({ min: 0, max: 2000 }),
    reverse: fc.boolean(),
  });

describe('FlowLog', () => {
  it('batched lookups leave the table as direct lookups do (count, then index and direction of every flow)', () => {
    fc.assert(
      fc.property(fc.array(arbPacket(), { minLength: 1, maxLength: 6000, size: 'max' }), fc.integer({ min: 0, max: 6000 }), (packets, flushAt) => {
        const direct = new FlowTable();
        const batched = new FlowTable();
        const log = new FlowLog(batched);
        packets.forEach((p, i) => {
          const { data, l4 } = bytesOf(p);
          direct.lookupIndex(6, data, 0, p.v6 ? 6 : 4, l4);
          log.add(data, 0, p.v6 ? 6 : 4, l4);
          if (i === flushAt) log.flush(); // an early flush (the general path looking a flow up) changes nothing
        });
        log.flush();
        expect(batched.size).toBe(direct.size);
        for (const p of packets) {
          const { data, l4 } = bytesOf(p);
          expect(batched.lookupIndex(6, data, 0, p.v6 ? 6 : 4, l4)).toBe(direct.lookupIndex(6, data, 0, p.v6 ? 6 : 4, l4));
          expect(batched.lastForward).toBe(direct.lastForward);
        }
      }),
      { numRuns: 30, endOnFailure: true },
    );
  });

  it('more packets than the log holds (5000 new flows in a row, IPv4 and IPv6): every one counted', () => {
    const table = new FlowTable();
    const log = new FlowLog(table);
    for (let i = 0; i < 5000; i++) {
      const { data, l4 } = bytesOf({ v6: i % 2 === 1, a: 1, b: 2, pa: 80, pb: i, reverse: false });
      log.add(data, 0, i % 2 === 1 ? 6 : 4, l4);
    }
    log.flush();
    expect(table.size).toBe(5000);
  });

  it('the log copies what it needs: the packet bytes may change after add', () => {
    const table = new FlowTable();
    const log = new FlowLog(table);
    const { data, l4 } = bytesOf({ v6: false, a: 1, b: 2, pa: 80, pb: 1000, reverse: false });
    log.add(data, 0, 4, l4);
    data.fill(0);
    log.add(data, 0, 4, l4);
    log.flush();
    expect(table.size).toBe(2);
  });
});
