import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture, openCaptureBytes, openCaptureSource, openCaptureStream, detectCaptureFormat } from '../../src/codec/capture.js';
import { CaptureError, CliError } from '../../src/codec/errors.js';
import type { ByteSource, CaptureReader } from '../../src/codec/capture.js';
import type { OtherBlock, PacketRecord, ReadHooks } from '../../src/codec/capture-types.js';
import { buildPcap, buildPcapng, pcapRecordOffsets, text, type BlockSpec, type PcapSpec } from '../helpers/capture-builder.js';

interface Seen {
  index: number;
  interfaceId: number;
  linkType: number;
  seconds: number;
  nanos: number;
  capturedLength: number;
  originalLength: number;
  data: number[];
  fileOffset: number;
  blockType: number;
  options: number[] | null;
  rawTsHigh: number;
  rawTsLow: number;
}

function snapshot(p: PacketRecord): Seen {
  return {
    index: p.index,
    interfaceId: p.interfaceId,
    linkType: p.linkType,
    seconds: p.timestampSeconds,
    nanos: p.timestampNanos,
    capturedLength: p.capturedLength,
    originalLength: p.originalLength,
    data: Array.from(p.data),
    fileOffset: p.fileOffset,
    blockType: p.blockType,
    options: p.options === null ? null : Array.from(p.options),
    rawTsHigh: p.rawTsHigh,
    rawTsLow: p.rawTsLow,
  };
}

interface ReadResult {
  reader: CaptureReader;
  packets: Seen[];
  warnings: string[];
  others: Array<{ type: number; section: number; fileOffset: number; length: number }>;
  error: unknown;
}

/** Every packet of `input` (bytes in memory, or any ByteSource), and the error that ended the read (null: none). */
async function readAll(input: Uint8Array | ByteSource, opts: { chunkBytes?: number; maxRecordBytes?: number } = {}, hooks: ReadHooks = {}): Promise<ReadResult> {
  const reader = input instanceof Uint8Array ? await openCaptureBytes(input, 'mem', opts) : await openCaptureSource(input, 'source', opts);
  const packets: Seen[] = [];
  const warnings: string[] = [];
  const others: ReadResult['others'] = [];
  let error: unknown = null;
  try {
    await reader.read((p) => packets.push(snapshot(p)), {
      ...hooks,
      onWarning: (m) => warnings.push(m),
      onOtherBlock: (b: OtherBlock) => others.push({ type: b.type, section: b.section, fileOffset: b.fileOffset, length: b.raw.length }),
    });
  } catch (e) {
    error = e;
  }
  return { reader, packets, warnings, others, error };
}

const bytesOf = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
const range = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

describe('format detection', () => {
  it('names pcap magics in both byte orders and pcapng', () => {
    expect(detectCaptureFormat(bytesOf(0xd4, 0xc3, 0xb2, 0xa1), 'f')).toBe('pcap');
    expect(detectCaptureFormat(bytesOf(0xa1, 0xb2, 0xc3, 0xd4), 'f')).toBe('pcap');
    expect(detectCaptureFormat(bytesOf(0x4d, 0x3c, 0xb2, 0xa1), 'f')).toBe('pcap');
    expect(detectCaptureFormat(bytesOf(0xa1, 0xb2, 0x3c, 0x4d), 'f')).toBe('pcap');
    expect(detectCaptureFormat(bytesOf(0x0a, 0x0d, 0x0d, 0x0a), 'f')).toBe('pcapng');
  });

  it.each([
    [[0x1f, 0x8b, 0x08, 0x00], /magic 0x1f8b0800 is a gzip-compressed file/],
    [[0xa1, 0xb2, 0xcd, 0x34], /Kuznetzov/],
    [[0x34, 0xcd, 0xb2, 0xa1], /Kuznetzov/],
    [[0x73, 0x6e, 0x6f, 0x6f, 0x70, 0, 0, 0], /snoop/],
    [[0x47, 0x4d, 0x42, 0x55], /Network Monitor 2/],
    [[0x12, 0x34, 0x56, 0x78], /^not a pcap or pcapng file: magic 0x12345678$/],
    [[0x7b, 0x0a, 0x20, 0x20], /looks like text/],
    [[0x1f], /only 1 bytes long/],
    [[], /empty file/],
  ])('rejects %j with a clear CaptureError', (magic, message) => {
    let caught: unknown = null;
    try {
      detectCaptureFormat(Uint8Array.from(magic), 'file.x');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CaptureError);
    expect((caught as CaptureError).reason).toMatch(message);
    expect((caught as CaptureError).packet).toBe(0);
  });

  it('openCapture on a missing path or a directory is a one-line CliError', async () => {
    await expect(openCapture('/nonexistent/dir/x.pcap')).rejects.toBeInstanceOf(CliError);
    await expect(openCapture(tmpdir())).rejects.toThrow(/is a directory/);
  });
});

