/**
 * Classic pcap files (libpcap format 2.4): file header, record headers, a streaming record
 * parser and the encoders the writer uses.
 *
 * File header (24 bytes), every field in the byte order announced by the magic:
 *   0 magic (a1b2c3d4 µs, a1b23c4d ns)   4 version major   6 version minor   8 thiszone
 *   12 sigfigs   16 snaplen   20 link type field (lower 16 bits: link type)
 * Record header (16 bytes):
 *   0 timestamp seconds   4 timestamp microseconds or nanoseconds   8 captured length   12 original length
 */
import { CaptureError } from './errors.js';
import { TAKE_NONE, type PacketRecord, type PcapHeaderInfo, type ReadHooks, type RecordRun } from './capture-types.js';

export const PCAP = Object.freeze({
  MAGIC: 0,
  VERSION_MAJOR: 4,
  VERSION_MINOR: 6,
  THISZONE: 8,
  SIGFIGS: 12,
  SNAPLEN: 16,
  LINKTYPE: 20,
  HEADER_LENGTH: 24,

  RECORD_TIMESTAMP_SECONDS: 0,
  RECORD_TIMESTAMP_FRACTION: 4,
  RECORD_CAPTURED_LENGTH: 8,
  RECORD_ORIGINAL_LENGTH: 12,
  RECORD_HEADER_LENGTH: 16,

  MAGIC_MICROSECONDS: 0xa1b2c3d4,
  MAGIC_NANOSECONDS: 0xa1b23c4d,
  LINKTYPE_MASK: 0xffff,
  DEFAULT_SNAPLEN: 262144,
});

const NO_DATA = new Uint8Array(0);

/**
 * The one reused record a reader delivers: a PacketRecord that also tells where its bytes sit in the
 * reader's working buffer, so a consumer can read (and copy) them without a view per packet.
 *
 * The frame is buffer[dataStart, dataStart + capturedLength); for a pcap record the whole record
 * (16-byte header + frame, exactly as in the file) starts at recordStart (-1 for pcapng blocks).
 * Like `data`, these are only valid during the callback.
 *
 * `data` is made on first access in a callback (a consumer that never reads it costs no view per
 * packet). A reader opened with `lazyData` leaves `data` empty for pcap records; `frameData()`
 * makes it on demand. frameData() always returns the current frame.
 */
export class BufferedRecord implements PacketRecord {
  index = 0;
  interfaceId = 0;
  linkType = 0;
  timestampSeconds = 0;
  timestampNanos = 0;
  capturedLength = 0;
  originalLength = 0;
  fileOffset = 0;
  blockType = 0;
  options: Uint8Array | null = null;
  rawTsHigh = 0;
  rawTsLow = 0;
  packetBlockDrops = 0;
  /** The reader's working buffer (replaced when it grows). */
  buffer: Uint8Array = NO_DATA;
  dataStart = 0;
  recordStart = -1;
  /** False while the view of this packet's frame has not been made. */
  dataCurrent = true;
  /** Set by a reader opened with `lazyData`: `data` stays empty until frameData() is called. */
  lazyData = false;
  private frame: Uint8Array = NO_DATA;

  /** The captured bytes (a view into `buffer`). */
  get data(): Uint8Array {
    if (!this.dataCurrent && !this.lazyData) return this.frameData();
    return this.frame;
  }

  set data(bytes: Uint8Array) {
    this.frame = bytes;
    this.dataCurrent = true;
  }

  /** Point the record at buffer[dataStart, dataStart + capturedLength) without making the view yet. */
  setFrame(buffer: Uint8Array, dataStart: number): void {
    this.buffer = buffer;
    this.dataStart = dataStart;
    this.frame = NO_DATA; // never a view of an earlier packet
    this.dataCurrent = false;
  }

  /** `data`, made now if it was not made yet (also for readers opened with `lazyData`). */
  frameData(): Uint8Array {
    if (!this.dataCurrent) {
      this.frame = this.buffer.subarray(this.dataStart, this.dataStart + this.capturedLength);
      this.dataCurrent = true;
    }
    return this.frame;
  }
}

