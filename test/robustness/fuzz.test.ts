/**
 * Fuzz suite (issue 6): mutations of every sample (samples/*.pcap*) and of a selection of corpus files
 * (../shared/corpus, skipped visibly when absent) — bit flips, truncation at record boundaries and inside
 * headers, length fields set to extremes (0, 0xFFFFFFFF, just over the remaining size, past 256 MiB),
 * overwritten runs of bytes — through `toa decode`, `stats`, `inject-toa` and `strip`, in-process via
 * main(argv, io). Every run must end cleanly (exit 0 or 1, no internal error, no stack trace) within
 * its time bound, memory must stay bounded, and the outcome must agree with the reader:
 *   - the reader stops with a CaptureError  <=> every command exits 1 with that one error line
 *     (file, packet number, byte offset), after the packets before the damage;
 *   - decode prints exactly one line per packet the reader delivered;
 *   - inject-toa/strip count every input packet (packetsIn), and on success the output file holds
 *     packetsOut packets; on failure no output file and no temporary file is left.
 *
 * Bounded: TOA_FUZZ_RUNS cases per input (default 4); each case runs the four commands. A failing case
 * prints fast-check's seed and path; keep it in regressions.test.ts.
 */
import fc from 'fast-check';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCaptureBytes } from '../../src/codec/capture.js';
import { CaptureError } from '../../src/codec/errors.js';
import { corpusDir, corpusRoot, repoRoot } from '../helpers/corpus.js';
import {
  checkAllCommands,
  describeMutation,
  expectClean,
  extremeLengths,
  layoutOf,
  mutate,
  mutationArbitrary,
  rssMiB,
  type Mutation,
} from './harness.js';

const RUNS_PER_INPUT = Math.max(1, Number(process.env.TOA_FUZZ_RUNS ?? 4));
/** Resident memory may grow by at most this much over the whole file (a 4 GiB allocation would blow it). */
const RSS_GROWTH_LIMIT_MIB = 512;

const samplesDir = join(repoRoot, 'samples');
const samples = readdirSync(samplesDir)
  .filter((n) => /\.pcap(ng)?$/.test(n))
  .sort()
  .map((n) => join(samplesDir, n));

/** A fixed selection of corpus files: pcapng oddities (sections of both byte orders, all block types) and TCP captures. */
const CORPUS_SELECTION = [
  'pcapng-test-generator/output_le/difficult/test202.pcapng',
  'pcapng-test-generator/output_be/difficult/test200.pcapng',
  'pcapng-test-generator/output_be/advanced/test101.pcapng',
  'pcapng-test-generator/output_le/basic/test006.pcapng',
  'tcpdump-tests/tfo-5c1fa7f9ae91.pcap',
  'tcpdump-tests/dns_tcp.pcap',
  'tcpdump-tests/ipv4_tcp_http_xml.pcap',
  'tcpdump-tests/LINKTYPE_IPV6.pcap',
  'tcpdump-tests/icmp-length-zero.pcapng',
  'tcpdump-tests/bigtcp-ipv6-vxlan-ipv4.pcap',
];

const work = mkdtempSync(join(tmpdir(), 'toa-fuzz-'));
let rssStart = 0;
let rssPeak = 0;
beforeAll(() => {
  rssStart = rssMiB();
});
afterAll(() => {
  console.log(`[fuzz] resident memory: start ${rssStart.toFixed(0)} MiB, peak ${rssPeak.toFixed(0)} MiB (limit +${RSS_GROWTH_LIMIT_MIB} MiB)`);
  rmSync(work, { recursive: true, force: true });
});

function checkMemory(context: string): void {
  const now = rssMiB();
  rssPeak = Math.max(rssPeak, now);
  expect(now - rssStart, `resident memory grew by ${(now - rssStart).toFixed(0)} MiB after ${context}`).toBeLessThan(RSS_GROWTH_LIMIT_MIB);
}

function extensionOf(path: string): string {
  return path.endsWith('.pcapng') ? '.pcapng' : '.pcap';
}

function fuzzFile(path: string, label: string): void {
  it(`${label}: ${RUNS_PER_INPUT} mutations through decode, stats, inject-toa, strip`, async () => {
    const bytes = new Uint8Array(readFileSync(path));
    const layout = layoutOf(bytes);
    await fc.assert(
      fc.asyncProperty(mutationArbitrary(bytes, layout), async (m) => {
        await checkAllCommands(mutate(bytes, layout, m), extensionOf(path), `${basename(path)} ${describeMutation(layout, m)}`, work, checkMemory);
      }),
      { numRuns: RUNS_PER_INPUT, endOnFailure: true },
    );
  });
}

describe('fuzz: mutated samples through every command', () => {
  expect(samples.length).toBeGreaterThan(0);
  for (const path of samples) fuzzFile(path, `samples/${basename(path)}`);
});

const corpusPresent = corpusDir() !== null;
if (!corpusPresent) console.log(`[fuzz] corpus selection skipped: ${corpusRoot} is absent`);
describe.skipIf(!corpusPresent)(`fuzz: mutated corpus files${corpusPresent ? '' : ` (SKIPPED: ${corpusRoot} is absent)`}`, () => {
  for (const rel of CORPUS_SELECTION) {
    const path = join(corpusRoot, rel);
    if (!existsSync(path)) {
      it.skip(`${rel} (SKIPPED: not in this corpus)`, () => undefined);
      continue;
    }
    fuzzFile(path, rel);
  }
});

/**
 * The reader alone, exhaustively (fast: in memory): every length field of every sample set to every
 * extreme value, and a cut at every record boundary and at each byte inside the next header. The
 * reader must deliver packets then reject with a CaptureError, or succeed; never another error.
 */
describe('fuzz: the reader on every extreme length and every boundary cut of every sample', () => {
  for (const path of samples) {
    it(basename(path), async () => {
      const bytes = new Uint8Array(readFileSync(path));
      const layout = layoutOf(bytes);
      const cases: Mutation[] = [];
      layout.lengthFields.forEach((f, field) => {
        for (const value of extremeLengths(f)) cases.push({ kind: 'length', field, value });
      });
      layout.boundaries.forEach((at, i) => {
        const header = layout.headerLengths[i] ?? 16;
        for (let k = 0; k <= header; k++) cases.push({ kind: 'truncate', at: at + k });
      });
      const started = performance.now();
      for (const m of cases) {
        const data = mutate(bytes, layout, m);
        let packets = 0;
        let wrongViews = 0;
        try {
          const reader = await openCaptureBytes(data, 'x');
          await reader.read((p) => {
            packets++;
            if (p.data.length !== p.capturedLength) wrongViews++;
          });
        } catch (e) {
          expect(e, `${basename(path)} ${describeMutation(layout, m)}: ${(e as Error).stack}`).toBeInstanceOf(CaptureError);
          // The packet being read when it broke: the next one, or 0 for a damaged file header.
          const at = (e as CaptureError).packet;
          expect(at === packets + 1 || (at === 0 && packets === 0), `${describeMutation(layout, m)}: packet ${at} after ${packets}`).toBe(true);
        }
        expect(wrongViews, `${describeMutation(layout, m)}: data views of the wrong length`).toBe(0);
      }
      checkMemory(`reader cases of ${basename(path)}`);
      expect(performance.now() - started).toBeLessThan(15_000);
    });
  }
});
