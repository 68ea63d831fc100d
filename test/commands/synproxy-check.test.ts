/** `toa synproxy-replay --check` and tshark over the replay output. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readU32, writeU32 } from '../../src/codec/bytes.js';
import { COUNT, K, LINUX_SYN_OPTIONS, clientPacket, readLegs, runCli, tempDir, writeCapture, type TimedSpec } from '../replay/replay-helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

const text = (s: string) => new TextEncoder().encode(s);

/** Two client connections (one with data and FIN, one whose cookie ACK is wrong), plus a stray bad ACK. */
function clients(): TimedSpec[] {
  return [
    { at: 0, spec: clientPacket({ seq: 0x11223344, flags: 'S', options: LINUX_SYN_OPTIONS, id: 0x1234 }) },
    { at: 0.05, spec: clientPacket({ seq: 0x11223345, ack: K + 1, flags: 'A', tos: 0xb8 }) },
    { at: 0.1, spec: clientPacket({ seq: 0x11223345, ack: K + 1, flags: 'PA', payload: text('GET / HTTP/1.0\r\n\r\n') }) },
    { at: 0.2, spec: clientPacket({ seq: 0x11223357, ack: K + 1, flags: 'FA' }) },
    { at: 0.3, spec: clientPacket({ sport: 40001, seq: 0x0a0b0c0d, flags: 'S', options: LINUX_SYN_OPTIONS }) },
    { at: 0.35, spec: clientPacket({ sport: 40001, seq: 0x0a0b0c0e, ack: 0x12345, flags: 'A' }) },
    { at: 0.4, spec: clientPacket({ sport: 40002, seq: 0x11223345, ack: 0xdeadbeef, flags: 'A' }) },
  ];
}

async function makeReplay(): Promise<string> {
  const input = join(dir, 'in.pcap');
  const out = join(dir, 'out.pcapng');
  writeCapture(input, clients());
  const run = await runCli(['synproxy-replay', input, '-o', out, '--minute', String(COUNT)]);
  expect(run.code).toBe(0);
  return out;
}

