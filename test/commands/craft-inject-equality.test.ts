/**
 * `toa craft --leg backend` equals `toa inject-toa --fnat` applied to `toa craft --leg client`
 * with the same parameters, byte for byte (both go through src/dpvs/fnat.ts). Runs the two
 * commands in-process through main(). Skipped, with the reason printed, while inject-toa is not
 * registered.
 */
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram, main } from '../../src/cli.js';

const sink = () => new PassThrough();
const hasInject = (await buildProgram({ stdout: sink(), stderr: sink() })).commands.some((c) => c.name() === 'inject-toa');
if (!hasInject) console.warn('SKIPPED: craft/inject-toa equality: the inject-toa command is not registered yet');

async function run(argv: string[]): Promise<{ code: number; err: string }> {
  const stderr = sink();
  let err = '';
  stderr.on('data', (c) => (err += String(c)));
  const stdout = sink();
  stdout.resume();
  const code = await main(argv, { stdout, stderr });
  return { code, err };
}

// [name, flags shared by both crafts, extra flags for inject-toa (its --fnat parameters)]
const cases: [string, string[], string[]][] = [
  ['plain IPv4', ['--fnat-isn', '777'], ['--lip', '10.0.0.2', '--rs', '10.0.1.10:8080', '--fnat-isn', '777']],
  ['options', ['--fnat-isn', '777', '--timestamps', '--sack', '--wscale', '7', '--tcp-option', '30:00112233'], ['--lip', '10.0.0.2', '--rs', '10.0.1.10:8080', '--fnat-isn', '777']],
  ['big request, retransmission', ['--fnat-isn', '9', '--retransmit', '--request-size', '5000', '--response-size', '7000'], ['--lip', '10.0.0.2', '--rs', '10.0.1.10:8080', '--fnat-isn', '9']],
  ['IPv6', ['--ipv6', '--fnat-isn', '4242'], ['--lip', '2001:db8:10::2', '--rs', '[2001:db8:11::10]:8080', '--fnat-isn', '4242']],
  ['NAT64', ['--nat64', '--fnat-isn', '4242'], ['--nat64', '--lip', '10.0.0.2', '--rs', '10.0.1.10:8080', '--fnat-isn', '4242']],
  ['lip port, 3 connections, VLAN', ['--fnat-isn', '5', '--lip', '10.0.0.2:50000', '--count', '3', '--link', 'vlan:12'], ['--lip', '10.0.0.2:50000', '--rs', '10.0.1.10:8080', '--fnat-isn', '5']],
  ['SLL', ['--fnat-isn', '5', '--link', 'sll'], ['--lip', '10.0.0.2', '--rs', '10.0.1.10:8080', '--fnat-isn', '5']],
  ['tencent 200/8', ['--fnat-isn', '5', '--format', 'tencent'], ['--lip', '10.0.0.2', '--rs', '10.0.1.10:8080', '--fnat-isn', '5']],
  ['when every', ['--fnat-isn', '5', '--when', 'every'], ['--lip', '10.0.0.2', '--rs', '10.0.1.10:8080', '--fnat-isn', '5']],
  ['PROXY v1', ['--fnat-isn', '5', '--format', 'proxy-v1'], ['--lip', '10.0.0.2', '--rs', '10.0.1.10:8080', '--fnat-isn', '5']],
  ['PROXY v2', ['--fnat-isn', '5', '--format', 'proxy-v2'], ['--lip', '10.0.0.2', '--rs', '10.0.1.10:8080', '--fnat-isn', '5']],
  ['TTGW', ['--fnat-isn', '5', '--format', 'ttgw'], ['--lip', '10.0.0.2', '--rs', '10.0.1.10:8080', '--fnat-isn', '5']],
  ['UDP UOA opp', ['--udp', '--format', 'uoa-opp'], ['--lip', '10.0.0.2', '--rs', '10.0.1.10:8080']],
  ['UDP UOA ipo', ['--udp', '--format', 'uoa-ipo'], ['--lip', '10.0.0.2', '--rs', '10.0.1.10:8080']],
  // no --format on either side: DPVS's UDP default is UOA in opp mode for both commands
  ['UDP, default format (UOA opp)', ['--udp'], ['--lip', '10.0.0.2', '--rs', '10.0.1.10:8080']],
];

describe.skipIf(!hasInject)('craft --leg backend == inject-toa --fnat (craft --leg client)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toa-craft-eq-'));
  it.each(cases)('%s', async (name, shared, injectFlags) => {
    const base = join(dir, name.replace(/\W+/g, '-'));
    const clientLeg = `${base}-client.pcap`;
    const backend = `${base}-backend.pcap`;
    const injected = `${base}-injected.pcap`;
    expect((await run(['craft', '-o', clientLeg, ...shared])).code).toBe(0);
    expect((await run(['craft', '-o', backend, '--leg', 'backend', ...shared])).code).toBe(0);
    const format = shared.includes('--format') ? ['--format', shared[shared.indexOf('--format') + 1]!] : [];
    const when = shared.includes('--when') ? ['--when', shared[shared.indexOf('--when') + 1]!] : [];
    const r = await run(['inject-toa', clientLeg, '-o', injected, '--fnat', ...injectFlags, ...format, ...when]);
    expect(r.code, r.err).toBe(0);
    const a = readFileSync(backend);
    const b = readFileSync(injected);
    expect(b.length).toBe(a.length);
    expect(Buffer.compare(a, b)).toBe(0);
  });
});
