/**
 * Capture writers (pcap and pcapng), over the atomic buffered output of util/output.ts.
 *
 * Two ways to use one:
 * 1. Mirror an input (`{ like: reader.info }`): same format. pcap: the input's exact 24-byte header.
 *    pcapng: pass `writer.mirrorHooks()` to `reader.read` so sections, interfaces and other blocks are
 *    copied raw as they are announced; packet blocks keep their type (EPB/SPB/PB), interface, raw
 *    timestamp and options. Unchanged packets give a byte-identical file.
 * 2. A new file (`{ format: 'pcap', linkType, … }` or `{ format: 'pcapng', interfaces: […] }`).
 *
 * Output goes to a temporary file renamed into place by close(); abort() removes it. `-` is stdout.
 * `asyncWrites: true` (a regular file): full buffers are written on the libuv thread pool while the
 * caller goes on; the caller awaits `drain()` between input chunks and ends with `closeAsync()`.
 */
import { CliError } from './errors.js';
import type { CaptureFormat, CaptureInfo, CaptureInterface, OtherBlock, PacketRecord, PcapngSectionInfo } from './capture-types.js';
import type { BufferReadHooks } from './capture.js';
import { encodePcapHeader, encodePcapRecordHeader, PCAP } from './pcap.js';
import {
  encodeInterfaceDescription,
  encodeSectionHeader,
  interfaceTiming,
  pad4,
  PCAPNG,
  PCAPNG_BLOCK,
  setTimestampFromUnits,
  unitsFromTimestamp,
  type InterfaceTiming,
  type NewInterface,
} from './pcapng.js';
import { BufferedOutput } from '../util/output.js';

export type WriterOptions = (
  | { like: CaptureInfo; bufferBytes?: number }
  | { format: 'pcap'; linkType: number; nanosecond?: boolean; byteOrder?: 'le' | 'be'; snapLength?: number; bufferBytes?: number }
  | { format: 'pcapng'; interfaces: NewInterface[]; byteOrder?: 'le' | 'be'; bufferBytes?: number }
) & { asyncWrites?: boolean };

/** What writePacket needs; a PacketRecord from a reader satisfies it. */
export interface WritablePacket {
  /** pcap: ignored; pcapng: the global interface id (as announced to interface(), or the index in `interfaces`). */
  interfaceId: number;
  timestampSeconds: number;
  timestampNanos: number;
  originalLength: number;
  /** The captured length the record had when read; when data's length differs, originalLength moves by the difference. */
  capturedLength?: number;
  blockType?: number;
  rawTsHigh?: number;
  rawTsLow?: number;
  options?: Uint8Array | null;
  packetBlockDrops?: number;
}

export interface CaptureWriter {
  readonly format: CaptureFormat;
  readonly path: string;
  readonly packets: number;
  /** stdout's reader went away: packets are being discarded, the command may stop. */
  readonly brokenPipe: boolean;
  /** pcapng mirror: start a section (the SHB is copied raw). */
  section(s: PcapngSectionInfo): void;
  /** pcapng mirror: add an interface to the current section (the IDB is copied raw when present). */
  interface(i: CaptureInterface): void;
  /** pcapng mirror: copy a non-packet block raw. */
  otherBlock(b: OtherBlock): void;
  /**
   * Reader hooks that feed section/interface/otherBlock, chained with `extra`; `beforeBufferReuse`
   * hands the records given to writeRecordBytes to the output and `beforeRead` holds the reader's
   * next read into a buffer until the writes that borrowed from it are done (pass these hooks to the
   * reader the records came from).
   */
  mirrorHooks(extra?: BufferReadHooks): BufferReadHooks;
  writePacket(rec: WritablePacket | PacketRecord, data: Uint8Array, originalLength?: number): void;
  /**
   * pcap only: whole records (16-byte header + data) exactly as they are in the file this writer
   * mirrors (`like`), i.e. what writePacket would write for them, read in place from `buffer`
   * (BufferedRecord.recordStart .. dataStart + capturedLength). Consecutive records form one run,
   * written from `buffer` itself (not copied): the bytes must stay unchanged until the hooks of
   * mirrorHooks() let the reader reuse the buffer (`beforeRead`), or until close()/closeAsync().
   * `records`: how many records the bytes hold (default 1), for the packet count.
   */
  writeRecordBytes(buffer: Uint8Array, start: number, end: number, records?: number): void;
  /**
   * pcap only: one whole record (16-byte header in this file's byte order + data) built by the caller,
   * copied now (the bytes may change after the call).
   */
  writeRecordCopy(record: Uint8Array): void;
  /** Hand the run writeRecordBytes is collecting to the output (still by reference). */
  flushPending(): void;
  /** Flush and rename the temporary file into place. */
  close(): void;
  /** asyncWrites: wait until few buffers are in flight (undefined: no need); rejects with a write error. */
  drain(): Promise<void> | undefined;
  /** close() after every asynchronous write has finished (any writer). */
  closeAsync(): Promise<void>;
  /** Delete the temporary file; nothing is left behind. */
  abort(): void;
}