const threePackets: PcapSpec['packets'] = [
  { seconds: 1700000000, fraction: 123456, data: range(60, 1) },
  { seconds: 1700000001, fraction: 0, data: range(0), originalLength: 0 },
  { seconds: 1700000002, fraction: 999999, data: range(100, 3), originalLength: 1514 },
];

describe('pcap reader', () => {
  it.each([
    ['µs little-endian', 'le', false],
    ['µs big-endian', 'be', false],
    ['ns little-endian', 'le', true],
    ['ns big-endian', 'be', true],
  ] as const)('reads %s files field by field', async (_name, byteOrder, nanosecond) => {
    const spec: PcapSpec = {
      byteOrder,
      nanosecond,
      linkType: 113,
      snapLength: 65535,
      packets: nanosecond ? threePackets.map((p) => ({ ...p, fraction: p.fraction * 1000 + 7 })) : threePackets,
    };
    const file = buildPcap(spec);
    const { reader, packets, error } = await readAll(file);
    expect(error).toBeNull();
    expect(reader.info.format).toBe('pcap');
    expect(reader.info.pcap).toMatchObject({ byteOrder, nanosecond, snapLength: 65535, linkType: 113, versionMajor: 2, versionMinor: 4 });
    expect(Array.from(reader.info.pcap!.rawHeader)).toEqual(Array.from(file.subarray(0, 24)));
    const offsets = pcapRecordOffsets(spec);
    expect(packets).toHaveLength(3);
    packets.forEach((p, i) => {
      const s = spec.packets[i]!;
      expect(p.index).toBe(i + 1);
      expect(p.linkType).toBe(113);
      expect(p.seconds).toBe(s.seconds);
      expect(p.nanos).toBe(nanosecond ? s.fraction : s.fraction * 1000);
      expect(p.data).toEqual(Array.from(s.data));
      expect(p.capturedLength).toBe(s.data.length);
      expect(p.originalLength).toBe(s.originalLength ?? s.data.length);
      expect(p.fileOffset).toBe(offsets[i]);
      expect(p.blockType).toBe(0);
      expect([p.rawTsHigh, p.rawTsLow]).toEqual([s.seconds, s.fraction]);
    });
    expect(reader.summary).toEqual({ packets: 3, bytes: 160, truncatedAt: null });
  });

  it('warns (not fails) on captured > snaplen and captured > original', async () => {
    const file = buildPcap({ snapLength: 50, packets: [{ seconds: 1, fraction: 0, data: range(60), originalLength: 40 }] });
    const { packets, warnings, error } = await readAll(file);
    expect(error).toBeNull();
    expect(packets).toHaveLength(1);
    expect(warnings.join('\n')).toMatch(/captured length 60 exceeds original length 40/);
    expect(warnings.join('\n')).toMatch(/exceeds the file's snapshot length 50/);
  });

  it('a record length above maxRecordBytes fails after the good packets', async () => {
    const spec: PcapSpec = { packets: [{ seconds: 1, fraction: 0, data: range(10) }, { seconds: 2, fraction: 0, data: range(300) }] };
    const { packets, error, reader } = await readAll(buildPcap(spec), { maxRecordBytes: 200 });
    expect(packets).toHaveLength(1);
    expect(error).toBeInstanceOf(CaptureError);
    expect((error as CaptureError).packet).toBe(2);
    expect((error as CaptureError).offset).toBe(24 + 16 + 10);
    expect((error as CaptureError).reason).toMatch(/record length 300 exceeds the maximum of 200 bytes/);
    expect(reader.summary.truncatedAt).toBe(50);
  });

  it('a record claiming more than the file holds names the packet, offset and what remains', async () => {
    const spec: PcapSpec = { packets: [{ seconds: 1, fraction: 0, data: range(1514) }] };
    const full = buildPcap(spec);
    const cut = full.subarray(0, 24 + 16 + 60);
    const dir = mkdtempSync(join(tmpdir(), 'toa-cap-'));
    const path = join(dir, 'cut.pcap');
    writeFileSync(path, cut);
    const reader = await openCapture(path);
    await expect(reader.read(() => undefined)).rejects.toThrow('truncated record: header says 1514 bytes, only 60 remain');
    expect(reader.summary.truncatedAt).toBe(24);
  });

  it('a file read after close() fails loudly instead of ending early with the packets read so far', async () => {
    const spec: PcapSpec = { packets: Array.from({ length: 20 }, (_, i) => ({ seconds: i, fraction: 0, data: range(100) })) };
    const dir = mkdtempSync(join(tmpdir(), 'toa-cap-'));
    const path = join(dir, 'closed.pcap');
    writeFileSync(path, buildPcap(spec));
    // a chunk of 256 bytes: the first read (at open) holds two records, the rest needs reads of the closed file
    const reader = await openCapture(path, { chunkBytes: 256 });
    await reader.close();
    let seen = 0;
    await expect(reader.read(() => void seen++)).rejects.toThrow(/after it was closed/);
    expect(seen).toBeLessThan(20);
  });

  it('a file shorter than the file header fails in openCapture', async () => {
    await expect(openCaptureBytes(buildPcap({ packets: [] }).subarray(0, 20), 'short')).rejects.toThrow(/truncated pcap file header/);
  });

  it('reads from a stream (stdin path) split into odd chunks', async () => {
    const file = buildPcap({ packets: threePackets });
    const chunks = [file.subarray(0, 3), file.subarray(3, 30), file.subarray(30, 31), file.subarray(31)];
    const reader = await openCaptureStream(Readable.from(chunks.map((c) => Buffer.from(c))), '-');
    expect(reader.fileSize).toBeNull();
    const seen: number[] = [];
    await reader.read((p) => seen.push(p.capturedLength));
    expect(seen).toEqual([60, 0, 100]);
  });

  it('delivers identical records whatever the chunk size (carry-over across chunks)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ seconds: fc.nat(), fraction: fc.integer({ min: 0, max: 999999 }), data: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 12 }),
        fc.integer({ min: 64, max: 700 }),
        async (pkts, chunkBytes) => {
          const file = buildPcap({ packets: pkts });
          const whole = await readAll(file);
          const chunked = await readAll(file, { chunkBytes });
          expect(chunked.error).toBeNull();
          expect(chunked.packets).toEqual(whole.packets);
          expect(chunked.packets.map((p) => p.data)).toEqual(pkts.map((p) => Array.from(p.data)));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('read-ahead of sources with positions (regular files)', () => {
  /**
   * A source over `bytes` with positions, like a regular file: readAt calls finish after delays drawn from
   * `delays` (so later reads often finish first) and sometimes return fewer bytes than asked; readInto (used
   * at open) reads on from where it stopped. `failAt`: the read that covers that offset rejects.
   */
  function slowSource(bytes: Uint8Array, delays: number[], shortEvery: number, failAt = -1): ByteSource & { reads: number } {
    let consumed = 0;
    let call = 0;
    const source = {
      reads: 0,
      size: bytes.length,
      get position(): number {
        return consumed;
      },
      async readInto(buf: Uint8Array, offset: number, length: number): Promise<number> {
        const n = Math.min(length, bytes.length - consumed);
        buf.set(bytes.subarray(consumed, consumed + n), offset);
        consumed += n;
        return n;
      },
      async readAt(buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
        const k = call++;
        source.reads++;
        await new Promise((r) => setTimeout(r, delays[k % delays.length]!));
        if (failAt >= position && failAt < position + length) throw new Error(`EIO at ${failAt}`);
        let n = Math.max(0, Math.min(length, bytes.length - position));
        if (shortEvery > 0 && k % shortEvery === shortEvery - 1 && n > 1) n = Math.ceil(n / 2);
        buf.set(bytes.subarray(position, position + n), offset);
        return n;
      },
      async close(): Promise<void> {},
    };
    return source;
  }

  it('delivers every record in file order when reads finish out of order or short', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ seconds: fc.nat(), fraction: fc.integer({ min: 0, max: 999999 }), data: fc.uint8Array({ maxLength: 300 }) }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 64, max: 500 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 7 }),
        fc.integer({ min: 0, max: 4 }),
        async (pkts, chunkBytes, delays, shortEvery) => {
          const file = buildPcap({ packets: pkts });
          const source = slowSource(file, delays, shortEvery);
          const got = await readAll(source, { chunkBytes });
          expect(got.error).toBeNull();
          expect(got.packets).toEqual((await readAll(file)).packets);
          // past the first chunk (read at open) the reads went through readAt, several at a time
          if (file.length > 2 * chunkBytes) expect(source.reads).toBeGreaterThan(1);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a read that fails rejects read() after the records before it, none after it', async () => {
    const pkts = Array.from({ length: 60 }, (_, i) => ({ seconds: i, fraction: 0, data: range(90, i) }));
    const file = buildPcap({ packets: pkts });
    const failAt = 3000; // inside record 29 (24 + 29 * 106 = 3098 is where record 30 starts)
    const got = await readAll(slowSource(file, [3, 0, 1, 2], 0, failAt), { chunkBytes: 256 });
    expect((got.error as Error).message).toBe(`EIO at ${failAt}`);
    expect(got.packets.length).toBeLessThan(29);
    // the failed read is the chunk at 2816 (reads of 256 bytes): the 26 records before it, all of them,
    // whatever order the reads around it finished in
    expect(got.packets.length).toBe(26);
    expect(got.packets.map((p) => p.index)).toEqual(got.packets.map((_, i) => i + 1));
    expect(got.packets.map((p) => p.data)).toEqual(pkts.slice(0, got.packets.length).map((p) => Array.from(p.data)));
  });

  it('the reads at open ask for 64 KiB at most (parsing starts sooner; the first chunk ends within ~150 packets), later reads for whole chunks', async () => {
    const pkts = Array.from({ length: 400 }, (_, i) => ({ seconds: i, fraction: 0, data: range(400, i) }));
    const file = buildPcap({ packets: pkts });
    const asked: number[] = [];
    let at = 0;
    // like a pipe (no size): the large-input path, whose first buffer is 1.25 MiB
    const source: ByteSource = {
      size: null,
      async readInto(buf: Uint8Array, offset: number, length: number): Promise<number> {
        asked.push(length);
        const n = Math.min(length, file.length - at);
        buf.set(file.subarray(at, at + n), offset);
        at += n;
        return n;
      },
      async close(): Promise<void> {},
    };
    const got = await readAll(source, { chunkBytes: 1 << 20 });
    expect(got.error).toBeNull();
    expect(got.packets.map((p) => p.data)).toEqual(pkts.map((p) => Array.from(p.data)));
    expect(asked[0]).toBe(64 * 1024);
    expect(asked[1]).toBe(1 << 20);
  });

  it('a file that grows after it was opened: every record within the size at open, in order, then the appended ones in order until the reader stops', async () => {
    const first = Array.from({ length: 30 }, (_, i) => ({ seconds: i, fraction: 0, data: range(100, i) }));
    const more = Array.from({ length: 25 }, (_, i) => ({ seconds: 100 + i, fraction: 0, data: range(70, 50 + i) }));
    const all = [...first, ...more].map((p) => Array.from(p.data));
    const whole = buildPcap({ packets: [...first, ...more] });
    const headAndFirst = buildPcap({ packets: first });
    const dir = mkdtempSync(join(tmpdir(), 'toa-cap-'));
    const path = join(dir, 'growing.pcap');
    writeFileSync(path, headAndFirst);
    const reader = await openCapture(path, { chunkBytes: 300 });
    expect(reader.fileSize).toBe(headAndFirst.length);
    appendFileSync(path, whole.subarray(headAndFirst.length));
    const seen: number[][] = [];
    let error: unknown = null;
    try {
      await reader.read((p) => seen.push(Array.from(p.data)));
    } catch (e) {
      error = e;
    }
    // the reads past the size at open go on one at a time; the parser holds a record that is not whole in
    // what was read to the size at open (damage), so the run may end with a CaptureError, never out of order
    expect(seen.length).toBeGreaterThanOrEqual(first.length);
    expect(seen).toEqual(all.slice(0, seen.length));
    if (error !== null) expect(error).toBeInstanceOf(CaptureError);
  });
});


/* -------------------------------------------------------------------------------------------- */

function tsresol(v: number): { code: number; value: number[] } {
  return { code: 9, value: [v] };
}
function tsoffset(seconds: bigint, le: boolean): { code: number; value: number[] } {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, seconds, le);
  return { code: 14, value: Array.from(b) };
}
function split64(units: bigint): { tsHigh: number; tsLow: number } {
  return { tsHigh: Number(units >> 32n), tsLow: Number(units & 0xffffffffn) };
}

describe('pcapng reader', () => {
  it('two interfaces of different link types, EPB/SPB/PB, options kept, other blocks passed on', async () => {
    const blocks: BlockSpec[] = [
      { kind: 'shb', byteOrder: 'le', options: [{ code: 4, value: text('toa test') }] },
      { kind: 'idb', linkType: 1, snapLength: 0, options: [{ code: 2, value: text('eth0') }] },
      { kind: 'idb', linkType: 113, snapLength: 64, options: [{ code: 2, value: text('any') }, tsresol(9)] },
      { kind: 'epb', interfaceId: 0, ...split64(1700000000_123456n), data: range(61), originalLength: 100, options: [{ code: 1, value: text('hello') }] },
      { kind: 'other', type: 4, body: range(8) },
      { kind: 'epb', interfaceId: 1, ...split64(1700000000_987654321n), data: range(0) },
      { kind: 'spb', data: range(10), originalLength: 10 },
      { kind: 'pb', interfaceId: 1, drops: 3, ...split64(5_000000001n), data: range(7) },
      { kind: 'other', type: 0x40000bad, body: range(12) },
      { kind: 'other', type: 5, body: range(4) },
    ];
    const { bytes, offsets } = buildPcapng(blocks);
    const interfaces: Array<[number, string | null, number]> = [];
    const { reader, packets, others, error } = await readAll(bytes, {}, { onInterface: (i) => interfaces.push([i.linkType, i.name, i.unitsPerSecond]) });
    expect(error).toBeNull();
    expect(reader.info.format).toBe('pcapng');
    expect(reader.info.sections).toHaveLength(1);
    expect(reader.info.sections[0]!.byteOrder).toBe('le');
    expect(interfaces).toEqual([
      [1, 'eth0', 1e6],
      [113, 'any', 1e9],
    ]);
    expect(packets.map((p) => [p.index, p.interfaceId, p.linkType, p.blockType, p.capturedLength, p.originalLength, p.fileOffset])).toEqual([
      [1, 0, 1, 6, 61, 100, offsets[3]],
      [2, 1, 113, 6, 0, 0, offsets[5]],
      [3, 0, 1, 3, 10, 10, offsets[6]],
      [4, 1, 113, 2, 7, 7, offsets[7]],
    ]);
    expect(packets[0]!.data).toEqual(Array.from(range(61)));
    expect(packets[0]!.options).toEqual([1, 0, 5, 0, ...text('hello'), 0, 0, 0, 0, 0, 0, 0]);
    expect(packets[1]!.options).toBeNull();
    expect([packets[0]!.seconds, packets[0]!.nanos]).toEqual([1700000000, 123456000]);
    expect([packets[1]!.seconds, packets[1]!.nanos]).toEqual([1700000000, 987654321]);
    expect([packets[3]!.seconds, packets[3]!.nanos]).toEqual([5, 1]);
    expect(others.map((o) => [o.type, o.section, o.fileOffset])).toEqual([
      [4, 0, offsets[4]],
      [0x40000bad, 0, offsets[8]],
      [5, 0, offsets[9]],
    ]);
  });

  it('several sections of different byte order, each with its own interfaces; section length -1 or real', async () => {
    const blocks: BlockSpec[] = [
      { kind: 'shb', byteOrder: 'be', sectionLength: -1n },
      { kind: 'idb', linkType: 101 },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 2_000_001, data: range(20) },
      { kind: 'shb', byteOrder: 'le', sectionLength: 64n },
      { kind: 'idb', linkType: 228 },
      { kind: 'idb', linkType: 229 },
      { kind: 'epb', interfaceId: 1, tsHigh: 0, tsLow: 3_000_000, data: range(40) },
      { kind: 'shb', byteOrder: 'be' },
      { kind: 'idb', linkType: 276 },
      { kind: 'spb', data: range(5) },
    ];
    const { reader, packets, error } = await readAll(buildPcapng(blocks).bytes);
    expect(error).toBeNull();
    expect(reader.info.sections.map((s) => s.byteOrder)).toEqual(['be', 'le', 'be']);
    expect(reader.info.interfaces.map((i) => [i.id, i.globalId, i.section, i.linkType])).toEqual([
      [0, 0, 0, 101],
      [0, 1, 1, 228],
      [1, 2, 1, 229],
      [0, 3, 2, 276],
    ]);
    expect(packets.map((p) => [p.interfaceId, p.linkType, p.seconds, p.nanos, p.capturedLength])).toEqual([
      [0, 101, 2, 1000, 20],
      [2, 229, 3, 0, 40],
      [3, 276, 0, 0, 5],
    ]);
  });

  it.each([
    ['10^-9', tsresol(9), 1_700_000_000_123_456_789n, [1700000000, 123456789]],
    ['10^-3', tsresol(3), 1_700_000_000_123n, [1700000000, 123000000]],
    ['10^-12 (truncated to ns)', tsresol(12), 1_000_000_123_456_789_999n, [1000000, 123456789]],
    ['2^-20', tsresol(0x80 | 20), (1_700_000_000n << 20n) + 524288n + 1n, [1700000000, 500000953]],
    ['2^-30 (BigInt path)', tsresol(0x80 | 30), (1_700_000_000n << 30n) + (1n << 29n), [1700000000, 500000000]],
    ['2^0', tsresol(0x80), 1_700_000_000n, [1700000000, 0]],
  ] as const)('if_tsresol %s converts exactly', async (_name, option, units, expected) => {
    const blocks: BlockSpec[] = [
      { kind: 'shb', byteOrder: 'le' },
      { kind: 'idb', linkType: 1, options: [option] },
      { kind: 'epb', interfaceId: 0, ...split64(units), data: range(1) },
    ];
    const { packets, error } = await readAll(buildPcapng(blocks).bytes);
    expect(error).toBeNull();
    expect([packets[0]!.seconds, packets[0]!.nanos]).toEqual(expected);
    expect(split64(units)).toEqual({ tsHigh: packets[0]!.rawTsHigh, tsLow: packets[0]!.rawTsLow });
  });

  it('2^-20 nanoseconds equal floor(frac * 1e9 / 2^20) for many fractions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: (1 << 20) - 1 }), fc.integer({ min: 0, max: 4_000_000_000 }), async (frac, seconds) => {
        const units = (BigInt(seconds) << 20n) + BigInt(frac);
        const blocks: BlockSpec[] = [
          { kind: 'shb', byteOrder: 'be' },
          { kind: 'idb', linkType: 1, options: [tsresol(0x80 | 20)] },
          { kind: 'epb', interfaceId: 0, ...split64(units), data: range(1) },
        ];
        const { packets } = await readAll(buildPcapng(blocks).bytes);
        expect(packets[0]!.seconds).toBe(seconds);
        expect(packets[0]!.nanos).toBe(Number((BigInt(frac) * 1_000_000_000n) >> 20n));
      }),
      { numRuns: 100 },
    );
  });

  it('if_tsoffset is added in seconds (positive and negative), both byte orders', async () => {
    for (const [order, offset] of [['le', 1000n], ['be', -7n]] as const) {
      const blocks: BlockSpec[] = [
        { kind: 'shb', byteOrder: order },
        { kind: 'idb', linkType: 1, options: [tsoffset(offset, order === 'le')] },
        { kind: 'epb', interfaceId: 0, ...split64(1_000_000_000_000_250n), data: range(1) },
      ];
      const { packets, reader } = await readAll(buildPcapng(blocks).bytes);
      expect(reader.info.interfaces[0]!.tsOffsetSeconds).toBe(Number(offset));
      expect([packets[0]!.seconds, packets[0]!.nanos]).toEqual([1_000_000_000 + Number(offset), 250_000]);
    }
  });

  it('SPB captured length = min(original, snaplen, room)', async () => {
    const blocks: BlockSpec[] = [
      { kind: 'shb', byteOrder: 'le' },
      { kind: 'idb', linkType: 1, snapLength: 8 },
      { kind: 'spb', data: range(12), originalLength: 1500 }, // snaplen wins: 8
      { kind: 'spb', data: range(5), originalLength: 3 }, // original wins: 3
      { kind: 'spb', data: range(6), originalLength: 1500 }, // room (padded to 8) and snaplen: 8
    ];
    const { packets, error } = await readAll(buildPcapng(blocks).bytes);
    expect(error).toBeNull();
    expect(packets.map((p) => p.capturedLength)).toEqual([8, 3, 8]);
  });

  const damaged: Array<[string, (bytes: Uint8Array, offsets: number[]) => void, RegExp]> = [
    ['block length below 12', (b, o) => new DataView(b.buffer).setUint32(o[2]! + 4, 8, true), /bad total length 8/],
    ['block length not a multiple of 4', (b, o) => new DataView(b.buffer).setUint32(o[2]! + 4, 34, true), /bad total length 34/],
    ['trailing length mismatch', (b, o) => new DataView(b.buffer).setUint32(o[3]! - 4, 48, true), /trailing length 48 does not match its leading length/],
    ['block longer than the file', (b, o) => new DataView(b.buffer).setUint32(o[2]! + 4, 4000, true), /truncated enhanced packet block: header says 4000 bytes/],
    ['EPB for an undefined interface', (b, o) => new DataView(b.buffer).setUint32(o[2]! + 8, 5, true), /refers to interface 5, but section 0 defines only 1 \(0\.\.0\)/],
    ['EPB captured length beyond the block', (b, o) => new DataView(b.buffer).setUint32(o[2]! + 20, 400, true), /captured length 400 exceeds the block's room/],
  ];
  it.each(damaged)('%s is a CaptureError at that block after the good packets', async (_name, damage, message) => {
    const blocks: BlockSpec[] = [
      { kind: 'shb', byteOrder: 'le' },
      { kind: 'idb', linkType: 1 },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 1, data: range(10) },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 2, data: range(10) },
    ];
    const { bytes, offsets } = buildPcapng(blocks);
    const copy = Uint8Array.from(bytes);
    // the damage targets the third block (first EPB) unless it names the fourth
    damage(copy, [...offsets, bytes.length]);
    const { packets, error } = await readAll(copy);
    expect(error).toBeInstanceOf(CaptureError);
    expect((error as CaptureError).reason).toMatch(message);
    const e = error as CaptureError;
    expect(e.offset === offsets[2] || e.offset === offsets[3]).toBe(true);
    expect(packets).toHaveLength(e.offset === offsets[2] ? 0 : 1);
    expect(e.packet).toBe(packets.length + 1);
  });

  it('a block above maxRecordBytes is refused without allocating it', async () => {
    const blocks: BlockSpec[] = [
      { kind: 'shb', byteOrder: 'le' },
      { kind: 'idb', linkType: 1 },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 1, data: range(500) },
    ];
    const { error } = await readAll(buildPcapng(blocks).bytes, { maxRecordBytes: 256 });
    expect((error as CaptureError).reason).toMatch(/enhanced packet block length 532 exceeds the maximum of 256 bytes/);
  });

  it('a bad byte-order magic or version is refused', async () => {
    const { bytes } = buildPcapng([{ kind: 'shb', byteOrder: 'le' }]);
    const badMagic = Uint8Array.from(bytes);
    badMagic[8] = 0x99;
    await expect(openCaptureBytes(badMagic, 'x')).rejects.toThrow(/byte-order magic/);
    const badVersion = buildPcapng([{ kind: 'shb', byteOrder: 'be', versionMajor: 2 }]).bytes;
    await expect(openCaptureBytes(badVersion, 'x')).rejects.toThrow(/unsupported pcapng version 2\.0/);
  });
});

