import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import {
  crc32c, decodeIpVsCaNotification, decodeProxyV1, decodeProxyV2, encodeCarrier, encodeProxyV1, encodeProxyV2, scanPayload,
  type Carrier, type CarrierNote,
} from '../../src/carriers/index.js';

const text = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

function payload(bytes: Uint8Array, transport: 'tcp' | 'udp' = 'tcp') {
  const out: Carrier[] = [];
  const notes: CarrierNote[] = [];
  scanPayload(bytes, 0, bytes.length, transport, out, notes);
  return { out, notes };
}

describe('PROXY v1', () => {
  it('parses TCP6 and UNKNOWN lines and normalises IPv6 text (RFC 5952)', () => {
    const { out } = payload(text('PROXY TCP6 2001:DB8:0:0::1 2001:db8::80 40000 443\r\nGET'));
    expect(out).toMatchObject([{ family: 'TCP6', clientAddress: '2001:db8::1', virtualAddress: '2001:db8::80', clientPort: 40000, virtualPort: 443, length: 51 }]);
    const unknown = payload(text('PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n'));
    expect(unknown.out).toMatchObject([{ carrier: 'proxy-v1', family: 'UNKNOWN', clientAddress: null, clientPort: null, length: 35 }]);
    expect(Buffer.from(encodeProxyV1({})).toString()).toBe('PROXY UNKNOWN\r\n');
  });
  it('rejects malformed lines with a note and no carrier', () => {
    const bad: [string, RegExp][] = [
      ['PROXY TCP4 192.0.2.1 198.51.100.10 40000\r\n', /3 fields/],
      ['PROXY TCP4 192.0.2.1  198.51.100.10 40000 80\r\n', /fields/],
      ['PROXY TCP4 2001:db8::1 198.51.100.10 40000 80\r\n', /source address '2001:db8::1' that is not IPv4/],
      ['PROXY TCP6 192.0.2.1 2001:db8::1 40000 80\r\n', /not IPv6/],
      ['PROXY TCP4 192.0.2.1 198.51.100.10 70000 80\r\n', /source port '70000'/],
      ['PROXY TCP4 192.0.2.1 198.51.100.10 +1 80\r\n', /source port/],
      ['PROXY TCP4 192.0.2.1 198.51.100.10 40000 080\r\n', /destination port '080'/],
      ['PROXY UDP4 192.0.2.1 198.51.100.10 40000 80\r\n', /protocol 'UDP4'/],
      ['PROXY TCP4 192.0.2.1 198.51.100.10 40000 80\n', /ends after|no CRLF/],
      ['PROXY TCP4 192.0.2.1\t198.51.100.10 40000 80\r\n', /non-printable/],
    ];
    for (const [line, re] of bad) {
      const { out, notes } = payload(text(line));
      expect(out, line).toEqual([]);
      expect(notes, line).toHaveLength(1);
      expect(notes[0]!.message, line).toMatch(re);
    }
  });
  it('no CRLF within 107 bytes is malformed; a shorter range without CRLF is truncated', () => {
    const long = text('PROXY TCP6 ' + 'a'.repeat(120) + '\r\n');
    expect(payload(long).notes).toMatchObject([{ code: 'proxy-malformed', length: 107 }]);
    expect(payload(text('PROXY TCP4 192.0.2.1 19')).notes).toMatchObject([{ code: 'proxy-truncated', offset: 0 }]);
    // a full 107-byte line is accepted
    const max = 'PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n';
    expect(max).toHaveLength(104);
    expect(payload(text(max)).out).toHaveLength(1);
  });
  it('v1 is TCP only; plain payloads produce nothing', () => {
    expect(payload(text('PROXY TCP4 192.0.2.1 198.51.100.10 40000 80\r\n'), 'udp').out).toEqual([]);
    expect(payload(text('GET / HTTP/1.1\r\n'))).toEqual({ out: [], notes: [] });
    expect(payload(text('PROX'))).toEqual({ out: [], notes: [] });
  });
});

