/**
 * The one-line text format. Expected lines are written by hand from tcpdump's format
 * (`tcpdump -nn -S`), not produced by running this code.
 */
import { describe, expect, it } from 'vitest';
import { PacketInspector } from '../../src/analysis/inspect.js';
import { encodeCarrier, encodeProxyV2, parseKindSpec } from '../../src/carriers/index.js';
import { buildPacket, oppShim, vxlanPayload } from '../../src/codec/build.js';
import { readU16 } from '../../src/codec/bytes.js';
import type { PacketRecord } from '../../src/codec/capture-types.js';
import { ENCAPSULATION, verifyChecksums } from '../../src/codec/dissect.js';
import { LINKTYPE } from '../../src/codec/linktype.js';
import type { Styles } from '../../src/render/common.js';
import { TextRenderer } from '../../src/render/text.js';
import { ByteWriter } from '../../src/render/writer.js';
import { IP4, IP6, ascii, built, inspectRecord, record } from './packets.js';

const T = '00:00:01.000002 ';
const text = new TextRenderer();
const line = (x: ReturnType<typeof built>): string => text.line(x.p, x.ins, false);

const toaV4 = encodeCarrier('toa-v4', { clientAddress: '192.0.2.1', clientPort: 40000 });
const toaV6 = encodeCarrier('toa-v6', { clientAddress: '2001:db8::1', clientPort: 40000 });
const toa200 = encodeCarrier('toa-v4-200', { clientAddress: '192.0.2.1', clientPort: 40000 });
const opt = (bytes: Uint8Array) => ({ kind: bytes[0]!, data: bytes.subarray(2) });
const NOP = { kind: 1 };
const TS = { kind: 8, data: [0, 0, 0, 1, 0, 0, 0, 2] };

