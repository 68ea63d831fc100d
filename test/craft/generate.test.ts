import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanTcpOptions, scanIpv4Options, type Carrier } from '../../src/carriers/index.js';
import { parseIp } from '../../src/codec/addr.js';
import { openCaptureBytes } from '../../src/codec/capture.js';
import type { PacketRecord } from '../../src/codec/capture-types.js';
import { Dissection, dissect, verifyChecksums } from '../../src/codec/dissect.js';
import { LINKTYPE } from '../../src/codec/linktype.js';
import { TCP_FLAG } from '../../src/codec/tcp.js';
import { craft, writeCrafted } from '../../src/craft/generate.js';
import type { CraftedCapture, CraftSpec } from '../../src/craft/model.js';

const dir = mkdtempSync(join(tmpdir(), 'toa-craft-gen-'));

interface Seen {
  iface: number;
  d: Dissection;
  data: Uint8Array;
  tcp: Carrier[];
  ip: Carrier[];
}

function inspect(c: CraftedCapture): Seen[] {
  return c.packets.map((p) => {
    const d = new Dissection();
    dissect(p.data, c.interfaces[p.interfaceId]!.linkType, p.originalLength, d);
    verifyChecksums(p.data, d);
    const tcp: Carrier[] = [];
    const ip: Carrier[] = [];
    if (d.tcpOptionsOffset >= 0) scanTcpOptions(p.data, d.tcpOptionsOffset, d.tcpOptionsOffset + d.tcpOptionsLength, (d.tcpFlags & TCP_FLAG.SYN) !== 0, tcp);
    if (d.ipv4OptionsOffset >= 0) scanIpv4Options(p.data, d.ipv4OptionsOffset, d.ipv4OptionsOffset + d.ipv4OptionsLength, ip);
    return { iface: p.interfaceId, d, data: p.data, tcp, ip };
  });
}

function flagsOf(s: Seen): string {
  const f = s.d.tcpFlags;
  return `${f & TCP_FLAG.SYN ? 'S' : ''}${f & TCP_FLAG.FIN ? 'F' : ''}${f & TCP_FLAG.RST ? 'R' : ''}${f & TCP_FLAG.PSH ? 'P' : ''}${f & TCP_FLAG.ACK ? '.' : ''}`;
}

describe('toa craft: determinism', () => {
  const specs: [string, CraftSpec][] = [
    ['client', {}],
    ['backend with options', { leg: 'backend', timestamps: true, sack: true, wscale: 7, tcpOptions: ['254:f989a1b2c3d4e5f6a7b8'] }],
    ['both nat64', { leg: 'both', nat64: true, pcapng: true }],
    ['udp', { leg: 'backend', protocol: 'udp', format: 'uoa-opp', count: 3 }],
  ];
  it.each(specs)('%s: the same description twice gives the same file bytes', (name, spec) => {
    const a = join(dir, `${name}-a.pcapng`);
    const b = join(dir, `${name}-b.pcapng`);
    writeCrafted(craft(structuredClone(spec), a), a);
    writeCrafted(craft(structuredClone(spec), b), b);
    expect(Buffer.compare(readFileSync(a), readFileSync(b))).toBe(0);
    expect(readFileSync(a).length).toBeGreaterThan(100);
  });

  it('different 4-tuples give different ISNs (hash), given ISNs are used as is', () => {
    const one = inspect(craft({ client: '198.51.100.1:1000' }, 'x.pcap'))[0]!.d.sequenceNumber;
    const two = inspect(craft({ client: '198.51.100.1:1001' }, 'x.pcap'))[0]!.d.sequenceNumber;
    expect(one).not.toBe(two);
    expect(inspect(craft({ clientIsn: 12345 }, 'x.pcap'))[0]!.d.sequenceNumber).toBe(12345);
  });
});

