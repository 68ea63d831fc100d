/**
 * util/stdio.ts: the process's stdout and stderr made only when used. In process: what descriptors can and
 * cannot be terminals, and that other streams are used as they are. In a child (needs `npm run build`): a strip
 * into a file prints its summary without Node ever loading its stream module, to a file, to a pipe and to
 * /dev/null; with FORCE_COLOR the summary is coloured (the colour path makes the stream).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { descriptorMayBeTerminal, isTerminal, linuxDeviceMajor, ProcessIo, writeStderr, type Io } from '../../src/util/stdio.js';
import { repoRoot } from '../helpers/corpus.js';

const tmp = mkdtempSync(join(tmpdir(), 'toa-stdio-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('linuxDeviceMajor', () => {
  /** glibc's makedev (sys/sysmacros.h), in BigInt: the encoding fstat's rdev comes in. */
  const makedev = (major: number, minor: number): number => {
    const M = BigInt(major);
    const m = BigInt(minor);
    return Number(((M & 0xfffn) << 8n) | ((M & 0xfffff000n) << 32n) | (m & 0xffn) | ((m & 0xffffff00n) << 12n));
  };

  it('decodes the major of makedev(major, minor), also for minors above 2^20 and majors above 4095', () => {
    expect(linuxDeviceMajor(makedev(1, 3))).toBe(1); // /dev/null
    expect(linuxDeviceMajor(makedev(136, 0))).toBe(136); // /dev/pts/0
    expect(linuxDeviceMajor(makedev(1, 1 << 24))).toBe(1);
    expect(linuxDeviceMajor(makedev(4097, 5))).toBe(4097);
    // majors below 2^21 keep the number below 2^53 (exact as a double)
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 21 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (major, minor) => linuxDeviceMajor(makedev(major, minor)) === major));
  });
});

describe('descriptorMayBeTerminal', () => {
  it('is false for a regular file', () => {
    const fd = openSync(join(tmp, 'plain'), 'w');
    try {
      expect(descriptorMayBeTerminal(fd)).toBe(false);
    } finally {
      closeSync(fd);
    }
  });

  it.runIf(process.platform === 'linux')('is false for /dev/null and /dev/zero (memory devices)', () => {
    const fd = openSync('/dev/null', 'w');
    try {
      expect(descriptorMayBeTerminal(fd)).toBe(false);
    } finally {
      closeSync(fd);
    }
    // /dev/zero is a memory device too
    const zero = openSync('/dev/zero', 'r');
    try {
      expect(descriptorMayBeTerminal(zero)).toBe(false);
    } finally {
      closeSync(zero);
    }
  });

  const ptmx = process.platform === 'linux' && existsSync('/dev/ptmx');
  if (!ptmx) console.log('[stdio] /dev/ptmx check skipped: no /dev/ptmx on this machine');
  it.runIf(ptmx)('is true for a terminal device (/dev/ptmx, major 5): it must not be ruled out', () => {
    const fd = openSync('/dev/ptmx', 'r+');
    try {
      expect(descriptorMayBeTerminal(fd)).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it('is true for a descriptor that is not open (the stream is asked then)', () => {
    expect(descriptorMayBeTerminal(987_654)).toBe(true);
  });
});

describe('streams other than the process own', () => {
  it('isTerminal asks the stream, writeStderr writes to it', () => {
    const err = new PassThrough();
    const chunks: string[] = [];
    err.on('data', (c: Buffer) => chunks.push(c.toString()));
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    const io: Io = { stdout: tty, stderr: err };
    expect(isTerminal(io, 'stdout')).toBe(true);
    expect(isTerminal(io, 'stderr')).toBe(false);
    writeStderr(io, 'summary\n');
    expect(chunks.join('')).toBe('summary\n');
  });

  it('ProcessIo calls onStdoutMade once, with process.stdout, when stdout is first asked for', () => {
    const made: unknown[] = [];
    const io = new ProcessIo((s) => made.push(s));
    expect(made).toEqual([]);
    expect(io.stdout).toBe(process.stdout);
    expect(io.stdout).toBe(process.stdout);
    expect(made).toEqual([process.stdout]);
    expect(io.stderrInUse).toBe(false);
    expect(io.stderr).toBe(process.stderr);
    expect(io.stderrInUse).toBe(true);
  });
});

const bin = join(repoRoot, 'bin', 'toa.js');
const built = existsSync(join(repoRoot, 'dist', 'bundle', 'toa-strip.cjs'));
if (!built) console.log('[stdio] child-process tests skipped: dist/bundle is missing (run npm run build)');

describe.runIf(built)('a strip into a file, in a child process', () => {
  // reports at exit whether Node loaded its stream module (process.stdout or process.stderr made)
  const probe = join(tmp, 'probe.cjs');
  writeFileSync(
    probe,
    "process.on('exit', () => require('fs').writeFileSync(process.env.PROBE_OUT, String(process.moduleLoadList.includes('NativeModule stream'))));\n",
  );
  const sample = join(repoRoot, 'samples', 'dpvs-fnat-v4.pcap');
  let runs = 0;

  function strip(stderr: 'file' | 'pipe' | 'null', env: Record<string, string | undefined> = {}): { status: number | null; summary: string; streamLoaded: string } {
    const n = ++runs;
    const probeOut = join(tmp, `probe-${n}.txt`);
    const errFile = join(tmp, `err-${n}.txt`);
    const errFd = stderr === 'file' ? openSync(errFile, 'w') : stderr === 'null' ? openSync('/dev/null', 'w') : 'pipe';
    try {
      const r = spawnSync(process.execPath, ['-r', probe, bin, 'strip', sample, '-o', join(tmp, `out-${n}.pcap`)], {
        env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, NODE_OPTIONS: undefined, CI: undefined, PROBE_OUT: probeOut, ...env },
        stdio: ['ignore', 'ignore', errFd],
        encoding: 'utf8',
        timeout: 60_000,
      });
      const summary = stderr === 'file' ? readFileSync(errFile, 'utf8') : stderr === 'pipe' ? r.stderr : '';
      return { status: r.status, summary, streamLoaded: readFileSync(probeOut, 'utf8') };
    } finally {
      if (typeof errFd === 'number') closeSync(errFd);
    }
  }

  it('writes the summary to a file or a pipe without making the stream', () => {
    for (const where of ['file', 'pipe'] as const) {
      const r = strip(where);
      expect(r.status, where).toBe(0);
      expect(r.summary, where).toMatch(/^┌─+┬─+┐\n│ strip +│ count │\n/);
      expect(r.summary, where).toMatch(/│ flows +│ +1 │\n└─+┴─+┘\n$/);
      expect(r.summary, where).not.toContain('\x1b[');
      expect(r.streamLoaded, where).toBe('false');
    }
  });

  it.runIf(process.platform === 'linux')('to /dev/null as well', () => {
    const r = strip('null');
    expect(r.status).toBe(0);
    expect(r.streamLoaded).toBe('false');
  });

  it('colours the summary with FORCE_COLOR (through the stream)', () => {
    const r = strip('pipe', { FORCE_COLOR: '1' });
    expect(r.status).toBe(0);
    expect(r.summary).toContain('\x1b[');
    expect(r.streamLoaded).toBe('true');
  });
});
