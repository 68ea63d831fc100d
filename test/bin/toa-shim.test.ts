/**
 * bin/toa.js runs a script of dist/bundle/ (the one of the command named, else the one with every command) with
 * the V8 code cache scripts/code-cache.mjs made for it. The cache is only an optimisation: with it, without it,
 * with one V8 rejects (garbage, other flags) or one of another build, every run must print the same thing and exit
 * the same way. Needs `npm run build` (skips with a message without it).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';
import { commandNamed } from '../../src/commands/index.js';
import { repoRoot } from '../helpers/corpus.js';

const bundleDir = join(repoRoot, 'dist', 'bundle');
const built = existsSync(join(bundleDir, 'toa.cjs'));
if (!built) console.log('[bin] skipped: dist/bundle/toa.cjs is missing (run npm run build)');
const files = built ? readdirSync(bundleDir) : [];
/** the decode script and its cache: the variants below copy them */
const script = 'toa-decode.cjs';
const cacheName = files.find((n) => /^toa-decode\.[0-9a-f]+\.cache$/.test(n));

const tmp = mkdtempSync(join(tmpdir(), 'toa-shim-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, NODE_OPTIONS: undefined };
const sample = join(repoRoot, 'samples', 'dpvs-fnat-v4.pcap');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function toa(bin: string, args: string[], opts: { input?: Buffer; nodeFlags?: string[] } = {}): Run {
  const r = spawnSync(process.execPath, [...(opts.nodeFlags ?? []), bin, ...args], { env, input: opts.input, encoding: 'utf8', timeout: 60_000, cwd: repoRoot });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Whether bin/toa.js in `root` runs the bundle with its code cache (V8 accepted it). */
function cacheUsed(root: string, argv: string[], nodeFlags: string[] = []): boolean {
  const code = `process.stdout.write(String(require(${JSON.stringify(join(root, 'bin', 'toa.js'))}).loadBundle(${JSON.stringify(argv)}).cacheUsed))`;
  const r = spawnSync(process.execPath, [...nodeFlags, '-e', code], { env, encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  return r.stdout === 'true';
}

/** A copy of bin/ and the decode script in a new directory; `cache` is what to put beside it. */
function copyInstall(name: string, cache: 'none' | 'copy' | Buffer, editBundle?: (text: string) => string): string {
  const root = join(tmp, name);
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'dist', 'bundle'), { recursive: true });
  for (const f of ['toa.js', 'package.json']) copyFileSync(join(repoRoot, 'bin', f), join(root, 'bin', f));
  for (const f of ['toa.cjs', script]) copyFileSync(join(bundleDir, f), join(root, 'dist', 'bundle', f));
  const text = readFileSync(join(bundleDir, script), 'utf8');
  writeFileSync(join(root, 'dist', 'bundle', script), editBundle ? editBundle(text) : text);
  if (cache !== 'none') {
    const data = cache === 'copy' ? readFileSync(join(bundleDir, cacheName!)) : cache;
    writeFileSync(join(root, 'dist', 'bundle', cacheName!), data);
  }
  return root;
}

/** The runs every variant must reproduce exactly (the first three and the last two run the decode script). */
const CASES: Array<{ args: string[]; input?: Buffer }> = [
  { args: ['decode', sample] },
  { args: ['decode', '-'], input: readFileSync(sample) },
  { args: ['--debug', 'decode', join(repoRoot, 'README.md')] },
  { args: ['strip', sample, '-o', '-'] },
  { args: ['--version'] },
  { args: ['--help'] },
  { args: ['decode', join(repoRoot, 'README.md')] },
  { args: ['decode', '--no-such-option', sample] },
];
const DECODE_CASES = [0, 1, 6, 7];

describe.skipIf(!built)('bin/toa.js and the code cache', () => {
  let reference: Run[] = [];
  beforeAll(() => {
    reference = CASES.map((c) => toa(join(repoRoot, 'bin', 'toa.js'), c.args, { input: c.input }));
  });

  it('the build made a cache per script that V8 accepts for a plain `node`', () => {
    const scripts = files.filter((f) => f.endsWith('.cjs'));
    for (const f of scripts) expect(files.filter((n) => n.startsWith(f.slice(0, -4) + '.') && n.endsWith('.cache')), f).toHaveLength(1);
    // written inside the CommonJS wrapper (bin/toa.js then compiles the text as it is read)
    for (const f of scripts) expect(readFileSync(join(bundleDir, f), 'latin1').startsWith('(function (exports, require, module, __filename, __dirname) {'), f).toBe(true);
    expect(cacheUsed(repoRoot, ['decode'])).toBe(true);
    expect(cacheUsed(repoRoot, ['--version'])).toBe(true);
  });

  it('one script per command, and the one for a command line is the one of the command main() registers', async () => {
    const io = { stdout: process.stdout, stderr: process.stderr };
    const names = (await buildProgram(io)).commands.map((c) => c.name());
    expect(files.filter((f) => /^toa-.*\.cjs$/.test(f)).sort()).toEqual(names.map((n) => `toa-${n}.cjs`).sort());
    const { bundleFor } = createRequire(import.meta.url)(join(repoRoot, 'bin', 'toa.js')) as {
      bundleFor: (argv: string[]) => { file: string };
    };
    const lines = [
      ['decode', 'x.pcap'], ['--debug', 'strip', 'x', '-o', '-'], ['-V'], ['--version'], ['--help'], [], ['help', 'decode'],
      ['--', 'decode'], ['x.pcap'], ['Decode'], ['../decode'], ['decode/'], ['nosuch'], ['stats', 'decode'], ['--debug'],
      ['inject-toa'], ['synproxy-replay', '--check', 'x'], ['craft', '-o', '-'],
    ];
    for (const argv of lines) {
      const named = commandNamed(argv);
      const want = named !== undefined && names.includes(named) ? `toa-${named}.cjs` : 'toa.cjs';
      expect(basename(bundleFor(argv).file), argv.join(' ')).toBe(want);
    }
  });

  it('exit codes, stdout and one-line errors as the commands define them', () => {
    const [decode, stdin, debug, strip, version, help, damaged, usage] = reference;
    expect(debug.status).toBe(1);
    // --debug: the stack trace points into the script that ran
    expect(debug.stderr).toMatch(/^toa: [^\n]+\n[^]*\n\s+at [^\n]*toa-decode\.cjs:\d+:\d+/);
    expect(decode.status).toBe(0);
    expect(decode.stderr).toBe('');
    expect(decode.stdout.trimEnd().split('\n').length).toBeGreaterThan(5);
    expect(stdin).toEqual(decode);
    expect(strip.status).toBe(0);
    expect(strip.stdout.length).toBeGreaterThan(24);
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(version).toEqual({ status: 0, stdout: `${pkg.version}\n`, stderr: '' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: toa');
    expect(damaged.status).toBe(1);
    expect(damaged.stderr).toMatch(/^toa: [^\n]+\n$/);
    expect(usage.status).toBe(2);
    expect(usage.stderr).not.toMatch(/\n\s+at /);
  });

  const variants: Array<[string, () => string, boolean]> = [
    ['without a cache file', () => copyInstall('missing', 'none'), false],
    ['with a cache V8 rejects (garbage)', () => copyInstall('garbage', Buffer.alloc(4096, 0x5a)), false],
    ['with a truncated cache', () => copyInstall('truncated', readFileSync(join(bundleDir, cacheName!)).subarray(0, 1000)), false],
    // the cache file is named after the build id: a bundle of another build does not find it
    ['with the cache of another build', () => copyInstall('other', 'copy', (t) => t.replace(/toa-build [0-9a-f]+\n$/, 'toa-build 0123456789abcdef0123456789abcdef\n')), false],
    ['with the cache, copied elsewhere', () => copyInstall('copied', 'copy'), true],
  ];
  for (const [name, make, used] of variants) {
    it(`${name}: the same output and exit codes`, () => {
      const root = make();
      expect(cacheUsed(root, ['decode'])).toBe(used);
      for (const i of DECODE_CASES) {
        const r = toa(join(root, 'bin', 'toa.js'), CASES[i].args, { input: CASES[i].input });
        expect(r, CASES[i].args.join(' ')).toEqual(reference[i]);
      }
    });
  }

  it('a command whose main() never settles exits 13 with one line on stderr, not 0', () => {
    const root = join(tmp, 'unsettled');
    mkdirSync(join(root, 'bin'), { recursive: true });
    mkdirSync(join(root, 'dist', 'bundle'), { recursive: true });
    for (const f of ['toa.js', 'package.json']) copyFileSync(join(repoRoot, 'bin', f), join(root, 'bin', f));
    writeFileSync(join(root, 'dist', 'bundle', 'toa.cjs'), 'exports.main = () => new Promise(() => {});\n');
    const r = toa(join(root, 'bin', 'toa.js'), ['--version']);
    expect(r.status).toBe(13);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^toa: internal error: [^\n]+\n$/);
  });

  it('one thread-pool thread unless UV_THREADPOOL_SIZE is set: the setting takes effect (threads counted after a read)', () => {
    // threads of the process once the pool has run one read: main, V8's, libuv's, ... ; only the pool's differ below
    const probe = (value: string | undefined): { size: string; threads: number } => {
      const code =
        `require(${JSON.stringify(join(repoRoot, 'bin', 'toa.js'))});` +
        "const fs = require('node:fs');" +
        "fs.read(fs.openSync(process.execPath, 'r'), Buffer.alloc(16), 0, 16, 0, () => {" +
        "  console.log(JSON.stringify({ size: process.env.UV_THREADPOOL_SIZE, threads: fs.readdirSync('/proc/self/task').length }));" +
        '});';
      const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...env, UV_THREADPOOL_SIZE: value } });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { size: string; threads: number };
    };
    const own = probe(undefined);
    const four = probe('4');
    expect(own.size).toBe('1');
    expect(four.size).toBe('4');
    expect(four.threads - own.threads).toBe(3);
  });

  it('node flags that make V8 reject the cache: the same output', () => {
    const flags = ['--max-semi-space-size=32'];
    expect(cacheUsed(repoRoot, ['decode'], flags)).toBe(false);
    const r = toa(join(repoRoot, 'bin', 'toa.js'), CASES[0].args, { nodeFlags: flags });
    expect(r).toEqual(reference[0]);
  });
});