describe('--check', () => {
  it('finds no disagreement on the replay output (exit 0) and recovers Δf, Δs, window-0 time and TOA', async () => {
    const out = await makeReplay();
    const report = join(dir, 'check.json');
    const run = await runCli(['synproxy-replay', '--check', out, '--minute', String(COUNT), '--report', report]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('disagreements: 0');
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.disagreements).toEqual([]);
    expect(json.pairs).toHaveLength(2);
    expect(json.pairs[0]).toMatchObject({
      client: '192.0.2.1:40000',
      pairedBy: 'toa',
      cookie: '0x4eeb1b3f',
      fnatIsn: '0xa0000000',
      rsIsn: '0x55667788',
      deltaF: '0x8eddccbc',
      deltaS: '0xf984a3b7',
      firstRsAckToa: true,
      clientWindowNeverOpened: false,
    });
    expect(json.pairs[0].clientWindowZeroSeconds).toBeCloseTo(0.0501, 6);
    expect(json.pairs[1]).toMatchObject({ client: '192.0.2.1:40001', local: '10.0.0.100:5001' });
    // The two ACKs with a bad cookie (the re-based one of 40001 is good; 40002's is not).
    expect(json.rejectedAcks.map((r: { client: string; ack: string }) => [r.client, r.ack])).toEqual([['192.0.2.1:40002', '0xdeadbeef']]);
  });

  it('reports exactly the one rs-side packet that was altered (exit 3)', async () => {
    const out = await makeReplay();
    const legs = await readLegs(out);
    // The forwarded data segment toward the RS: rs-side, PSH+ACK, dst 10.0.0.2.
    const target = legs.findIndex((p) => p.leg === 'rs-side' && p.l3[19] === 2 && p.l3[33] === 0x18);
    expect(target).toBeGreaterThan(0);
    const bytes = new Uint8Array(readFileSync(out));
    const frame = legs[target]!.frame;
    const at = Buffer.from(bytes).indexOf(Buffer.from(frame));
    expect(at).toBeGreaterThan(0);
    // Change the seq (Ethernet 14 + IP 20 + 4) by one; the checksum is left as it was.
    const seqAt = at + 14 + 20 + 4;
    writeU32(bytes, seqAt, (readU32(bytes, seqAt) + 1) >>> 0);
    const altered = join(dir, 'altered.pcapng');
    writeFileSync(altered, bytes);
    const report = join(dir, 'check.json');
    const run = await runCli(['synproxy-replay', '--check', altered, '--minute', String(COUNT), '--report', report]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('1 packet(s) disagree with the model');
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.disagreements).toHaveLength(1);
    const d = json.disagreements[0];
    expect(d).toMatchObject({ kind: 'differs', leg: 'rs-side', decision: 'forward' });
    expect(d.captured.index).toBe(target + 1);
    expect(d.differences[0]).toMatch(/^seq expected 0xa0000001, got 0xa0000002$/);
    expect(d.cause).toMatchObject({ leg: 'client-side' });
  });

  it('a packet removed from the rs-side leg is reported as missing', async () => {
    const out = await makeReplay();
    const legs = await readLegs(out);
    // Rewrite the capture without the stored ACK forwarded to the RS (first rs-side pure ACK toward the RS).
    const drop = legs.findIndex((p) => p.leg === 'rs-side' && p.l3[19] === 2 && p.l3[33] === 0x10);
    const { createCaptureWriter } = await import('../../src/codec/capture-writer.js');
    const path = join(dir, 'missing.pcapng');
    const w = createCaptureWriter(path, { format: 'pcapng', interfaces: [{ linkType: 1, name: 'client-side', nanosecond: true }, { linkType: 1, name: 'rs-side', nanosecond: true }] });
    legs.forEach((p, i) => {
      if (i !== drop) w.writePacket({ interfaceId: p.interfaceId, timestampSeconds: p.seconds, timestampNanos: p.nanos, originalLength: p.frame.length }, p.frame);
    });
    w.close();
    const run = await runCli(['synproxy-replay', '--check', path, '--minute', String(COUNT)]);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/disagreements: 1\n {2}missing: the model sends a rs-side packet 10\.0\.0\.100:5000 → 10\.0\.0\.2:8080 \(forward\)/);
  });

  it('a captured packet the model never sends is reported as unexpected', async () => {
    const out = await makeReplay();
    const legs = await readLegs(out);
    // Write the capture again with a copy of the last rs-side packet appended one second later.
    const last = legs.filter((p) => p.leg === 'rs-side').at(-1)!;
    const { createCaptureWriter } = await import('../../src/codec/capture-writer.js');
    const path = join(dir, 'extra.pcapng');
    const w = createCaptureWriter(path, { format: 'pcapng', interfaces: [{ linkType: 1, name: 'client-side', nanosecond: true }, { linkType: 1, name: 'rs-side', nanosecond: true }] });
    for (const p of [...legs, { ...last, seconds: last.seconds + 1 }]) {
      w.writePacket({ interfaceId: p.interfaceId, timestampSeconds: p.seconds, timestampNanos: p.nanos, originalLength: p.frame.length }, p.frame);
    }
    w.close();
    const report = join(dir, 'check.json');
    const run = await runCli(['synproxy-replay', '--check', path, '--minute', String(COUNT), '--report', report]);
    expect(run.code).toBe(3);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.disagreements).toEqual([
      {
        kind: 'unexpected',
        leg: 'rs-side',
        captured: expect.objectContaining({ leg: 'rs-side', index: legs.length + 1 }),
        cause: null,
        decision: null,
        differences: [],
        message: `captured rs-side packet #${legs.length + 1} is not sent by the model`,
      },
    ]);
  });

  it('two files (--split output) are the two legs', async () => {
    const input = join(dir, 'in.pcap');
    writeCapture(input, clients());
    expect((await runCli(['synproxy-replay', input, '--split', join(dir, 'leg'), '--minute', String(COUNT)])).code).toBe(0);
    const run = await runCli(['synproxy-replay', '--check', join(dir, 'leg-client-side.pcap'), join(dir, 'leg-rs-side.pcap'), '--minute', String(COUNT)]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('pairs: 2 (2 by TOA, 0 by order)');
  });

  it('a single-interface capture is a usage error', async () => {
    const input = join(dir, 'in.pcap');
    writeCapture(input, clients());
    const run = await runCli(['synproxy-replay', '--check', input]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--check needs both legs');
  });
});

const tshark = spawnSync('tshark', ['-v'], { encoding: 'utf8' });
const haveTshark = tshark.status === 0;
if (!haveTshark) console.warn('SKIPPED: tshark is not installed; the tshark checksum test does not run');

describe.skipIf(!haveTshark)('tshark reads the replay output', () => {
  it('with every IP and TCP checksum good, on both interfaces', async () => {
    const out = await makeReplay();
    const fields = execFileSync(
      'tshark',
      ['-r', out, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-e', 'frame.interface_name', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    )
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    const legs = await readLegs(out);
    expect(fields).toHaveLength(legs.length);
    expect(new Set(fields.map((f) => f[0]))).toEqual(new Set(['client-side', 'rs-side']));
    // 1 = good (0 would be bad, 2 unverified).
    expect(fields.every((f) => f[1] === '1' && f[2] === '1')).toBe(true);
  });
});
