/**
 * bin/toa.js runs dist/bundle/toa.cjs with the V8 code cache scripts/code-cache.mjs made for it. The cache is only
 * an optimisation: with it, without it, with one V8 rejects (garbage, other flags) or one of another build, every
 * run must print the same thing and exit the same way. Needs `npm run build` (skips with a message without it).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/corpus.js';

const bundleDir = join(repoRoot, 'dist', 'bundle');
const built = existsSync(join(bundleDir, 'toa.cjs'));
if (!built) console.log('[bin] skipped: dist/bundle/toa.cjs is missing (run npm run build)');
const cacheName = built ? readdirSync(bundleDir).find((n) => /^toa-[0-9a-f]+\.cache$/.test(n)) : undefined;

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
function cacheUsed(root: string, nodeFlags: string[] = []): boolean {
  const code = `process.stdout.write(String(require(${JSON.stringify(join(root, 'bin', 'toa.js'))}).loadBundle().cacheUsed))`;
  const r = spawnSync(process.execPath, [...nodeFlags, '-e', code], { env, encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  return r.stdout === 'true';
}

/** A copy of bin/ and the bundle in a new directory; `cache` is what to put beside the bundle. */
function copyInstall(name: string, cache: 'none' | 'copy' | Buffer, editBundle?: (text: string) => string): string {
  const root = join(tmp, name);
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'dist', 'bundle'), { recursive: true });
  for (const f of ['toa.js', 'package.json']) copyFileSync(join(repoRoot, 'bin', f), join(root, 'bin', f));
  const text = readFileSync(join(bundleDir, 'toa.cjs'), 'utf8');
  writeFileSync(join(root, 'dist', 'bundle', 'toa.cjs'), editBundle ? editBundle(text) : text);
  if (cache !== 'none') {
    const data = cache === 'copy' ? readFileSync(join(bundleDir, cacheName!)) : cache;
    writeFileSync(join(root, 'dist', 'bundle', cacheName!), data);
  }
  return root;
}

/** The runs every variant must reproduce exactly. */
const CASES: Array<{ args: string[]; input?: Buffer }> = [
  { args: ['decode', sample] },
  { args: ['decode', '-'], input: readFileSync(sample) },
  { args: ['strip', sample, '-o', '-'] },
  { args: ['--version'] },
  { args: ['--help'] },
  { args: ['decode', join(repoRoot, 'README.md')] },
  { args: ['decode', '--no-such-option', sample] },
];

describe.skipIf(!built)('bin/toa.js and the code cache', () => {
  let reference: Run[] = [];
  beforeAll(() => {
    reference = CASES.map((c) => toa(join(repoRoot, 'bin', 'toa.js'), c.args, { input: c.input }));
  });

  it('the build made a cache that V8 accepts for a plain `node`', () => {
    expect(cacheName).toBeDefined();
    expect(cacheUsed(repoRoot)).toBe(true);
  });

  it('exit codes, stdout and one-line errors as the commands define them', () => {
    const [decode, stdin, strip, version, help, damaged, usage] = reference;
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
      expect(cacheUsed(root)).toBe(used);
      CASES.forEach((c, i) => {
        const r = toa(join(root, 'bin', 'toa.js'), c.args, { input: c.input });
        expect(r, c.args.join(' ')).toEqual(reference[i]);
      });
    });
  }

  it('node flags that make V8 reject the cache: the same output', () => {
    const flags = ['--max-semi-space-size=32'];
    expect(cacheUsed(repoRoot, flags)).toBe(false);
    const r = toa(join(repoRoot, 'bin', 'toa.js'), CASES[0].args, { nodeFlags: flags });
    expect(r).toEqual(reference[0]);
  });
});
