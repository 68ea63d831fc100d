/**
 * A large input (at least 16 MiB) is read into chunk buffers in the checksum module's memory, and the rewrite
 * engine's scratch buffer is put there too, where inject-toa's and strip's WebAssembly kernels and record lanes
 * build frames (rewrite/kernels.ts). Against the same runs with the module off (plain arrays, the JavaScript
 * paths): the same bytes and summaries, strip(inject(x)) == x, and the frames written from the engine's cached
 * scratch views (RewriteEngine.scratchView) are the right ones.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { checksumBuffer, setSimdChecksum } from '../../src/codec/checksum.js';
import { RewriteEngine } from '../../src/rewrite/engine.js';
import { InjectRewriter } from '../../src/rewrite/inject.js';
import { StripRewriter } from '../../src/rewrite/strip.js';
import { newSummary } from '../../src/rewrite/summary.js';
import { repoRoot } from '../helpers/corpus.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
afterAll(() => {
  setSimdChecksum('auto');
  rmSync(dir, { recursive: true, force: true });
});

/** 2,000 flows of bench/gen-big.mjs without TOA: 40,000 packets, 17.8 MB (above the 16 MiB mark). */
const plain = join(dir, 'plain.pcap');
const gen = spawnSync(process.execPath, [join(repoRoot, 'bench', 'gen-big.mjs'), plain, '--flows', '2000', '--no-toa'], { encoding: 'utf8' });
if (gen.status !== 0) throw new Error(`gen-big.mjs failed: ${gen.stderr}`);

/** The checksum module's memory (a buffer of 64 bytes taken there: its ArrayBuffer). */
setSimdChecksum('auto');
const moduleMemory = checksumBuffer(64).buffer;

const quiet = new PassThrough();
quiet.resume();
const io = { stdout: quiet, stderr: quiet };

async function run(kind: 'inject' | 'strip', input: string, output: string, simd: 'auto' | 'off'): Promise<{ bytes: Buffer; summary: string; moduleScratch: boolean; fastCuts: number }> {
  setSimdChecksum(simd);
  const summary = newSummary(kind === 'inject' ? 'inject-toa' : 'strip', input, 'out.pcap');
  const engine = new RewriteEngine(summary);
  const rewriter =
    kind === 'inject'
      ? new InjectRewriter({ format: 'dpvs', when: null, client: null, server: null, mtu: 1500, prune: true, checksum: 'full', vpcId: 0, fnat: null, lean: true })
      : new StripRewriter({ kinds: null, nop: false, checksum: 'full' });
  await engine.run(input, output, rewriter, io, kind);
  // strip's fast path checks the packet it copied and hands it to the general path when the copy is wrong: count its cuts
  const fastCuts = rewriter instanceof StripRewriter ? rewriter.fastPathCounts.cuts : -1;
  return { bytes: readFileSync(output), summary: JSON.stringify(summary), moduleScratch: engine.scratch.buffer === moduleMemory, fastCuts };
}

describe('rewriting a large input in the checksum module memory', () => {
  it('inject-toa and strip give the same bytes and summaries as with plain arrays; strip(inject(x)) == x', async () => {
    const injected = await run('inject', plain, join(dir, 'inject-auto.pcap'), 'auto');
    const injectedPlain = await run('inject', plain, join(dir, 'inject-off.pcap'), 'off');
    expect(injected.moduleScratch).toBe(true);
    expect(injectedPlain.moduleScratch).toBe(false);
    expect(injected.summary).toBe(injectedPlain.summary);
    expect(injected.bytes.equals(injectedPlain.bytes)).toBe(true);
    // 2 carriers per flow, 8 bytes each
    expect(injected.bytes.length - readFileSync(plain).length).toBe(2000 * 2 * 8);

    const stripped = await run('strip', join(dir, 'inject-auto.pcap'), join(dir, 'strip-auto.pcap'), 'auto');
    const strippedPlain = await run('strip', join(dir, 'inject-auto.pcap'), join(dir, 'strip-off.pcap'), 'off');
    expect(stripped.moduleScratch).toBe(true);
    expect(stripped.fastCuts).toBe(2000 * 2);
    expect(strippedPlain.fastCuts).toBe(2000 * 2);
    expect(stripped.summary).toBe(strippedPlain.summary);
    expect(stripped.bytes.equals(strippedPlain.bytes)).toBe(true);
    expect(stripped.bytes.equals(readFileSync(plain))).toBe(true);
  });
});

describe('RewriteEngine.scratchView', () => {
  it('is scratch[0, n) of the current scratch buffer, the same object for the same n, a new one after scratch grows', () => {
    const engine = new RewriteEngine(newSummary('strip', 'in', 'out'));
    const a = engine.scratchView(74);
    expect(a.length).toBe(74);
    expect(a.buffer).toBe(engine.scratch.buffer);
    expect(a.byteOffset).toBe(engine.scratch.byteOffset);
    expect(engine.scratchView(74)).toBe(a);
    // 74 + 256: the same slot of the cache, another length
    const b = engine.scratchView(330);
    expect(b.length).toBe(330);
    expect(engine.scratchView(74)).not.toBe(b);
    expect(engine.scratchView(74).length).toBe(74);
    const old = engine.scratch;
    engine.scratchFor(old.length * 2);
    expect(engine.scratch).not.toBe(old);
    const c = engine.scratchView(74);
    expect(c.buffer).toBe(engine.scratch.buffer);
    engine.scratch[0] = 0xab;
    expect(c[0]).toBe(0xab);
  });
});