export function createCaptureWriter(outPath: string, options: WriterOptions): CaptureWriter {
  const format: CaptureFormat = 'like' in options ? options.like.format : options.format;
  const out = BufferedOutput.create(outPath, options.bufferBytes, { asyncWrites: options.asyncWrites === true });
  try {
    return format === 'pcap' ? new PcapWriter(out, options) : new PcapngWriter(out, options);
  } catch (err) {
    out.abort();
    throw err;
  }
}

function adjustedOriginalLength(rec: WritablePacket, data: Uint8Array, originalLength: number | undefined): number {
  if (originalLength !== undefined) return originalLength;
  if (rec.capturedLength === undefined) return rec.originalLength;
  return Math.max(0, rec.originalLength + data.length - rec.capturedLength);
}

const NO_BYTES = new Uint8Array(0);

abstract class BaseWriter {
  packets = 0;
  /** Records given to writeRecordBytes and not copied yet: pendingBuffer[pendingStart, pendingEnd). */
  protected pendingBuffer: Uint8Array = NO_BYTES;
  protected pendingStart = 0;
  protected pendingEnd = 0;
  constructor(protected readonly out: BufferedOutput) {}
  get path(): string {
    return this.out.path;
  }
  get brokenPipe(): boolean {
    return this.out.brokenPipe;
  }
  flushPending(): void {
    if (this.pendingEnd === this.pendingStart) return;
    const bytes = this.pendingBuffer.subarray(this.pendingStart, this.pendingEnd);
    this.pendingBuffer = NO_BYTES;
    this.pendingStart = this.pendingEnd = 0;
    this.out.borrow(bytes);
  }
  close(): void {
    this.flushPending();
    this.out.close();
  }
  drain(): Promise<void> | undefined {
    return this.out.drain();
  }
  async closeAsync(): Promise<void> {
    this.flushPending();
    await this.out.closeAsync();
  }
  abort(): void {
    this.pendingBuffer = NO_BYTES;
    this.pendingStart = this.pendingEnd = 0;
    this.out.abort();
  }
  mirrorHooks(extra?: BufferReadHooks): BufferReadHooks {
    return {
      beforeBufferReuse: () => {
        this.flushPending();
        this.out.commit(); // the borrowed runs go out (or are queued) now
        extra?.beforeBufferReuse?.();
      },
      beforeRead: (buffer) => {
        const mine = this.out.released();
        const theirs = extra?.beforeRead?.(buffer);
        if (theirs === undefined) return mine;
        return mine === undefined ? theirs : Promise.all([mine, theirs]).then(() => undefined);
      },
      onSection: (s) => {
        this.section(s);
        extra?.onSection?.(s);
      },
      onInterface: (i) => {
        this.interface(i);
        extra?.onInterface?.(i);
      },
      onOtherBlock: (b) => {
        this.otherBlock(b);
        extra?.onOtherBlock?.(b);
      },
      onWarning: extra?.onWarning,
      betweenChunks: extra?.betweenChunks,
      takeRecords: extra?.takeRecords,
    };
  }
  abstract section(s: PcapngSectionInfo): void;
  abstract interface(i: CaptureInterface): void;
  abstract otherBlock(b: OtherBlock): void;
}

