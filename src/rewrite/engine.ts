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
import { openCapture } from '../codec/capture.js';
import { createCaptureWriter, type CaptureWriter, type WritablePacket } from '../codec/capture-writer.js';
import type { PacketRecord } from '../codec/capture-types.js';
import { CaptureError, CliError } from '../codec/errors.js';
import { assertOutputIsNotInput } from '../util/output.js';
import { Progress } from '../util/progress.js';
import { FrameLayout, locateIp } from './link.js';
import type { RewriteSummary } from './summary.js';

/** Headroom after the packet: TOA 40, PROXY v1 107, NAT46 20, opp 24, TTGW 40, plus the DPVS contract's 128. */
export const SCRATCH_HEADROOM = 512;

export interface PacketRewriter {
  /**
   * Handle one packet whose IP header starts at frame.l3. Return -1 to write the record unchanged,
   * or the new frame length in `engine.scratch` (which holds a copy of the frame when the rewriter
   * asked for one with `engine.copyFrame`).
   */
  rewrite(rec: PacketRecord, frame: FrameLayout, engine: RewriteEngine): number;
  /** Called once at the end (or after damage), before the summary is final. */
  finish?(summary: RewriteSummary): void;
}

export class RewriteEngine {
  scratch = new Uint8Array(65536 + SCRATCH_HEADROOM);
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

  /** Copy the whole frame of `rec` into the scratch buffer (grown when a record is larger). */
  copyFrame(rec: PacketRecord): Uint8Array {
    const n = rec.data.length;
    if (this.scratch.length < n + SCRATCH_HEADROOM) this.scratch = new Uint8Array(n + SCRATCH_HEADROOM);
    this.scratch.set(rec.data, 0);
    return this.scratch;
  }

  /**
   * The frame length after the IP packet at frame.l3 became `newIpLength` captured bytes:
   * the link trailer of the original record is put back after it.
   */
  finishFrame(rec: PacketRecord, newIpLength: number): number {
    const frame = this.frame;
    const end = frame.l3 + newIpLength;
    if (frame.trailer > 0) {
      const trailerStart = frame.l3 + frame.ipCaptured;
      this.scratch.set(rec.data.subarray(trailerStart, trailerStart + frame.trailer), end);
    }
    return end + frame.trailer;
  }

  /**
   * Write an extra packet (UOA / PROXY standalone) before the current one: the current record's
   * link header (`linkHeader` bytes of `linkSource`) followed by `ip`.
   */
  writeExtra(rec: PacketRecord, linkSource: Uint8Array, linkHeader: number, ip: Uint8Array): void {
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

  async run(input: string, output: string, rewriter: PacketRewriter, stderr: NodeJS.WritableStream, label: string): Promise<RewriteSummary> {
    assertOutputIsNotInput([input], output);
    const reader = await openCapture(input);
    let writer: CaptureWriter;
    try {
      writer = createCaptureWriter(output, { like: reader.info });
    } catch (err) {
      await reader.close();
      throw err;
    }
    this.writer = writer;
    const summary = this.summary;
    const frame = this.frame;
    const progress = new Progress(label, reader.fileSize ?? 0, stderr);
    const onPacket = (rec: PacketRecord): void => {
      summary.packetsIn++;
      progress.tick(rec.fileOffset, summary.packetsIn);
      let n = -1;
      if (locateIp(rec.data, rec.linkType, frame)) n = rewriter.rewrite(rec, frame, this);
      else summary.nonIpPassed++;
      if (n < 0) {
        writer.writePacket(rec, rec.data);
      } else {
        writer.writePacket(rec, this.scratch.subarray(0, n));
        summary.packetsRewritten++;
      }
      summary.packetsOut++;
    };
    try {
      await reader.read(onPacket, writer.mirrorHooks({ betweenChunks: () => undefined }));
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
      writer.close();
    } catch (err) {
      writer.abort();
      throw err;
    }
    return summary;
  }
}