describe('text line: TCP', () => {
  it('handshake ACK with a DPVS TOA (254/8) first', () => {
    const x = built({ ip: IP4, transport: { type: 'tcp', sourcePort: 1234, destinationPort: 80, acknowledgmentNumber: 200, windowSize: 502, flags: '.', options: [opt(toaV4), NOP, NOP, TS] } });
    expect(line(x)).toBe(T + 'IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [.], ack 200, win 502, options [toa 192.0.2.1:40000,nop,nop,TS val 1 ecr 2], length 0\n');
  });

  it('NOP, NOP, TS (the usual data-segment options) with 32-bit extremes, alone and after a TOA', () => {
    const ts = { kind: 8, data: [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0] };
    const spec = { ip: IP4, transport: { type: 'tcp' as const, sourcePort: 5, destinationPort: 6, acknowledgmentNumber: 3, windowSize: 9, flags: '.', options: [NOP, NOP, ts] } };
    expect(line(built(spec))).toBe(T + 'IP 10.0.0.1.5 > 10.0.0.2.6: Flags [.], ack 3, win 9, options [nop,nop,TS val 4294967295 ecr 0], length 0\n');
    // with a carrier elsewhere in the packet the general walk renders the same options
    const withToa = built({ ...spec, transport: { ...spec.transport, options: [opt(toaV4), NOP, NOP, ts] } });
    expect(line(withToa)).toBe(T + 'IP 10.0.0.1.5 > 10.0.0.2.6: Flags [.], ack 3, win 9, options [toa 192.0.2.1:40000,nop,nop,TS val 4294967295 ecr 0], length 0\n');
    // a timestamp option of another length is not the usual layout
    const odd = built({ ip: IP4, transport: { type: 'tcp', sourcePort: 5, destinationPort: 6, acknowledgmentNumber: 3, windowSize: 9, flags: '.', options: [NOP, NOP, { kind: 8, data: [1, 2, 3, 4, 5, 6] }, NOP, NOP] } });
    expect(line(odd)).toBe(T + 'IP 10.0.0.1.5 > 10.0.0.2.6: Flags [.], ack 3, win 9, options [nop,nop,TS [len 8],nop,nop], length 0\n');
  });

  it('NAT64 TOA 254/20 in IPv4 shows the IPv6 client in brackets', () => {
    const x = built({ ip: IP4, transport: { type: 'tcp', sourcePort: 1234, destinationPort: 80, acknowledgmentNumber: 1, windowSize: 100, flags: '.', options: [opt(toaV6)] } });
    expect(line(x)).toBe(T + 'IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [.], ack 1, win 100, options [toa [2001:db8::1]:40000], length 0\n');
  });

  it('kind 200/8 is shown with its format name', () => {
    const x = built({ ip: IP4, transport: { type: 'tcp', sourcePort: 1, destinationPort: 2, acknowledgmentNumber: 5, windowSize: 7, flags: '.', options: [opt(toa200)] } });
    expect(line(x)).toBe(T + 'IP 10.0.0.1.1 > 10.0.0.2.2: Flags [.], ack 5, win 7, options [toa-v4-200 192.0.2.1:40000], length 0\n');
  });

  it('TCP Fast Open on kind 254 of a SYN is tfo, not toa', () => {
    const tfo = { kind: 254, data: [0xf9, 0x89, 1, 2, 3, 4, 5, 6] }; // 254/10: ExID F989 + 6-byte cookie
    const x = built({ ip: IP4, transport: { type: 'tcp', sourcePort: 40000, destinationPort: 443, sequenceNumber: 7, windowSize: 64240, flags: 'S', options: [{ kind: 2, data: [0x05, 0xb4] }, tfo] } });
    expect(line(x)).toBe(T + 'IP 10.0.0.1.40000 > 10.0.0.2.443: Flags [S], seq 7, win 64240, options [mss 1460,tfo cookie 010203040506,eol], length 0\n');
    expect(x.ins.carriers).toHaveLength(0);
  });

  it('IPv6 SYN-ACK with wscale, sackOK, SACK blocks; absolute seq/ack', () => {
    const x = built({
      ip: IP6,
      transport: {
        type: 'tcp', sourcePort: 80, destinationPort: 40000, sequenceNumber: 4000000000, acknowledgmentNumber: 8, windowSize: 65535, flags: 'SA',
        options: [{ kind: 4 }, { kind: 3, data: [7] }, { kind: 5, data: [0, 0, 0, 10, 0, 0, 0, 20] }],
      },
    });
    // 2 + 3 + 10 option bytes are padded with one EOL byte, which tcpdump also prints
    expect(line(x)).toBe(T + 'IP6 2001:db8::1.80 > 2001:db8::2.40000: Flags [S.], seq 4000000000, ack 8, win 65535, options [sackOK,wscale 7,sack 1 {10:20},eol], length 0\n');
  });

  it('data segment: seq first:last wraps modulo 2^32; PSH FIN URG letters in tcpdump order', () => {
    const x = built({ ip: IP4, transport: { type: 'tcp', sourcePort: 1, destinationPort: 2, sequenceNumber: 0xfffffff0, acknowledgmentNumber: 3, windowSize: 4, flags: 'FPAU', urgentPointer: 9 }, payload: new Uint8Array(32) });
    expect(line(x)).toBe(T + 'IP 10.0.0.1.1 > 10.0.0.2.2: Flags [FP.U], seq 4294967280:16, ack 3, win 4, urg 9, length 32\n');
  });

  it('no flags prints [none] and no seq', () => {
    const x = built({ ip: IP4, transport: { type: 'tcp', sourcePort: 1, destinationPort: 2, windowSize: 0, flags: 0 } });
    expect(line(x)).toBe(T + 'IP 10.0.0.1.1 > 10.0.0.2.2: Flags [none], win 0, length 0\n');
  });

  it('PROXY v1 and v2 headers are shown after the length', () => {
    const v1 = ascii('PROXY TCP4 192.0.2.1 10.0.0.2 40000 80\r\n');
    const a = built({ ip: IP4, transport: { type: 'tcp', sourcePort: 1234, destinationPort: 80, sequenceNumber: 1, acknowledgmentNumber: 1, windowSize: 9, flags: 'P.' }, payload: v1 });
    expect(line(a)).toBe(T + 'IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [P.], seq 1:41, ack 1, win 9, length 40: proxy-v1 192.0.2.1:40000 > 10.0.0.2:80\n');
    const v2 = encodeProxyV2({ clientAddress: '192.0.2.1', clientPort: 40000, virtualAddress: '198.51.100.1', virtualPort: 443 });
    const b = built({ ip: IP4, transport: { type: 'tcp', sourcePort: 1234, destinationPort: 80, sequenceNumber: 1, acknowledgmentNumber: 1, windowSize: 9, flags: 'P.' }, payload: v2 });
    expect(line(b)).toBe(T + `IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [P.], seq 1:${1 + v2.length}, ack 1, win 9, length ${v2.length}: proxy-v2 192.0.2.1:40000 > 198.51.100.1:443\n`);
  });

  it('a bad TCP checksum is flagged with the stored and expected values', () => {
    const spec = { ip: IP4, transport: { type: 'tcp' as const, sourcePort: 1, destinationPort: 2, windowSize: 3, flags: 'S', checksum: 0x1234 } };
    const good = buildPacket(spec);
    const expected = readU16(good, 14 + 20 + 16).toString(16).padStart(4, '0');
    const x = built(spec, { computeChecksums: false });
    // computeChecksums:false leaves the IPv4 header checksum 0 as well
    const ipExpected = readU16(good, 14 + 10).toString(16).padStart(4, '0');
    expect(line(x)).toBe(T + `IP 10.0.0.1.1 > 10.0.0.2.2: Flags [S], seq 0, win 3, length 0 [bad ip cksum 0x0000 -> 0x${ipExpected}] [bad tcp cksum 0x1234 -> 0x${expected}]\n`);
  });

  it('a malformed option walk is flagged with its byte offset', () => {
    const x = built({ ip: IP4, transport: { type: 'tcp', sourcePort: 1, destinationPort: 2, windowSize: 3, flags: '.', options: Uint8Array.of(1, 2, 1, 0) } });
    // nop at 54, then kind 2 with length 1 at byte 55
    expect(line(x)).toBe(T + 'IP 10.0.0.1.1 > 10.0.0.2.2: Flags [.], ack 0, win 3, options [nop,[bad opt]], length 0 [malformed option at byte 55]\n');
  });

  it('a snap-length cut packet is marked [truncated]', () => {
    const full = buildPacket({ ip: IP4, transport: { type: 'tcp', sourcePort: 1, destinationPort: 2, windowSize: 3, flags: '.' }, payload: new Uint8Array(100) });
    const p = record(full.subarray(0, 64), LINKTYPE.ETHERNET, { originalLength: full.length });
    expect(text.line(p, inspectRecord(p), false)).toBe(T + 'IP 10.0.0.1.1 > 10.0.0.2.2: Flags [.], seq 0:100, ack 0, win 3, length 100 [truncated]\n');
  });
});

