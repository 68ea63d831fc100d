/**
 * `decode --json` writes the common packet (Ethernet, IPv4 without options, TCP) and TCP options
 * from cached fragments and templates, and simple carriers field by field: these tests pin that
 * the bytes are those of the general path (JsonRenderer({ commonPath: false })) and of JSON.stringify.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Carrier } from '../../src/carriers/index.js';
import { buildPacket } from '../../src/codec/build.js';
import { LINKTYPE } from '../../src/codec/linktype.js';
import { CARRIER_OTHER_FIELDS, JsonCarriersWriter } from '../../src/render/json-carriers.js';
import { putUint } from '../../src/render/json-bytes.js';
import { JsonRenderer, isCommonTcp4 } from '../../src/render/json.js';
import { ByteWriter } from '../../src/render/writer.js';
import { inspectRecord, record } from './packets.js';

/** One TCP option as bytes: well-formed ones of every kind the renderer knows, bad lengths, carriers. */
const option: fc.Arbitrary<number[]> = fc.oneof(
  fc.constant<number[]>([1]),
  fc.constant<number[]>([0]),
  fc.tuple(fc.integer({ min: 0, max: 0xffff })).map(([v]) => [2, 4, v >> 8, v & 0xff]),
  fc.integer({ min: 0, max: 255 }).map((v) => [3, 3, v]),
  fc.constant<number[]>([4, 2]),
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 8, maxLength: 8 }).map((b) => [8, 10, ...b]),
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 8, maxLength: 16 }).map((b) => [5, 2 + b.length, ...b]),
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }).map((b) => [254, 8, ...b]),
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 18, maxLength: 18 }).map((b) => [254, 20, ...b]),
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }).map((b) => [200, 8, ...b]),
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 8, maxLength: 8 }).map((b) => [254, 10, 0xf9, 0x89, ...b.slice(2)]),
  fc.tuple(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 2, max: 6 })).map(([kind, length]) => [kind, length, ...new Array<number>(length - 2).fill(7)]),
  fc.tuple(fc.integer({ min: 9, max: 253 }), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 })).map(([kind, b]) => [kind, 2 + b.length, ...b]),
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 4 }),
);

/** A TCP options area of at most 40 bytes (damage included when the random tail is one). */
const optionsArea: fc.Arbitrary<Uint8Array> = fc.array(option, { maxLength: 10 }).map((list) => Uint8Array.from(list.flat().slice(0, 40)));

const tcpPacket = fc.record({
  options: optionsArea,
  flags: fc.integer({ min: 0, max: 255 }),
  urgent: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })),
  window: fc.integer({ min: 0, max: 0xffff }),
  seq: fc.integer({ min: 0, max: 0xffffffff }),
  ack: fc.integer({ min: 0, max: 0xffffffff }),
  ttl: fc.integer({ min: 0, max: 255 }),
  tos: fc.integer({ min: 0, max: 255 }),
  dontFragment: fc.boolean(),
  reservedFlag: fc.boolean(),
  payload: fc.integer({ min: 0, max: 40 }),
  cut: fc.integer({ min: 0, max: 30 }),
  badChecksum: fc.boolean(),
  index: fc.integer({ min: 1, max: 2 ** 40 }),
  seconds: fc.integer({ min: 0, max: 2 ** 33 }),
  nanos: fc.integer({ min: 0, max: 999999999 }),
});

