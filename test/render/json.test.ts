/** NDJSON objects of `toa decode --json`: fields checked against the packets the test built. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeCarrier } from '../../src/carriers/index.js';
import { buildPacket, vxlanPayload, oppShim } from '../../src/codec/build.js';
import { readU16 } from '../../src/codec/bytes.js';
import { LINKTYPE } from '../../src/codec/linktype.js';
import { JsonRenderer } from '../../src/render/json.js';
import { IP4, IP6, built, inspectRecord, record } from './packets.js';

const json = new JsonRenderer();
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const parse = (x: ReturnType<typeof built>): any => {
  const text = json.line(x.p, x.ins);
  expect(text.endsWith('}\n')).toBe(true);
  expect(text.indexOf('\n')).toBe(text.length - 1);
  return JSON.parse(text);
};

describe('--json objects', () => {
  it('TCP with a DPVS TOA: frame, ip, tcp, options, toa, checksums', () => {
    const toa = encodeCarrier('toa-v4', { clientAddress: '192.0.2.1', clientPort: 40000 });
    const x = built(
      { ip: { ...IP4, ttl: 61 }, transport: { type: 'tcp', sourcePort: 1234, destinationPort: 80, sequenceNumber: 3000000000, acknowledgmentNumber: 5, windowSize: 502, flags: 'P.', options: [{ kind: 254, data: toa.subarray(2) }, { kind: 1 }, { kind: 1 }, { kind: 8, data: [0, 0, 0, 9, 0, 0, 0, 10] }] }, payload: new Uint8Array(12) },
      {},
      { index: 7, timestampSeconds: 1700000000, timestampNanos: 123456000 },
    );
    const o = parse(x);
    expect(o.index).toBe(7);
    expect(o.timestamp).toBe('1700000000.123456000');
    expect(o.capturedLength).toBe(x.p.data.length);
    expect(o.originalLength).toBe(x.p.data.length);
    expect(o.linkType).toBe(1);
    expect(o.link).toEqual({ name: 'EN10MB', etherType: 0x0800 });
    expect(o.ip).toMatchObject({ version: 4, src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, ttl: 61, id: 1, flags: 'DF', fragmentOffset: 0, headerLength: 20 });
    expect(o.tcp).toMatchObject({ srcPort: 1234, dstPort: 80, seq: 3000000000, ack: 5, flags: 'P.', flagBits: 0x18, window: 502, payloadLength: 12, headerLength: 40 });
    expect(o.tcp.options.map((op: { kind: number }) => op.kind)).toEqual([254, 1, 1, 8]);
    expect(o.tcp.options[0]).toEqual({ kind: 254, length: 8, offset: 54, name: 'toa', carrier: 'toa-v4', data: '9c40c0000201' });
    expect(o.tcp.options[3]).toEqual({ kind: 8, length: 10, offset: 64, name: 'TS', tsval: 9, tsecr: 10 });
    expect(o.toa).toEqual([{ carrier: 'tcp-option', kind: 254, length: 8, format: 'toa-v4', clientAddress: '192.0.2.1', clientPort: 40000, offset: 54 }]);
    expect(o.checksums).toEqual({ ip: 'ok', l4: 'ok' });
    expect(o.warnings).toEqual([]);
    expect(o.notes).toEqual([]);
  });

  it('IPv6 has ip checksum null; UDP with checksum 0 over IPv4 has l4 null; bad values are given', () => {
    const v6 = parse(built({ ip: IP6, transport: { type: 'udp', sourcePort: 1, destinationPort: 2 }, payload: new Uint8Array(3) }));
    expect(v6.checksums).toEqual({ ip: null, l4: 'ok' });
    expect(v6.ip).toMatchObject({ version: 6, src: '2001:db8::1', dst: '2001:db8::2', protocol: 17, hopLimit: 64, flowLabel: 0 });
    expect(v6.udp).toEqual({ srcPort: 1, dstPort: 2, length: 11, payloadLength: 3 });
    const zero = parse(built({ ip: IP4, transport: { type: 'udp', sourcePort: 1, destinationPort: 2, zeroChecksum: true } }));
    expect(zero.checksums).toEqual({ ip: 'ok', l4: null });
    const spec = { ip: IP4, transport: { type: 'tcp' as const, sourcePort: 1, destinationPort: 2, flags: 'S', checksum: 0xbeef } };
    const good = buildPacket(spec);
    const bad = parse(built(spec, { computeChecksums: false }));
    expect(bad.checksums.l4).toBe('bad');
    expect(bad.checksums.l4Value).toBe('0xbeef');
    expect(bad.checksums.l4Expected).toBe('0x' + readU16(good, 34 + 16).toString(16).padStart(4, '0'));
    expect(bad.checksums.ipExpected).toBe('0x' + readU16(good, 14 + 10).toString(16).padStart(4, '0'));
  });

  it('TFO on 254 is an option named tfo plus a note, never a toa entry', () => {
    const o = parse(built({ ip: IP4, transport: { type: 'tcp', sourcePort: 1, destinationPort: 2, flags: 'S', options: [{ kind: 254, data: [0xf9, 0x89, 1, 2, 3, 4, 5, 6] }] } }));
    expect(o.toa).toEqual([]);
    expect(o.tcp.options[0]).toMatchObject({ kind: 254, length: 10, name: 'tfo', exid: 0xf989, cookie: '010203040506' });
    expect(o.notes.map((n: { code: string }) => n.code)).toEqual(['tcp-fast-open']);
  });

  it('opp, VLAN ids, truncation warnings', () => {
    const opp = parse(built({ link: { type: 'ethernet', vlans: [{ id: 100 }] }, ip: IP4, opp: oppShim(1, Uint8Array.of(31, 8, 0x9c, 0x40, 192, 0, 2, 1)), transport: { type: 'udp', sourcePort: 5, destinationPort: 6 } }));
    expect(opp.link.vlans).toEqual([100]);
    expect(opp.ip.protocol).toBe(248);
    expect(opp.opp).toEqual({ offset: 38, version: 1, nextProtocol: 17, length: 12 });
    expect(opp.toa[0]).toMatchObject({ carrier: 'opp', format: 'uoa-opp', clientAddress: '192.0.2.1', clientPort: 40000 });
    const full = buildPacket({ ip: IP4, transport: { type: 'tcp', sourcePort: 1, destinationPort: 2 }, payload: new Uint8Array(50) });
    const p = record(full.subarray(0, 40), LINKTYPE.ETHERNET, { originalLength: full.length });
    const t = JSON.parse(json.line(p, inspectRecord(p)));
    expect(t.truncated).toBe(true);
    expect(t.tcp).toBeUndefined();
    expect(t.warnings.length).toBeGreaterThan(0);
    expect(t.warnings[0]).toMatch(/tcp/);
  });

  it('VXLAN: the inner packet at top level, the outer under "outer"', () => {
    const toa = encodeCarrier('toa-v4', { clientAddress: '192.0.2.9', clientPort: 9 });
    const inner = buildPacket({ ip: { ...IP4, source: '172.16.0.1', destination: '172.16.0.2' }, transport: { type: 'tcp', sourcePort: 11, destinationPort: 12, options: [{ kind: 254, data: toa.subarray(2) }] } });
    const o = parse(built({ ip: { ...IP4, source: '192.168.0.1', destination: '192.168.0.2' }, transport: { type: 'udp', sourcePort: 33333, destinationPort: 4789 }, payload: vxlanPayload(4242, inner) }));
    expect(o.encapsulation).toBe('vxlan');
    expect(o.vni).toBe(4242);
    expect(o.ip.src).toBe('172.16.0.1');
    expect(o.tcp.srcPort).toBe(11);
    expect(o.toa[0].clientAddress).toBe('192.0.2.9');
    expect(o.outer.ip.src).toBe('192.168.0.1');
    expect(o.outer.udp.dstPort).toBe(4789);
    expect(o.outer.checksums).toEqual({ ip: 'ok', l4: 'ok' });
  });

  it('unknown link types: frame fields only; -x adds the frame as hex; several files add "file"', () => {
    const u = record(Uint8Array.of(1, 2, 0xab), 147);
    const o = JSON.parse(new JsonRenderer({ hex: true, file: 'a "b".pcap' }).line(u, inspectRecord(u)));
    expect(o).toMatchObject({ file: 'a "b".pcap', linkType: 147, decoded: false, hex: '0102ab', toa: [] });
  });

  it('every line parses for random TCP packets, and the numbers survive', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 65535 }), (seq, ack, flags, port) => {
        const o = parse(built({ ip: IP4, transport: { type: 'tcp', sourcePort: port, destinationPort: 65535 - port, sequenceNumber: seq, acknowledgmentNumber: ack, flags } }));
        expect(o.tcp.seq).toBe(seq);
        expect(o.tcp.ack).toBe(ack);
        expect(o.tcp.flagBits).toBe(flags);
        expect(o.tcp.srcPort).toBe(port);
      }),
      { numRuns: 200 },
    );
  });
});
