/**
 * One test per "Must have" item of issue 6 (broken and hostile input):
 * exit codes and error lines, memory-bomb limits, pcapng oddities, output safety (input named as
 * output, read-only directory, full disk, closed pipe, no partial output), nothing lost in the
 * rewriting commands. In-process through main(argv, io) unless a real pipe or process is the point.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPacket } from '../../src/codec/build.js';
import { openCapture, openCaptureStream } from '../../src/codec/capture.js';
import { buildPcap, buildPcapng, type BlockSpec } from '../helpers/capture-builder.js';
import { repoRoot } from '../helpers/corpus.js';
import { countPackets, expectClean, rssMiB, runCli, temporaryLeftovers } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'toa-musthave-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  rmSync(dir, { recursive: true, force: true });
});

const bin = join(repoRoot, 'bin', 'toa.js');
const built = existsSync(join(repoRoot, 'dist', 'cli.js'));
if (!built) console.log('[robustness] process-level tests skipped: dist/cli.js is missing (run npx tsc -p tsconfig.json)');

/** One TCP segment of a connection 10.0.0.1:40000 -> 10.0.0.2:80 (Ethernet). */
function segment(i: number, payload = 10): Uint8Array {
  return buildPacket({
    ip: { version: 4, source: '10.0.0.1', destination: '10.0.0.2', identification: i & 0xffff },
    transport: { type: 'tcp', sourcePort: 40000, destinationPort: 80, sequenceNumber: 1000 + i * payload, acknowledgmentNumber: 7, flags: i === 0 ? 'S' : 'P.', windowSize: 502 },
    payload: i === 0 ? undefined : new Uint8Array(payload),
  });
}

function frames(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => segment(i));
}

function pcapOf(list: Uint8Array[], seconds = 1_700_000_000): Uint8Array {
  return buildPcap({ linkType: 1, packets: list.map((data, i) => ({ seconds: seconds + i, fraction: i * 1000, data })) });
}

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function nonEmptyLines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

/* ------------------------------------------------------------------------------------------------ */

