/**
 * Agreement with an independent reader: the `pcap-parser` package (CommonJS, event based) on every
 * classic pcap in the corpus. It reads only µs pcap (magic a1b2c3d4, either byte order), so
 * nanosecond pcaps and pcapng files are left out (counted in the summary line).
 */
import { expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { openSync, readSync, closeSync } from 'node:fs';
import { openCapture } from '../../src/codec/capture.js';
import { CaptureError } from '../../src/codec/errors.js';
import { describeCorpus, isCaptureName, listCorpusFiles } from '../helpers/corpus.js';
import { buildPcap } from '../helpers/capture-builder.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface ParserHeader {
  timestampSeconds: number;
  timestampMicroseconds: number;
  capturedLength: number;
  originalLength: number;
}
interface ParserEvents {
  on(event: 'packetHeader', f: (h: ParserHeader) => void): this;
  on(event: 'packetData', f: (d: Buffer) => void): this;
  on(event: 'globalHeader', f: (h: unknown) => void): this;
  on(event: 'end', f: () => void): this;
  on(event: 'error', f: (e: Error) => void): this;
}
const require = createRequire(import.meta.url);
const pcapParser = require('pcap-parser') as { parse(path: string): ParserEvents };

interface Rec {
  seconds: number;
  micros: number;
  capturedLength: number;
  originalLength: number;
  data: string;
}

function theirs(path: string): Promise<{ records: Rec[]; error: string | null }> {
  return new Promise((resolve) => {
    const records: Rec[] = [];
    let header: ParserHeader | null = null;
    let error: string | null = null;
    const parser = pcapParser.parse(path);
    parser.on('packetHeader', (h) => (header = h));
    parser.on('packetData', (d) => {
      records.push({
        seconds: header!.timestampSeconds,
        micros: header!.timestampMicroseconds,
        capturedLength: header!.capturedLength,
        originalLength: header!.originalLength,
        data: d.toString('hex'),
      });
    });
    parser.on('error', (e) => (error = e.message));
    parser.on('end', () => resolve({ records, error }));
  });
}

async function ours(path: string): Promise<{ records: Rec[]; error: unknown }> {
  const records: Rec[] = [];
  const reader = await openCapture(path);
  let error: unknown = null;
  try {
    await reader.read((p) =>
      records.push({
        seconds: p.rawTsHigh,
        micros: p.rawTsLow,
        capturedLength: p.capturedLength,
        originalLength: p.originalLength,
        data: Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength).toString('hex'),
      }),
    );
  } catch (e) {
    error = e;
  }
  return { records, error };
}

function magicOf(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    const n = readSync(fd, b, 0, 4, 0);
    return n === 4 ? b.readUInt32BE(0) : 0;
  } finally {
    closeSync(fd);
  }
}

it('agrees with pcap-parser on generated µs pcaps, little- and big-endian, including a truncated one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'toa-pcap-parser-'));
  for (const byteOrder of ['le', 'be'] as const) {
    const file = buildPcap({
      byteOrder,
      packets: [
        { seconds: 1700000000, fraction: 1, data: Uint8Array.of(1, 2, 3), originalLength: 9 },
        { seconds: 4000000000, fraction: 999999, data: new Uint8Array(0) },
        { seconds: 2, fraction: 3, data: new Uint8Array(300).fill(7) },
      ],
    });
    for (const [name, bytes] of [['whole', file], ['cut', file.subarray(0, file.length - 100)]] as const) {
      const path = join(dir, `${byteOrder}-${name}.pcap`);
      writeFileSync(path, bytes);
      const a = await ours(path);
      const b = await theirs(path);
      expect(a.records).toEqual(b.records);
      expect(a.records.length).toBe(name === 'whole' ? 3 : 2);
      if (name === 'cut') expect(a.error).toBeInstanceOf(CaptureError);
    }
  }
});

describeCorpus('tcpdump-tests', 'pcap-parser agreement on corpus µs pcaps (ns pcap and pcapng skipped: pcap-parser cannot read them)', () => {
  it('same records, lengths, timestamps and bytes on every µs pcap', async () => {
    const files = listCorpusFiles('tcpdump-tests', isCaptureName);
    let compared = 0;
    let skipped = 0;
    let records = 0;
    for (const file of files) {
      const magic = magicOf(file);
      if (magic !== 0xa1b2c3d4 && magic !== 0xd4c3b2a1) {
        skipped++;
        continue;
      }
      const a = await ours(file);
      const b = await theirs(file);
      if (b.error !== null) {
        // pcap-parser refuses versions other than 2.x/x.4; then there is nothing to compare
        skipped++;
        continue;
      }
      // pcap-parser stops silently at a partial record; we deliver the same records, then fail
      expect(a.records.length, file).toBe(b.records.length);
      expect(a.records, file).toEqual(b.records);
      records += a.records.length;
      compared++;
    }
    console.log(`[corpus] pcap-parser agreement: ${compared} µs pcaps compared (${records} records), ${skipped} skipped (ns pcap, pcapng or refused by pcap-parser)`);
    expect(compared).toBeGreaterThan(100);
  });
});
