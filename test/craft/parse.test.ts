import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../../src/codec/errors.js';
import { ETHERTYPE } from '../../src/codec/link.js';
import { flagsToSpec } from '../../src/craft/flags.js';
import {
  encodeRawTcpOption, parseDurationValue, parseIntegerValue, parseLinkValue, parseStartValue, parseTcpOptionValue, payloadBytes, unescapeText,
} from '../../src/craft/parse.js';
import { main } from '../../src/cli.js';

function usageError(f: () => unknown): CliError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).exitCode).toBe(2);
    return e as CliError;
  }
  throw new Error('expected a CliError');
}

describe('craft flag values', () => {
  it('--link accepts every link type and VLAN stacks', () => {
    expect(parseLinkValue('ethernet')).toEqual({ type: 'ethernet' });
    expect(parseLinkValue('vlan:100')).toEqual({ type: 'ethernet', vlans: [{ id: 100, tpid: ETHERTYPE.VLAN }] });
    expect(parseLinkValue('qinq:100,200')).toEqual({
      type: 'ethernet',
      vlans: [
        { id: 100, tpid: ETHERTYPE.QINQ },
        { id: 200, tpid: ETHERTYPE.VLAN },
      ],
    });
    for (const t of ['sll', 'sll2', 'raw', 'null', 'loop']) expect(parseLinkValue(t).type).toBe(t);
  });

  it('--link rejects bad values with exit 2', () => {
    for (const bad of ['tokenring', 'vlan', 'vlan:4096', 'vlan:x', 'qinq:1', 'qinq:1,2,3']) {
      expect(usageError(() => parseLinkValue(bad)).message).toContain('--link');
    }
  });

  it('--tcp-option KIND:HEX gives the option bytes', () => {
    const o = parseTcpOptionValue('254:f989a1b2');
    expect(o.kind).toBe(254);
    expect(Array.from(encodeRawTcpOption(o))).toEqual([254, 6, 0xf9, 0x89, 0xa1, 0xb2]);
    expect(Array.from(encodeRawTcpOption(parseTcpOptionValue('1:')))).toEqual([1]);
    expect(Array.from(encodeRawTcpOption(parseTcpOptionValue('4:')))).toEqual([4, 2]);
  });

  it('--tcp-option rejects bad values with exit 2', () => {
    for (const bad of ['254', '256:00', 'x:00', '254:abc', '254:zz', '1:00', `30:${'00'.repeat(39)}`]) usageError(() => parseTcpOptionValue(bad));
  });

  it('--start takes ISO or epoch seconds; --rtt takes units', () => {
    expect(parseStartValue('2024-01-01T00:00:00Z')).toEqual([1704067200, 0]);
    expect(parseStartValue('2024-01-01T01:00:00.5+01:00')).toEqual([1704067200, 500000000]);
    expect(parseStartValue('1704067200.000000123')).toEqual([1704067200, 123]);
    expect(parseDurationValue('0.001')).toBe(1_000_000);
    expect(parseDurationValue('250us')).toBe(250_000);
    expect(parseDurationValue('1500ns')).toBe(1500);
    expect(parseDurationValue('2ms')).toBe(2_000_000);
    for (const bad of ['yesterday', '2024-01-01', '-5']) usageError(() => parseStartValue(bad));
    for (const bad of ['fast', '-1ms', '1h']) usageError(() => parseDurationValue(bad));
  });

  it('integers, escapes and payloads', () => {
    expect(parseIntegerValue('0x10', '--mss', 0, 65535)).toBe(16);
    usageError(() => parseIntegerValue('65536', '--mss', 0, 65535));
    usageError(() => parseIntegerValue('1.5', '--mss', 0, 65535));
    expect(Array.from(unescapeText('a\\r\\n\\x41\\\\'))).toEqual([97, 13, 10, 0x41, 92]);
    expect(payloadBytes(5, 'x').length).toBe(5);
    expect(Array.from(payloadBytes({ hex: '0102' }, 'x'))).toEqual([1, 2]);
    usageError(() => payloadBytes({ hex: '012' }, 'x'));
    usageError(() => unescapeText('\\xZZ'));
  });

  it('flagsToSpec keeps only the flags given and pairs requests with responses', () => {
    expect(flagsToSpec({})).toEqual({});
    const s = flagsToSpec({ leg: 'both', request: ['a', 'b'], responseSize: ['10'], wscale: '7', tcpOption: ['254:f989'], byteOrder: 'be' });
    expect(s).toEqual({ leg: 'both', exchanges: [{ request: 'a', response: 10 }, { request: 'b' }], wscale: 7, tcpOptions: ['254:f989'], byteOrder: 'be' });
    usageError(() => flagsToSpec({ leg: 'middle' }));
    usageError(() => flagsToSpec({ close: 'slam' }));
    usageError(() => flagsToSpec({ byteOrder: 'middle' }));
    usageError(() => flagsToSpec({ wscale: '15' }));
    usageError(() => flagsToSpec({ link: 'vlan:9999' }));
    usageError(() => flagsToSpec({ tcpOption: ['nope'] }));
  });
});

describe('toa craft usage errors through main()', () => {
  const run = async (argv: string[]) => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (c) => (err += String(c)));
    const code = await main(argv, { stdout, stderr });
    return { code, err };
  };
  const dir = mkdtempSync(join(tmpdir(), 'toa-craft-usage-'));

  it.each([
    [['--link', 'vlan:5000']],
    [['--tcp-option', '254']],
    [['--leg', 'sideways']],
    [['--format', 'no-such-format']],
    [['--when', 'sometimes']],
    [['--format', 'uoa-opp']],
    [['--udp', '--format', 'proxy-v1']],
    [['--leg', 'both', '--pcapng', '--byte-order', 'xx']],
    [['--client', '198.51.100.1']],
    [['--client', '[2001:db8::1]:1', '--vip', '203.0.113.1:80']],
  ])('%j exits 2 and writes nothing', async (flags) => {
    const out = join(dir, 'x.pcap');
    const { code, err } = await run(['craft', '-o', out, ...flags]);
    expect(code).toBe(2);
    expect(err).toMatch(/^toa: /);
    expect(existsSync(out)).toBe(false);
  });

  it('--leg both into a .pcap name is refused', async () => {
    const { code, err } = await run(['craft', '-o', join(dir, 'y.pcap'), '--leg', 'both']);
    expect(code).toBe(2);
    expect(err).toContain('pcapng');
  });
});