describe('text line: UDP, IP-layer carriers, ICMP', () => {
  it('plain UDP', () => {
    const x = built({ ip: IP4, transport: { type: 'udp', sourcePort: 5000, destinationPort: 5001 }, payload: new Uint8Array(20) });
    expect(line(x)).toBe(T + 'IP 10.0.0.1.5000 > 10.0.0.2.5001: UDP, length 20\n');
  });

  it('UOA IPv4 option and the opp shim are shown after IP', () => {
    const ipo = built({ ip: { ...IP4, options: encodeCarrier('uoa-ipo', { clientAddress: '192.0.2.1', clientPort: 40000 }) }, transport: { type: 'udp', sourcePort: 5000, destinationPort: 53 }, payload: new Uint8Array(4) });
    expect(line(ipo)).toBe(T + 'IP (uoa-ipo 192.0.2.1:40000) 10.0.0.1.5000 > 10.0.0.2.53: UDP, length 4\n');
    const opp = built({ ip: IP4, opp: oppShim(1, Uint8Array.of(31, 8, 0x9c, 0x40, 192, 0, 2, 1)), transport: { type: 'udp', sourcePort: 5000, destinationPort: 53 }, payload: new Uint8Array(4) });
    expect(line(opp)).toBe(T + 'IP (uoa-opp 192.0.2.1:40000) 10.0.0.1.5000 > 10.0.0.2.53: UDP, length 4\n');
  });

  it('TTGW IPv4 option and IPv6 destination option', () => {
    const fields = { clientAddress: '192.0.2.1', clientPort: 40000, virtualAddress: '198.51.100.1', virtualPort: 80 };
    const v4 = built({ ip: { ...IP4, options: encodeCarrier('ttgw-v4', fields) }, transport: { type: 'tcp', sourcePort: 1, destinationPort: 80, acknowledgmentNumber: 1, windowSize: 2, flags: '.' } });
    expect(line(v4)).toBe(T + 'IP (ttgw-v4 192.0.2.1:40000 vip 198.51.100.1:80) 10.0.0.1.1 > 10.0.0.2.80: Flags [.], ack 1, win 2, length 0\n');
    const v6 = built({ ip: { ...IP6, extensions: [{ type: 60, bytes: encodeCarrier('ttgw-v6', fields) }] }, transport: { type: 'tcp', sourcePort: 1, destinationPort: 80, acknowledgmentNumber: 1, windowSize: 2, flags: '.' } });
    expect(line(v6)).toBe(T + 'IP6 (ttgw-v6 192.0.2.1:40000 vip 198.51.100.1:80) 2001:db8::1.1 > 2001:db8::2.80: Flags [.], ack 1, win 2, length 0\n');
  });

  it('ICMP and ICMPv6 echo', () => {
    const a = built({ ip: IP4, transport: { type: 'icmp', identifier: 7, sequence: 9 }, payload: new Uint8Array(20) });
    expect(line(a)).toBe(T + 'IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 7, seq 9, length 28\n');
    const b = built({ ip: IP6, transport: { type: 'icmp', identifier: 7, sequence: 9 } });
    expect(line(b)).toBe(T + 'IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 7, seq 9, length 8\n');
  });

  it('a later IPv4 fragment shows the protocol and the fragment', () => {
    const x = built({ ip: { ...IP4, identification: 77, dontFragment: false, fragmentOffset: 8 }, transport: { type: 'raw', protocol: 17, bytes: new Uint8Array(0) }, payload: new Uint8Array(16) });
    expect(line(x)).toBe(T + 'IP 10.0.0.1 > 10.0.0.2: UDP (frag 77:16@8)\n');
  });
});