describe('toa craft: client leg TCP state machine', () => {
  it('handshake, request, response, FIN close with consistent seq/ack and valid checksums', () => {
    const seen = inspect(craft({ clientIsn: 1000, serverIsn: 5000, exchanges: [{ request: 10, response: 20 }] }, 'x.pcap'));
    expect(seen.map(flagsOf)).toEqual(['S', 'S.', '.', 'P.', 'P.', '.', 'F.', 'F.', '.']);
    const [syn, synAck, ack, req, resp, ackResp, fin1, fin2, last] = seen.map((s) => s.d);
    expect(syn!.sequenceNumber).toBe(1000);
    expect([synAck!.sequenceNumber, synAck!.acknowledgmentNumber]).toEqual([5000, 1001]);
    expect([ack!.sequenceNumber, ack!.acknowledgmentNumber]).toEqual([1001, 5001]);
    expect([req!.sequenceNumber, req!.payloadLength]).toEqual([1001, 10]);
    expect([resp!.sequenceNumber, resp!.acknowledgmentNumber, resp!.payloadLength]).toEqual([5001, 1011, 20]);
    expect(ackResp!.acknowledgmentNumber).toBe(5021);
    expect([fin1!.sequenceNumber, fin2!.acknowledgmentNumber, last!.acknowledgmentNumber]).toEqual([1011, 1012, 5022]);
    for (const s of seen) {
      expect(s.d.ipChecksum).toBe('ok');
      expect(s.d.l4Checksum).toBe('ok');
    }
  });

  it('segments follow the MSS (lowered by DPVS toward the client) and the timestamp option', () => {
    const seen = inspect(craft({ mss: 1000, timestamps: true, exchanges: [{ request: 2500 }] }, 'x.pcap'));
    const data = seen.filter((s) => s.d.payloadLength > 0).map((s) => s.d.payloadLength);
    // client MSS 1000; SYN-ACK MSS 1000-8 = 992; minus 12 bytes of timestamps
    expect(data).toEqual([980, 980, 540]);
  });

  it('RST close and a retransmission', () => {
    const seen = inspect(craft({ close: 'rst', retransmit: true, exchanges: [{ request: 'x' }] }, 'x.pcap'));
    expect(seen.map(flagsOf)).toEqual(['S', 'S.', '.', 'P.', 'P.', '.', 'R.']);
    expect(Buffer.compare(Buffer.from(seen[3]!.data.subarray(38)), Buffer.from(seen[4]!.data.subarray(38)))).toBe(0); // same TCP segment
  });

  it('--count increments the client port or address', () => {
    const ports = inspect(craft({ count: 3 }, 'x.pcap')).filter((s) => s.d.tcpFlags === TCP_FLAG.SYN).map((s) => s.d.sourcePort);
    expect(ports).toEqual([40000, 40001, 40002]);
    const addrs = inspect(craft({ count: 2, increment: 'address', client: '198.51.100.255:5' }, 'x.pcap'))
      .filter((s) => s.d.tcpFlags === TCP_FLAG.SYN)
      .map((s) => Array.from(s.data.subarray(s.d.ipSourceOffset, s.d.ipSourceOffset + 4)).join('.'));
    expect(addrs).toEqual(['198.51.100.255', '198.51.101.0']);
  });

  it('per-packet overrides from a spec: drop, flags, options bytes, ttl', () => {
    const seen = inspect(craft({ overrides: [{ packet: 2, drop: true }, { packet: 3, flags: 'PA', optionsHex: '1c0401f4', ttl: 3 }] }, 'x.pcap'));
    expect(seen.length).toBe(8);
    expect(flagsOf(seen[1]!)).toBe('P.');
    expect(seen[1]!.d.hopLimit).toBe(3);
    expect(Array.from(seen[1]!.data.subarray(seen[1]!.d.tcpOptionsOffset, seen[1]!.d.tcpOptionsOffset + 4))).toEqual([0x1c, 4, 1, 0xf4]);
  });
});

