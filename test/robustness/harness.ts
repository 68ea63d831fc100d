/**
 * Shared helpers of the robustness suite: run `toa` in-process through `main(argv, io)` with captured
 * streams, check that an outcome is "clean" (exit 0 or 1, no internal error, no stack trace, one
 * `toa: ` error line on failure), lay out the records/blocks of a capture independently of the
 * production reader (so a mutation can target a record boundary or a length field), and count the
 * packets a capture delivers with the production reader.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { expect } from 'vitest';
import { main } from '../../src/cli.js';
import { openCapture } from '../../src/codec/capture.js';
import { CaptureError } from '../../src/codec/errors.js';

/** Keep at most this many bytes of each captured stream (memory stays bounded on long outputs). */
const CAPTURE_LIMIT = 4 * 1024 * 1024;

class Collector extends Writable {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.total += b.length;
    if (this.kept < CAPTURE_LIMIT) {
      this.chunks.push(b);
      this.kept += b.length;
    }
    callback();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export interface CliOutcome {
  argv: string[];
  code: number;
  stdout: string;
  stderr: string;
  /** Bytes written to stdout (also past the capture limit). */
  stdoutBytes: number;
  milliseconds: number;
}

/** Run `toa ...argv` in-process with captured stdout/stderr. */
export async function runCli(argv: string[]): Promise<CliOutcome> {
  const out = new Collector();
  const err = new Collector();
  process.exitCode = undefined;
  const started = performance.now();
  let code: number;
  try {
    code = await main(argv, { stdout: out, stderr: err });
  } finally {
    process.exitCode = undefined;
  }
  const milliseconds = performance.now() - started;
  return { argv, code, stdout: out.text(), stderr: err.text(), stdoutBytes: out.total, milliseconds };
}

/** The longest a single in-process command may take on one of the small test inputs (busy machine included). */
export const RUN_TIME_LIMIT_MS = 15_000;

/** A one-line description of an outcome for assertion messages. */
export function describeOutcome(o: CliOutcome): string {
  return `toa ${o.argv.join(' ')} -> exit ${o.code} in ${o.milliseconds.toFixed(0)} ms; stderr: ${o.stderr.slice(0, 600)}`;
}

/**
 * Exit 0 or 1 (or one of `extraCodes`), no "internal error", no stack trace, within the time bound;
 * on exit 1 at least one `toa: ` line on stderr.
 */
export function expectClean(o: CliOutcome, extraCodes: number[] = []): void {
  const what = describeOutcome(o);
  expect([0, 1, ...extraCodes], what).toContain(o.code);
  expect(o.stderr, what).not.toMatch(/internal error/);
  expect(o.stderr, what).not.toMatch(/^\s+at .+[(:]\d+/m);
  expect(o.stderr, what).not.toMatch(/\b(TypeError|RangeError|ReferenceError)\b/);
  expect(o.milliseconds, what).toBeLessThan(RUN_TIME_LIMIT_MS);
  if (o.code === 1) expect(o.stderr, what).toMatch(/^toa: \S/m);
}

/* ------------------------------------------------------------------------------------------------
 * Independent layout of a capture file (for placing mutations)
 * ---------------------------------------------------------------------------------------------- */

export interface LengthField {
  /** Byte offset of the 32-bit field in the file. */
  offset: number;
  littleEndian: boolean;
  /** Bytes from the start of the record/block's data to the end of the file ("remaining size"). */
  remaining: number;
  what: string;
}

export interface Layout {
  format: 'pcap' | 'pcapng' | 'other';
  /** Offsets where a record header or block starts (the file header at 0 included), plus the end. */
  boundaries: number[];
  /** Header sizes at each boundary, for cuts "inside a header". */
  headerLengths: number[];
  lengthFields: LengthField[];
}

/** Walk pcap records / pcapng blocks as far as they are consistent; never throws. */
export function layoutOf(bytes: Uint8Array): Layout {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.length;
  const boundaries: number[] = [0];
  const headerLengths: number[] = [];
  const lengthFields: LengthField[] = [];
  if (size < 4) return { format: 'other', boundaries: [0, size], headerLengths: [size], lengthFields };
  const magic = view.getUint32(0, false);
  const pcapMagics: Record<number, boolean> = { 0xa1b2c3d4: false, 0xa1b23c4d: false, 0xd4c3b2a1: true, 0x4d3cb2a1: true };
  if (magic in pcapMagics && size >= 24) {
    const le = pcapMagics[magic]!;
    headerLengths.push(24);
    lengthFields.push({ offset: 16, littleEndian: le, remaining: size - 24, what: 'snaplen' });
    lengthFields.push({ offset: 20, littleEndian: le, remaining: size - 24, what: 'link type' });
    let pos = 24;
    while (pos + 16 <= size) {
      const captured = view.getUint32(pos + 8, le);
      boundaries.push(pos);
      headerLengths.push(16);
      lengthFields.push({ offset: pos + 8, littleEndian: le, remaining: size - pos - 16, what: 'record captured length' });
      lengthFields.push({ offset: pos + 12, littleEndian: le, remaining: size - pos - 16, what: 'record original length' });
      if (pos + 16 + captured > size) break;
      pos += 16 + captured;
    }
    if (boundaries[boundaries.length - 1] !== size) boundaries.push(size);
    return { format: 'pcap', boundaries, headerLengths, lengthFields };
  }
  if (magic === 0x0a0d0d0a && size >= 12) {
    let le = true;
    let pos = 0;
    boundaries.length = 0;
    while (pos + 12 <= size) {
      let type = view.getUint32(pos, le);
      if (view.getUint32(pos, false) === 0x0a0d0d0a && pos + 12 <= size) {
        const bom = view.getUint32(pos + 8, false);
        if (bom === 0x1a2b3c4d) le = false;
        else if (bom === 0x4d3c2b1a) le = true;
        type = 0x0a0d0d0a;
      }
      const length = view.getUint32(pos + 4, le);
      boundaries.push(pos);
      const headerLength = type === 6 ? 28 : type === 1 ? 16 : type === 0x0a0d0d0a ? 24 : 8;
      headerLengths.push(headerLength);
      lengthFields.push({ offset: pos + 4, littleEndian: le, remaining: size - pos, what: 'block total length' });
      if (length < 12 || length % 4 !== 0 || pos + length > size) break;
      lengthFields.push({ offset: pos + length - 4, littleEndian: le, remaining: size - pos, what: 'block trailing length' });
      if (type === 6 && length >= 32) {
        lengthFields.push({ offset: pos + 8, littleEndian: le, remaining: size - pos, what: 'EPB interface id' });
        lengthFields.push({ offset: pos + 20, littleEndian: le, remaining: size - pos - 28, what: 'EPB captured length' });
        lengthFields.push({ offset: pos + 24, littleEndian: le, remaining: size - pos - 28, what: 'EPB original length' });
      } else if (type === 1 && length >= 20) {
        lengthFields.push({ offset: pos + 8, littleEndian: le, remaining: size - pos, what: 'IDB link type and reserved' });
        lengthFields.push({ offset: pos + 12, littleEndian: le, remaining: size - pos, what: 'IDB snaplen' });
        if (length >= 24) lengthFields.push({ offset: pos + 16, littleEndian: le, remaining: size - pos - 16, what: 'IDB first option code and length' });
      } else if (type === 3 && length >= 16) {
        lengthFields.push({ offset: pos + 8, littleEndian: le, remaining: size - pos - 12, what: 'SPB original length' });
      } else if (type === 0x0a0d0d0a && length >= 28) {
        lengthFields.push({ offset: pos + 8, littleEndian: le, remaining: size - pos, what: 'SHB byte-order magic' });
        lengthFields.push({ offset: pos + 12, littleEndian: le, remaining: size - pos, what: 'SHB version' });
      }
      pos += length;
    }
    if (boundaries[boundaries.length - 1] !== size) boundaries.push(size);
    return { format: 'pcapng', boundaries, headerLengths, lengthFields };
  }
  return { format: 'other', boundaries: [0, size], headerLengths: [Math.min(size, 24)], lengthFields };
}

/* ------------------------------------------------------------------------------------------------
 * Mutations
 * ---------------------------------------------------------------------------------------------- */

export type Mutation =
  | { kind: 'flip'; bits: Array<[number, number]> }
  | { kind: 'truncate'; at: number }
  | { kind: 'length'; field: number; value: number }
  | { kind: 'overwrite'; at: number; bytes: number[] };

/** Apply a mutation to a copy of `bytes` (positions are taken modulo the size, so any number fits). */
export function mutate(bytes: Uint8Array, layout: Layout, m: Mutation): Uint8Array {
  const size = bytes.length;
  switch (m.kind) {
    case 'flip': {
      const out = bytes.slice();
      for (const [pos, bit] of m.bits) if (size > 0) out[pos % size]! ^= 1 << (bit & 7);
      return out;
    }
    case 'truncate':
      return bytes.slice(0, Math.min(size, m.at));
    case 'length': {
      const out = bytes.slice();
      const f = layout.lengthFields[m.field % Math.max(1, layout.lengthFields.length)];
      if (f === undefined || f.offset + 4 > size) return out;
      new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(f.offset, m.value >>> 0, f.littleEndian);
      return out;
    }
    case 'overwrite': {
      const out = bytes.slice();
      if (size === 0) return out;
      const at = m.at % size;
      for (let i = 0; i < m.bytes.length && at + i < size; i++) out[at + i] = m.bytes[i]!;
      return out;
    }
  }
}

/** Extreme values for a length field at `f`: 0, all ones, just over / at / under the remaining size, past the 256 MiB cap. */
export function extremeLengths(f: LengthField): number[] {
  return [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, f.remaining + 1, f.remaining + 4, f.remaining, Math.max(0, f.remaining - 1), 256 * 1024 * 1024 + 4, 0xfffffffc];
}

/** The mutation arbitrary for one input, aimed by its layout. */
export function mutationArbitrary(bytes: Uint8Array, layout: Layout): fc.Arbitrary<Mutation> {
  const size = Math.max(1, bytes.length);
  const flip = fc
    .array(fc.tuple(fc.nat(size - 1), fc.nat(7)), { minLength: 1, maxLength: 8 })
    .map((bits): Mutation => ({ kind: 'flip', bits }));
  const boundaryCut = fc
    .tuple(fc.nat(layout.boundaries.length - 1), fc.nat(40))
    .map(([i, k]): Mutation => {
      const at = layout.boundaries[i]!;
      const header = layout.headerLengths[i] ?? 16;
      return { kind: 'truncate', at: k === 0 ? at : at + (k % Math.max(1, header)) };
    });
  const anyCut = fc.nat(size).map((at): Mutation => ({ kind: 'truncate', at }));
  const fields = layout.lengthFields;
  const extreme =
    fields.length === 0
      ? flip
      : fc
          .tuple(fc.nat(fields.length - 1), fc.nat(64), fc.integer({ min: 0, max: 0xffffffff }))
          .map(([field, pick, random]): Mutation => {
            const values = extremeLengths(fields[field]!);
            return { kind: 'length', field, value: pick < values.length * 5 ? values[pick % values.length]! : random };
          });
  const overwrite = fc
    .tuple(fc.nat(size - 1), fc.array(fc.constantFrom(0x00, 0xff, 0x7f, 0x80, 0x01, 0x0a, 0x0d, 0xfe), { minLength: 1, maxLength: 16 }))
    .map(([at, b]): Mutation => ({ kind: 'overwrite', at, bytes: b }));
  return fc.oneof(
    { arbitrary: flip, weight: 3 },
    { arbitrary: boundaryCut, weight: 2 },
    { arbitrary: anyCut, weight: 1 },
    { arbitrary: extreme, weight: 4 },
    { arbitrary: overwrite, weight: 1 },
  );
}

/** Human text of a mutation for assertion messages and regression notes. */
export function describeMutation(layout: Layout, m: Mutation): string {
  switch (m.kind) {
    case 'flip':
      return `flip bits ${m.bits.map(([p, b]) => `${p}:${b & 7}`).join(',')}`;
    case 'truncate':
      return `truncate at ${m.at}`;
    case 'length': {
      const f = layout.lengthFields[m.field % Math.max(1, layout.lengthFields.length)];
      return f === undefined ? 'length (no field)' : `set ${f.what} at ${f.offset} to 0x${(m.value >>> 0).toString(16)}`;
    }
    case 'overwrite':
      return `overwrite at ${m.at} with ${m.bytes.length} bytes`;
  }
}

/* ------------------------------------------------------------------------------------------------
 * Reading with the production reader
 * ---------------------------------------------------------------------------------------------- */

export interface ReadCount {
  packets: number;
  /** The CaptureError (or other error text) that stopped reading, or null. */
  error: CaptureError | null;
  /** Message of a non-capture failure at open (e.g. a CliError for a missing file). */
  otherError: string | null;
}

/** Count the packets the production reader delivers from `path`. */
export async function countPackets(path: string): Promise<ReadCount> {
  let packets = 0;
  try {
    const reader = await openCapture(path);
    await reader.read(() => {
      packets++;
    });
    return { packets, error: null, otherError: null };
  } catch (e) {
    if (e instanceof CaptureError) return { packets, error: e, otherError: null };
    return { packets, error: null, otherError: (e as Error).message };
  }
}

/** Leftover temporary files (`.name.toa-PID-RANDOM.tmp`) in a directory. */
export function temporaryLeftovers(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => /\.toa-\d+-[0-9a-f]+\.tmp$/.test(n));
}

/** Resident set size in MiB. */
export function rssMiB(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}

/* ------------------------------------------------------------------------------------------------
 * One mutated input through every command
 * ---------------------------------------------------------------------------------------------- */

let caseNumber = 0;

/**
 * Run the four commands on one mutated file and check each outcome against the reader.
 * `afterEach` runs after the case (the fuzz suite checks memory there).
 */
export async function checkAllCommands(data: Uint8Array, extension: string, note: string, dir: string, afterEach: (note: string) => void = () => undefined): Promise<void> {
  const name = `case-${++caseNumber}${extension}`;
  const input = join(dir, name);
  writeFileSync(input, data);
  const expected = await countPackets(input);
  expect(expected.otherError, `${note}: the reader failed with a non-capture error`).toBeNull();
  const damaged = expected.error;
  const errorLine = damaged === null ? null : `toa: ${damaged.message}`;
  try {
    // decode: one line per delivered packet, then exactly the reader's error line.
    const decode = await runCli(['decode', '--no-payload', input]);
    expectClean(decode);
    const lines = decode.stdout.split('\n').filter((l) => l.length > 0);
    expect(lines.length, `${note}: decode lines vs packets read`).toBe(expected.packets);
    if (damaged === null) {
      expect(decode.code, `${note}: ${decode.stderr}`).toBe(0);
    } else {
      expect(decode.code, note).toBe(1);
      expect(decode.stderr.split('\n').filter((l) => l === errorLine), `${note}: the error line once`).toHaveLength(1);
      // file, packet number (the one being read; 0 for a damaged file header), byte offset, what was expected
      const packet = expected.packets === 0 ? '[01]' : String(expected.packets + 1);
      expect(damaged.message, note).toMatch(new RegExp(`^${escapeRegExp(input)}: packet ${packet} at byte offset \\d+: .+`));
    }

    // decode -v -x --json: the other renderers on the same bytes.
    expectClean(await runCli(['decode', '-v', '-x', '--json', input]));

    // stats: a report, and exit 1 exactly when the capture is damaged.
    const stats = await runCli(['stats', '--json', input]);
    expectClean(stats);
    expect(stats.code, `${note}: stats exit`).toBe(damaged === null ? 0 : 1);
    if (stats.code === 1 && errorLine !== null) expect(stats.stderr, note).toContain(damaged!.message);

    // inject-toa and strip: every input packet counted; output complete or absent.
    for (const command of ['inject-toa', 'strip']) {
      const output = join(dir, `${name}.${command}.out${extension}`);
      const run = await runCli([command, input, '-o', output, '--json']);
      expectClean(run);
      expect(run.code, `${note}: ${command} exit; ${run.stderr.slice(0, 300)}`).toBe(damaged === null ? 0 : 1);
      const summary = JSON.parse(run.stdout) as { packetsIn: number; packetsOut: number; standaloneUoa: number; standaloneProxy: number };
      expect(summary.packetsIn, `${note}: ${command} packetsIn`).toBe(expected.packets);
      expect(summary.packetsOut, `${note}: ${command} packetsOut`).toBe(summary.packetsIn + summary.standaloneUoa + summary.standaloneProxy);
      if (damaged === null) {
        const written = await countPackets(output);
        expect(written.error, `${note}: ${command} output reads back`).toBeNull();
        expect(written.packets, `${note}: ${command} output packets`).toBe(summary.packetsOut);
        rmSync(output);
      } else {
        expect(run.stderr, note).toContain(damaged.message);
        expect(existsSync(output), `${note}: ${command} left an output after an error`).toBe(false);
      }
      expect(temporaryLeftovers(dir), `${note}: ${command} temporary files`).toEqual([]);
    }

    // synproxy-replay: every input packet lands in one count of the report; no output after an error.
    const replayOutput = join(dir, `${name}.replay.pcapng`);
    const replayReport = join(dir, `${name}.replay.json`);
    const replay = await runCli(['synproxy-replay', input, '-o', replayOutput, '--report', replayReport]);
    expectClean(replay);
    expect(replay.code, `${note}: synproxy-replay exit; ${replay.stderr.slice(0, 300)}`).toBe(damaged === null ? 0 : 1);
    if (damaged === null) {
      const counts = (JSON.parse(readFileSync(replayReport, 'utf8')) as { counts: Record<string, number> }).counts;
      expect(counts.inputPackets, `${note}: synproxy-replay input packets`).toBe(expected.packets);
      const parts = ['clientPackets', 'responsesDelivered', 'responsesUndelivered', 'notIp', 'notTcp', 'otherTcp', 'familyNotModelled', 'damaged'];
      expect(parts.reduce((n, k) => n + (counts[k] ?? 0), 0), `${note}: synproxy-replay accounting ${JSON.stringify(counts)}`).toBe(counts.inputPackets);
      const written = await countPackets(replayOutput);
      expect(written.error, `${note}: synproxy-replay output reads back`).toBeNull();
      expect(written.packets, `${note}: synproxy-replay output packets`).toBe(counts.outputClientSide! + counts.outputRsSide!);
      rmSync(replayOutput);
      rmSync(replayReport);
    } else {
      expect(replay.stderr, note).toContain(damaged.message);
      expect(existsSync(replayOutput), `${note}: synproxy-replay left an output after an error`).toBe(false);
    }
    expect(temporaryLeftovers(dir), `${note}: synproxy-replay temporary files`).toEqual([]);
  } finally {
    rmSync(input, { force: true });
  }
  afterEach(note);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