/** Warnings of one kind that are reported before the rest are summarised (protects huge odd files). */
export const WARNINGS_PER_KIND = 20;

/** Byte order and precision implied by the first four bytes (read big-endian), or null. */
export function pcapMagicInfo(magicBigEndian: number): { byteOrder: 'le' | 'be'; nanosecond: boolean } | null {
  switch (magicBigEndian >>> 0) {
    case 0xa1b2c3d4:
      return { byteOrder: 'be', nanosecond: false };
    case 0xd4c3b2a1:
      return { byteOrder: 'le', nanosecond: false };
    case 0xa1b23c4d:
      return { byteOrder: 'be', nanosecond: true };
    case 0x4d3cb2a1:
      return { byteOrder: 'le', nanosecond: true };
    default:
      return null;
  }
}

/** Decode the 24-byte file header at bytes[0..24). Throws CaptureError (packet 0) when it is not a pcap header. */
export function decodePcapHeader(bytes: Uint8Array, file: string): PcapHeaderInfo {
  if (bytes.length < PCAP.HEADER_LENGTH) {
    throw new CaptureError(file, 0, 0, `truncated pcap file header: ${PCAP.HEADER_LENGTH} bytes needed, only ${bytes.length} present`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = pcapMagicInfo(view.getUint32(PCAP.MAGIC, false));
  if (magic === null) {
    throw new CaptureError(file, 0, 0, `not a pcap file: magic 0x${view.getUint32(0, false).toString(16).padStart(8, '0')}`);
  }
  const le = magic.byteOrder === 'le';
  const linkTypeField = view.getUint32(PCAP.LINKTYPE, le);
  return {
    byteOrder: magic.byteOrder,
    nanosecond: magic.nanosecond,
    versionMajor: view.getUint16(PCAP.VERSION_MAJOR, le),
    versionMinor: view.getUint16(PCAP.VERSION_MINOR, le),
    thiszone: view.getInt32(PCAP.THISZONE, le),
    sigfigs: view.getUint32(PCAP.SIGFIGS, le),
    snapLength: view.getUint32(PCAP.SNAPLEN, le),
    linkTypeField,
    linkType: linkTypeField & PCAP.LINKTYPE_MASK,
    rawHeader: bytes.slice(0, PCAP.HEADER_LENGTH), // kept on purpose: the writer mirrors it
  };
}

export interface NewPcapHeader {
  linkType: number;
  nanosecond?: boolean;
  byteOrder?: 'le' | 'be';
  snapLength?: number;
}

/** Encode a version 2.4 file header. */
export function encodePcapHeader(h: NewPcapHeader): Uint8Array {
  const out = new Uint8Array(PCAP.HEADER_LENGTH);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const le = (h.byteOrder ?? 'le') === 'le';
  view.setUint32(PCAP.MAGIC, h.nanosecond ? PCAP.MAGIC_NANOSECONDS : PCAP.MAGIC_MICROSECONDS, le);
  view.setUint16(PCAP.VERSION_MAJOR, 2, le);
  view.setUint16(PCAP.VERSION_MINOR, 4, le);
  view.setInt32(PCAP.THISZONE, 0, le);
  view.setUint32(PCAP.SIGFIGS, 0, le);
  view.setUint32(PCAP.SNAPLEN, h.snapLength ?? PCAP.DEFAULT_SNAPLEN, le);
  view.setUint32(PCAP.LINKTYPE, h.linkType >>> 0, le);
  return out;
}

/** Write a 16-byte record header into view at offset. */
export function encodePcapRecordHeader(
  view: DataView,
  offset: number,
  littleEndian: boolean,
  seconds: number,
  fraction: number,
  capturedLength: number,
  originalLength: number,
): void {
  view.setUint32(offset + PCAP.RECORD_TIMESTAMP_SECONDS, seconds >>> 0, littleEndian);
  view.setUint32(offset + PCAP.RECORD_TIMESTAMP_FRACTION, fraction >>> 0, littleEndian);
  view.setUint32(offset + PCAP.RECORD_CAPTURED_LENGTH, capturedLength >>> 0, littleEndian);
  view.setUint32(offset + PCAP.RECORD_ORIGINAL_LENGTH, originalLength >>> 0, littleEndian);
}

/**
 * A chunk-driven record parser shared by every pcap reader. `parse` consumes whole records from
 * buf[start, end) and calls onPacket synchronously with the one reused record; it returns the offset
 * of the first unconsumed byte and leaves in `need` how many bytes (from that offset) the next record
 * needs. `atEnd` is called when the input is exhausted and throws when bytes of a partial record remain.
 */
export class PcapRecordParser implements RecordRun {
  packets = 0;
  bytes = 0;
  need: number = PCAP.RECORD_HEADER_LENGTH;
  readonly littleEndian: boolean;
  private readonly unitsPerSecond: number;
  private readonly nanosPerUnit: number;
  readonly snapLength: number;
  private readonly warned = new Map<string, number>();
  /** hooks.takeRecords, or null (also once it answered TAKE_NONE). */
  private take: ((buf: Uint8Array, pos: number, end: number, base: number, run: RecordRun) => number) | null;

  constructor(
    private readonly file: string,
    header: PcapHeaderInfo,
    private readonly record: BufferedRecord,
    private readonly onPacket: (p: BufferedRecord) => void,
    private readonly hooks: ReadHooks | undefined,
    readonly maxRecordBytes: number,
    /** Total file size when known (regular files): records claiming more than what is left fail at once. */
    private readonly fileSize: number | null,
    /** Leave `data` out (BufferedRecord.frameData() makes it on demand). */
    lazyData = false,
  ) {
    this.littleEndian = header.byteOrder === 'le';
    this.unitsPerSecond = header.nanosecond ? 1_000_000_000 : 1_000_000;
    this.nanosPerUnit = header.nanosecond ? 1 : 1000;
    this.snapLength = header.snapLength;
    record.linkType = header.linkType;
    record.lazyData = lazyData;
    record.interfaceId = 0;
    record.blockType = 0;
    record.options = null;
    const take = hooks?.takeRecords;
    this.take = take === undefined ? null : take.bind(hooks);
  }

  get linkType(): number {
    return this.record.linkType;
  }

  parse(buf: Uint8Array, view: DataView, start: number, end: number, base: number): number {
    const le = this.littleEndian;
    const rec = this.record;
    const onPacket = this.onPacket;
    let pos = start;
    // Both exits store `need` at the one place below: a store after the loop that only its rare exit
    // (fewer than 16 bytes left) reached had no type feedback when the loop was optimized, and the
    // optimized code deoptimized there again and again (node --trace-deopt: 2-19 times per decode of
    // bench/out/big.pcap, always at that store).
    let need: number = PCAP.RECORD_HEADER_LENGTH;
    let take = this.take;
    while (end - pos >= PCAP.RECORD_HEADER_LENGTH) {
      if (take !== null) {
        const taken = take(buf, pos, end, base, this);
        if (taken === TAKE_NONE) {
          this.take = take = null;
        } else if (taken !== pos) {
          pos = taken;
          continue;
        }
      }
      const capturedLength = view.getUint32(pos + PCAP.RECORD_CAPTURED_LENGTH, le);
      if (capturedLength > this.maxRecordBytes) {
        throw this.error(
          base + pos,
          `record length ${capturedLength} exceeds the maximum of ${this.maxRecordBytes} bytes (a damaged record header?)`,
        );
      }
      const total = PCAP.RECORD_HEADER_LENGTH + capturedLength;
      if (end - pos < total) {
        if (this.fileSize !== null && base + pos + total > this.fileSize) {
          throw this.truncated(base + pos, capturedLength, this.fileSize - (base + pos) - PCAP.RECORD_HEADER_LENGTH);
        }
        need = total;
        break;
      }
      const seconds = view.getUint32(pos + PCAP.RECORD_TIMESTAMP_SECONDS, le);
      const fraction = view.getUint32(pos + PCAP.RECORD_TIMESTAMP_FRACTION, le);
      const originalLength = view.getUint32(pos + PCAP.RECORD_ORIGINAL_LENGTH, le);
      rec.index = ++this.packets;
      rec.rawTsHigh = seconds;
      rec.rawTsLow = fraction;
      if (fraction < this.unitsPerSecond) {
        rec.timestampSeconds = seconds;
        rec.timestampNanos = fraction * this.nanosPerUnit;
      } else {
        // An out-of-range fraction: carry whole seconds so the nanoseconds field stays in range.
        const carry = Math.floor(fraction / this.unitsPerSecond);
        rec.timestampSeconds = seconds + carry;
        rec.timestampNanos = (fraction - carry * this.unitsPerSecond) * this.nanosPerUnit;
      }
      rec.capturedLength = capturedLength;
      rec.originalLength = originalLength;
      rec.fileOffset = base + pos;
      rec.recordStart = pos;
      rec.setFrame(buf, pos + PCAP.RECORD_HEADER_LENGTH);
      if (capturedLength > originalLength || (capturedLength > this.snapLength && this.snapLength !== 0)) {
        this.oddLengths(capturedLength, originalLength, base + pos);
      }
      this.bytes += capturedLength;
      onPacket(rec);
      pos += total;
    }
    this.need = need;
    return pos;
  }

  /** The input ended with buf[start, end) unconsumed: nothing if empty, else a CaptureError. */
  atEnd(buf: Uint8Array, view: DataView, start: number, end: number, base: number): void {
    void buf;
    const remain = end - start;
    if (remain === 0) return;
    if (remain < PCAP.RECORD_HEADER_LENGTH) {
      throw this.error(
        base + start,
        `truncated record header: ${PCAP.RECORD_HEADER_LENGTH} bytes needed, only ${remain} remain`,
      );
    }
    const capturedLength = view.getUint32(start + PCAP.RECORD_CAPTURED_LENGTH, this.littleEndian);
    throw this.truncated(base + start, capturedLength, remain - PCAP.RECORD_HEADER_LENGTH);
  }

  private truncated(offset: number, capturedLength: number, available: number): CaptureError {
    return this.error(
      offset,
      `truncated record: header says ${capturedLength} bytes, only ${Math.max(0, available)} remain`,
    );
  }

  private error(offset: number, reason: string): CaptureError {
    return new CaptureError(this.file, this.packets + 1, offset, reason);
  }

  private oddLengths(capturedLength: number, originalLength: number, offset: number): void {
    const onWarning = this.hooks?.onWarning;
    if (onWarning === undefined) return;
    if (capturedLength > originalLength) {
      warnLimited(this.warned, onWarning, 'captured>original', `captured length ${capturedLength} exceeds original length ${originalLength}`, this.packets, offset);
    }
    if (capturedLength > this.snapLength && this.snapLength !== 0) {
      warnLimited(this.warned, onWarning, 'captured>snaplen', `captured length ${capturedLength} exceeds the file's snapshot length ${this.snapLength}`, this.packets, offset);
    }
  }
}

/** Report a warning of one kind at most WARNINGS_PER_KIND times, then once that the rest are suppressed. */
export function warnLimited(
  counts: Map<string, number>,
  onWarning: (message: string, packet: number, offset: number) => void,
  kind: string,
  message: string,
  packet: number,
  offset: number,
): void {
  const seen = (counts.get(kind) ?? 0) + 1;
  counts.set(kind, seen);
  if (seen <= WARNINGS_PER_KIND) onWarning(message, packet, offset);
  else if (seen === WARNINGS_PER_KIND + 1) onWarning(`further warnings like "${message}" are not shown`, packet, offset);
}