/* -------------------------------------------------------------------------------------------- */

const pcapPacketArb = fc.record({
  seconds: fc.nat(),
  fraction: fc.integer({ min: 0, max: 999999 }),
  data: fc.uint8Array({ maxLength: 80 }),
});

const pcapngFileArb = fc
  .record({
    order: fc.constantFrom<'le' | 'be'>('le', 'be'),
    packets: fc.array(
      fc.record({
        kind: fc.constantFrom('epb', 'spb', 'pb', 'other'),
        data: fc.uint8Array({ maxLength: 40 }),
        ts: fc.nat(),
      }),
      { maxLength: 8 },
    ),
  })
  .map(({ order, packets }) => {
    const blocks: BlockSpec[] = [
      { kind: 'shb', byteOrder: order },
      { kind: 'idb', linkType: 1 },
    ];
    for (const p of packets) {
      if (p.kind === 'epb') blocks.push({ kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: p.ts, data: p.data });
      else if (p.kind === 'spb') blocks.push({ kind: 'spb', data: p.data });
      else if (p.kind === 'pb') blocks.push({ kind: 'pb', interfaceId: 0, drops: 0, tsHigh: 0, tsLow: p.ts, data: p.data });
      else blocks.push({ kind: 'other', type: 4, body: p.data });
    }
    return blocks;
  });