class PcapWriter extends BaseWriter implements CaptureWriter {
  readonly format = 'pcap' as const;
  private readonly littleEndian: boolean;
  private readonly nanosecond: boolean;
  private readonly unitsPerSecond: number;
  private readonly nanosPerUnit: number;

  constructor(out: BufferedOutput, options: WriterOptions) {
    super(out);
    let header: Uint8Array;
    if ('like' in options) {
      const pcap = options.like.pcap;
      if (pcap === null) throw new CliError(`cannot mirror ${options.like.file}: no pcap header`, 1);
      header = pcap.rawHeader;
      this.littleEndian = pcap.byteOrder === 'le';
      this.nanosecond = pcap.nanosecond;
    } else if (options.format === 'pcap') {
      header = encodePcapHeader(options);
      this.littleEndian = (options.byteOrder ?? 'le') === 'le';
      this.nanosecond = options.nanosecond === true;
    } else {
      throw new Error('unreachable: pcap writer for a pcapng format');
    }
    this.unitsPerSecond = this.nanosecond ? 1_000_000_000 : 1_000_000;
    this.nanosPerUnit = this.nanosecond ? 1 : 1000;
    out.writeBytes(header);
  }

  section(): void {
    // a pcap file has no sections: nothing to copy
  }
  interface(): void {}
  otherBlock(): void {}

  writeRecordBytes(buffer: Uint8Array, start: number, end: number, records = 1): void {
    if (start !== this.pendingEnd || buffer !== this.pendingBuffer) {
      this.flushPending();
      this.pendingBuffer = buffer;
      this.pendingStart = start;
    }
    this.pendingEnd = end;
    this.packets += records;
  }

  writeRecordCopy(record: Uint8Array): void {
    if (this.pendingEnd !== this.pendingStart) this.flushPending();
    this.out.writeBytes(record);
    this.packets++;
  }

  writePacket(rec: WritablePacket, data: Uint8Array, originalLength?: number): void {
    if (this.pendingEnd !== this.pendingStart) this.flushPending();
    const seconds = rec.timestampSeconds;
    const nanos = rec.timestampNanos;
    let rawSeconds: number;
    let fraction: number;
    const high = rec.rawTsHigh;
    const low = rec.rawTsLow;
    if (
      (rec.blockType === undefined || rec.blockType === 0) &&
      high !== undefined &&
      low !== undefined &&
      high + Math.floor(low / this.unitsPerSecond) === seconds &&
      (low % this.unitsPerSecond) * this.nanosPerUnit === nanos
    ) {
      // the record's own fields encode the same instant in this precision: keep them as they were
      rawSeconds = high;
      fraction = low;
    } else {
      rawSeconds = seconds;
      fraction = this.nanosecond ? nanos : Math.floor(nanos / 1000);
    }
    const out = this.out;
    out.ensure(PCAP.RECORD_HEADER_LENGTH);
    encodePcapRecordHeader(out.view, out.position, this.littleEndian, rawSeconds, fraction, data.length, adjustedOriginalLength(rec, data, originalLength));
    out.position += PCAP.RECORD_HEADER_LENGTH;
    out.writeBytes(data);
    this.packets++;
  }
}

interface OutputInterface {
  localId: number;
  section: number;
  snapLength: number;
  timing: InterfaceTiming;
}

