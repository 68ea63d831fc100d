/**
 * `toa decode` through the real binary (bin/toa.js → dist/), with NO_COLOR=1: exit codes,
 * stdout/stderr separation, stdin, `| head -1` (EPIPE ends quietly with 0), damaged input.
 * dist/ is rebuilt first when it is missing or older than the decode sources.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/corpus.js';
import { tcpFrames, tempDir, writePcap } from './decode-helpers.js';

const bin = join(repoRoot, 'bin', 'toa.js');
const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined };

function newestSource(): number {
  let newest = 0;
  for (const dir of ['src/commands', 'src/render', 'src/codec', 'src/carriers', 'src/analysis']) {
    const abs = join(repoRoot, dir);
    if (!existsSync(abs)) continue;
    for (const f of readdirSync(abs)) newest = Math.max(newest, statSync(join(abs, f)).mtimeMs);
  }
  return newest;
}

function toa(args: string[], input?: Uint8Array): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { env, input, encoding: 'buffer', timeout: 60_000, cwd: repoRoot });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

beforeAll(() => {
  const built = join(repoRoot, 'dist', 'commands', 'decode.js');
  if (!existsSync(built) || statSync(built).mtimeMs < newestSource()) {
    // tsc emits even when another file has a type error; the run below only needs dist/ to exist
    spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: repoRoot, stdio: 'ignore', timeout: 300_000 });
  }
}, 320_000);

describe('toa decode (spawned binary)', () => {
  it('good file: lines on stdout, empty stderr, exit 0; stdin "-" gives the same output', () => {
    const file = writePcap('e2e.pcap', tcpFrames(6));
    const r = toa(['decode', file]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(6);
    expect(r.stdout).not.toMatch(/\u001b\[/);
    const s = toa(['decode', '-'], readFileSync(file));
    expect(s.status).toBe(0);
    expect(s.stdout).toBe(r.stdout);
  });

  it('| head -1 ends quietly: exit 0 and nothing on stderr', () => {
    const file = writePcap('e2e-many.pcap', tcpFrames(30000));
    const r = spawnSync('bash', ['-c', `node "${bin}" decode "${file}" | head -1; echo "rc=\${PIPESTATUS[0]}" >&2`], { env, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(r.stderr.trim()).toBe('rc=0');
  });

  it('damaged file: the whole packets, then one error line on stderr, exit 1', () => {
    const file = writePcap('e2e-damaged.pcap', tcpFrames(3));
    const bytes = readFileSync(file);
    const cut = join(tempDir(), 'e2e-cut.pcap');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 3));
    const r = toa(['decode', cut]);
    expect(r.status).toBe(1);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/^toa: .*e2e-cut\.pcap: packet 3 at byte offset \d+: [^\n]+\n$/);
  });

  it('usage error exits 2; not a capture exits 1', () => {
    expect(toa(['decode', '--count', 'zero', 'x.pcap']).status).toBe(2);
    const text = join(tempDir(), 'notes.txt');
    writeFileSync(text, 'hello, this is text\n');
    const r = toa(['decode', text]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not a pcap or pcapng file/);
  });

  it('--json lines parse', () => {
    const r = toa(['decode', '--json', writePcap('e2e-json.pcap', tcpFrames(4))]);
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).index)).toEqual([1, 2, 3, 4]);
  });
});
