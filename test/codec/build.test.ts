import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, readU16, toHex } from '../../src/codec/bytes.js';
import {
  buildPacket,
  buildPacketInto,
  ipv6FragmentHeader,
  ipv6OptionsHeader,
  ipv6RoutingHeader,
  linkTypeOf,
  oppShim,
  packetEncodedLength,
  parseLinkSpec,
  parseTcpFlags,
  vxlanPayload,
  type PacketSpec,
} from '../../src/codec/build.js';
import { DISSECT_LAYER, Dissection, dissect, verifyChecksums } from '../../src/codec/dissect.js';
import { LINKTYPE } from '../../src/codec/linktype.js';
import { arbPacketSpec } from '../arbitraries.js';

/** TV-19 "3rd ACK" (docs: /work/shared/spec/dpvs.md §11): L 10.0.0.100:5000 -> R 10.0.0.2:8080 with TOA. */
const TV19_ACK: PacketSpec = {
  link: { type: 'raw' },
  ip: { version: 4, source: '10.0.0.100', destination: '10.0.0.2', identification: 0x1234, dontFragment: true, ttl: 64 },
  transport: {
    type: 'tcp',
    sourcePort: 5000,
    destinationPort: 8080,
    sequenceNumber: 0xa0000001,
    acknowledgmentNumber: 0x55667789,
    flags: 'A',
    windowSize: 502,
    options: fromHex('fe089c40c0000201'),
  },
};