class PcapngWriter extends BaseWriter implements CaptureWriter {
  readonly format = 'pcapng' as const;
  private littleEndian = true;
  private sectionCount = 0;
  private interfacesInSection = 0;
  private readonly interfaces = new Map<number, OutputInterface>();
  private readonly scratch = { timestampSeconds: 0, timestampNanos: 0 } as PacketRecord;

  constructor(out: BufferedOutput, options: WriterOptions) {
    super(out);
    if ('like' in options) return; // sections arrive through section()/interface()
    if (options.format !== 'pcapng') throw new Error('unreachable: pcapng writer for a pcap format');
    const byteOrder = options.byteOrder ?? 'le';
    this.startSection(encodeSectionHeader(byteOrder), byteOrder);
    options.interfaces.forEach((i, globalId) => {
      this.addInterface(globalId, encodeInterfaceDescription(byteOrder, i), i.snapLength ?? 262144, interfaceTiming(10, i.nanosecond ? 9 : 6, 0));
    });
  }

  section(s: PcapngSectionInfo): void {
    this.startSection(s.rawBlock, s.byteOrder);
  }

  writeRecordCopy(): void {
    throw new Error('pcapng writer: writeRecordCopy is for pcap records');
  }

  writeRecordBytes(): void {
    throw new Error('pcapng writer: writeRecordBytes is for pcap records');
  }

  interface(i: CaptureInterface): void {
    if (this.sectionCount === 0) throw new Error('pcapng writer: interface() before section()');
    const base = i.tsResolutionBase ?? 10;
    const exponent = i.tsResolutionExponent ?? (i.unitsPerSecond === 1e9 ? 9 : 6);
    const timing = interfaceTiming(base, exponent, i.tsOffsetSeconds);
    const raw =
      i.rawBlock ??
      encodeInterfaceDescription(this.littleEndian ? 'le' : 'be', {
        linkType: i.linkType,
        name: i.name ?? undefined,
        nanosecond: exponent === 9,
        snapLength: i.snapLength,
      });
    this.addInterface(i.globalId, raw, i.snapLength, timing);
  }

  otherBlock(b: OtherBlock): void {
    if (this.sectionCount === 0) throw new Error('pcapng writer: otherBlock() before section()');
    this.out.writeBytes(b.raw);
  }

  private startSection(raw: Uint8Array, byteOrder: 'le' | 'be'): void {
    this.out.writeBytes(raw);
    this.littleEndian = byteOrder === 'le';
    this.sectionCount++;
    this.interfacesInSection = 0;
  }

  private addInterface(globalId: number, raw: Uint8Array, snapLength: number, timing: InterfaceTiming): void {
    this.out.writeBytes(raw);
    this.interfaces.set(globalId, { localId: this.interfacesInSection++, section: this.sectionCount, snapLength, timing });
  }

