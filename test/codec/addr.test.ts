import { describe, expect, it } from 'vitest';
import { formatIpv6, parseEndpoint, parseIpv6 } from '../../src/codec/addr.js';

describe('addresses', () => {
  it('formats IPv6 per RFC 5952', () => {
    const cases = ['2001:db8::1', '::', '::1', '2001:db8:0:1:1:1:1:1', '2001:0:0:1::1', 'fe80::', '::ffff:192.0.2.1', '1::'];
    for (const c of cases) expect(formatIpv6(parseIpv6(c)!, 0)).toBe(c);
    expect(formatIpv6(parseIpv6('2001:db8:0:0:1:0:0:1')!, 0)).toBe('2001:db8::1:0:0:1');
  });
  it('parses endpoints', () => {
    expect(parseEndpoint('192.0.2.1:80')).toEqual({ address: Uint8Array.of(192, 0, 2, 1), port: 80 });
    expect(parseEndpoint('[2001:db8::1]:8080').port).toBe(8080);
    expect(parseEndpoint('2001:db8::1').port).toBeNull();
    expect(() => parseEndpoint('300.1.1.1')).toThrow(/not an IP/);
    expect(() => parseEndpoint('10.0.0.1', true)).toThrow(/needs a port/);
  });
});