describe('damage properties', () => {
  it('pcap: every strict prefix delivers the whole packets before the cut, then a CaptureError naming the next packet and its offset', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(pcapPacketArb, { minLength: 1, maxLength: 6 }), fc.constantFrom<'le' | 'be'>('le', 'be'), fc.nat(), async (pkts, byteOrder, cutSeed) => {
        const spec: PcapSpec = { byteOrder, packets: pkts };
        const file = buildPcap(spec);
        const cut = 24 + (cutSeed % (file.length - 24)); // strict prefix that keeps the file header
        const offsets = pcapRecordOffsets(spec);
        const whole = offsets.filter((o, i) => o + 16 + pkts[i]!.data.length <= cut).length;
        const { packets, error, reader } = await readAll(file.subarray(0, cut), { chunkBytes: 64 + (cutSeed % 200) });
        expect(packets).toHaveLength(whole);
        if (cut === offsets[whole] || (whole === pkts.length && cut === file.length)) {
          expect(error).toBeNull(); // the cut fell exactly between records
          return;
        }
        expect(error).toBeInstanceOf(CaptureError);
        expect((error as CaptureError).packet).toBe(whole + 1);
        expect((error as CaptureError).offset).toBe(offsets[whole]);
        expect(reader.summary.truncatedAt).toBe(offsets[whole]);
      }),
      { numRuns: 300 },
    );
  });

  it('pcapng: every strict prefix delivers the whole packet blocks before the cut, then a CaptureError at the cut block', async () => {
    await fc.assert(
      fc.asyncProperty(pcapngFileArb, fc.nat(), async (blocks, cutSeed) => {
        const { bytes, offsets } = buildPcapng(blocks);
        const firstBlockEnd = offsets[1]!;
        const cut = firstBlockEnd + (cutSeed % (bytes.length - firstBlockEnd));
        const ends = [...offsets.slice(1), bytes.length];
        const wholeBlocks = blocks.filter((_, i) => ends[i]! <= cut);
        const wholePackets = wholeBlocks.filter((b) => b.kind === 'epb' || b.kind === 'spb' || b.kind === 'pb').length;
        const { packets, error } = await readAll(bytes.subarray(0, cut), { chunkBytes: 64 + (cutSeed % 100) });
        expect(packets).toHaveLength(wholePackets);
        if (offsets.includes(cut)) {
          expect(error).toBeNull();
          return;
        }
        expect(error).toBeInstanceOf(CaptureError);
        expect((error as CaptureError).packet).toBe(wholePackets + 1);
        expect((error as CaptureError).offset).toBe(offsets[wholeBlocks.length]);
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes after a valid header only ever give CaptureError (never TypeError/RangeError, never a hang)', async () => {
    const pcapHeader = buildPcap({ packets: [] });
    const pcapngHeader = buildPcapng([{ kind: 'shb', byteOrder: 'le' }, { kind: 'idb', linkType: 1 }]).bytes;
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 64, max: 300 }), async (ng, tail, chunkBytes) => {
        const header = ng ? pcapngHeader : pcapHeader;
        const file = new Uint8Array(header.length + tail.length);
        file.set(header);
        file.set(tail, header.length);
        const { error } = await readAll(file, { chunkBytes, maxRecordBytes: 1 << 20 });
        if (error !== null) expect(error).toBeInstanceOf(CaptureError);
      }),
      { numRuns: 400 },
    );
  });

  it('random bytes as a whole file only give CaptureError from open or read', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.constantFrom([0xd4, 0xc3, 0xb2, 0xa1], [0x0a, 0x0d, 0x0d, 0x0a], []), async (tail, magic) => {
        const file = Uint8Array.from([...magic, ...tail]);
        try {
          const r = await openCaptureBytes(file, 'rnd', { maxRecordBytes: 1 << 20 });
          await r.read(() => undefined);
        } catch (e) {
          expect(e).toBeInstanceOf(CaptureError);
        }
      }),
      { numRuns: 400 },
    );
  });
});