  writePacket(rec: WritablePacket, data: Uint8Array, originalLength?: number): void {
    const iface = this.interfaces.get(rec.interfaceId);
    if (iface === undefined || iface.section !== this.sectionCount) {
      throw new Error(`pcapng writer: packet for interface ${rec.interfaceId}, which is not defined in the current output section`);
    }
    const origLength = adjustedOriginalLength(rec, data, originalLength);
    const length = data.length;
    const out = this.out;
    const le = this.littleEndian;
    const blockType = rec.blockType ?? 0;

    if (blockType === PCAPNG_BLOCK.SIMPLE_PACKET && iface.localId === 0) {
      // An SPB stores no captured length: the reader takes min(original, snaplen, room). Keep the SPB
      // only when that gives back exactly this data's length; otherwise say it with an EPB.
      const room = pad4(length);
      let recovered = Math.min(origLength, room);
      if (iface.snapLength !== 0 && iface.snapLength < recovered) recovered = iface.snapLength;
      if (recovered === length) {
        const total = PCAPNG.SPB_MIN_LENGTH + room;
        out.ensure(PCAPNG.SPB_DATA);
        out.view.setUint32(out.position + PCAPNG.BLOCK_TYPE, PCAPNG_BLOCK.SIMPLE_PACKET, le);
        out.view.setUint32(out.position + PCAPNG.BLOCK_TOTAL_LENGTH, total, le);
        out.view.setUint32(out.position + PCAPNG.SPB_ORIGINAL_LENGTH, origLength >>> 0, le);
        out.position += PCAPNG.SPB_DATA;
        out.writeBytes(data);
        this.finishBlock(room - length, null, total);
        this.packets++;
        return;
      }
    }

    let high: number;
    let low: number;
    const rawHigh = rec.rawTsHigh;
    const rawLow = rec.rawTsLow;
    if ((blockType === PCAPNG_BLOCK.ENHANCED_PACKET || blockType === PCAPNG_BLOCK.PACKET_OBSOLETE) && rawHigh !== undefined && rawLow !== undefined && this.sameInstant(rawHigh, rawLow, iface.timing, rec)) {
      high = rawHigh;
      low = rawLow;
    } else {
      [high, low] = unitsFromTimestamp(rec.timestampSeconds, rec.timestampNanos, iface.timing);
    }
    const options = blockType === 0 ? null : (rec.options ?? null);
    const optionsLength = options === null ? 0 : options.length;
    const total = PCAPNG.EPB_MIN_LENGTH + pad4(length) + optionsLength;
    out.ensure(PCAPNG.EPB_DATA);
    const view = out.view;
    const p = out.position;
    if (blockType === PCAPNG_BLOCK.PACKET_OBSOLETE && iface.localId <= 0xffff) {
      view.setUint32(p + PCAPNG.BLOCK_TYPE, PCAPNG_BLOCK.PACKET_OBSOLETE, le);
      view.setUint32(p + PCAPNG.BLOCK_TOTAL_LENGTH, total, le);
      view.setUint16(p + PCAPNG.PB_INTERFACE_ID, iface.localId, le);
      view.setUint16(p + PCAPNG.PB_DROPS_COUNT, (rec.packetBlockDrops ?? 0) & 0xffff, le);
    } else {
      view.setUint32(p + PCAPNG.BLOCK_TYPE, PCAPNG_BLOCK.ENHANCED_PACKET, le);
      view.setUint32(p + PCAPNG.BLOCK_TOTAL_LENGTH, total, le);
      view.setUint32(p + PCAPNG.EPB_INTERFACE_ID, iface.localId, le);
    }
    // EPB and PB share the layout from the timestamp on
    view.setUint32(p + PCAPNG.EPB_TIMESTAMP_HIGH, high >>> 0, le);
    view.setUint32(p + PCAPNG.EPB_TIMESTAMP_LOW, low >>> 0, le);
    view.setUint32(p + PCAPNG.EPB_CAPTURED_LENGTH, length, le);
    view.setUint32(p + PCAPNG.EPB_ORIGINAL_LENGTH, origLength >>> 0, le);
    out.position += PCAPNG.EPB_DATA;
    out.writeBytes(data);
    this.finishBlock(pad4(length) - length, options, total);
    this.packets++;
  }

  /** Padding zeros, the options, and the trailing total length. */
  private finishBlock(padding: number, options: Uint8Array | null, total: number): void {
    const out = this.out;
    out.ensure(padding);
    out.buffer.fill(0, out.position, out.position + padding);
    out.position += padding;
    if (options !== null) out.writeBytes(options);
    out.ensure(PCAPNG.BLOCK_TRAILER_LENGTH);
    out.view.setUint32(out.position, total, this.littleEndian);
    out.position += PCAPNG.BLOCK_TRAILER_LENGTH;
  }

  private sameInstant(high: number, low: number, timing: InterfaceTiming, rec: WritablePacket): boolean {
    setTimestampFromUnits(this.scratch, high, low, timing);
    return this.scratch.timestampSeconds === rec.timestampSeconds && this.scratch.timestampNanos === rec.timestampNanos;
  }
}
