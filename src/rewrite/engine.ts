/**
 * The capture-rewriting driver shared by `inject-toa` and `strip`.
 *
 * One pass: the reader delivers each record synchronously; the engine finds the IP packet
 * (link.ts) and hands it to the command's `PacketRewriter`, which either leaves it alone (the
 * record's own bytes are written, no copy) or rewrites a copy in the one scratch buffer (with
 * headroom for everything a carrier can add) and returns the new frame length. The link header
 * and the link trailer (Ethernet padding) are kept; only the record's captured and original
 * lengths follow the new size. pcapng sections, interfaces and other blocks are mirrored, so
 * everything not rewritten comes out byte-identical.
 *
 * Output: a temporary file in the output's directory renamed into place at the end. On a damaged
 * input every packet before the damage is processed and counted, then the writer is aborted (no
 * output file) and the CaptureError is rethrown (exit 1).
 */
import { DEFAULT_CHUNK_BYTES, isLargeInput, openCapture, type BufferedRecord } from '../codec/capture.js';
import { checksumBuffer } from '../codec/checksum.js';
import { createCaptureWriter, type CaptureWriter, type WritablePacket } from '../codec/capture-writer.js';
import type { RecordRun } from '../codec/capture-types.js';
import { CaptureError, CliError } from '../codec/errors.js';
import { assertOutputIsNotInput } from '../util/output.js';
import { Progress } from '../util/progress.js';
import type { Io } from '../util/stdio.js';
import { FrameLayout, locateIp, locateIpAt } from './link.js';
import type { RewriteSummary } from './summary.js';

/** Headroom after the packet: TOA 40, PROXY v1 107, NAT46 20, opp 24, TTGW 40, plus the DPVS contract's 128. */
export const SCRATCH_HEADROOM = 512;

export interface PacketRewriter {
  /**
   * Handle one packet whose IP header starts at frame.l3. Return -1 to write the record unchanged,
   * or the new frame length in `engine.scratch` (which holds a copy of the frame when the rewriter
   * asked for one with `engine.copyFrame`).
   *
   * Without `inPlace`, frame offsets are offsets in rec.data (frame.buffer === rec.data, base 0).
   */
  rewrite(rec: BufferedRecord, frame: FrameLayout, engine: RewriteEngine): number;
  /**
   * True: the frame is handed over in place in the reader's buffer (no view per packet): frame.buffer
   * holds it at frame.base and frame.l3 is an offset in frame.buffer; rec.data is not made. Before
   * using rec.data, copyFrame or finishFrame, the rewriter calls `engine.frameRelative(rec)`.
   */
  readonly inPlace?: boolean;
  /**
   * Optional fast path tried first for every record, before the link layer is parsed: return -1
   * (write the record unchanged), a new frame length in `engine.scratch`, or NOT_HANDLED for the
   * general path (`locateIp` then `rewrite`). A rewriter that rewrites here first calls
   * `engine.locate(rec)` (which fills `engine.frame` as the general path would) and then proceeds as
   * an in-place `rewrite` does. Only used with `inPlace`.
   */
  readonly rewriteRecord?: (rec: BufferedRecord, engine: RewriteEngine) => number;
  /**
   * Optional record lane (in-place rewriters, pcap in and out): offered the whole records at buf[pos, end)
   * of the reader's buffer before they are delivered one by one, it takes a run of them itself through
   * `engine.passRecords` and `engine.writeRewrittenRecord` (counting them as rewrite would have) and
   * returns where it stopped (pos: none taken; that record goes to the fast or general path as usual), or
   * TAKE_NONE when it will take no record of this input (it is then not asked again).
   */
  readonly takeRecords?: (buf: Uint8Array, pos: number, end: number, run: RecordRun, engine: RewriteEngine) => number;
  /** Called once before the first packet with the input's size when it is a regular file (to size tables). */
  expectInput?(fileBytes: number): void;
  /** Called once at the end (or after damage), before the summary is final. */
  finish?(summary: RewriteSummary): void;
}

/** rewriteRecord's answer for "take the general path". */
export const NOT_HANDLED = -2;

/** Slots of RewriteEngine's cache of scratch views (by frame length modulo this). */
const SCRATCH_VIEWS = 256;