describe('exit codes, error lines, --debug', () => {
  const good = file('good.pcap', pcapOf(frames(5)));

  it.each([
    [['decode'], 'missing file argument'],
    [['decode', '--count', 'zero', good], 'bad option value'],
    [['decode', '--no-such-option', good], 'unknown option'],
    [['no-such-command'], 'unknown command'],
    [['inject-toa', good], 'missing -o'],
    [['strip', good, '-o', join(dir, 'x.pcap'), '--checksum', 'sometimes'], 'bad choice'],
    [['stats', '--top', '-3', good], 'bad number'],
    [['synproxy-replay', good], 'no output chosen'],
  ])('usage error exits 2 without a stack trace: %j (%s)', async (argv) => {
    const o = await runCli(argv as string[]);
    expect(o.code, o.stderr).toBe(2);
    expect(o.stderr).not.toMatch(/^\s+at /m);
    expect(o.stderr).not.toMatch(/internal error/);
  });

  it('a damaged pcap: every packet before the damage, then one line naming file, packet number and offset; exit 1', async () => {
    const whole = pcapOf(frames(6));
    // Cut inside the sixth record's data: records 1..5 are whole.
    const sixth = 24 + frames(5).reduce((n, f) => n + 16 + f.length, 0);
    const path = file('damaged.pcap', whole.subarray(0, sixth + 16 + 5));
    const o = await runCli(['decode', path]);
    expect(o.code).toBe(1);
    expect(nonEmptyLines(o.stdout)).toHaveLength(5);
    const errors = nonEmptyLines(o.stderr);
    expect(errors).toEqual([`toa: ${path}: packet 6 at byte offset ${sixth}: truncated record: header says ${segment(5).length} bytes, only 5 remain`]);
  });

  it('a damaged pcapng: the same, with the block offset', async () => {
    const blocks: BlockSpec[] = [
      { kind: 'shb', byteOrder: 'le' },
      { kind: 'idb', linkType: 1, snapLength: 65535 },
      ...frames(3).map((data, i): BlockSpec => ({ kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: i, data })),
    ];
    const { bytes, offsets } = buildPcapng(blocks);
    const path = file('damaged.pcapng', bytes.subarray(0, offsets[4]! + 20));
    const o = await runCli(['decode', path]);
    expect(o.code).toBe(1);
    expect(nonEmptyLines(o.stdout)).toHaveLength(2);
    expect(nonEmptyLines(o.stderr)).toHaveLength(1);
    expect(o.stderr).toMatch(new RegExp(`^toa: ${path.replace(/[.]/g, '\\.')}: packet 3 at byte offset ${offsets[4]}: truncated enhanced packet block: header says \\d+ bytes, only 20 remain\\n$`));
  });

  it('a missing input, a directory as input, an empty file, a text file: one clear line each, exit 1', async () => {
    const empty = file('empty.pcap', new Uint8Array(0));
    const text = file('notes.pcap', new TextEncoder().encode('these are not packets\n'));
    const cases: Array<[string, RegExp]> = [
      [join(dir, 'no-such.pcap'), /cannot read .*no-such\.pcap: no such file/],
      [dir, /it is a directory/],
      [empty, /empty file: not a pcap or pcapng file/],
      [text, /not a pcap or pcapng file: magic 0x74686573 \(it looks like text\)/],
    ];
    for (const [path, message] of cases) {
      for (const argv of [['decode', path], ['stats', path], ['strip', path, '-o', join(dir, 'never.pcap')], ['inject-toa', path, '-o', join(dir, 'never.pcap')]]) {
        const o = await runCli(argv);
        expectClean(o);
        expect(o.code, `${argv.join(' ')}: ${o.stderr}`).toBe(1);
        expect(nonEmptyLines(o.stderr).filter((l) => l.startsWith('toa: ')), o.stderr).toHaveLength(1);
        expect(o.stderr).toMatch(message);
        expect(existsSync(join(dir, 'never.pcap'))).toBe(false);
      }
    }
  });

  it.skipIf(!built)('a damaged capture on stdin: packets, then one line naming "-", packet and offset; exit 1', () => {
    const whole = pcapOf(frames(4));
    const cut = whole.subarray(0, whole.length - 2);
    const lastRecord = whole.length - 16 - segment(3).length;
    const r = spawnSync('node', [bin, 'decode', '-'], { input: cut, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(nonEmptyLines(r.stdout)).toHaveLength(3);
    expect(r.stderr).toBe(`toa: -: packet 4 at byte offset ${lastRecord}: truncated record: header says ${segment(3).length} bytes, only ${segment(3).length - 2} remain\n`);
  });

  it('every command on the damaged file: exit 1, the same one error line, no stack; with --debug a stack', async () => {
    const whole = pcapOf(frames(4));
    const path = file('damaged2.pcap', whole.subarray(0, whole.length - 3));
    const reader = await countPackets(path);
    expect(reader.error).not.toBeNull();
    for (const argv of [
      ['decode', path],
      ['decode', '--json', '-v', path],
      ['stats', path],
      ['inject-toa', path, '-o', join(dir, 'd2-inject.pcap')],
      ['strip', path, '-o', join(dir, 'd2-strip.pcap')],
    ]) {
      const o = await runCli(argv);
      expectClean(o);
      expect(o.code, o.stderr).toBe(1);
      expect(nonEmptyLines(o.stderr).filter((l) => l.startsWith('toa: ')), o.stderr).toHaveLength(1);
      expect(o.stderr).toContain(reader.error!.message);
    }
    const debug = await runCli(['--debug', 'decode', path]);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^\s+at /m);
  });
});

/* ------------------------------------------------------------------------------------------------ */

describe('limits against memory bombs', () => {
  /** A pcap whose second record claims `length` captured bytes. */
  function pcapWithClaim(length: number): Uint8Array {
    const bytes = pcapOf(frames(2));
    const second = 24 + 16 + segment(0).length;
    new DataView(bytes.buffer).setUint32(second + 8, length, true);
    return bytes;
  }

  it.each([
    [0xffffffff, /record length 4294967295 exceeds the maximum of 268435456 bytes/],
    [256 * 1024 * 1024 + 4, /record length 268435460 exceeds the maximum of 268435456 bytes/],
    [200 * 1024 * 1024, /truncated record: header says 209715200 bytes, only \d+ remain/],
  ])('a pcap record claiming %i bytes is an error, not an allocation', async (claim, message) => {
    const path = file(`bomb-${claim}.pcap`, pcapWithClaim(claim));
    const before = rssMiB();
    const o = await runCli(['decode', path]);
    expect(o.code).toBe(1);
    expect(nonEmptyLines(o.stdout)).toHaveLength(1);
    expect(o.stderr).toMatch(message);
    expect(o.stderr).toContain(`packet 2 at byte offset ${24 + 16 + segment(0).length}`);
    expect(rssMiB() - before).toBeLessThan(100);
  });

  it.each([0xfffffff0, 0x7ffffffc, 0x10000010])('a pcapng block claiming %i bytes is an error, not an allocation', async (claim) => {
    const { bytes, offsets } = buildPcapng([
      { kind: 'shb', byteOrder: 'be' },
      { kind: 'idb', linkType: 1 },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 1, data: segment(0) },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 2, data: segment(1) },
    ]);
    new DataView(bytes.buffer).setUint32(offsets[3]! + 4, claim, false);
    const path = file(`bomb-${claim}.pcapng`, bytes);
    const before = rssMiB();
    for (const argv of [['decode', path], ['stats', path], ['strip', path, '-o', join(dir, 'bomb-out.pcapng')]]) {
      const o = await runCli(argv);
      expect(o.code, o.stderr).toBe(1);
      expect(o.stderr).toMatch(/exceeds the maximum of 268435456 bytes|truncated enhanced packet block/);
      expect(o.stderr).toContain(`packet 2 at byte offset ${offsets[3]}`);
    }
    expect(rssMiB() - before).toBeLessThan(100);
  });

  it('on a stream (no file size): a 250 MiB claim ends in an error at the end of input, resident memory stays flat', async () => {
    const bytes = pcapOf(frames(2));
    const second = 24 + 16 + segment(0).length;
    new DataView(bytes.buffer).setUint32(second + 8, 250 * 1024 * 1024, true);
    const before = rssMiB();
    const reader = await openCaptureStream(Readable.from([Buffer.from(bytes)]), '-');
    let packets = 0;
    const error = await reader.read(() => void packets++).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(packets).toBe(1);
    expect(error?.message).toMatch(new RegExp(`^-: packet 2 at byte offset ${second}: truncated record: header says 262144000 bytes`));
    expect(rssMiB() - before).toBeLessThan(100);
    const over = pcapOf(frames(2));
    new DataView(over.buffer).setUint32(second + 8, 0xffffffff, true);
    const reader2 = await openCaptureStream(Readable.from([Buffer.from(over)]), '-');
    await expect(reader2.read(() => undefined)).rejects.toThrow(/exceeds the maximum of 268435456 bytes/);
  });

  it('an EPB whose captured length overruns its own block is an error', async () => {
    const { bytes, offsets } = buildPcapng([
      { kind: 'shb', byteOrder: 'le' },
      { kind: 'idb', linkType: 1 },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 1, data: segment(0) },
    ]);
    new DataView(bytes.buffer).setUint32(offsets[2]! + 20, 0xffffffff, true);
    const o = await runCli(['decode', file('epb-overrun.pcapng', bytes)]);
    expect(o.code).toBe(1);
    expect(o.stderr).toMatch(/captured length 4294967295 exceeds the block's room/);
  });
});