describe('--json common path and templates', () => {
  const fast = new JsonRenderer();
  const general = new JsonRenderer({ commonPath: false });
  const fastHex = new JsonRenderer({ hex: true, file: 'x.pcap' });
  const generalHex = new JsonRenderer({ hex: true, file: 'x.pcap', commonPath: false });

  it('random Ethernet/IPv4/TCP packets: the same bytes as the general path (with and without -x)', () => {
    let common = 0;
    fc.assert(
      fc.property(tcpPacket, (t) => {
        const data = buildPacket(
          {
            ip: { version: 4, source: '10.1.2.3', destination: '192.0.2.200', ttl: t.ttl, tos: t.tos, identification: t.seq & 0xffff, dontFragment: t.dontFragment, reservedFlag: t.reservedFlag },
            transport: { type: 'tcp', sourcePort: t.window ^ 0x5555, destinationPort: 80, sequenceNumber: t.seq, acknowledgmentNumber: t.ack, flags: t.flags, windowSize: t.window, urgentPointer: t.urgent, options: t.options, ...(t.badChecksum ? { checksum: 0x1234 } : {}) },
            payload: new Uint8Array(t.payload).fill(0x41),
          },
          { computeChecksums: !t.badChecksum },
        );
        const captured = t.cut > 0 && t.cut < data.length ? data.subarray(0, data.length - t.cut) : data;
        const p = record(captured, LINKTYPE.ETHERNET, { originalLength: data.length, index: t.index, timestampSeconds: t.seconds, timestampNanos: t.nanos });
        const ins = inspectRecord(p);
        if (isCommonTcp4(p.linkType, ins.d) && ins.d.tcpOptionsOffset >= 0) common++;
        const line = fast.line(p, ins);
        expect(line).toBe(general.line(p, ins));
        expect(fastHex.line(p, ins)).toBe(generalHex.line(p, ins));
        JSON.parse(line);
      }),
      { numRuns: 1500 },
    );
    // counted with isCommonTcp4 itself: 796-846 of the 1500 runs reached the common path with options (three runs)
    expect(common).toBeGreaterThan(500);
  });

  it('an options shape seen again is written from its template with the new values', () => {
    const r = new JsonRenderer();
    const lines = [1, 2].map((v) => {
      const data = buildPacket({ ip: { version: 4, source: '10.0.0.1', destination: '10.0.0.2' }, transport: { type: 'tcp', sourcePort: 1, destinationPort: 2, options: Uint8Array.of(2, 4, 5, v, 1, 3, 3, v, 1, 1, 8, 10, 0, 0, 0, v, 0, 0, 0, 9) } });
      const p = record(data, LINKTYPE.ETHERNET);
      return JSON.parse(r.line(p, inspectRecord(p)));
    });
    expect(lines[1].tcp.options).toEqual([
      { kind: 2, length: 4, offset: 54, name: 'mss', mss: 1282 },
      { kind: 1, length: 1, offset: 58, name: 'nop' },
      { kind: 3, length: 3, offset: 59, name: 'wscale', shift: 2 },
      { kind: 1, length: 1, offset: 62, name: 'nop' },
      { kind: 1, length: 1, offset: 63, name: 'nop' },
      { kind: 8, length: 10, offset: 64, name: 'TS', tsval: 2, tsecr: 9 },
    ]);
    expect(lines[0].tcp.options[0].mss).toBe(1281);
  });
});

describe('--json carriers written field by field', () => {
  const text = (carriers: Carrier[]): string => {
    const w = new ByteWriter(64);
    new JsonCarriersWriter().write(w, carriers);
    return w.toString();
  };
  const base = (): Carrier => ({ carrier: 'tcp-option', kind: 254, length: 8, format: 'toa-v4', clientAddress: '192.0.2.1', clientPort: 40000, offset: 54 });

  it('are JSON.stringify bytes, also with exidCollision, null fields and several carriers', () => {
    const a = base();
    const b: Carrier = { ...base(), clientPort: 63881, exidCollision: 'TCP Fast Open' };
    const c: Carrier = { carrier: 'tcp-option', kind: 202, length: 8, format: 'tencent-vip', clientAddress: null, clientPort: null, offset: 60 };
    const writer = new JsonCarriersWriter();
    const w = new ByteWriter(64);
    for (let i = 0; i < 3; i++) writer.write(w, [a, b, c]);
    const one = '[' + [a, b, c].map((x) => JSON.stringify(x)).join(',') + ']';
    expect(w.toString()).toBe(one + one + one);
  });

  it('any other field, an odd key order or a string that needs escaping: JSON.stringify', () => {
    for (const key of CARRIER_OTHER_FIELDS) {
      const c = { ...base(), [key]: key === 'tlvs' ? [] : 1 } as Carrier;
      expect(text([c])).toBe('[' + JSON.stringify(c) + ']');
    }
    const reordered = { offset: 54, carrier: 'tcp-option', kind: 254, length: 8, format: 'odd-order', clientAddress: '192.0.2.1', clientPort: 1 } as Carrier;
    const writer = new JsonCarriersWriter();
    const w = new ByteWriter(64);
    writer.write(w, [reordered]);
    writer.write(w, [reordered]);
    expect(w.toString()).toBe(('[' + JSON.stringify(reordered) + ']').repeat(2));
    const quoted = { ...base(), clientAddress: 'a"b\\c\u00e9' };
    expect(text([quoted])).toBe('[' + JSON.stringify(quoted) + ']');
  });
});

describe('putUint', () => {
  it('writes what ByteWriter.uint writes, for any number', () => {
    const values = [0, -0, 1, 9, 10, 9999, 10000, 99999999, 100000000, 0xffffffff, 2 ** 32, 2 ** 53, 2 ** 60, 1e21, -1, 0.5, NaN, Infinity];
    values.push(...fc.sample(fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.double(), fc.integer()), 100));
    for (const n of values) {
      const a = new ByteWriter(64);
      a.uint(n);
      const b = new ByteWriter(64);
      b.position = putUint(b.at(64), 0, n);
      expect(b.toString()).toBe(a.toString());
    }
  });
});
