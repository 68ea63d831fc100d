/**
 * The in-place reading fast path (BufferedRecord, lazyData, beforeBufferReuse), pcap raw record
 * copies (writeRecordBytes) and the reader's read-ahead with records larger than a chunk.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture, openCaptureBytes, openCaptureSource, type BufferedRecord } from '../../src/codec/capture.js';
import { createCaptureWriter } from '../../src/codec/capture-writer.js';
import { TAKE_NONE } from '../../src/codec/capture-types.js';
import { CaptureError } from '../../src/codec/errors.js';
import { buildPcap, pcapRecordOffsets, type PcapSpec } from '../helpers/capture-builder.js';

function packetBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

/** Small packets around one of `bigLength` bytes (larger than the read-ahead headroom plus a chunk). */
function spec(bigLength: number): PcapSpec {
  const packets = [];
  for (let i = 0; i < 40; i++) {
    const length = i === 17 ? bigLength : 20 + ((i * 37) % 300);
    packets.push({ seconds: 1000 + i, fraction: i * 11, data: packetBytes(length, i), originalLength: length + (i % 3) });
  }
  return { snapLength: 0, packets };
}

async function readAll(bytes: Uint8Array, chunkBytes: number, lazyData: boolean): Promise<{ data: number[]; fileOffset: number; record: number[] }[]> {
  const reader = await openCaptureBytes(bytes, 'test.pcap', { chunkBytes, lazyData });
  const seen: { data: number[]; fileOffset: number; record: number[] }[] = [];
  await reader.read((rec: BufferedRecord) => {
    if (lazyData) expect(rec.data.length).toBe(0);
    const frame = rec.frameData();
    expect(Array.from(rec.buffer.subarray(rec.dataStart, rec.dataStart + rec.capturedLength))).toEqual(Array.from(frame));
    seen.push({ data: Array.from(frame), fileOffset: rec.fileOffset, record: Array.from(rec.buffer.subarray(rec.recordStart, rec.dataStart + rec.capturedLength)) });
  });
  return seen;
}

describe('in-place pcap reading', () => {
  const s = spec(300_000);
  const bytes = buildPcap(s);
  const offsets = pcapRecordOffsets(s);

  it('an eager reader makes `data` on first access: the current frame, one view per packet, also when earlier packets never read it', async () => {
    const reader = await openCaptureBytes(bytes, 'test.pcap', { chunkBytes: 1000 });
    const seen: number[][] = [];
    await reader.read((rec: BufferedRecord) => {
      if (rec.index % 3 !== 0) return; // two packets in three never touch `data`
      const data = rec.data;
      expect(rec.data).toBe(data);
      expect(rec.frameData()).toBe(data);
      seen.push(Array.from(data));
    });
    expect(seen).toEqual(s.packets.filter((_, i) => (i + 1) % 3 === 0).map((p) => Array.from(p.data)));
  });

  for (const chunkBytes of [64, 1000, 65_536, 1 << 20]) {
    it(`lazy and eager readers see the same packets, in place (chunk ${chunkBytes}, one 300 kB record)`, async () => {
      const eager = await readAll(bytes, chunkBytes, false);
      const lazy = await readAll(bytes, chunkBytes, true);
      expect(lazy).toEqual(eager);
      expect(eager.map((p) => p.data)).toEqual(s.packets.map((p) => Array.from(p.data)));
      expect(eager.map((p) => p.fileOffset)).toEqual(offsets);
      // the whole record as it is in the file
      eager.forEach((p, i) => expect(p.record).toEqual(Array.from(bytes.subarray(offsets[i]!, offsets[i]! + 16 + p.data.length))));
    });
  }

  it('a cut record is still an error at the end of the input (read-ahead)', async () => {
    const reader = await openCaptureBytes(bytes.subarray(0, offsets[30]! + 20), 'cut.pcap', { chunkBytes: 4096, lazyData: true });
    let packets = 0;
    await expect(reader.read(() => void packets++)).rejects.toBeInstanceOf(CaptureError);
    expect(packets).toBe(30);
  });
});