/* ------------------------------------------------------------------------------------------------ */

describe('pcapng oddities', () => {
  it('a bad trailing block length: packets before it, then an error naming both lengths', async () => {
    const { bytes, offsets } = buildPcapng([
      { kind: 'shb', byteOrder: 'le' },
      { kind: 'idb', linkType: 1 },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 1, data: segment(0) },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 2, data: segment(1) },
    ]);
    const end = offsets[3]! + (bytes.length - offsets[3]!);
    new DataView(bytes.buffer).setUint32(end - 4, 12345, true);
    const path = file('bad-trailer.pcapng', bytes);
    const o = await runCli(['decode', path]);
    expect(o.code).toBe(1);
    expect(nonEmptyLines(o.stdout)).toHaveLength(1);
    expect(o.stderr).toContain(`packet 2 at byte offset ${offsets[3]}: enhanced packet block trailing length 12345 does not match its leading length`);
  });

  it('unknown block types are skipped by decode and kept by strip', async () => {
    const unknown = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const { bytes } = buildPcapng([
      { kind: 'shb', byteOrder: 'le' },
      { kind: 'other', type: 0x7fff0001, body: unknown },
      { kind: 'idb', linkType: 1 },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 1, data: segment(0) },
      { kind: 'other', type: 0x00000bad, body: Uint8Array.of(0, 0, 0x7e, 0xb6, 9, 9, 9, 9) },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 2, data: segment(1) },
    ]);
    const path = file('unknown-blocks.pcapng', bytes);
    const o = await runCli(['decode', path]);
    expect(o.code, o.stderr).toBe(0);
    expect(nonEmptyLines(o.stdout)).toHaveLength(2);
    const out = join(dir, 'unknown-blocks.out.pcapng');
    const s = await runCli(['strip', path, '-o', out]);
    expect(s.code, s.stderr).toBe(0);
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(bytes)), 'nothing to strip: the file comes out byte-identical').toBe(true);
  });

  it('an EPB for an interface that was never described: packets before it, then an error naming the interface', async () => {
    const { bytes, offsets } = buildPcapng([
      { kind: 'shb', byteOrder: 'le' },
      { kind: 'idb', linkType: 1 },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 1, data: segment(0) },
      { kind: 'epb', interfaceId: 3, tsHigh: 0, tsLow: 2, data: segment(1) },
    ]);
    const path = file('no-such-interface.pcapng', bytes);
    for (const argv of [['decode', path], ['stats', path], ['inject-toa', path, '-o', join(dir, 'nsi.pcapng')], ['strip', path, '-o', join(dir, 'nsi2.pcapng')]]) {
      const o = await runCli(argv);
      expectClean(o);
      expect(o.code).toBe(1);
      expect(o.stderr).toContain(`packet 2 at byte offset ${offsets[3]}: enhanced packet block refers to interface 3, but section 0 defines only 1 (0..0)`);
    }
  });

  it('an interface with an unknown link type: listed with lengths, one note; rewriting passes it through', async () => {
    const { bytes } = buildPcapng([
      { kind: 'shb', byteOrder: 'le' },
      { kind: 'idb', linkType: 1 },
      { kind: 'idb', linkType: 4242 },
      { kind: 'epb', interfaceId: 1, tsHigh: 0, tsLow: 1, data: Uint8Array.of(1, 2, 3, 4, 5) },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 2, data: segment(0) },
      { kind: 'epb', interfaceId: 1, tsHigh: 0, tsLow: 3, data: Uint8Array.of(6, 7) },
    ]);
    const path = file('unknown-linktype.pcapng', bytes);
    const o = await runCli(['decode', path]);
    expect(o.code, o.stderr).toBe(0);
    expect(nonEmptyLines(o.stdout)).toHaveLength(3);
    expect(nonEmptyLines(o.stderr).filter((l) => /link type 4242/.test(l))).toHaveLength(1);
    for (const command of ['inject-toa', 'strip']) {
      const out = join(dir, `unknown-linktype.${command}.pcapng`);
      const r = await runCli([command, path, '-o', out, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout) as { packetsIn: number; packetsOut: number; nonIpPassed: number };
      expect(summary.packetsIn).toBe(3);
      expect(summary.nonIpPassed).toBeGreaterThanOrEqual(2);
      expect((await countPackets(out)).packets).toBe(summary.packetsOut);
    }
    expectClean(await runCli(['stats', path]));
  });

  it('sections in different byte orders: every packet of every section, rewritten output reads back the same', async () => {
    const { bytes } = buildPcapng([
      { kind: 'shb', byteOrder: 'le' },
      { kind: 'idb', linkType: 1 },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 1, data: segment(0) },
      { kind: 'shb', byteOrder: 'be' },
      { kind: 'idb', linkType: 1, options: [{ code: 9, value: [9] }] },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 2_000_000_000, data: segment(1) },
      { kind: 'spb', data: segment(2) },
      { kind: 'shb', byteOrder: 'le' },
      { kind: 'idb', linkType: 101 },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 3, data: segment(3).subarray(14) },
    ]);
    const path = file('mixed-order.pcapng', bytes);
    const o = await runCli(['decode', path]);
    expect(o.code, o.stderr).toBe(0);
    expect(nonEmptyLines(o.stdout)).toHaveLength(4);
    expect(o.stdout).toMatch(/IP 10\.0\.0\.1\.40000 > 10\.0\.0\.2\.80/);
    const out = join(dir, 'mixed-order.out.pcapng');
    const s = await runCli(['strip', path, '-o', out]);
    expect(s.code, s.stderr).toBe(0);
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(bytes))).toBe(true);
    const reader = await openCapture(out);
    const orders: string[] = [];
    await reader.read(() => undefined, { onSection: (sec) => orders.push(sec.byteOrder) });
    expect(orders).toEqual(['le', 'be', 'le']);
  });

  it('zero-length packets (pcap record and EPB) are packets: listed, counted, written', async () => {
    const pcap = buildPcap({ linkType: 1, packets: [{ seconds: 1, fraction: 0, data: new Uint8Array(0) }, { seconds: 2, fraction: 0, data: segment(0) }, { seconds: 3, fraction: 0, data: new Uint8Array(0), originalLength: 60 }] });
    const { bytes } = buildPcapng([
      { kind: 'shb', byteOrder: 'le' },
      { kind: 'idb', linkType: 1 },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 1, data: new Uint8Array(0) },
      { kind: 'spb', data: new Uint8Array(0) },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 2, data: segment(0) },
    ]);
    for (const [name, data] of [['zero.pcap', pcap], ['zero.pcapng', bytes]] as const) {
      const path = file(name, data);
      const o = await runCli(['decode', path]);
      expect(o.code, o.stderr).toBe(0);
      expect(nonEmptyLines(o.stdout)).toHaveLength(3);
      expectClean(await runCli(['stats', path]));
      for (const command of ['inject-toa', 'strip']) {
        const out = join(dir, `${command}-${name}`);
        const r = await runCli([command, path, '-o', out, '--json']);
        expect(r.code, r.stderr).toBe(0);
        expect((await countPackets(out)).packets).toBe(3);
      }
    }
  });
});