describe('text line: link layers', () => {
  const tcp = { type: 'tcp' as const, sourcePort: 1, destinationPort: 2, acknowledgmentNumber: 1, windowSize: 2, flags: '.' };
  const body = 'IP 10.0.0.1.1 > 10.0.0.2.2: Flags [.], ack 1, win 2, length 0\n';

  it('VLAN, QinQ, SLL, SLL2, NULL and raw give the same IP line without -e', () => {
    for (const link of [
      { type: 'ethernet' as const, vlans: [{ id: 100 }] },
      { type: 'ethernet' as const, vlans: [{ id: 100, tpid: 0x88a8 }, { id: 200 }] },
      { type: 'sll' as const },
      { type: 'sll2' as const, interfaceIndex: 3, packetType: 4 },
      { type: 'null' as const },
      { type: 'raw' as const },
    ]) {
      expect(line(built({ link, ip: IP4, transport: tcp }))).toBe(T + body);
    }
  });

  it('-e shows MAC addresses, VLAN tags and the ethertype', () => {
    const withLink = new TextRenderer({ link: true });
    const x = built({ link: { type: 'ethernet', vlans: [{ id: 100, tpid: 0x88a8 }, { id: 200 }] }, ip: IP4, transport: tcp });
    expect(withLink.line(x.p, x.ins, false)).toBe(T + `02:00:00:00:00:01 > 02:00:00:00:00:02, vlan 100, vlan 200, ethertype IPv4 (0x0800), length ${x.p.originalLength}: ` + body);
    const s = built({ link: { type: 'sll2', interfaceIndex: 3, packetType: 4 }, ip: IP4, transport: tcp });
    expect(withLink.line(s.p, s.ins, false)).toBe(T + `ifindex 3 Out ethertype IPv4 (0x0800), length ${s.p.originalLength}: ` + body);
  });

  it('VXLAN: outer UDP, the VNI, then the inner packet with its carrier', () => {
    const inner = buildPacket({ ip: { ...IP4, source: '172.16.0.1', destination: '172.16.0.2' }, transport: { ...tcp, options: [opt(toaV4)] } });
    const x = built({ ip: { ...IP4, source: '192.168.0.1', destination: '192.168.0.2' }, transport: { type: 'udp', sourcePort: 33333, destinationPort: 4789 }, payload: vxlanPayload(4242, inner) });
    expect(line(x)).toBe(T + 'IP 192.168.0.1.33333 > 192.168.0.2.4789: VXLAN, vni 4242: IP 172.16.0.1.1 > 172.16.0.2.2: Flags [.], ack 1, win 2, options [toa 192.0.2.1:40000], length 0\n');
  });

  it('ARP request, unknown link type', () => {
    const arp = new Uint8Array(42);
    arp.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06], 0);
    arp.set([0, 1, 0x08, 0x00, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2], 14);
    const p = record(arp, LINKTYPE.ETHERNET);
    expect(text.line(p, inspectRecord(p), false)).toBe(T + 'ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28\n');
    const u = record(new Uint8Array(60), 147);
    expect(text.line(u, inspectRecord(u), false)).toBe(T + 'unknown link type 147, 60 bytes\n');
  });
});