describe('toa craft: backend leg through the full-NAT model', () => {
  it('IPv4: LIP→RS, seq shifted to the full-NAT ISN, TOA 254/8 on the handshake ACK and pre-data segments only', () => {
    const seen = inspect(craft({ leg: 'backend', clientIsn: 1000, serverIsn: 5000, fnatIsn: 900000 }, 'x.pcap'));
    const [syn, synAck, ack, req, resp, ackResp, fin] = seen;
    expect(Array.from(syn!.data.subarray(syn!.d.ipSourceOffset, syn!.d.ipSourceOffset + 8))).toEqual([10, 0, 0, 2, 10, 0, 1, 10]);
    expect([syn!.d.sourcePort, syn!.d.destinationPort]).toEqual([40000, 8080]);
    expect(syn!.d.sequenceNumber).toBe(900000);
    expect(synAck!.d.acknowledgmentNumber).toBe(900001);
    expect(req!.d.sequenceNumber).toBe(900001);
    expect(resp!.d.acknowledgmentNumber).toBe(900001 + req!.d.payloadLength);
    expect(syn!.tcp).toEqual([]);
    for (const s of [ack!, req!]) {
      expect(s.tcp.length).toBe(1);
      expect(s.tcp[0]!.format).toBe('toa-v4');
      expect(s.tcp[0]!.clientAddress).toBe('198.51.100.10');
      expect(s.tcp[0]!.clientPort).toBe(40000);
      expect(s.tcp[0]!.offset).toBe(s.d.l4Offset + 20); // first option
    }
    expect(ackResp!.tcp).toEqual([]);
    expect(fin!.tcp).toEqual([]);
    for (const s of seen) expect([s.d.ipChecksum, s.d.l4Checksum]).toEqual(['ok', 'ok']);
  });

  it('NAT64: IPv4 backend packets carry TOA 254/20 with the IPv6 client', () => {
    const seen = inspect(craft({ leg: 'backend', nat64: true }, 'x.pcap'));
    expect(seen.every((s) => s.d.ipVersion === 4)).toBe(true);
    const toa = seen.flatMap((s) => s.tcp);
    expect(toa.length).toBeGreaterThan(0);
    expect(toa.every((c) => c.format === 'toa-v6' && c.clientAddress === '2001:db8:1::10')).toBe(true);
    // DPVS lowers the RS's MSS by 20 toward an IPv6 client: the backend SYN-ACK has the RS value
    const synAck = seen[1]!;
    expect(synAck.data[synAck.d.tcpOptionsOffset]).toBe(2);
    expect((synAck.data[synAck.d.tcpOptionsOffset + 2]! << 8) | synAck.data[synAck.d.tcpOptionsOffset + 3]!).toBe(1460);
  });

  it('--leg both: interface 0 is the client leg, interface 1 the backend leg, equal to --leg backend', () => {
    const both = craft({ leg: 'both', pcapng: true }, 'x.pcapng');
    const backend = craft({ leg: 'backend' }, 'x.pcap');
    expect(both.interfaces.length).toBe(2);
    const fromBoth = both.packets.filter((p) => p.interfaceId === 1).map((p) => Buffer.from(p.data).toString('hex'));
    expect(fromBoth).toEqual(backend.packets.map((p) => Buffer.from(p.data).toString('hex')));
    expect(both.packets.filter((p) => p.interfaceId === 0).length).toBe(backend.packets.length);
  });

  it('formats: tencent 200/8, lvs IPv6 253/20, ttgw IPv4 option on every client packet', () => {
    expect(inspect(craft({ leg: 'backend', format: 'tencent' }, 'x.pcap')).flatMap((s) => s.tcp.map((c) => c.format))).toContain('toa-v4-200');
    expect(inspect(craft({ leg: 'backend', format: 'lvs', ipv6: true }, 'x.pcap')).flatMap((s) => s.tcp.map((c) => c.format))).toContain('toa-v6-253');
    const ttgw = inspect(craft({ leg: 'backend', format: 'ttgw' }, 'x.pcap'));
    const toServer = ttgw.filter((s) => s.d.destinationPort === 8080);
    expect(toServer.every((s) => s.ip.length === 1 && s.ip[0]!.format === 'ttgw-v4' && s.ip[0]!.clientAddress === '198.51.100.10')).toBe(true);
    expect(ttgw.filter((s) => s.d.sourcePort === 8080).every((s) => s.ip.length === 0)).toBe(true);
    for (const s of ttgw) expect([s.d.ipChecksum, s.d.l4Checksum]).toEqual(['ok', 'ok']);
  });

  it('UDP uoa-ipo: option 31/8 in the first 3 client datagrams only', () => {
    const seen = inspect(craft({ leg: 'backend', protocol: 'udp', format: 'uoa-ipo' }, 'x.pcap'));
    const withUoa = seen.filter((s) => s.ip.some((c) => c.format === 'uoa-ipo'));
    expect(withUoa.length).toBe(3);
    expect(seen.filter((s) => s.d.destinationPort === 8080).length).toBe(4);
  });
});