describe('packet builder', () => {
  it('matches the DPVS test vectors for lengths and checksums (TV-1 IP header, TV-19 TCP)', () => {
    const p = buildPacket(TV19_ACK);
    expect(p.length).toBe(48);
    expect(readU16(p, 2)).toBe(48);
    expect(readU16(p, 10)).toBe(0x142f); // TV-1: same IPv4 header (length 48, ID 0x1234, DF, TTL 64)
    expect(p[32]).toBe(0x70); // doff 7
    expect(readU16(p, 36)).toBe(0x7d1c); // TV-19 third ACK
    expect(toHex(p, 40, 48)).toBe('fe089c40c0000201');
  });

  it('builds the TV-22 opp shim over IPv4 with UDP checksum 0', () => {
    const p = buildPacket({
      link: { type: 'raw' },
      ip: { version: 4, source: '10.0.0.100', destination: '10.0.0.2' },
      opp: oppShim(1, fromHex('1f0814e9c0000201')),
      transport: { type: 'udp', sourcePort: 5000, destinationPort: 53 },
      payload: fromHex('01020304'),
    });
    expect(p.length).toBe(44);
    expect(p[9]).toBe(248);
    expect(toHex(p, 20, 32)).toBe('1011000c1f0814e9c0000201');
    expect(readU16(p, 32 + 4)).toBe(12);
    expect(readU16(p, 32 + 6)).toBe(0);
  });

  it('writes every byte when emitting into a junk-filled buffer', () => {
    fc.assert(
      fc.property(arbPacketSpec(), (spec) => {
        const fresh = buildPacket(spec);
        const junk = new Uint8Array(fresh.length + 16).fill(0xa5);
        expect(buildPacketInto(spec, junk, 8, {})).toBe(fresh.length);
        expect(toHex(junk, 8, 8 + fresh.length)).toBe(toHex(fresh));
        expect(junk[7]).toBe(0xa5);
        expect(junk[8 + fresh.length]).toBe(0xa5);
        expect(packetEncodedLength(spec)).toBe(fresh.length);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic and re-serializes identically with both fix-ups off', () => {
    fc.assert(
      fc.property(arbPacketSpec(), (spec) => {
        const a = buildPacket(spec);
        expect(toHex(buildPacket(spec))).toBe(toHex(a));
        // Feed the computed lengths and checksums back as given values: fix-ups off must reproduce the bytes.
        const d = new Dissection();
        dissect(a, linkTypeOf(spec.link), a.length, d);
        const given: PacketSpec = structuredClone(spec);
        if (given.ip.version === 4) {
          given.ip.checksum = readU16(a, d.l3Offset + 10);
          given.ip.totalLength = d.ipEnd - d.l3Offset;
        } else {
          // extension headers and the opp shim as the fix-ups wrote them (next-header chain, lengths)
          given.ip.extensions = given.ip.extensions?.map((e, i) => ({
            type: e.type,
            bytes: a.slice(d.extensionOffsets[i]!, d.extensionOffsets[i]! + d.extensionLengths[i]!),
          }));
        }
        if (given.opp) given.opp = a.slice(d.oppOffset, d.oppOffset + d.oppLength);
        const t = given.transport;
        if (t.type === 'tcp') t.checksum = readU16(a, d.l4Offset + 16);
        if (t.type === 'udp') t.checksum = readU16(a, d.l4Offset + 6);
        if (t.type === 'icmp') t.checksum = readU16(a, d.l4Offset + 2);
        expect(toHex(buildPacket(given, { fixLengths: false, computeChecksums: false }))).toBe(toHex(a));
      }),
      { numRuns: 200 },
    );
  });

  it('honours given lengths when fixLengths is off (for malformed samples)', () => {
    const p = buildPacket(
      {
        link: { type: 'raw' },
        ip: { version: 4, source: '192.0.2.1', destination: '192.0.2.2', totalLength: 1000, headerLength: 16 },
        transport: { type: 'tcp', sourcePort: 1, destinationPort: 2, dataOffset: 12 },
      },
      { fixLengths: false },
    );
    expect(p[0]).toBe(0x44);
    expect(readU16(p, 2)).toBe(1000);
    expect(p[32] >>> 4).toBe(3);
  });

  it('chains IPv6 extension headers and fixes their length bytes', () => {
    const p = buildPacket({
      link: { type: 'raw' },
      ip: {
        version: 6,
        source: '2001:db8::1',
        destination: '2001:db8::2',
        extensions: [
          ipv6OptionsHeader(0, fromHex('0502 0000')),
          ipv6RoutingHeader(4, 0, new Uint8Array(20)),
          ipv6FragmentHeader(0, false, 0x01020304),
          ipv6OptionsHeader(60, fromHex('1f0a 9c40 c0000201 0000')),
        ],
      },
      transport: { type: 'tcp', sourcePort: 40000, destinationPort: 80 },
    });
    expect(p[6]).toBe(0); // hop-by-hop first
    expect(p[40]).toBe(43); // HBH -> routing
    expect(p[41]).toBe(0);
    expect(p[48]).toBe(44); // routing (24 bytes) -> fragment
    expect(p[49]).toBe(2);
    expect(p[72]).toBe(60); // fragment -> destination options
    expect(p[80]).toBe(6); // destination options -> TCP
    expect(p[81]).toBe(1); // 16 bytes
    expect(readU16(p, 4)).toBe(8 + 24 + 8 + 16 + 20);
  });

  it('pads TCP options with EOL or NOP and flags parse from letters', () => {
    const base = { link: { type: 'raw' as const }, ip: { version: 4 as const, source: '192.0.2.1', destination: '192.0.2.2' } };
    const eol = buildPacket({ ...base, transport: { type: 'tcp', sourcePort: 1, destinationPort: 2, options: [{ kind: 3, data: [7] }] } });
    expect(toHex(eol, 40, 44)).toBe('03030700');
    const nop = buildPacket({ ...base, transport: { type: 'tcp', sourcePort: 1, destinationPort: 2, options: [{ kind: 3, data: [7] }], optionPadding: 'nop' } });
    expect(toHex(nop, 40, 44)).toBe('03030701');
    expect(parseTcpFlags('S')).toBe(0x02);
    expect(parseTcpFlags('S.')).toBe(0x12);
    expect(parseTcpFlags('FPA')).toBe(0x19);
    expect(() => parseTcpFlags('X')).toThrow(/flag letter/);
    expect(() => buildPacket({ ...base, transport: { type: 'tcp', sourcePort: 1, destinationPort: 2, options: new Uint8Array(41) } })).toThrow(/do not fit/);
  });

  it('parses link descriptions', () => {
    expect(parseLinkSpec('vlan:100')).toEqual({ type: 'ethernet', vlans: [{ id: 100, tpid: 0x8100 }] });
    expect(parseLinkSpec('qinq:200,100')).toEqual({
      type: 'ethernet',
      vlans: [
        { id: 200, tpid: 0x88a8 },
        { id: 100, tpid: 0x8100 },
      ],
    });
    expect(linkTypeOf(parseLinkSpec('sll2'))).toBe(LINKTYPE.LINUX_SLL2);
    expect(linkTypeOf(parseLinkSpec('null'))).toBe(LINKTYPE.NULL);
    expect(linkTypeOf(parseLinkSpec('loop'))).toBe(LINKTYPE.LOOP);
    expect(linkTypeOf(parseLinkSpec('raw'))).toBe(LINKTYPE.RAW);
    expect(linkTypeOf(undefined)).toBe(LINKTYPE.ETHERNET);
    expect(() => parseLinkSpec('vlan:5000')).toThrow(/0\.\.4095/);
    expect(() => parseLinkSpec('token-ring')).toThrow(/not a link type/);
  });

  it('checksums it fills verify ok, and one flipped bit in the L4 part makes them bad (property)', () => {
    const d = new Dissection();
    fc.assert(
      fc.property(arbPacketSpec(), fc.nat(), fc.integer({ min: 0, max: 7 }), (spec, at, bit) => {
        const p = buildPacket(spec);
        dissect(p, linkTypeOf(spec.link), p.length, d);
        expect(d.reached).toBe(DISSECT_LAYER.PAYLOAD);
        expect(d.warningCount).toBe(0);
        verifyChecksums(p, d);
        expect(d.ipChecksum).toBe(spec.ip.version === 4 ? 'ok' : 'none');
        const zeroUdp = spec.transport.type === 'udp' && spec.opp !== undefined && spec.ip.version === 4;
        expect(d.l4Checksum).toBe(zeroUdp ? 'none' : 'ok');
        if (zeroUdp) return;
        // Flip one bit inside the transport segment (header or payload) but not in a length field.
        const start = d.l4Offset;
        const length = d.l4End - start;
        const index = start + (at % length);
        const lengthField = spec.transport.type === 'udp' && (index === start + 4 || index === start + 5);
        const offsetField = spec.transport.type === 'tcp' && index === start + 12;
        const udpChecksum = spec.transport.type === 'udp' && (index === start + 6 || index === start + 7);
        if (lengthField || offsetField || udpChecksum) return;
        p[index]! ^= 1 << bit;
        dissect(p, linkTypeOf(spec.link), p.length, d);
        verifyChecksums(p, d);
        expect(d.l4Checksum).toBe('bad');
      }),
      { numRuns: 1000 },
    );
  });

  it('builds a VXLAN frame whose inner Ethernet frame dissects', () => {
    const inner = buildPacket({
      ip: { version: 4, source: '192.0.2.1', destination: '198.51.100.10' },
      transport: { type: 'tcp', sourcePort: 40000, destinationPort: 80, flags: 'S' },
    });
    const outer = buildPacket({
      ip: { version: 6, source: '2001:db8::a', destination: '2001:db8::b' },
      transport: { type: 'udp', sourcePort: 51000, destinationPort: 4789 },
      payload: vxlanPayload(0x123456, inner),
    });
    const d = new Dissection();
    dissect(outer, LINKTYPE.ETHERNET, outer.length, d);
    expect(d.encapsulation).toBe(1);
    expect(d.vni).toBe(0x123456);
    expect(d.destinationPort).toBe(80);
    verifyChecksums(outer, d);
    expect([d.ipChecksum, d.l4Checksum]).toEqual(['ok', 'ok']);
    verifyChecksums(outer, d.outer!);
    expect([d.outer!.ipChecksum, d.outer!.l4Checksum]).toEqual(['none', 'ok']);
  });
});