describe('text line: timestamps', () => {
  const x = built({ ip: IP4, transport: { type: 'udp', sourcePort: 1, destinationPort: 2 } }, {}, { timestampSeconds: 1700000000, timestampNanos: 123456789 });
  it('UTC time of day, 6 digits for µs and 9 for ns, --date adds the date', () => {
    expect(text.line(x.p, x.ins, false)).toBe('22:13:20.123456 IP 10.0.0.1.1 > 10.0.0.2.2: UDP, length 0\n');
    expect(text.line(x.p, x.ins, true)).toBe('22:13:20.123456789 IP 10.0.0.1.1 > 10.0.0.2.2: UDP, length 0\n');
    expect(new TextRenderer({ date: true }).line(x.p, x.ins, false)).toBe('2023-11-14 22:13:20.123456 IP 10.0.0.1.1 > 10.0.0.2.2: UDP, length 0\n');
  });

  it('write() appends to a ByteWriter the same bytes line() returns', () => {
    const w = new ByteWriter(8);
    text.write(w, x.p, x.ins, false);
    text.write(w, x.p, x.ins, false);
    const one = text.line(x.p, x.ins, false);
    expect(w.toString()).toBe(one + one);
  });
});

describe('text line: a packet read in place (inspectAt + writeFrame)', () => {
  /** The line of p's frame copied to byte 37 of a larger buffer full of 0x5b (256 bytes after it), inspected and written there. */
  const inPlace = (r: TextRenderer, p: PacketRecord): string => {
    const base = 37;
    const buffer = new Uint8Array(base + p.data.length + 256).fill(0x5b);
    buffer.set(p.data, base);
    const end = base + p.data.length;
    const ins = new PacketInspector();
    ins.inspectAt(buffer, base, end, p.linkType, p.originalLength);
    if (ins.d.encapsulation !== ENCAPSULATION.NONE && ins.d.outer !== null) verifyChecksums(buffer, ins.d.outer, end);
    const w = new ByteWriter(64);
    r.writeFrame(w, p, buffer, base, end, ins, false);
    return w.toString();
  };
  const tcp = { type: 'tcp' as const, sourcePort: 1, destinationPort: 2, acknowledgmentNumber: 1, windowSize: 2, flags: '.' };

  it('gives the line of the same packet on its own, offsets counted from the frame', () => {
    const malformed = built({ ip: IP4, transport: { ...tcp, options: Uint8Array.of(1, 2, 1, 0) } });
    expect(inPlace(text, malformed.p)).toBe(T + 'IP 10.0.0.1.1 > 10.0.0.2.2: Flags [.], ack 1, win 2, options [nop,[bad opt]], length 0 [malformed option at byte 55]\n');
    const badSums = built({ ip: IP4, transport: { ...tcp, flags: 'S', checksum: 0x1234 } }, { computeChecksums: false });
    const full = buildPacket({ ip: IP4, transport: tcp });
    const withPayload = buildPacket({ ip: IP4, transport: { ...tcp, options: [opt(toaV4), NOP, NOP, TS] }, payload: new Uint8Array(100) });
    const inner = buildPacket({ ip: { ...IP4, source: '172.16.0.1', destination: '172.16.0.2' }, transport: { ...tcp, options: [opt(toaV4)] } });
    const arp = new Uint8Array(42);
    arp.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06], 0);
    arp.set([0, 1, 0x08, 0x00, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2], 14);
    const lldp = new Uint8Array(60);
    lldp.set([1, 0x80, 0xc2, 0, 0, 0xe, 2, 0, 0, 0, 0, 1, 0x88, 0xcc], 0);
    const packets: PacketRecord[] = [
      malformed.p,
      badSums.p,
      record(full, LINKTYPE.ETHERNET),
      // cut by the snap length: the bytes after the frame must not be read as its own
      record(withPayload.subarray(0, 90), LINKTYPE.ETHERNET, { originalLength: withPayload.length }),
      record(withPayload, LINKTYPE.ETHERNET),
      built({ ip: IP4, transport: { type: 'udp', sourcePort: 33333, destinationPort: 4789 }, payload: vxlanPayload(4242, inner) }).p,
      built({ ip: { ...IP4, options: encodeCarrier('uoa-ipo', { clientAddress: '192.0.2.1', clientPort: 40000 }) }, transport: { type: 'udp', sourcePort: 5000, destinationPort: 53 }, payload: new Uint8Array(4) }).p,
      built({ ip: IP4, transport: { ...tcp, flags: 'P.' }, payload: ascii('PROXY TCP4 192.0.2.1 10.0.0.2 40000 80\r\n') }).p,
      built({ ip: IP4, transport: { ...tcp, flags: 'P.' }, payload: ascii('PROXY TCP4 192.0.2.1\r\n') }).p,
      built({ link: { type: 'sll2', interfaceIndex: 3, packetType: 4 }, ip: IP6, transport: { type: 'icmp', identifier: 7, sequence: 9 } }).p,
      built({ ip: { ...IP4, identification: 77, dontFragment: false, fragmentOffset: 8 }, transport: { type: 'raw', protocol: 17, bytes: new Uint8Array(0) }, payload: new Uint8Array(16) }).p,
      record(arp, LINKTYPE.ETHERNET),
      record(lldp, LINKTYPE.ETHERNET),
      record(full.subarray(0, 20), LINKTYPE.ETHERNET, { originalLength: full.length }),
      record(new Uint8Array(60), 147),
    ];
    const withLink = new TextRenderer({ link: true });
    for (const p of packets) {
      for (const r of [text, withLink]) expect(inPlace(r, p)).toBe(r.line(p, inspectRecord(p), false));
    }
  });
});