describe('toa craft: output formats', () => {
  async function records(path: string): Promise<{ linkType: number; seconds: number; nanos: number; captured: number; original: number; iface: number }[]> {
    const reader = await openCaptureBytes(readFileSync(path), path);
    const out: { linkType: number; seconds: number; nanos: number; captured: number; original: number; iface: number }[] = [];
    await reader.read((p: PacketRecord) => out.push({ linkType: p.linkType, seconds: p.timestampSeconds, nanos: p.timestampNanos, captured: p.capturedLength, original: p.originalLength, iface: p.interfaceId }));
    return out;
  }

  it('nanosecond big-endian pcap with --start and --rtt', async () => {
    const path = join(dir, 'ns-be.pcap');
    writeCrafted(craft({ nanosecond: true, byteOrder: 'be', start: '1700000000.000000001', rtt: '1500ns' }, path), path);
    const bytes = readFileSync(path);
    expect(bytes.readUInt32BE(0)).toBe(0xa1b23c4d);
    const r = await records(path);
    expect(r.slice(0, 3).map((x) => [x.seconds, x.nanos])).toEqual([
      [1700000000, 1],
      [1700000000, 1501],
      [1700000000, 3001],
    ]);
  });

  it('snaplen cuts packets and keeps the original length', async () => {
    const path = join(dir, 'snap.pcap');
    writeCrafted(craft({ snaplen: 64, exchanges: [{ request: 500 }] }, path), path);
    const r = await records(path);
    expect(r.every((x) => x.captured <= 64)).toBe(true);
    expect(r.some((x) => x.original > 500)).toBe(true);
  });

  it('pcapng with two interfaces of different link types (--backend-link) and every --link type', async () => {
    const path = join(dir, 'two.pcapng');
    writeCrafted(craft({ leg: 'both', link: 'vlan:7', backendLink: 'sll2' }, path), path);
    const r = await records(path);
    expect(new Set(r.map((x) => `${x.iface}:${x.linkType}`))).toEqual(new Set([`0:${LINKTYPE.ETHERNET}`, `1:${LINKTYPE.LINUX_SLL2}`]));
    for (const [link, type] of [['sll', LINKTYPE.LINUX_SLL], ['raw', LINKTYPE.RAW], ['null', LINKTYPE.NULL], ['loop', LINKTYPE.LOOP], ['qinq:1,2', LINKTYPE.ETHERNET]] as const) {
      const seen = inspect(craft({ leg: 'backend', link }, 'x.pcap'));
      expect(craft({ link }, 'x.pcap').interfaces[0]!.linkType).toBe(type);
      expect(seen.every((s) => s.d.ipChecksum === 'ok' && s.d.l4Checksum === 'ok')).toBe(true);
    }
  });

  it('client and server MACs are settable', () => {
    const c = craft({ clientMac: 'aa:bb:cc:dd:ee:01', serverMac: 'aa:bb:cc:dd:ee:02' }, 'x.pcap');
    const first = c.packets[0]!.data;
    const second = c.packets[1]!.data;
    expect(Buffer.from(first.subarray(0, 12)).toString('hex')).toBe('aabbccddee02aabbccddee01');
    expect(Buffer.from(second.subarray(0, 12)).toString('hex')).toBe('aabbccddee01aabbccddee02');
  });

  it('raw spec packets: carriers placed by format, literal frames', () => {
    const c = craft(
      {
        packets: [
          { ip: { source: '10.0.0.2', destination: '10.0.1.10' }, udp: { sourcePort: 1, destinationPort: 2 }, carrier: { format: 'ttgw-v4', client: '198.51.100.7:9', vip: '203.0.113.1:53' } },
          { frameHex: '0200000000020200000000010800' + '45000014000040004006' + '0000' + '0a0000020a00010a' },
        ],
      },
      'x.pcap',
    );
    const seen = inspect(c);
    expect(seen[0]!.ip[0]!.format).toBe('ttgw-v4');
    expect(seen[0]!.ip[0]!.clientAddress).toBe('198.51.100.7');
    expect(Array.from(parseIp('10.0.0.2')!)).toEqual(Array.from(seen[1]!.data.subarray(26, 30)));
  });
});
