import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture, openCaptureBytes } from '../../src/codec/capture.js';
import { createCaptureWriter } from '../../src/codec/capture-writer.js';
import { CliError } from '../../src/codec/errors.js';
import type { PacketRecord } from '../../src/codec/capture-types.js';
import { buildPcap, buildPcapng, text, type BlockSpec, type PcapSpec } from '../helpers/capture-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'toa-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const range = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);

/** Read `input`, write every packet unchanged through a mirror writer, return the output bytes. */
async function mirror(input: Uint8Array, name: string, edit?: (p: PacketRecord) => Uint8Array): Promise<Uint8Array> {
  const inPath = join(dir, `${name}.in`);
  const outPath = join(dir, `${name}.out`);
  writeFileSync(inPath, input);
  const reader = await openCapture(inPath, { chunkBytes: 256 });
  const writer = createCaptureWriter(outPath, { like: reader.info });
  try {
    await reader.read((p) => writer.writePacket(p, edit ? edit(p) : p.data), writer.mirrorHooks());
    writer.close();
  } catch (e) {
    writer.abort();
    throw e;
  }
  return new Uint8Array(readFileSync(outPath));
}

const samplePcaps: Array<[string, PcapSpec]> = [
  ['µs LE', { packets: [{ seconds: 1, fraction: 2, data: range(60) }, { seconds: 3, fraction: 999999, data: range(0) }] }],
  ['µs BE, snaplen 96, link 113', { byteOrder: 'be', snapLength: 96, linkType: 113, packets: [{ seconds: 10, fraction: 5, data: range(96), originalLength: 1500 }] }],
  ['ns LE', { nanosecond: true, packets: [{ seconds: 1700000000, fraction: 123456789, data: range(33) }] }],
  ['ns BE', { nanosecond: true, byteOrder: 'be', packets: [{ seconds: 1, fraction: 999999999, data: range(7) }, { seconds: 2, fraction: 0, data: range(1) }] }],
  ['out-of-range fraction kept as stored', { packets: [{ seconds: 5, fraction: 2_500_000, data: range(4) }] }],
  ['empty', { packets: [] }],
];

const samplePcapngs: Array<[string, BlockSpec[]]> = [
  [
    'two interfaces, all packet block types, other blocks, options',
    [
      { kind: 'shb', byteOrder: 'le', options: [{ code: 4, value: text('builder') }] },
      { kind: 'idb', linkType: 1, options: [{ code: 2, value: text('eth0') }] },
      { kind: 'idb', linkType: 113, snapLength: 128, options: [{ code: 9, value: [9] }, { code: 14, value: [1, 0, 0, 0, 0, 0, 0, 0] }] },
      { kind: 'epb', interfaceId: 0, tsHigh: 395812, tsLow: 1234567, data: range(61), originalLength: 200, options: [{ code: 1, value: text('c') }] },
      { kind: 'other', type: 4, body: range(16) },
      { kind: 'epb', interfaceId: 1, tsHigh: 395812, tsLow: 99, data: range(0) },
      { kind: 'spb', data: range(13), originalLength: 13 },
      { kind: 'pb', interfaceId: 1, drops: 77, tsHigh: 1, tsLow: 2, data: range(5) },
      { kind: 'other', type: 0xbad, body: range(9) },
      { kind: 'other', type: 10, body: range(4) },
    ],
  ],
  [
    'three sections, alternating byte order, 2^-20 resolution',
    [
      { kind: 'shb', byteOrder: 'be' },
      { kind: 'idb', linkType: 101, options: [{ code: 9, value: [0x80 | 20] }] },
      { kind: 'epb', interfaceId: 0, tsHigh: 7, tsLow: 0xffffffff, data: range(20) },
      { kind: 'shb', byteOrder: 'le', sectionLength: 100n },
      { kind: 'idb', linkType: 228 },
      { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 5, data: range(3) },
      { kind: 'shb', byteOrder: 'be' },
      { kind: 'idb', linkType: 229, snapLength: 16 },
      { kind: 'spb', data: range(16), originalLength: 1000 },
    ],
  ],
  ['only headers', [{ kind: 'shb', byteOrder: 'le' }, { kind: 'idb', linkType: 1 }]],
];

