/**
 * src/dpvs/proxy-protocol.ts: the DPVS PROXY header (built by the registry's encoders) and the
 * DPVS-lenient parser that decides whether existing PP data is kept, re-encoded or replaced.
 */
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../src/codec/addr.js';
import { PROXY_V2_LENGTH_V4, PROXY_V2_LENGTH_V6, ProxyHeaderInfo, encodeProxyHeader, parseProxyHeader } from '../../src/dpvs/proxy-protocol.js';

const ip = (text: string) => parseIp(text)!;
const ascii = (text: string) => Uint8Array.from(Buffer.from(text, 'latin1'));
const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('encodeProxyHeader (dpvs.md §7 header content)', () => {
  it('v2 TCP4 is the 28-byte header with 0x21 0x11 and length 12', () => {
    const h = encodeProxyHeader(2, 'tcp', ip('192.0.2.1'), ip('198.51.100.10'), 40000, 80);
    expect(h.length).toBe(PROXY_V2_LENGTH_V4);
    expect(hexOf(h)).toBe('0d0a0d0a000d0a515549540a' + '2111000c' + 'c0000201' + 'c633640a' + '9c40' + '0050');
  });

  it('v2 UDP6 is the 52-byte header with family/protocol 0x22 and length 36', () => {
    const h = encodeProxyHeader(2, 'udp', ip('2001:db8::1'), ip('2001:db8::a'), 5353, 53);
    expect(h.length).toBe(PROXY_V2_LENGTH_V6);
    expect(hexOf(h.subarray(12, 16))).toBe('21220024');
    expect(hexOf(h.subarray(48))).toBe('14e90035');
  });

  it('v1 is the inet_ntop text line', () => {
    expect(Buffer.from(encodeProxyHeader(1, 'tcp', ip('2001:db8::1'), ip('2001:db8::a'), 1, 443)).toString('latin1')).toBe('PROXY TCP6 2001:db8::1 2001:db8::a 1 443\r\n');
  });
});

describe('parseProxyHeader', () => {
  const parse = (bytes: Uint8Array) => parseProxyHeader(bytes, 0, bytes.length, new ProxyHeaderInfo());

  it('reads back what encodeProxyHeader wrote (v1 and v2, both families)', () => {
    for (const version of [1, 2] as const) {
      for (const [c, v] of [['192.0.2.1', '198.51.100.10'], ['2001:db8::1', '::ffff:192.0.2.9']]) {
        const h = encodeProxyHeader(version, 'tcp', ip(c!), ip(v!), 40000, 80);
        const bytes = new Uint8Array(h.length + 5);
        bytes.set(h);
        const info = parse(bytes);
        expect(info.version).toBe(version);
        expect(info.length).toBe(h.length);
        expect(info.af).toBe(c!.includes(':') ? 6 : 4);
        const n = info.af === 6 ? 16 : 4;
        expect(info.source.subarray(0, n)).toEqual(ip(c!));
        expect(info.destination.subarray(0, n)).toEqual(ip(v!));
        expect([info.sourcePort, info.destinationPort]).toEqual([40000, 80]);
      }
    }
  });

  it('counts a malformed v1 line with a CRLF as PP data to replace (no addresses)', () => {
    const info = parse(ascii('PROXY FOO bar\r\nGET'));
    expect([info.version, info.length, info.af]).toEqual([1, 15, 0]);
  });

  it('finds no header without a CRLF in 107 bytes, or in a v2 header cut short', () => {
    expect(parse(ascii('PROXY TCP4 1.2.3.4 5.6.7.8 1 2')).version).toBe(0);
    const v2 = encodeProxyHeader(2, 'tcp', ip('192.0.2.1'), ip('198.51.100.10'), 1, 2);
    expect(parse(v2.subarray(0, 27)).version).toBe(0);
  });

  it('takes a v2 LOCAL header with an unknown family as PP data without addresses', () => {
    const h = ascii('\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00');
    const info = parse(h);
    expect([info.version, info.length, info.af]).toEqual([2, 16, 0]);
  });

  it('reads v1 IPv6 text by inet_pton rules: a dotted quad only at the end', () => {
    const ok = parse(ascii('PROXY TCP6 ::ffff:1.2.3.4 2001:db8::1 1 2\r\n'));
    expect(ok.af).toBe(6);
    expect(ok.source).toEqual(ip('::ffff:1.2.3.4'));
    const bad = parse(ascii('PROXY TCP6 1.2.3.4:: 2001:db8::1 1 2\r\n'));
    expect([bad.version, bad.af]).toEqual([1, 0]);
  });
});