describe('writeRecordBytes', () => {
  it('copies unchanged records in runs, flushed before the reader reuses its buffer: the file comes out identical', async () => {
    const s = spec(100_000);
    const bytes = buildPcap(s);
    const dir = mkdtempSync(join(tmpdir(), 'toa-inplace-'));
    const input = join(dir, 'in.pcap');
    writeFileSync(input, bytes);
    for (const chunkBytes of [100, 4096]) {
      const output = join(dir, `out-${chunkBytes}.pcap`);
      const reader = await openCapture(input, { chunkBytes, lazyData: true });
      const writer = createCaptureWriter(output, { like: reader.info, bufferBytes: 512 });
      let flushes = 0;
      await reader.read(
        (rec) => {
          // every fifth packet through writePacket (a rewritten packet would go this way): the run is cut there
          if (rec.index % 5 === 0) writer.writePacket(rec, rec.frameData());
          else writer.writeRecordBytes(rec.buffer, rec.recordStart, rec.dataStart + rec.capturedLength);
        },
        writer.mirrorHooks({ beforeBufferReuse: () => void flushes++ }),
      );
      writer.close();
      expect(flushes).toBeGreaterThan(1);
      expect(writer.packets).toBe(s.packets.length);
      expect(Buffer.compare(readFileSync(output), Buffer.from(bytes))).toBe(0);
    }
  });

  it('asyncWrites: runs are written from the reader\'s buffers, and the reader waits for those writes before reading into a buffer again', async () => {
    const packets = [];
    for (let i = 0; i < 3000; i++) {
      const length = 20 + ((i * 37) % 700);
      packets.push({ seconds: 1000 + i, fraction: i * 11, data: packetBytes(length, i), originalLength: length });
    }
    const s: PcapSpec = { snapLength: 0, packets };
    const bytes = buildPcap(s);
    const dir = mkdtempSync(join(tmpdir(), 'toa-inplace-'));
    const input = join(dir, 'in.pcap');
    writeFileSync(input, bytes);
    for (const chunkBytes of [100, 4096, 65_536]) {
      const output = join(dir, `out-async-${chunkBytes}.pcap`);
      const reader = await openCapture(input, { chunkBytes, lazyData: true });
      const writer = createCaptureWriter(output, { like: reader.info, bufferBytes: 4096, asyncWrites: true });
      let waits = 0;
      await reader.read(
        (rec) => {
          if (rec.index % 7 === 0) writer.writePacket(rec, rec.frameData());
          else writer.writeRecordBytes(rec.buffer, rec.recordStart, rec.dataStart + rec.capturedLength);
        },
        writer.mirrorHooks({
          beforeRead: () => {
            waits++;
            return undefined;
          },
          betweenChunks: () => writer.drain(),
        }),
      );
      await writer.closeAsync();
      expect(waits).toBeGreaterThan(1);
      expect(writer.packets).toBe(s.packets.length);
      expect(Buffer.compare(readFileSync(output), Buffer.from(bytes))).toBe(0);
    }
  });

  it('a source of unknown size (a pipe: the large-input path, whose first buffer the read-ahead ring takes over): borrowed runs stay intact until written', async () => {
    const packets = [];
    for (let i = 0; i < 2000; i++) {
      const length = 20 + ((i * 53) % 900);
      packets.push({ seconds: 2000 + i, fraction: i * 13, data: packetBytes(length, i + 7), originalLength: length });
    }
    const bytes = buildPcap({ snapLength: 0, packets });
    const dir = mkdtempSync(join(tmpdir(), 'toa-inplace-'));
    for (const [chunkBytes, piece] of [
      [4096, 1000],
      [65_536, 7777],
      [1 << 20, 1 << 16],
    ] as const) {
      // like a pipe: no size, no positions, pieces of `piece` bytes; a read into a buffer whose release
      // (beforeRead below, settled a little later) is still pending is a violation
      const pending = new Set<Uint8Array>();
      const released = new Set<Uint8Array>();
      const targets: Uint8Array[] = [];
      let violations = 0;
      let at = 0;
      const source = {
        size: null,
        async readInto(buf: Uint8Array, offset: number, length: number): Promise<number> {
          if (pending.has(buf)) violations++;
          targets.push(buf);
          const n = Math.min(length, piece, bytes.length - at);
          buf.set(bytes.subarray(at, at + n), offset);
          at += n;
          await new Promise((r) => setTimeout(r, 0));
          return n;
        },
        async close(): Promise<void> {},
      };
      const output = join(dir, `out-pipe-${chunkBytes}.pcap`);
      const reader = await openCaptureSource(source, 'pipe', { chunkBytes, lazyData: true });
      expect(reader.fileSize).toBeNull();
      const writer = createCaptureWriter(output, { like: reader.info, bufferBytes: 4096, asyncWrites: true });
      await reader.read((rec) => {
        if (rec.index % 5 === 0) writer.writePacket(rec, rec.frameData());
        else writer.writeRecordBytes(rec.buffer, rec.recordStart, rec.dataStart + rec.capturedLength);
      }, writer.mirrorHooks({
        betweenChunks: () => writer.drain(),
        beforeRead: (buf) => {
          pending.add(buf);
          return new Promise<void>((resolve) =>
            setTimeout(() => {
              pending.delete(buf);
              released.add(buf);
              resolve();
            }, 3),
          );
        },
      }));
      await writer.closeAsync();
      expect(violations).toBe(0);
      // the ring took the reader's first buffer over: read into again after other buffers were
      if (bytes.length > 8 * chunkBytes) {
        const later = targets.slice(targets.findIndex((b) => b !== targets[0]));
        expect(later).toContain(targets[0]);
        expect(released.has(targets[0]!)).toBe(true);
      }
      expect(writer.packets).toBe(packets.length);
      expect(Buffer.compare(readFileSync(output), Buffer.from(bytes))).toBe(0);
    }
  });

  it('is refused by a pcapng writer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toa-inplace-'));
    const writer = createCaptureWriter(join(dir, 'x.pcapng'), { format: 'pcapng', interfaces: [{ linkType: 1 }] });
    expect(() => writer.writeRecordBytes(new Uint8Array(16), 0, 16)).toThrow(/pcap records/);
    writer.abort();
  });
});