describe('mirror writer: unchanged packets give a byte-identical file', () => {
  it.each(samplePcaps)('pcap %s', async (name, spec) => {
    const input = buildPcap(spec);
    expect(Buffer.compare(await mirror(input, `pcap-${name}`), input)).toBe(0);
  });

  it.each(samplePcapngs)('pcapng %s', async (name, blocks) => {
    const input = buildPcapng(blocks).bytes;
    expect(Buffer.compare(await mirror(input, `pcapng-${name}`), input)).toBe(0);
  });

  it('random pcap and pcapng files round-trip byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ seconds: fc.nat(), fraction: fc.integer({ min: 0, max: 999999999 }), data: fc.uint8Array({ maxLength: 120 }) }), { maxLength: 10 }),
        fc.constantFrom<'le' | 'be'>('le', 'be'),
        fc.boolean(),
        async (pkts, byteOrder, nanosecond) => {
          const pcap = buildPcap({ byteOrder, nanosecond, packets: pkts });
          expect(Buffer.compare(await mirror(pcap, 'prop-pcap'), pcap)).toBe(0);
          const blocks: BlockSpec[] = [{ kind: 'shb', byteOrder }, { kind: 'idb', linkType: 1, options: nanosecond ? [{ code: 9, value: [9] }] : [] }];
          pkts.forEach((p, i) =>
            blocks.push(
              i % 3 === 2
                ? { kind: 'spb', data: p.data }
                : { kind: 'epb', interfaceId: 0, tsHigh: p.seconds >>> 12, tsLow: p.fraction, data: p.data, options: i % 2 ? [{ code: 1, value: p.data.subarray(0, 5) }] : [] },
            ),
          );
          const ng = buildPcapng(blocks).bytes;
          expect(Buffer.compare(await mirror(ng, 'prop-pcapng'), ng)).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('mirror writer: changed packets', () => {
  it('original length follows the change in captured length unless given', async () => {
    const input = buildPcap({ packets: [{ seconds: 1, fraction: 0, data: range(60), originalLength: 1500 }] });
    const out = await mirror(input, 'grow', (p) => {
      const bigger = new Uint8Array(p.data.length + 8);
      bigger.set(p.data);
      return bigger;
    });
    const r = await openCaptureBytes(out, 'grown');
    const seen: number[][] = [];
    await r.read((p) => seen.push([p.capturedLength, p.originalLength]));
    expect(seen).toEqual([[68, 1508]]);

    const path = join(dir, 'explicit.pcap');
    const w = createCaptureWriter(path, { format: 'pcap', linkType: 1 });
    w.writePacket({ interfaceId: 0, timestampSeconds: 0, timestampNanos: 0, originalLength: 1500, capturedLength: 60 }, range(52), 999);
    w.close();
    const r2 = await openCapture(path);
    await r2.read((p) => seen.push([p.capturedLength, p.originalLength]));
    expect(seen[1]).toEqual([52, 999]);
  });

  it('an SPB whose new length could not be recovered from min(original, snaplen, room) becomes an EPB', async () => {
    const blocks: BlockSpec[] = [{ kind: 'shb', byteOrder: 'le' }, { kind: 'idb', linkType: 1 }, { kind: 'spb', data: range(16), originalLength: 100 }];
    const out = await mirror(buildPcapng(blocks).bytes, 'spb-shrink', (p) => p.data.subarray(0, 13));
    const r = await openCaptureBytes(out, 'x');
    const seen: number[][] = [];
    await r.read((p) => seen.push([p.blockType, p.capturedLength, p.originalLength]));
    expect(seen).toEqual([[6, 13, 97]]);
  });

  it('a changed timestamp is encoded in the interface resolution instead of the raw units', async () => {
    const blocks: BlockSpec[] = [{ kind: 'shb', byteOrder: 'be' }, { kind: 'idb', linkType: 1, options: [{ code: 9, value: [9] }] }, { kind: 'epb', interfaceId: 0, tsHigh: 0, tsLow: 5, data: range(3) }];
    const inPath = join(dir, 'shift.in');
    writeFileSync(inPath, buildPcapng(blocks).bytes);
    const reader = await openCapture(inPath);
    const w = createCaptureWriter(join(dir, 'shift.out'), { like: reader.info });
    await reader.read((p) => w.writePacket({ ...p, timestampSeconds: p.timestampSeconds + 10 }, p.data), w.mirrorHooks());
    w.close();
    const seen: number[][] = [];
    await (await openCapture(join(dir, 'shift.out'))).read((p) => seen.push([p.timestampSeconds, p.timestampNanos]));
    expect(seen).toEqual([[10, 5]]);
  });
});

describe('new files', () => {
  type NewPcap = { format: 'pcap'; linkType: number; nanosecond?: boolean; byteOrder?: 'le' | 'be'; snapLength?: number };
  it.each<[string, NewPcap]>([
    ['pcap µs LE', { format: 'pcap', linkType: 1 }],
    ['pcap ns BE', { format: 'pcap', linkType: 101, nanosecond: true, byteOrder: 'be', snapLength: 1000 }],
  ])('%s: written values read back', async (name, options) => {
    const path = join(dir, `new-${name}.pcap`);
    const w = createCaptureWriter(path, options);
    w.writePacket({ interfaceId: 0, timestampSeconds: 1700000000, timestampNanos: 123456789, originalLength: 80 }, range(40));
    w.writePacket({ interfaceId: 0, timestampSeconds: 4000000000, timestampNanos: 1000, originalLength: 0 }, range(0));
    w.close();
    const r = await openCapture(path);
    expect(r.info.pcap).toMatchObject({ linkType: options.linkType, nanosecond: options.nanosecond ?? false, byteOrder: options.byteOrder ?? 'le' });
    const seen: unknown[] = [];
    await r.read((p) => seen.push([p.timestampSeconds, p.timestampNanos, p.capturedLength, p.originalLength, Array.from(p.data)]));
    const ns = options.nanosecond === true;
    expect(seen).toEqual([
      [1700000000, ns ? 123456789 : 123456000, 40, 80, Array.from(range(40))],
      [4000000000, 1000, 0, 0, []],
    ]);
  });

  it('pcapng with two named interfaces (µs and ns) reads back names, link types, timestamps', async () => {
    const path = join(dir, 'new.pcapng');
    const w = createCaptureWriter(path, { format: 'pcapng', interfaces: [{ linkType: 1, name: 'eth0' }, { linkType: 276, name: 'any', nanosecond: true }] });
    w.writePacket({ interfaceId: 1, timestampSeconds: 1700000000, timestampNanos: 987654321, originalLength: 10 }, range(10));
    w.writePacket({ interfaceId: 0, timestampSeconds: 1700000001, timestampNanos: 5999, originalLength: 3 }, range(3));
    w.close();
    const r = await openCapture(path);
    const seen: unknown[] = [];
    await r.read((p) => seen.push([p.interfaceId, p.linkType, p.timestampSeconds, p.timestampNanos, p.capturedLength]));
    expect(r.info.interfaces.map((i) => [i.name, i.linkType, i.unitsPerSecond])).toEqual([
      ['eth0', 1, 1e6],
      ['any', 276, 1e9],
    ]);
    expect(seen).toEqual([
      [1, 276, 1700000000, 987654321, 10],
      [0, 1, 1700000001, 5000, 3],
    ]);
  });
});

describe('atomic output', () => {
  const leftovers = (d: string): string[] => readdirSync(d).filter((n) => n.endsWith('.tmp'));

  it('writes through a temporary file and leaves none after close', () => {
    const d = mkdtempSync(join(dir, 'atomic-'));
    const path = join(d, 'out.pcap');
    const w = createCaptureWriter(path, { format: 'pcap', linkType: 1 });
    w.writePacket({ interfaceId: 0, timestampSeconds: 1, timestampNanos: 0, originalLength: 4 }, range(4));
    expect(existsSync(path)).toBe(false);
    expect(leftovers(d)).toHaveLength(1);
    expect(leftovers(d)[0]).toMatch(/^\.out\.pcap\.toa-\d+-[0-9a-f]+\.tmp$/);
    w.close();
    expect(existsSync(path)).toBe(true);
    expect(leftovers(d)).toEqual([]);
    expect(readFileSync(path).length).toBe(24 + 16 + 4);
  });

  it('abort leaves nothing and does not touch an existing file', () => {
    const d = mkdtempSync(join(dir, 'abort-'));
    const path = join(d, 'out.pcap');
    writeFileSync(path, 'previous');
    const w = createCaptureWriter(path, { format: 'pcap', linkType: 1 });
    w.writePacket({ interfaceId: 0, timestampSeconds: 1, timestampNanos: 0, originalLength: 4 }, range(4));
    w.abort();
    expect(readdirSync(d)).toEqual(['out.pcap']);
    expect(readFileSync(path, 'utf8')).toBe('previous');
  });

  it('a missing output directory is a one-line CliError naming it', () => {
    let caught: unknown = null;
    try {
      createCaptureWriter(join(dir, 'no-such-dir', 'x.pcap'), { format: 'pcap', linkType: 1 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CliError);
    expect((caught as CliError).message).toMatch(/cannot write .*x\.pcap: directory .*no-such-dir does not exist/);
  });

  it('a damaged input aborts cleanly when the caller aborts on the CaptureError', async () => {
    const d = mkdtempSync(join(dir, 'damaged-'));
    const input = buildPcap({ packets: [{ seconds: 1, fraction: 0, data: range(100) }] }).subarray(0, 24 + 16 + 50);
    writeFileSync(join(d, 'in.pcap'), input);
    const reader = await openCapture(join(d, 'in.pcap'));
    const w = createCaptureWriter(join(d, 'out.pcap'), { like: reader.info });
    await expect(reader.read((p) => w.writePacket(p, p.data))).rejects.toThrow(/truncated record/);
    w.abort();
    expect(readdirSync(d)).toEqual(['in.pcap']);
  });
});