export class RewriteEngine {
  /** Where rewriters build a changed frame; replaced only by scratchFor (larger) and run (see there). */
  scratch: Uint8Array = new Uint8Array(65536 + SCRATCH_HEADROOM);
  /**
   * Views scratch[0, n) of the frames written from the scratch buffer, kept by n modulo SCRATCH_VIEWS: a capture's
   * rewritten frames come in a few lengths, and a view costs an allocation (~55 ns here, and young-generation
   * garbage: inject-toa of bench/out/big-notoa.pcap made 100,000 of them, ~9 MB). Emptied when scratch is replaced.
   */
  private readonly scratchViews: Array<Uint8Array | null> = new Array<Uint8Array | null>(SCRATCH_VIEWS).fill(null);
  readonly frame = new FrameLayout();
  readonly summary: RewriteSummary;
  private writer: CaptureWriter | null = null;
  private readonly extra: WritablePacket = {
    interfaceId: 0,
    timestampSeconds: 0,
    timestampNanos: 0,
    originalLength: 0,
    blockType: 6,
    options: null,
  };
  private readonly extraBuffer = new Uint8Array(512 + 256);

  constructor(summary: RewriteSummary) {
    this.summary = summary;
  }

  /** In place: fill `frame` for rec's frame in the reader's buffer (false: no IP packet we handle). */
  locate(rec: BufferedRecord): boolean {
    return locateIpAt(rec.buffer, rec.dataStart, rec.dataStart + rec.capturedLength, rec.linkType, this.frame);
  }

  /**
   * In-place rewriters: make rec.data and switch `frame` to offsets in it (frame.buffer = rec.data,
   * base 0). Returns the shift to subtract from the rewriter's own offsets taken in the reader's buffer.
   */
  frameRelative(rec: BufferedRecord): number {
    const frame = this.frame;
    const shift = frame.base;
    frame.buffer = rec.frameData();
    frame.base = 0;
    if (frame.l3 >= 0) frame.l3 -= shift;
    return shift;
  }

  /** Copy the whole frame of `rec` into the scratch buffer (grown when a record is larger). */
  copyFrame(rec: BufferedRecord): Uint8Array {
    if (this.frame.base !== 0) throw new Error('internal: copyFrame before frameRelative');
    const data = rec.frameData();
    const scratch = this.scratchFor(data.length);
    scratch.set(data, 0);
    return scratch;
  }

  /** The scratch buffer, grown to hold a frame of `frameLength` bytes plus SCRATCH_HEADROOM. */
  scratchFor(frameLength: number): Uint8Array {
    if (this.scratch.length < frameLength + SCRATCH_HEADROOM) this.replaceScratch(new Uint8Array(frameLength + SCRATCH_HEADROOM));
    return this.scratch;
  }

  private replaceScratch(buffer: Uint8Array): void {
    this.scratch = buffer;
    this.scratchViews.fill(null);
  }

  /** scratch[0, n), a view made once per length (see scratchViews). */
  scratchView(n: number): Uint8Array {
    const slot = n % SCRATCH_VIEWS;
    let view = this.scratchViews[slot]!;
    if (view === null || view.length !== n) this.scratchViews[slot] = view = this.scratch.subarray(0, n);
    return view;
  }

  /**
   * The frame length after the IP packet at frame.l3 became `newIpLength` captured bytes:
   * the link trailer of the original record is put back after it.
   */
  finishFrame(rec: BufferedRecord, newIpLength: number): number {
    const frame = this.frame;
    if (frame.base !== 0) throw new Error('internal: finishFrame before frameRelative');
    const end = frame.l3 + newIpLength;
    if (frame.trailer > 0) {
      const trailerStart = frame.l3 + frame.ipCaptured;
      this.scratch.set(rec.frameData().subarray(trailerStart, trailerStart + frame.trailer), end);
    }
    return end + frame.trailer;
  }

  /**
   * Write an extra packet (UOA / PROXY standalone) before the current one: the current record's
   * link header (`linkHeader` bytes of `linkSource`) followed by `ip`.
   */
  writeExtra(rec: BufferedRecord, linkSource: Uint8Array, linkHeader: number, ip: Uint8Array): void {
    const total = linkHeader + ip.length;
    const buf = total <= this.extraBuffer.length ? this.extraBuffer : new Uint8Array(total);
    buf.set(linkSource.subarray(0, linkHeader), 0);
    buf.set(ip, linkHeader);
    const e = this.extra;
    e.interfaceId = rec.interfaceId;
    e.timestampSeconds = rec.timestampSeconds;
    e.timestampNanos = rec.timestampNanos;
    e.originalLength = total;
    e.blockType = rec.blockType === 0 ? 0 : 6;
    this.writer!.writePacket(e, buf.subarray(0, total), total);
    this.summary.packetsOut++;
  }