/* ------------------------------------------------------------------------------------------------ */

describe('output safety', () => {
  const input = file('safety.pcap', pcapOf(frames(8)));
  const original = readFileSync(input);

  it.each(['inject-toa', 'strip', 'synproxy-replay'])('%s refuses an input named again as output: same path, ./ spelling, symlink, hard link', async (command) => {
    const sym = join(dir, `sym-${command}.pcap`);
    const hard = join(dir, `hard-${command}.pcap`);
    symlinkSync(input, sym);
    linkSync(input, hard);
    for (const output of [input, join(dir, '.', 'sub', '..', 'safety.pcap'), sym, hard]) {
      const o = await runCli([command, input, '-o', output]);
      expect(o.code, `${output}: ${o.stderr}`).toBe(2);
      expect(o.stderr).toMatch(/is the same file as input/);
      expect(readFileSync(input).equals(original), 'the input is untouched').toBe(true);
      expect(lstatSync(sym).isSymbolicLink()).toBe(true);
    }
    // The input given through the link, output the real path.
    const o = await runCli([command, sym, '-o', input]);
    expect(o.code).toBe(2);
    expect(temporaryLeftovers(dir)).toEqual([]);
  });

  it('a report file (inject-toa --report, synproxy-replay --report) naming the input, also through links, is refused', async () => {
    const sym = join(dir, 'report-sym.pcap');
    const hard = join(dir, 'report-hard.pcap');
    symlinkSync(input, sym);
    linkSync(input, hard);
    for (const report of [input, sym, hard]) {
      for (const command of ['inject-toa', 'synproxy-replay']) {
        const out = join(dir, `report-case-${command}.pcap${command === 'synproxy-replay' ? 'ng' : ''}`);
        const o = await runCli([command, input, '-o', out, '--report', report]);
        expect(o.code, `${command} --report ${report}: ${o.stderr}`).toBe(2);
        expect(o.stderr).toMatch(/same file as input/);
        expect(readFileSync(input).equals(original), 'the input is untouched').toBe(true);
      }
    }
    const out = join(dir, 'report-and-output.pcap');
    const same = await runCli(['inject-toa', input, '-o', out, '--report', out]);
    expect(same.code, same.stderr).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('a failed run leaves no partial output and does not touch an existing output file', async () => {
    const whole = pcapOf(frames(8));
    const damaged = file('safety-damaged.pcap', whole.subarray(0, whole.length - 7));
    const existing = join(dir, 'existing.pcap');
    writeFileSync(existing, 'previous content');
    const fresh = join(dir, 'fresh.pcap');
    for (const command of ['inject-toa', 'strip']) {
      const a = await runCli([command, damaged, '-o', existing]);
      expect(a.code).toBe(1);
      expect(readFileSync(existing, 'utf8')).toBe('previous content');
      const b = await runCli([command, damaged, '-o', fresh]);
      expect(b.code).toBe(1);
      expect(existsSync(fresh)).toBe(false);
      expect(temporaryLeftovers(dir)).toEqual([]);
    }
  });

  it('a read-only output directory: one clear line, exit 1, nothing written', async (ctx) => {
    const ro = join(dir, 'readonly');
    mkdirSync(ro);
    let how: string;
    if (process.getuid?.() !== 0) {
      chmodSync(ro, 0o555);
      how = 'chmod 555';
    } else {
      const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', ro], { encoding: 'utf8' });
      if (m.status !== 0) {
        console.log(`[robustness] read-only directory case SKIPPED: running as root (chmod does not stop root) and a read-only tmpfs mount failed: ${m.stderr.trim()}`);
        ctx.skip();
        return;
      }
      mounts.push(ro);
      how = 'read-only tmpfs';
    }
    for (const command of ['inject-toa', 'strip']) {
      const out = join(ro, 'out.pcap');
      const o = await runCli([command, input, '-o', out]);
      expect(o.code, `${how}: ${o.stderr}`).toBe(1);
      const errors = nonEmptyLines(o.stderr).filter((l) => l.startsWith('toa: '));
      expect(errors, how).toHaveLength(1);
      expect(errors[0]).toMatch(new RegExp(`^toa: cannot write ${out.replace(/[.]/g, '\\.')}: (read-only file system|permission denied)$`));
      expect(existsSync(out)).toBe(false);
    }
    const d = await runCli(['synproxy-replay', input, '-o', join(ro, 'replay.pcapng')]);
    expect(d.code, d.stderr).toBe(1);
    expect(d.stderr).toMatch(/cannot write .*replay\.pcapng: (read-only file system|permission denied)/);
  });

  it('a missing output directory and a directory as output: clear one-line errors', async () => {
    const o = await runCli(['strip', input, '-o', join(dir, 'no', 'such', 'dir', 'out.pcap')]);
    expect(o.code).toBe(1);
    expect(o.stderr).toMatch(/cannot write .*out\.pcap: directory .* does not exist/);
    const d = await runCli(['strip', input, '-o', dir]);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/it is a directory/);
  });

  it.skipIf(!existsSync('/dev/full'))('a full disk (/dev/full): one clear line, exit 1, and the device is still a device', async () => {
    for (const command of ['inject-toa', 'strip']) {
      const o = await runCli([command, input, '-o', '/dev/full']);
      expect(o.code, o.stderr).toBe(1);
      expect(nonEmptyLines(o.stderr).filter((l) => l.startsWith('toa: '))).toEqual(['toa: cannot write /dev/full: no space left on device']);
      expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
    }
    const r = await runCli(['synproxy-replay', input, '-o', '/dev/full']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^toa: cannot write \/dev\/full: no space left on device$/m);
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });

  it.skipIf(!existsSync('/dev/null'))('a device as output is written into, not replaced (/dev/null stays a device)', async () => {
    const o = await runCli(['strip', input, '-o', '/dev/null']);
    expect(o.code, o.stderr).toBe(0);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('a named pipe as output is written into and stays a pipe (no temporary file renamed over it)', async (ctx) => {
    const fifo = join(dir, 'out.fifo');
    if (spawnSync('mkfifo', [fifo]).status !== 0) {
      console.log('[robustness] named-pipe case SKIPPED: mkfifo failed');
      ctx.skip();
      return;
    }
    const received = join(dir, 'fifo-received.pcap');
    const reader = spawn('sh', ['-c', `cat "${fifo}" > "${received}"`], { stdio: 'ignore' });
    const done = new Promise<number | null>((resolve) => reader.on('exit', (code) => resolve(code)));
    const o = await runCli(['strip', input, '-o', fifo]);
    expect(o.code, o.stderr).toBe(0);
    expect(await done).toBe(0);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    const reference = join(dir, 'fifo-reference.pcap');
    expect((await runCli(['strip', input, '-o', reference])).code).toBe(0);
    expect(readFileSync(received).equals(readFileSync(reference))).toBe(true);
  });

  it.skipIf(!built || !existsSync('/dev/full'))('decode to a full disk (stdout is /dev/full): one clear line, exit 1', () => {
    const r = spawnSync('sh', ['-c', `node ${bin} decode ${input} > /dev/full`], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr.trim()).toMatch(/^toa: cannot write .*: no space left on device$/);
  });

  it.skipIf(!built || !existsSync('/dev/full'))('reports on a full stdout (stats, stats --json, strip --json, inject-toa --report -, synproxy-replay --report -, synproxy-replay --ladder): one clear line, exit 1', () => {
    const cases = [
      `stats ${input}`,
      `stats --json ${input}`,
      `strip ${input} -o ${join(dir, 'full-strip.pcap')} --json`,
      `inject-toa ${input} -o ${join(dir, 'full-inject.pcap')} --report -`,
      `synproxy-replay ${input} -o ${join(dir, 'full-replay.pcapng')} --report -`,
      `synproxy-replay ${input} -o ${join(dir, 'full-ladder.pcapng')} --ladder`,
    ];
    for (const args of cases) {
      const r = spawnSync('sh', ['-c', `node ${bin} ${args} > /dev/full`], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, `${args}: ${r.stderr}`).toBe(1);
      expect(nonEmptyLines(r.stderr).filter((l) => l.startsWith('toa: ')), args).toEqual(['toa: cannot write -: no space left on device']);
    }
  });

  describe.skipIf(!built)('a closed pipe is not an error', () => {
    // Enough packets that decode writes far more than a pipe buffer holds.
    const big = file('many.pcap', pcapOf(frames(30_000)));

    it('`toa decode F | head -1` ends quietly: exit status 0, empty stderr', () => {
      const r = spawnSync('sh', ['-c', `node ${bin} decode ${big} | head -1`], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(nonEmptyLines(r.stdout)).toHaveLength(1);
      // toa's own status (not head's):
      const p = spawnSync('bash', ['-c', `node ${bin} decode ${big} | head -1 >/dev/null; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8', timeout: 60_000 });
      expect(p.stdout.trim(), p.stderr).toBe('0');
      expect(p.stderr).toBe('');
    });

    it.each([
      ['decode -v', (f: string) => `decode -v ${f}`],
      ['decode --json', (f: string) => `decode --json ${f}`],
      ['stats --json', (f: string) => `stats --json --top 0 ${f}`],
      ['strip -o -', (f: string) => `strip ${f} -o -`],
      ['inject-toa -o -', (f: string) => `inject-toa ${f} -o -`],
    ])('`toa %s | head -c 100`: toa exits 0 with an empty stderr', (_name, args) => {
      const p = spawnSync('bash', ['-c', `node ${bin} ${args(big)} 2>/tmp/toa-musthave-err-$$ | head -c 100 >/dev/null; s=\${PIPESTATUS[0]}; cat /tmp/toa-musthave-err-$$ >&2; rm -f /tmp/toa-musthave-err-$$; echo $s`], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(p.stdout.trim(), p.stderr).toBe('0');
      // rewriting commands print their summary table on stderr; nothing else may appear there
      expect(p.stderr).not.toMatch(/^toa: /m);
      expect(p.stderr).not.toMatch(/EPIPE|internal error|^\s+at /m);
    });
  });
});

/* ------------------------------------------------------------------------------------------------ */

describe('nothing lost: every input packet accounted for, timestamps and order kept', () => {
  const samplesDir = join(repoRoot, 'samples');
  const withCarriers = ['dpvs-fnat-v4.pcap', 'uoa-opp.pcap', 'proxy-v1.pcap', 'two-interfaces.pcapng', 'dpvs-retransmit.pcap'];

  async function timestamps(path: string): Promise<string[]> {
    const out: string[] = [];
    const reader = await openCapture(path);
    await reader.read((p) => {
      out.push(`${p.timestampSeconds}.${String(p.timestampNanos).padStart(9, '0')}`);
    });
    return out;
  }

  /** `sub` is a subsequence of `all` (order kept). */
  function isSubsequence(sub: string[], all: string[]): boolean {
    let j = 0;
    for (const x of all) if (j < sub.length && sub[j] === x) j++;
    return j === sub.length;
  }

  it.each(withCarriers)('inject-toa and strip on %s: counts printed, packets in = out (+ standalone), timestamps in order', async (name) => {
    const input = join(samplesDir, name);
    const inputTimes = await timestamps(input);
    for (const [command, extra] of [['inject-toa', []], ['strip', []], ['inject-toa', ['--format', 'uoa-opp']], ['inject-toa', ['--format', 'proxy-v1']]] as const) {
      const out = join(dir, `lost-${command}-${extra.join('')}-${name}`);
      const table = await runCli([command, input, '-o', out, ...extra]);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stderr).toMatch(new RegExp(`packets in\\D+${inputTimes.length}\\b`));
      expect(table.stderr).toMatch(/packets out\D+\d+/);
      const json = await runCli([command, input, '-o', out, '--json', ...extra]);
      const summary = JSON.parse(json.stdout) as { packetsIn: number; packetsOut: number; standaloneUoa: number; standaloneProxy: number };
      expect(summary.packetsIn).toBe(inputTimes.length);
      expect(summary.packetsOut).toBe(summary.packetsIn + summary.standaloneUoa + summary.standaloneProxy);
      const outputTimes = await timestamps(out);
      expect(outputTimes).toHaveLength(summary.packetsOut);
      if (summary.packetsOut === summary.packetsIn) expect(outputTimes).toEqual(inputTimes);
      else expect(isSubsequence(inputTimes, outputTimes)).toBe(true);
      const sorted = [...outputTimes].sort((a, b) => Number(a) - Number(b));
      if ([...inputTimes].sort((a, b) => Number(a) - Number(b)).join() === inputTimes.join()) expect(outputTimes).toEqual(sorted);
    }
  });

  it.each(['dpvs-fnat-v4.pcap', 'dpvs-fnat-v6.pcap', 'dpvs-retransmit.pcap', 'vlan.pcap', 'null.pcap'])(
    'synproxy-replay on %s: every input packet is in a count of its report',
    async (name) => {
      const input = join(samplesDir, name);
      const expected = await countPackets(input);
      const report = join(dir, `replay-${name}.json`);
      const o = await runCli(['synproxy-replay', input, '-o', join(dir, `replay-${name}.pcapng`), '--report', report]);
      expectClean(o);
      expect(o.code, o.stderr).toBe(0);
      expect(o.stderr).toMatch(new RegExp(`^synproxy-replay: ${expected.packets} input packets`, 'm'));
      const counts = (JSON.parse(readFileSync(report, 'utf8')) as { counts: Record<string, number> }).counts;
      expect(counts.inputPackets).toBe(expected.packets);
      const parts = ['clientPackets', 'responsesDelivered', 'responsesUndelivered', 'notIp', 'notTcp', 'otherTcp', 'familyNotModelled', 'damaged'];
      expect(parts.reduce((n, k) => n + (counts[k] ?? 0), 0)).toBe(counts.inputPackets);
    },
  );

  it('synproxy-replay on a damaged file: one error line naming the packet, no output left', async () => {
    const whole = readFileSync(join(samplesDir, 'dpvs-fnat-v4.pcap'));
    const path = file('replay-damaged.pcap', new Uint8Array(whole.subarray(0, whole.length - 5)));
    const expected = await countPackets(path);
    const out = join(dir, 'replay-damaged.pcapng');
    const o = await runCli(['synproxy-replay', path, '-o', out]);
    expectClean(o);
    expect(o.code).toBe(1);
    expect(o.stderr).toContain(expected.error!.message);
    expect(existsSync(out)).toBe(false);
  });
});

