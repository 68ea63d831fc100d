/**
 * Failing cases found by the fuzz suite, kept so they stay fixed:
 *  - the fast-check seed and path of the run that found each one (replayed through the same arbitrary),
 *    plus the counterexample written out (so the case survives a change of the arbitrary);
 *  - small crafted files (built here, or kept as hex in regressions/*.hex) that hit the same code
 *    without the corpus.
 * Corpus files are never copied here: a corpus-based case names the file and skips when it is absent.
 */
import fc from 'fast-check';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPcapng } from '../helpers/capture-builder.js';
import { corpusRoot, repoRoot } from '../helpers/corpus.js';
import { checkAllCommands, describeMutation, expectClean, layoutOf, mutate, mutationArbitrary, runCli, type Mutation } from './harness.js';

const work = mkdtempSync(join(tmpdir(), 'toa-regressions-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface SeedCase {
  /** `samples/NAME` or a path under ../shared/corpus. */
  input: string;
  seed: number;
  path: string;
  counterexample: Mutation;
  found: string;
}

const SEEDS: SeedCase[] = [
  {
    input: 'pcapng-test-generator/output_be/advanced/test101.pcapng',
    seed: 1056293510,
    path: '9',
    counterexample: { kind: 'flip', bits: [[1003, 7], [420, 1], [910, 5], [606, 5], [176, 7], [508, 1]] },
    found:
      'stats: "internal error: Invalid time value" — a flipped if_tsresol/timestamp put a packet past the year 275760; ' +
      'Date#toISOString threw (fixed in src/analysis/stats.ts timeText)',
  },
];

function resolveInput(input: string): string {
  return input.startsWith('samples/') ? join(repoRoot, input) : join(corpusRoot, input);
}

describe('fuzz regressions (seed and path)', () => {
  for (const c of SEEDS) {
    const file = resolveInput(c.input);
    const present = existsSync(file);
    if (!present) console.log(`[regressions] ${c.input} skipped: ${file} is absent`);
    it.skipIf(!present)(`${c.input} seed ${c.seed} path ${c.path}${present ? '' : ' (SKIPPED: input absent)'}: ${c.found}`, async () => {
      const bytes = new Uint8Array(readFileSync(file));
      const layout = layoutOf(bytes);
      const extension = file.endsWith('.pcapng') ? '.pcapng' : '.pcap';
      // The counterexample as recorded.
      await checkAllCommands(mutate(bytes, layout, c.counterexample), extension, `${basename(file)} ${describeMutation(layout, c.counterexample)}`, work);
      // The same run replayed from its seed and path.
      await fc.assert(
        fc.asyncProperty(mutationArbitrary(bytes, layout), async (m) => {
          await checkAllCommands(mutate(bytes, layout, m), extension, `${basename(file)} ${describeMutation(layout, m)}`, work);
        }),
        { seed: c.seed, path: c.path, numRuns: 1, endOnFailure: true },
      );
    });
  }
});

describe('crafted regressions', () => {
  it('a pcapng timestamp beyond what a Date holds (if_tsresol 10^0, high word all ones): stats, decode --date, replay end cleanly', async () => {
    const frame = Uint8Array.from(Buffer.from('020000000002020000000001080045000028000100004006f97c0a0000010a0000029c400050000003e80000000750120200a9d30000', 'hex'));
    const { bytes } = buildPcapng([
      { kind: 'shb', byteOrder: 'le' },
      { kind: 'idb', linkType: 1, options: [{ code: 9, value: [0] }] },
      { kind: 'epb', interfaceId: 0, tsHigh: 0xffffffff, tsLow: 0xffffffff, data: frame },
      { kind: 'idb', linkType: 1, options: [{ code: 14, value: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f] }] },
      { kind: 'epb', interfaceId: 1, tsHigh: 0, tsLow: 1, data: frame },
    ]);
    const path = join(work, 'huge-timestamp.pcapng');
    writeFileSync(path, bytes);
    for (const argv of [['stats', path], ['stats', '--json', path], ['decode', '--date', '-v', path], ['decode', '--json', path]]) {
      const o = await runCli(argv);
      expectClean(o);
      expect(o.code, o.stderr).toBe(0);
    }
    const stats = await runCli(['stats', '--json', path]);
    const report = JSON.parse(stats.stdout) as { overview: { lastTime: string | null; files: Array<{ lastTime: string | null }> } };
    expect(report.overview.lastTime).toBeNull();
    expect(report.overview.files[0]!.lastTime).toBeNull();
    for (const argv of [['strip', path, '-o', join(work, 'huge-strip.pcapng')], ['synproxy-replay', path, '-o', join(work, 'huge-replay.pcapng')]]) {
      expectClean(await runCli(argv));
    }
  });

  // Files kept as hex (one per file; whitespace ignored). Each must end cleanly in every command.
  const hexDir = join(repoRoot, 'test', 'robustness', 'regressions');
  const hexFiles = existsSync(hexDir) ? readdirSync(hexDir).filter((n) => n.endsWith('.hex')).sort() : [];
  for (const name of hexFiles) {
    it(`regressions/${name}: every command ends cleanly and agrees with the reader`, async () => {
      const bytes = Uint8Array.from(Buffer.from(readFileSync(join(hexDir, name), 'utf8').replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex'));
      const extension = name.includes('.pcapng') ? '.pcapng' : '.pcap';
      await checkAllCommands(bytes, extension, name, work);
    });
  }
});