  /**
   * Record lanes: the `records` unchanged records at buf[start, end) of the reader's buffer (`bytes` captured
   * bytes in all) are written as they are, and counted here and in the reader's `run`.
   */
  passRecords(buf: Uint8Array, start: number, end: number, records: number, bytes: number, run: RecordRun): void {
    this.writer!.writeRecordBytes(buf, start, end, records);
    this.summary.packetsIn += records;
    this.summary.packetsOut += records;
    run.packets += records;
    run.bytes += bytes;
  }

  /**
   * Record lanes: one rewritten record, its 16-byte header and frame built in scratch[0, length), in place of an
   * input record of `captured` bytes; counted here and in `run`.
   */
  writeRewrittenRecord(length: number, captured: number, run: RecordRun): void {
    this.writer!.writeRecordCopy(this.scratchView(length));
    this.summary.packetsIn++;
    this.summary.packetsOut++;
    this.summary.packetsRewritten++;
    run.packets++;
    run.bytes += captured;
  }

  /** Rewrite `input` into `output`; the progress line (a terminal only) goes to io's stderr. */
  async run(input: string, output: string, rewriter: PacketRewriter, io: Io, label: string): Promise<RewriteSummary> {
    assertOutputIsNotInput([input], output);
    const inPlace = rewriter.inPlace === true;
    const reader = await openCapture(input, { lazyData: inPlace });
    let writer: CaptureWriter;
    try {
      // output buffers of the chunk size: about one buffer handed to the thread pool per chunk read, so
      // drain() between chunks keeps the pool from filling up (a full pool writes on the main thread)
      writer = createCaptureWriter(output, { like: reader.info, asyncWrites: true, bufferBytes: DEFAULT_CHUNK_BYTES });
    } catch (err) {
      await reader.close();
      throw err;
    }
    this.writer = writer;
    if (reader.fileSize !== null) rewriter.expectInput?.(reader.fileSize);
    // next to the reader's chunk buffers (a large input's are in the checksum module's memory), where the
    // WebAssembly kernels and record lanes build frames (kernels.ts)
    if (isLargeInput(reader.fileSize)) this.replaceScratch(checksumBuffer(this.scratch.length));
    const summary = this.summary;
    const frame = this.frame;
    const progress = new Progress(label, reader.fileSize ?? 0, io);
    // a pcap output mirrors the input's header: an unchanged record is copied as it is, in runs
    const rawRecords = writer.format === 'pcap';
    const fast = inPlace ? (rewriter.rewriteRecord ?? null) : null;
    const onPacket = (rec: BufferedRecord): void => {
      summary.packetsIn++;
      progress.tick(rec.fileOffset, summary.packetsIn);
      let n = fast === null ? NOT_HANDLED : fast(rec, this);
      if (n === NOT_HANDLED) {
        n = -1;
        const located = inPlace ? this.locate(rec) : locateIp(rec.frameData(), rec.linkType, frame);
        if (located) n = rewriter.rewrite(rec, frame, this);
        else summary.nonIpPassed++;
      }
      if (n < 0) {
        if (rawRecords && rec.recordStart >= 0) writer.writeRecordBytes(rec.buffer, rec.recordStart, rec.dataStart + rec.capturedLength);
        else writer.writePacket(rec, rec.frameData());
      } else {
        writer.writePacket(rec, this.scratchView(n));
        summary.packetsRewritten++;
      }
      summary.packetsOut++;
    };
    const take = inPlace && rawRecords ? (rewriter.takeRecords ?? null) : null;
    const takeRecords =
      take === null
        ? undefined
        : (buf: Uint8Array, pos: number, end: number, base: number, run: RecordRun): number => {
            const p = take(buf, pos, end, run, this);
            if (p > pos) progress.tickRun(base + p, summary.packetsIn);
            return p;
          };
    try {
      // the output is written on the thread pool while the next chunk is parsed; a few buffers at most in flight
      await reader.read(onPacket, writer.mirrorHooks({ betweenChunks: () => writer.drain(), takeRecords }));
    } catch (err) {
      progress.done();
      writer.abort();
      rewriter.finish?.(summary);
      if (err instanceof CaptureError) {
        summary.error = err.message;
        throw err;
      }
      throw err;
    }
    progress.done();
    rewriter.finish?.(summary);
    const expected = summary.packetsIn + summary.standaloneUoa + summary.standaloneProxy;
    if (summary.packetsOut !== expected || writer.packets !== expected) {
      writer.abort();
      throw new CliError(`internal count check failed: ${summary.packetsIn} packets in, ${writer.packets} written, ${expected} expected`, 1);
    }
    try {
      await writer.closeAsync();
    } catch (err) {
      writer.abort();
      throw err;
    }
    return summary;
  }
}
