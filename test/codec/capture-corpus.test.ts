/**
 * Real captures from ../shared/corpus: tcpdump's test captures (many damaged on purpose) and the
 * pcapng-test-generator files whose .txt states the block sequence.
 */
import { afterAll, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { openCapture } from '../../src/codec/capture.js';
import { createCaptureWriter } from '../../src/codec/capture-writer.js';
import { CaptureError } from '../../src/codec/errors.js';
import { PCAPNG_BLOCK } from '../../src/codec/pcapng.js';
import { corpusRoot, describeCorpus, isCaptureName, listCorpusFiles } from '../helpers/corpus.js';

const work = mkdtempSync(join(tmpdir(), 'toa-corpus-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describeCorpus('tcpdump-tests', 'corpus: tcpdump test captures', () => {
  const files = listCorpusFiles('tcpdump-tests', isCaptureName);

  it('every capture reads without crash or hang; the clean ones mirror byte for byte', async () => {
    expect(files.length).toBeGreaterThan(100);
    let clean = 0;
    let damaged = 0;
    let identical = 0;
    let warned = 0;
    const different: string[] = [];
    const reasons = new Map<string, number>();
    for (const file of files) {
      const out = join(work, 'mirror.out');
      const started = Date.now();
      let reader;
      try {
        reader = await openCapture(file);
      } catch (e) {
        expect(e, file).toBeInstanceOf(CaptureError);
        damaged++;
        continue;
      }
      const writer = createCaptureWriter(out, { like: reader.info });
      let warnings = 0;
      try {
        await reader.read((p) => writer.writePacket(p, p.data), writer.mirrorHooks({ onWarning: () => warnings++ }));
        writer.close();
        clean++;
        if (Buffer.compare(readFileSync(file), readFileSync(out)) === 0) identical++;
        else different.push(relative(corpusRoot, file));
      } catch (e) {
        writer.abort();
        expect(e, file).toBeInstanceOf(CaptureError);
        damaged++;
        const kind = (e as CaptureError).reason.replace(/\d+/g, 'N');
        reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
      }
      if (warnings > 0) warned++;
      expect(Date.now() - started, `${file} took too long`).toBeLessThan(10_000);
    }
    console.log(
      `[corpus] tcpdump-tests: ${files.length} captures, ${clean} read cleanly (${identical} mirrored byte-identical), ${damaged} ended in CaptureError, ${warned} with warnings` +
        (reasons.size > 0 ? `; errors: ${[...reasons].map(([k, n]) => `${n}× ${k}`).join('; ')}` : ''),
    );
    expect(different).toEqual([]);
    expect(clean + damaged).toBe(files.length);
  });
});

const NAMES: Record<number, string> = {
  [PCAPNG_BLOCK.SECTION_HEADER]: 'SHB',
  [PCAPNG_BLOCK.INTERFACE_DESCRIPTION]: 'IDB',
  [PCAPNG_BLOCK.PACKET_OBSOLETE]: 'PB',
  [PCAPNG_BLOCK.SIMPLE_PACKET]: 'SPB',
  [PCAPNG_BLOCK.NAME_RESOLUTION]: 'NRB',
  [PCAPNG_BLOCK.INTERFACE_STATISTICS]: 'ISB',
  [PCAPNG_BLOCK.ENHANCED_PACKET]: 'EPB',
  [PCAPNG_BLOCK.CUSTOM]: 'CB',
  [PCAPNG_BLOCK.CUSTOM_NO_COPY]: 'DCB',
};

/** The .txt's "Block counts:" table and "Block sequence:" line. */
function parseDescription(txt: string): { counts: Record<string, number>; sequence: string[] } {
  const counts: Record<string, number> = {};
  for (const m of txt.matchAll(/^\s+([A-Z]+):\s*(\d+)\s*$/gm)) counts[m[1]!] = Number(m[2]);
  const seq = /^Block sequence:\s*(.*)$/m.exec(txt);
  return { counts, sequence: seq ? seq[1]!.split(',').map((s) => s.trim()).filter((s) => s.length > 0) : [] };
}

describeCorpus('pcapng-test-generator', 'corpus: pcapng-test-generator (block sequences stated by each .txt)', () => {
  const files = listCorpusFiles('pcapng-test-generator', (n) => n.endsWith('.pcapng'));

  it.each(files.map((f) => [relative(join(corpusRoot, 'pcapng-test-generator'), f), f]))('%s', async (_name, file) => {
    const described = parseDescription(readFileSync(file.replace(/\.pcapng$/, '.txt'), 'utf8'));
    expect(described.sequence.length, 'the .txt states a block sequence').toBeGreaterThan(0);
    const reader = await openCapture(file);
    const seen: string[] = [];
    const out = join(work, `${basename(file)}.${file.includes('output_be') ? 'be' : 'le'}.out`);
    const writer = createCaptureWriter(out, { like: reader.info });
    const summary = await reader.read(
      (p) => {
        seen.push(NAMES[p.blockType]!);
        writer.writePacket(p, p.data);
      },
      writer.mirrorHooks({
        onSection: () => seen.push('SHB'),
        onInterface: () => seen.push('IDB'),
        onOtherBlock: (b) => seen.push(NAMES[b.type] ?? `0x${b.type.toString(16)}`),
      }),
    );
    writer.close();
    const packets = (described.counts.EPB ?? 0) + (described.counts.SPB ?? 0) + (described.counts.PB ?? 0);
    const blocks = Object.values(described.counts).reduce((a, b) => a + b, 0);
    expect(summary.packets).toBe(packets);
    expect(seen.length).toBe(blocks);
    expect(seen).toEqual(described.sequence);
    expect(Buffer.compare(readFileSync(out), readFileSync(file)), 'mirror is byte-identical').toBe(0);
  });
});