describe('text line: plain DPVS TOAs written from their bytes (PacketInspector skipPlainToa)', () => {
  const styled: Styles = { enabled: true, carrier: (t) => '<' + t + '>', warning: (t) => '{' + t + '}', bad: (t) => '!' + t + '!', dim: (t) => t };
  const toa = (port: number, address = [198, 51, 100, 7]) => ({ kind: 254, data: [port >>> 8, port & 0xff, ...address] });
  const tcp = { type: 'tcp' as const, sourcePort: 1, destinationPort: 2, acknowledgmentNumber: 1, windowSize: 2 };

  it('gives the line of an inspector that makes the carriers, with and without colour', () => {
    const lists: Array<Array<{ kind: number; data?: number[] | Uint8Array }>> = [];
    // ports that are known ExIDs (Host ID, TCP Fast Open, AccECN, ...) keep their carriers and notes
    for (const port of [0, 1, 172, 840, 0x454e, 0xacc0, 0xe2d4, 0xf989, 0xf98a, 40000, 65535]) {
      lists.push([toa(port), NOP, NOP, TS], [NOP, NOP, TS, toa(port)], [toa(port)], [NOP, toa(port), NOP, NOP, NOP], [toa(port), toa(port + 1 > 65535 ? 0 : port + 1)]);
    }
    lists.push([toa(40000, [0, 0, 0, 0]), opt(toa200), NOP, NOP, TS], [opt(toaV6), toa(40000)], [toa(40000), { kind: 0 }, { kind: 5 }], [{ kind: 254, data: [1, 2, 3, 4] }]);
    let lines = 0;
    for (const options of lists) {
      for (const flags of ['.', 'S', 'P.']) {
        const p = record(buildPacket({ ip: IP4, transport: { ...tcp, flags, options } }), LINKTYPE.ETHERNET);
        for (const r of [text, new TextRenderer({ styles: styled })]) {
          const skipped = inspectRecord(p, { skipPlainToa: true });
          expect(skipped.plainToaSkipped).toBe(true);
          expect(r.line(p, skipped, false)).toBe(r.line(p, inspectRecord(p), false));
          lines++;
        }
      }
    }
    expect(lines).toBe(lists.length * 6);
    // the usual DPVS layout leaves no carrier at all
    const usual = inspectRecord(built({ ip: IP4, transport: { ...tcp, flags: '.', options: [toa(40000), NOP, NOP, TS] } }).p, { skipPlainToa: true });
    expect(usual.carriers).toHaveLength(0);
  });

  it('is off under --kinds (the pairs decide what a 254/8 is)', () => {
    const p = built({ ip: IP4, transport: { ...tcp, flags: '.', options: [toa(40000)] } }).p;
    const ins = inspectRecord(p, { skipPlainToa: true, kinds: parseKindSpec('200:8') });
    expect(ins.plainToaSkipped).toBe(false);
    expect(text.line(p, ins, false)).toBe(T + 'IP 10.0.0.1.1 > 10.0.0.2.2: Flags [.], ack 1, win 2, options [exp-9c40 0xc6336407], length 0\n');
  });
});