describe('PROXY v2', () => {
  it('decodes IPv6 UDP with TLVs: ALPN, AUTHORITY, SSL with sub-TLVs, AWS VPCE, NOOP, CRC32C', () => {
    const ssl = new Uint8Array([0x01, 0, 0, 0, 0, 0x21, 0, 7, ...Buffer.from('TLSv1.3'), 0x22, 0, 3, ...Buffer.from('bob')]);
    const bytes = encodeProxyV2({
      clientAddress: '2001:db8::1', clientPort: 5353, virtualAddress: '2001:db8::53', virtualPort: 53, transport: 'dgram',
      tlvs: [
        { type: 0x01, value: text('h2') },
        { type: 0x02, value: text('example.com') },
        { type: 0x20, value: ssl },
        { type: 0xea, value: new Uint8Array([0x01, ...Buffer.from('vpce-08d2bf15fac5001c9')]) },
        { type: 0x04, value: new Uint8Array(3) },
        { type: 0x03, value: new Uint8Array(0) },
      ],
    });
    const c = decodeProxyV2(bytes, 0, bytes.length)!;
    expect(c).toMatchObject({ family: 'inet6', transport: 'dgram', command: 'PROXY', clientAddress: '2001:db8::1', clientPort: 5353, virtualPort: 53, length: bytes.length });
    expect(c.tlvs!.map((t) => t.name)).toEqual(['ALPN', 'AUTHORITY', 'SSL', 'AWS', 'NOOP', 'CRC32C']);
    expect(c.tlvs![0]!.text).toBe('h2');
    expect(c.tlvs![1]!.text).toBe('example.com');
    expect(c.tlvs![2]!.sub!.map((t) => [t.name, t.text])).toEqual([['SSL_VERSION', 'TLSv1.3'], ['SSL_CN', 'bob']]);
    expect(c.tlvs![3]!.text).toBe('vpce-id=vpce-08d2bf15fac5001c9');
    expect(c.tlvs![5]!.crcOk).toBe(true);
    // flip one address byte: the CRC no longer matches
    bytes[20]! ^= 1;
    expect(decodeProxyV2(bytes, 0, bytes.length)!.tlvs![5]!.crcOk).toBe(false);
  });
  it('crc32c matches the standard check value', () => {
    expect(crc32c(text('123456789'), 0, 9).toString(16)).toBe('e3069283');
  });
  it('LOCAL command: family UNSPEC, no addresses', () => {
    const bytes = encodeProxyV2({ command: 'LOCAL' });
    expect(toHex(bytes)).toBe('0d0a0d0a000d0a515549540a20000000');
    expect(decodeProxyV2(bytes, 0, bytes.length)).toMatchObject({ command: 'LOCAL', family: 'unspec', clientAddress: null, length: 16 });
  });
  it('unix family reads the two paths', () => {
    const b = new Uint8Array(16 + 216);
    b.set(fromHex('0d0a0d0a000d0a515549540a213100d8'));
    b.set(text('/run/a.sock'), 16);
    b.set(text('/run/b.sock'), 124);
    expect(decodeProxyV2(b, 0, b.length)).toMatchObject({ family: 'unix', transport: 'stream', sourcePath: '/run/a.sock', destinationPath: '/run/b.sock', clientAddress: null });
  });
  it('TLV overrun, bad version/command/family, short address block and truncation are notes', () => {
    const good = '0d0a0d0a000d0a515549540a';
    const cases: [string, string, RegExp][] = [
      [good + '2111000e c0000201c633640a9c400050 0100', 'proxy-tlv-overrun', /stray/],
      [good + '21110011 c0000201c633640a9c400050 010009 6832', 'proxy-tlv-overrun', /length 9/],
      [good + '3111000c c0000201c633640a9c400050', 'proxy-malformed', /version 3/],
      [good + '2211000c c0000201c633640a9c400050', 'proxy-malformed', /command 2/],
      [good + '2141000c c0000201c633640a9c400050', 'proxy-malformed', /family 4/],
      [good + '21130000', 'proxy-malformed', /transport 3/],
      [good + '2121000e c0000201c633640a9c400050 0000', 'proxy-malformed', /shorter than the 36-byte/],
      [good + '2111000c c0000201', 'proxy-truncated', /declares 28 bytes, 20 available/],
      [good + '2111', 'proxy-truncated', /cut after 14/],
      ['0d0a0d0a000d', 'proxy-truncated', /cut after 6/],
    ];
    for (const [hex, code, re] of cases) {
      const { notes } = payload(fromHex(hex));
      expect(notes[0]?.code, hex).toBe(code);
      expect(notes[0]!.message, hex).toMatch(re);
    }
    // the overrun case still yields the carrier with the TLVs before the damage
    expect(payload(fromHex(good + '21110012 c0000201c633640a9c400050 04000001 0100')).out[0]!.tlvs).toMatchObject([{ name: 'NOOP' }]);
  });
  it('works at an offset inside a larger buffer (absolute offsets)', () => {
    const pp = encodeProxyV2({ clientAddress: '192.0.2.1', clientPort: 1, virtualAddress: '192.0.2.2', virtualPort: 2, tlvs: [{ type: 0x05, value: Uint8Array.of(0xde, 0xad) }] });
    const b = new Uint8Array(10 + pp.length);
    b.set(pp, 10);
    const out: Carrier[] = [];
    scanPayload(b, 10, b.length, 'udp', out);
    expect(out[0]).toMatchObject({ offset: 10, clientAddress: '192.0.2.1' });
    expect(out[0]!.tlvs![0]).toMatchObject({ name: 'UNIQUE_ID', offset: 38, text: 'dead' });
  });
});

describe('SPP and ip_vs_ca ICMP', () => {
  it('SPP decodes IPv4-mapped addresses as IPv4 and is UDP only', () => {
    const b = encodeCarrier('spp', { clientAddress: '192.0.2.1', clientPort: 40000, virtualAddress: '198.51.100.10', virtualPort: 53 });
    expect(toHex(b.subarray(0, 18))).toBe('56ec00000000000000000000ffffc0000201');
    expect(payload(b, 'udp').out).toMatchObject([{ carrier: 'spp', clientAddress: '192.0.2.1', virtualAddress: '198.51.100.10' }]);
    expect(payload(b, 'tcp').out).toEqual([]);
    expect(payload(b.subarray(0, 20), 'udp').notes).toMatchObject([{ code: 'spp-truncated' }]);
  });
  it('ip_vs_ca payload hand-written: code 123, UDP, ports, TOA 200/8', () => {
    const c = decodeIpVsCaNotification(fromHex('7b11 1388 0035 c8089c40c0000201'), 0, 14);
    expect(c).toMatchObject({ format: 'ip-vs-ca-icmp', kind: 200, protocol: 17, flowSourcePort: 5000, flowDestinationPort: 53, clientAddress: '192.0.2.1', clientPort: 40000 });
    expect(decodeIpVsCaNotification(fromHex('7a11 1388 0035 c8089c40c0000201'), 0, 14)).toBeNull();
    expect(decodeIpVsCaNotification(fromHex('7b11 1388 0035 c8089c40c000'), 0, 12)).toBeNull();
  });
});
