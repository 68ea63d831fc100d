/**
 * Every capture of ../shared/corpus (tcpdump's test captures, many of them fuzzer-made and damaged,
 * and the pcapng generator's files) through decode, stats, inject-toa and strip, in-process:
 *   - each run ends with exit 0, or exit 1 with a clear `toa: ` line (no internal error, no stack);
 *   - the outcome agrees with the reader: exit 1 exactly when the reader stops with a CaptureError,
 *     decode prints one line per packet the reader delivered;
 *   - inject-toa and strip count every packet the reader delivered (packetsIn) and, on success, the
 *     output file read back holds exactly packetsOut = packetsIn + standalone packets.
 * Skipped (visibly) when the corpus folder is absent.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusRoot, describeCorpus, isCaptureName, listCorpusFiles } from '../helpers/corpus.js';
import { countPackets, expectClean, rssMiB, runCli, temporaryLeftovers } from './harness.js';

const CHUNK = 30;
const work = mkdtempSync(join(tmpdir(), 'toa-corpus-robust-'));
const rssStart = rssMiB();
const totals = { files: 0, damaged: 0, packets: 0, rewritten: 0 };
afterAll(() => {
  if (totals.files > 0) {
    console.log(
      `[corpus] ${totals.files} files, ${totals.packets} packets, ${totals.damaged} damaged files (exit 1 with one error line), ` +
        `${totals.rewritten} rewriting runs with matching counts; resident memory ${rssStart.toFixed(0)} -> ${rssMiB().toFixed(0)} MiB`,
    );
  }
  rmSync(work, { recursive: true, force: true });
});

async function checkFile(file: string): Promise<void> {
  const name = relative(corpusRoot, file);
  const expected = await countPackets(file);
  expect(expected.otherError, `${name}: reader`).toBeNull();
  const damaged = expected.error;
  totals.files++;
  totals.packets += expected.packets;
  if (damaged !== null) totals.damaged++;

  const decode = await runCli(['decode', file]);
  expectClean(decode);
  expect(decode.code, `${name}: decode exit; ${decode.stderr.slice(0, 300)}`).toBe(damaged === null ? 0 : 1);
  if (decode.stdoutBytes < 4 * 1024 * 1024) {
    expect(decode.stdout.split('\n').filter((l) => l.length > 0).length, `${name}: decode lines`).toBe(expected.packets);
  }
  if (damaged !== null) expect(decode.stderr.split('\n').filter((l) => l === `toa: ${damaged.message}`), `${name}: one error line`).toHaveLength(1);

  const stats = await runCli(['stats', '--json', file]);
  expectClean(stats);
  expect(stats.code, `${name}: stats exit; ${stats.stderr.slice(0, 300)}`).toBe(damaged === null ? 0 : 1);

  for (const command of ['inject-toa', 'strip']) {
    const output = join(work, `out${file.endsWith('.pcapng') ? '.pcapng' : '.pcap'}`);
    const run = await runCli([command, file, '-o', output, '--json']);
    expectClean(run);
    expect(run.code, `${name}: ${command} exit; ${run.stderr.slice(0, 300)}`).toBe(damaged === null ? 0 : 1);
    const summary = JSON.parse(run.stdout) as { packetsIn: number; packetsOut: number; standaloneUoa: number; standaloneProxy: number };
    expect(summary.packetsIn, `${name}: ${command} packets in vs the reader`).toBe(expected.packets);
    expect(summary.packetsOut, `${name}: ${command} packets out`).toBe(summary.packetsIn + summary.standaloneUoa + summary.standaloneProxy);
    if (damaged === null) {
      const written = await countPackets(output);
      expect(written.error, `${name}: ${command} output reads back`).toBeNull();
      expect(written.packets, `${name}: ${command} output packets`).toBe(summary.packetsOut);
      totals.rewritten++;
      rmSync(output);
    } else {
      expect(existsSync(output), `${name}: ${command} left an output after an error`).toBe(false);
    }
    expect(temporaryLeftovers(work)).toEqual([]);
  }
}

describeCorpus('', 'corpus: every capture through decode, stats, inject-toa, strip', () => {
  const files = listCorpusFiles('', isCaptureName);
  it('the corpus holds captures', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  const chunks: string[][] = [];
  for (let i = 0; i < files.length; i += CHUNK) chunks.push(files.slice(i, i + CHUNK));
  describe.each(chunks.map((c, i) => [`files ${i * CHUNK + 1}..${i * CHUNK + c.length}: ${relative(corpusRoot, c[0]!)} ..`, c] as const))('%s', (_label, chunk) => {
    it('end cleanly, agree with the reader, counts in = out', async () => {
      for (const file of chunk) await checkFile(file);
      expect(rssMiB() - rssStart, 'resident memory growth (MiB)').toBeLessThan(768);
    });
  });
});
