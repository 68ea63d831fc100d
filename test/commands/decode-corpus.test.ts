/**
 * Every capture of ../shared/corpus decodes (text and --json) in-process without a crash or a
 * hang: it succeeds, or ends with a clear one-line error (CaptureError / CliError, exit 1).
 * Skipped with a visible message when the corpus is absent.
 */
import { expect, it } from 'vitest';
import type { Io } from '../../src/cli.js';
import { runDecode } from '../../src/commands/decode.js';
import { CaptureError, CliError } from '../../src/codec/errors.js';
import { PLAIN_STYLES } from '../../src/render/common.js';
import { describeCorpus, listCorpusFiles } from '../helpers/corpus.js';
import { captureIo } from './decode-helpers.js';

interface Outcome {
  ok: number;
  failed: number;
  packets: number;
}

async function decodeAll(files: string[], json: boolean): Promise<Outcome> {
  const outcome: Outcome = { ok: 0, failed: 0, packets: 0 };
  for (const file of files) {
    const c = captureIo();
    const io: Io = c.io;
    try {
      const summary = await runDecode([file], { json, verbose: !json, hex: !json }, io, PLAIN_STYLES);
      outcome.ok++;
      outcome.packets += summary.packets;
    } catch (e) {
      if (!(e instanceof CaptureError) && !(e instanceof CliError)) {
        throw new Error(`${file}: ${json ? '--json' : 'text'} decode threw ${(e as Error)?.stack ?? String(e)}`);
      }
      expect(e.message.includes('\n'), `${file}: error message is one line`).toBe(false);
      outcome.failed++;
    }
    const out = c.stdout();
    if (json && out !== '') {
      for (const line of out.trimEnd().split('\n')) {
        try {
          JSON.parse(line);
        } catch {
          throw new Error(`${file}: --json printed a line that is not JSON: ${line.substring(0, 200)}`);
        }
      }
    }
  }
  return outcome;
}

for (const sub of ['tcpdump-tests', 'pcapng-test-generator']) {
  describeCorpus(sub, `toa decode over corpus ${sub}`, () => {
    const files = listCorpusFiles(sub, (name) => /\.(pcap|pcapng|cap|ntar)$/i.test(name));
    it('text with -v -x: every file decodes or ends with a one-line CaptureError/CliError', async () => {
      const o = await decodeAll(files, false);
      expect(o.ok + o.failed).toBe(files.length);
      expect(o.ok).toBeGreaterThan(0);
      console.log(`[corpus] ${sub} text: ${files.length} files, ${o.ok} decoded, ${o.failed} ended with an error, ${o.packets} packets`);
    }, 300_000);
    it('--json: same, and every line is JSON', async () => {
      const o = await decodeAll(files, true);
      expect(o.ok + o.failed).toBe(files.length);
      console.log(`[corpus] ${sub} json: ${files.length} files, ${o.ok} decoded, ${o.failed} ended with an error, ${o.packets} packets`);
    }, 300_000);
  });
}