describe("takeRecords (the record lanes' hook)", () => {
  const packets = Array.from({ length: 300 }, (_, i) => ({ seconds: 1000 + i, fraction: i, data: packetBytes(40 + (i % 50), i) }));
  const bytes = buildPcap({ snapLength: 0, packets });
  const offsets = pcapRecordOffsets({ snapLength: 0, packets });

  it('records a hook takes are not delivered; counts and the next index follow; the rest are delivered as usual', async () => {
    const reader = await openCaptureBytes(bytes, 'take.pcap', { chunkBytes: 4096 });
    const delivered: number[] = [];
    let offered = 0;
    const summary = await reader.read(
      (rec) => delivered.push(rec.index),
      {
        // take every record whose index (1-based) is a multiple of 3 or 4 from where the run starts, one at a time
        takeRecords: (buf, pos, end, base, run) => {
          offered++;
          const index = offsets.indexOf(base + pos) + 1;
          if (index % 3 !== 0 && index % 4 !== 0) return pos;
          const length = new DataView(buf.buffer, buf.byteOffset).getUint32(pos + 8, true);
          run.packets++;
          run.bytes += length;
          return pos + 16 + length;
        },
      },
    );
    const taken = packets.map((_, i) => i + 1).filter((n) => n % 3 === 0 || n % 4 === 0);
    expect(delivered).toEqual(packets.map((_, i) => i + 1).filter((n) => !taken.includes(n)));
    expect(summary.packets).toBe(300);
    expect(summary.bytes).toBe(packets.reduce((a, p) => a + p.data.length, 0));
    expect(offered).toBeGreaterThanOrEqual(300);
  });

  it('TAKE_NONE: the hook is not asked again, every record is delivered', async () => {
    const reader = await openCaptureBytes(bytes, 'none.pcap', { chunkBytes: 4096 });
    let offered = 0;
    let delivered = 0;
    await reader.read(() => delivered++, {
      takeRecords: () => {
        offered++;
        return TAKE_NONE;
      },
    });
    expect(offered).toBe(1);
    expect(delivered).toBe(300);
  });
});
