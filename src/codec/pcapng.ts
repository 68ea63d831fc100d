/**
 * pcapng files: a block state machine with per-section byte order and per-interface timestamp
 * resolution, plus the encoders the writer uses.
 *
 * Every block: 0 block type, 4 block total length, 8 body…, last 4 bytes: block total length again.
 * Section Header Block (type 0x0A0D0D0A, the same in both byte orders):
 *   8 byte-order magic 0x1A2B3C4D   12 version major   14 version minor   16 section length (64-bit, -1 = unknown)   24 options
 * Interface Description Block (1): 8 link type (16 bits)   10 reserved   12 snaplen   16 options
 * Enhanced Packet Block (6): 8 interface id   12 timestamp high   16 timestamp low   20 captured length
 *   24 original length   28 data (padded to 4)   then options
 * Simple Packet Block (3): 8 original length   12 data (padded to 4)
 * Packet Block (2, obsolete): 8 interface id (16 bits)   10 drops count (16 bits)   12 timestamp high   16 low
 *   20 captured length   24 original length   28 data (padded to 4)   then options
 * Options: 0 code (16 bits)   2 length (16 bits)   4 value, padded to 4; code 0 ends the list.
 */
import { CaptureError } from './errors.js';
import type {
  CaptureInfo,
  CaptureInterface,
  PacketRecord,
  ReadHooks,
} from './capture-types.js';
import { warnLimited, type BufferedRecord } from './pcap.js';

export const PCAPNG = Object.freeze({
  BLOCK_TYPE: 0,
  BLOCK_TOTAL_LENGTH: 4,
  BLOCK_BODY: 8,
  BLOCK_TRAILER_LENGTH: 4,
  MIN_BLOCK_LENGTH: 12,

  SHB_BYTE_ORDER_MAGIC: 8,
  SHB_VERSION_MAJOR: 12,
  SHB_VERSION_MINOR: 14,
  SHB_SECTION_LENGTH: 16,
  SHB_OPTIONS: 24,
  SHB_MIN_LENGTH: 28,

  IDB_LINKTYPE: 8,
  IDB_RESERVED: 10,
  IDB_SNAPLEN: 12,
  IDB_OPTIONS: 16,
  IDB_MIN_LENGTH: 20,

  EPB_INTERFACE_ID: 8,
  EPB_TIMESTAMP_HIGH: 12,
  EPB_TIMESTAMP_LOW: 16,
  EPB_CAPTURED_LENGTH: 20,
  EPB_ORIGINAL_LENGTH: 24,
  EPB_DATA: 28,
  EPB_MIN_LENGTH: 32,

  SPB_ORIGINAL_LENGTH: 8,
  SPB_DATA: 12,
  SPB_MIN_LENGTH: 16,

  PB_INTERFACE_ID: 8,
  PB_DROPS_COUNT: 10,
  PB_TIMESTAMP_HIGH: 12,
  PB_TIMESTAMP_LOW: 16,
  PB_CAPTURED_LENGTH: 20,
  PB_ORIGINAL_LENGTH: 24,
  PB_DATA: 28,
  PB_MIN_LENGTH: 32,

  OPTION_CODE: 0,
  OPTION_LENGTH: 2,
  OPTION_VALUE: 4,

  BYTE_ORDER_MAGIC: 0x1a2b3c4d,
  TSRESOL_BASE2_FLAG: 0x80,
  TSRESOL_EXPONENT_MASK: 0x7f,
});

export const PCAPNG_BLOCK = Object.freeze({
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 1,
  PACKET_OBSOLETE: 2,
  SIMPLE_PACKET: 3,
  NAME_RESOLUTION: 4,
  INTERFACE_STATISTICS: 5,
  ENHANCED_PACKET: 6,
  DECRYPTION_SECRETS: 10,
  CUSTOM: 0x00000bad,
  CUSTOM_NO_COPY: 0x40000bad,
});

export const PCAPNG_OPTION = Object.freeze({
  END_OF_OPTIONS: 0,
  COMMENT: 1,
  IF_NAME: 2,
  IF_TSRESOL: 9,
  IF_TSOFFSET: 14,
});

const BLOCK_NAMES: Record<number, string> = {
  [PCAPNG_BLOCK.SECTION_HEADER]: 'section header block',
  [PCAPNG_BLOCK.INTERFACE_DESCRIPTION]: 'interface description block',
  [PCAPNG_BLOCK.PACKET_OBSOLETE]: 'packet block',
  [PCAPNG_BLOCK.SIMPLE_PACKET]: 'simple packet block',
  [PCAPNG_BLOCK.NAME_RESOLUTION]: 'name resolution block',
  [PCAPNG_BLOCK.INTERFACE_STATISTICS]: 'interface statistics block',
  [PCAPNG_BLOCK.ENHANCED_PACKET]: 'enhanced packet block',
  [PCAPNG_BLOCK.DECRYPTION_SECRETS]: 'decryption secrets block',
  [PCAPNG_BLOCK.CUSTOM]: 'custom block',
  [PCAPNG_BLOCK.CUSTOM_NO_COPY]: 'custom block',
};

/** Human name of a block type, `block type 0x…` when unknown. */
export function pcapngBlockName(type: number): string {
  return BLOCK_NAMES[type] ?? `block type 0x${(type >>> 0).toString(16).padStart(8, '0')}`;
}

/** Round a length up to a multiple of 4. */
export function pad4(length: number): number {
  return (length + 3) & ~3;
}

/** Byte order of an SHB from its byte-order magic (bytes 8..12 of the block), or null. */
export function sectionByteOrder(view: DataView, blockOffset: number): 'le' | 'be' | null {
  const magic = view.getUint32(blockOffset + PCAPNG.SHB_BYTE_ORDER_MAGIC, false);
  if (magic === PCAPNG.BYTE_ORDER_MAGIC) return 'be';
  if (magic === 0x4d3c2b1a) return 'le';
  return null;
}

/* ------------------------------------------------------------------------------------------------
 * Timestamps
 * ---------------------------------------------------------------------------------------------- */

/** Per-interface timing, precomputed when the IDB is read. */
export interface InterfaceTiming {
  base: 10 | 2;
  exponent: number;
  /** Units per second as a number (exact when `exact`). */
  units: number;
  exact: boolean;
  /** Nanoseconds per unit when it is a whole number (base 10, exponent ≤ 9), else 0. */
  nanosPerUnit: number;
  /** Base 2 with exponent ≤ 23: rem * 1e9 stays below 2^53, so number arithmetic is exact. */
  smallBase2: boolean;
  unitsBig: bigint;
  offsetSeconds: number;
}

export function interfaceTiming(base: 10 | 2, exponent: number, offsetSeconds: number): InterfaceTiming {
  const unitsBig = BigInt(base) ** BigInt(exponent);
  const units = Number(unitsBig);
  const exact = BigInt(units) === unitsBig && units <= Number.MAX_SAFE_INTEGER;
  return {
    base,
    exponent,
    units,
    exact,
    nanosPerUnit: base === 10 && exponent <= 9 ? 10 ** (9 - exponent) : 0,
    smallBase2: base === 2 && exponent <= 23,
    unitsBig,
    offsetSeconds,
  };
}

const TWO_POW_32 = 4294967296;
const TWO_POW_21 = 2097152;
const NANOS_PER_SECOND_BIG = 1_000_000_000n;

/**
 * Convert a raw unit count (high, low 32-bit halves) into exact seconds and nanoseconds (finer
 * resolutions are truncated to the nanosecond), writing them into rec. Number arithmetic when it is
 * exact (all common resolutions), BigInt otherwise.
 */
export function setTimestampFromUnits(rec: PacketRecord, high: number, low: number, t: InterfaceTiming): void {
  if (high < TWO_POW_21 && t.exact && (t.nanosPerUnit !== 0 || t.smallBase2)) {
    const total = high * TWO_POW_32 + low; // < 2^53, exact
    const units = t.units;
    let seconds = Math.floor(total / units);
    let rem = total - seconds * units;
    if (rem < 0) {
      seconds -= 1;
      rem += units;
    } else if (rem >= units) {
      seconds += 1;
      rem -= units;
    }
    rec.timestampSeconds = seconds + t.offsetSeconds;
    // base 2: rem < 2^23, rem * 1e9 < 2^53 and the division by a power of two is exact.
    rec.timestampNanos = t.nanosPerUnit !== 0 ? rem * t.nanosPerUnit : Math.floor((rem * 1e9) / units);
    return;
  }
  const total = (BigInt(high) << 32n) | BigInt(low);
  const seconds = total / t.unitsBig;
  const rem = total - seconds * t.unitsBig;
  rec.timestampSeconds = Number(seconds) + t.offsetSeconds;
  rec.timestampNanos = Number((rem * NANOS_PER_SECOND_BIG) / t.unitsBig);
}

/**
 * The inverse: a unit count for seconds + nanoseconds (the interface offset subtracted), as
 * [high, low]. Sub-unit nanoseconds are truncated. Negative results clamp to 0.
 */
export function unitsFromTimestamp(seconds: number, nanos: number, t: InterfaceTiming): [number, number] {
  const sec = seconds - t.offsetSeconds;
  if (sec < 0) return [0, 0];
  if (t.exact && t.nanosPerUnit !== 0) {
    const total = sec * t.units + Math.floor(nanos / t.nanosPerUnit);
    if (total <= Number.MAX_SAFE_INTEGER) {
      const high = Math.floor(total / TWO_POW_32);
      return [high, total - high * TWO_POW_32];
    }
  }
  const total = BigInt(sec) * t.unitsBig + (BigInt(nanos) * t.unitsBig) / NANOS_PER_SECOND_BIG;
  return [Number((total >> 32n) & 0xffffffffn), Number(total & 0xffffffffn)];
}

/* ------------------------------------------------------------------------------------------------
 * Interface options
 * ---------------------------------------------------------------------------------------------- */

interface InterfaceOptions {
  name: string | null;
  base: 10 | 2;
  exponent: number;
  offsetSeconds: number;
  problem: string | null;
}

/** Walk an IDB's options (view offsets [start, end)); a damaged list stops the walk and is reported. */
function readInterfaceOptions(buf: Uint8Array, view: DataView, start: number, end: number, le: boolean): InterfaceOptions {
  const out: InterfaceOptions = { name: null, base: 10, exponent: 6, offsetSeconds: 0, problem: null };
  let pos = start;
  while (end - pos >= PCAPNG.OPTION_VALUE) {
    const code = view.getUint16(pos + PCAPNG.OPTION_CODE, le);
    const length = view.getUint16(pos + PCAPNG.OPTION_LENGTH, le);
    if (code === PCAPNG_OPTION.END_OF_OPTIONS) break;
    const value = pos + PCAPNG.OPTION_VALUE;
    if (value + length > end) {
      out.problem = `interface option ${code} length ${length} overruns the block`;
      break;
    }
    if (code === PCAPNG_OPTION.IF_NAME) {
      out.name = new TextDecoder().decode(buf.subarray(value, value + length)).replace(/\0+$/, '');
    } else if (code === PCAPNG_OPTION.IF_TSRESOL && length >= 1) {
      const v = buf[value]!;
      out.base = (v & PCAPNG.TSRESOL_BASE2_FLAG) !== 0 ? 2 : 10;
      out.exponent = v & PCAPNG.TSRESOL_EXPONENT_MASK;
    } else if (code === PCAPNG_OPTION.IF_TSOFFSET && length >= 8) {
      out.offsetSeconds = Number(view.getBigInt64(value, le));
    }
    pos = value + pad4(length);
  }
  return out;
}

/* ------------------------------------------------------------------------------------------------
 * The block parser
 * ---------------------------------------------------------------------------------------------- */

/**
 * A chunk-driven block parser (same protocol as PcapRecordParser): `parse` consumes whole blocks
 * from buf[start, end) and returns the offset of the first unconsumed byte, leaving in `need` the
 * bytes the next block needs; `atEnd` throws when a partial block remains.
 */
export class PcapngBlockParser {
  packets = 0;
  bytes = 0;
  need: number = PCAPNG.MIN_BLOCK_LENGTH;
  private littleEndian = true;
  private sectionIndex = -1;
  /** Interfaces of the current section, by section-local id. */
  private sectionInterfaces: CaptureInterface[] = [];
  private readonly timings: InterfaceTiming[] = [];
  private readonly warned = new Map<string, number>();

  constructor(
    private readonly file: string,
    private readonly info: CaptureInfo,
    private readonly record: BufferedRecord,
    private readonly onPacket: (p: BufferedRecord) => void,
    private readonly hooks: ReadHooks | undefined,
    private readonly maxRecordBytes: number,
    private readonly fileSize: number | null,
  ) {}

  parse(buf: Uint8Array, view: DataView, start: number, end: number, base: number): number {
    let pos = start;
    for (;;) {
      const avail = end - pos;
      if (avail < PCAPNG.MIN_BLOCK_LENGTH) {
        this.need = PCAPNG.MIN_BLOCK_LENGTH;
        return pos;
      }
      const type = view.getUint32(pos + PCAPNG.BLOCK_TYPE, this.littleEndian);
      let le = this.littleEndian;
      if (type === PCAPNG_BLOCK.SECTION_HEADER) {
        const order = sectionByteOrder(view, pos);
        if (order === null) {
          throw this.error(
            base + pos,
            `section header block has a bad byte-order magic 0x${view.getUint32(pos + PCAPNG.SHB_BYTE_ORDER_MAGIC, false).toString(16).padStart(8, '0')}`,
          );
        }
        le = order === 'le';
      }
      const length = view.getUint32(pos + PCAPNG.BLOCK_TOTAL_LENGTH, le);
      if (length < PCAPNG.MIN_BLOCK_LENGTH || length % 4 !== 0) {
        throw this.error(
          base + pos,
          `${pcapngBlockName(type)} has a bad total length ${length} (must be at least 12 and a multiple of 4)`,
        );
      }
      if (length > this.maxRecordBytes) {
        throw this.error(
          base + pos,
          `${pcapngBlockName(type)} length ${length} exceeds the maximum of ${this.maxRecordBytes} bytes (a damaged block header?)`,
        );
      }
      if (avail < length) {
        if (this.fileSize !== null && base + pos + length > this.fileSize) {
          throw this.truncated(base + pos, type, length, this.fileSize - (base + pos));
        }
        this.need = length;
        return pos;
      }
      const trailer = view.getUint32(pos + length - PCAPNG.BLOCK_TRAILER_LENGTH, le);
      if (trailer !== length) {
        throw this.error(
          base + pos,
          `${pcapngBlockName(type)} trailing length ${trailer} does not match its leading length ${length}`,
        );
      }
      switch (type) {
        case PCAPNG_BLOCK.ENHANCED_PACKET:
          this.enhancedPacket(buf, view, pos, length, base);
          break;
        case PCAPNG_BLOCK.SIMPLE_PACKET:
          this.simplePacket(buf, view, pos, length, base);
          break;
        case PCAPNG_BLOCK.SECTION_HEADER:
          this.sectionHeader(buf, view, pos, length, base, le);
          break;
        case PCAPNG_BLOCK.INTERFACE_DESCRIPTION:
          this.interfaceDescription(buf, view, pos, length, base);
          break;
        case PCAPNG_BLOCK.PACKET_OBSOLETE:
          this.obsoletePacket(buf, view, pos, length, base);
          break;
        default:
          if (this.hooks?.onOtherBlock !== undefined) {
            this.hooks.onOtherBlock({
              type,
              section: this.sectionIndex,
              fileOffset: base + pos,
              raw: buf.subarray(pos, pos + length),
            });
          }
      }
      pos += length;
    }
  }

  atEnd(buf: Uint8Array, view: DataView, start: number, end: number, base: number): void {
    void buf;
    const remain = end - start;
    if (remain === 0) return;
    if (remain < PCAPNG.MIN_BLOCK_LENGTH) {
      throw this.error(base + start, `truncated block header: ${PCAPNG.MIN_BLOCK_LENGTH} bytes needed, only ${remain} remain`);
    }
    const type = view.getUint32(start + PCAPNG.BLOCK_TYPE, this.littleEndian);
    let le = this.littleEndian;
    if (type === PCAPNG_BLOCK.SECTION_HEADER) le = sectionByteOrder(view, start) === 'le';
    throw this.truncated(base + start, type, view.getUint32(start + PCAPNG.BLOCK_TOTAL_LENGTH, le), remain);
  }

  private truncated(offset: number, type: number, length: number, available: number): CaptureError {
    return this.error(offset, `truncated ${pcapngBlockName(type)}: header says ${length} bytes, only ${available} remain`);
  }

  private error(offset: number, reason: string): CaptureError {
    return new CaptureError(this.file, this.packets + 1, offset, reason);
  }

  private sectionHeader(buf: Uint8Array, view: DataView, pos: number, length: number, base: number, le: boolean): void {
    if (length < PCAPNG.SHB_MIN_LENGTH) {
      throw this.error(base + pos, `section header block length ${length} is below the minimum of ${PCAPNG.SHB_MIN_LENGTH}`);
    }
    const versionMajor = view.getUint16(pos + PCAPNG.SHB_VERSION_MAJOR, le);
    const versionMinor = view.getUint16(pos + PCAPNG.SHB_VERSION_MINOR, le);
    if (versionMajor !== 1) {
      throw this.error(base + pos, `unsupported pcapng version ${versionMajor}.${versionMinor} (only 1.x is defined)`);
    }
    this.littleEndian = le;
    this.sectionIndex++;
    this.sectionInterfaces = [];
    let section = this.info.sections[this.sectionIndex];
    if (section === undefined) {
      section = {
        index: this.sectionIndex,
        byteOrder: le ? 'le' : 'be',
        versionMajor,
        versionMinor,
        rawBlock: buf.slice(pos, pos + length), // kept on purpose: the writer copies it
      };
      this.info.sections.push(section);
    }
    this.hooks?.onSection?.(section);
  }

  private interfaceDescription(buf: Uint8Array, view: DataView, pos: number, length: number, base: number): void {
    const le = this.littleEndian;
    if (length < PCAPNG.IDB_MIN_LENGTH) {
      throw this.error(base + pos, `interface description block length ${length} is below the minimum of ${PCAPNG.IDB_MIN_LENGTH}`);
    }
    if (this.sectionIndex < 0) throw this.error(base + pos, 'interface description block before any section header block');
    const options = readInterfaceOptions(buf, view, pos + PCAPNG.IDB_OPTIONS, pos + length - PCAPNG.BLOCK_TRAILER_LENGTH, le);
    if (options.problem !== null) this.warn('idb-options', options.problem, base + pos);
    const timing = interfaceTiming(options.base, options.exponent, options.offsetSeconds);
    const iface: CaptureInterface = {
      id: this.sectionInterfaces.length,
      globalId: this.info.interfaces.length,
      section: this.sectionIndex,
      linkType: view.getUint16(pos + PCAPNG.IDB_LINKTYPE, le),
      snapLength: view.getUint32(pos + PCAPNG.IDB_SNAPLEN, le),
      unitsPerSecond: timing.units,
      tsOffsetSeconds: options.offsetSeconds,
      tsResolutionBase: options.base,
      tsResolutionExponent: options.exponent,
      name: options.name,
      rawBlock: buf.slice(pos, pos + length), // kept on purpose: the writer copies it
    };
    this.sectionInterfaces.push(iface);
    this.info.interfaces.push(iface);
    this.timings.push(timing);
    this.hooks?.onInterface?.(iface);
  }

  private interfaceFor(localId: number, blockType: number, offset: number): CaptureInterface {
    const iface = this.sectionInterfaces[localId];
    if (iface === undefined) {
      const defined = this.sectionInterfaces.length;
      throw this.error(
        offset,
        `${pcapngBlockName(blockType)} refers to interface ${localId}, but section ${this.sectionIndex} defines ${defined === 0 ? 'no interfaces' : `only ${defined} (0..${defined - 1})`}`,
      );
    }
    return iface;
  }

  private enhancedPacket(buf: Uint8Array, view: DataView, pos: number, length: number, base: number): void {
    const le = this.littleEndian;
    if (length < PCAPNG.EPB_MIN_LENGTH) {
      throw this.error(base + pos, `enhanced packet block length ${length} is below the minimum of ${PCAPNG.EPB_MIN_LENGTH}`);
    }
    const iface = this.interfaceFor(view.getUint32(pos + PCAPNG.EPB_INTERFACE_ID, le), PCAPNG_BLOCK.ENHANCED_PACKET, base + pos);
    const capturedLength = view.getUint32(pos + PCAPNG.EPB_CAPTURED_LENGTH, le);
    const room = length - PCAPNG.EPB_MIN_LENGTH;
    if (capturedLength > room) {
      throw this.error(base + pos, `enhanced packet block captured length ${capturedLength} exceeds the block's room of ${room} bytes`);
    }
    this.deliver(
      buf,
      iface,
      PCAPNG_BLOCK.ENHANCED_PACKET,
      view.getUint32(pos + PCAPNG.EPB_TIMESTAMP_HIGH, le),
      view.getUint32(pos + PCAPNG.EPB_TIMESTAMP_LOW, le),
      capturedLength,
      view.getUint32(pos + PCAPNG.EPB_ORIGINAL_LENGTH, le),
      pos,
      pos + PCAPNG.EPB_DATA,
      length,
      base,
      0,
    );
  }

  private obsoletePacket(buf: Uint8Array, view: DataView, pos: number, length: number, base: number): void {
    const le = this.littleEndian;
    if (length < PCAPNG.PB_MIN_LENGTH) {
      throw this.error(base + pos, `packet block length ${length} is below the minimum of ${PCAPNG.PB_MIN_LENGTH}`);
    }
    const iface = this.interfaceFor(view.getUint16(pos + PCAPNG.PB_INTERFACE_ID, le), PCAPNG_BLOCK.PACKET_OBSOLETE, base + pos);
    const capturedLength = view.getUint32(pos + PCAPNG.PB_CAPTURED_LENGTH, le);
    const room = length - PCAPNG.PB_MIN_LENGTH;
    if (capturedLength > room) {
      throw this.error(base + pos, `packet block captured length ${capturedLength} exceeds the block's room of ${room} bytes`);
    }
    this.deliver(
      buf,
      iface,
      PCAPNG_BLOCK.PACKET_OBSOLETE,
      view.getUint32(pos + PCAPNG.PB_TIMESTAMP_HIGH, le),
      view.getUint32(pos + PCAPNG.PB_TIMESTAMP_LOW, le),
      capturedLength,
      view.getUint32(pos + PCAPNG.PB_ORIGINAL_LENGTH, le),
      pos,
      pos + PCAPNG.PB_DATA,
      length,
      base,
      view.getUint16(pos + PCAPNG.PB_DROPS_COUNT, le),
    );
  }

  private simplePacket(buf: Uint8Array, view: DataView, pos: number, length: number, base: number): void {
    if (length < PCAPNG.SPB_MIN_LENGTH) {
      throw this.error(base + pos, `simple packet block length ${length} is below the minimum of ${PCAPNG.SPB_MIN_LENGTH}`);
    }
    const iface = this.interfaceFor(0, PCAPNG_BLOCK.SIMPLE_PACKET, base + pos);
    const originalLength = view.getUint32(pos + PCAPNG.SPB_ORIGINAL_LENGTH, this.littleEndian);
    let capturedLength = Math.min(originalLength, length - PCAPNG.SPB_MIN_LENGTH);
    if (iface.snapLength !== 0 && iface.snapLength < capturedLength) capturedLength = iface.snapLength;
    const rec = this.record;
    rec.index = ++this.packets;
    rec.interfaceId = iface.globalId;
    rec.linkType = iface.linkType;
    rec.timestampSeconds = 0;
    rec.timestampNanos = 0;
    rec.rawTsHigh = 0;
    rec.rawTsLow = 0;
    rec.packetBlockDrops = 0;
    rec.capturedLength = capturedLength;
    rec.originalLength = originalLength;
    rec.fileOffset = base + pos;
    rec.blockType = PCAPNG_BLOCK.SIMPLE_PACKET;
    rec.options = null;
    rec.setFrame(buf, pos + PCAPNG.SPB_DATA);
    rec.recordStart = -1;
    this.bytes += capturedLength;
    this.onPacket(rec);
  }

  private deliver(
    buf: Uint8Array,
    iface: CaptureInterface,
    blockType: number,
    tsHigh: number,
    tsLow: number,
    capturedLength: number,
    originalLength: number,
    pos: number,
    dataStart: number,
    length: number,
    base: number,
    drops: number,
  ): void {
    const rec = this.record;
    rec.index = ++this.packets;
    rec.interfaceId = iface.globalId;
    rec.linkType = iface.linkType;
    rec.rawTsHigh = tsHigh;
    rec.rawTsLow = tsLow;
    setTimestampFromUnits(rec, tsHigh, tsLow, this.timings[iface.globalId]!);
    rec.packetBlockDrops = drops;
    rec.capturedLength = capturedLength;
    rec.originalLength = originalLength;
    rec.fileOffset = base + pos;
    rec.blockType = blockType;
    rec.setFrame(buf, dataStart);
    rec.recordStart = -1;
    const optionsStart = dataStart + pad4(capturedLength);
    const optionsEnd = pos + length - PCAPNG.BLOCK_TRAILER_LENGTH;
    rec.options = optionsStart < optionsEnd ? buf.subarray(optionsStart, optionsEnd) : null;
    if (capturedLength > originalLength || (iface.snapLength !== 0 && capturedLength > iface.snapLength)) {
      if (capturedLength > originalLength) {
        this.warn('captured>original', `captured length ${capturedLength} exceeds original length ${originalLength}`, base + pos);
      }
      if (iface.snapLength !== 0 && capturedLength > iface.snapLength) {
        this.warn('captured>snaplen', `captured length ${capturedLength} exceeds interface ${iface.globalId}'s snapshot length ${iface.snapLength}`, base + pos);
      }
    }
    this.bytes += capturedLength;
    this.onPacket(rec);
  }

  private warn(kind: string, message: string, offset: number): void {
    const onWarning = this.hooks?.onWarning;
    if (onWarning !== undefined) warnLimited(this.warned, onWarning, kind, message, this.packets, offset);
  }
}

/* ------------------------------------------------------------------------------------------------
 * Encoders (writer side)
 * ---------------------------------------------------------------------------------------------- */

/** A Section Header Block, version 1.0, section length -1, no options. */
export function encodeSectionHeader(byteOrder: 'le' | 'be'): Uint8Array {
  const out = new Uint8Array(PCAPNG.SHB_MIN_LENGTH);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const le = byteOrder === 'le';
  view.setUint32(PCAPNG.BLOCK_TYPE, PCAPNG_BLOCK.SECTION_HEADER, le);
  view.setUint32(PCAPNG.BLOCK_TOTAL_LENGTH, out.length, le);
  view.setUint32(PCAPNG.SHB_BYTE_ORDER_MAGIC, PCAPNG.BYTE_ORDER_MAGIC, le);
  view.setUint16(PCAPNG.SHB_VERSION_MAJOR, 1, le);
  view.setUint16(PCAPNG.SHB_VERSION_MINOR, 0, le);
  view.setBigInt64(PCAPNG.SHB_SECTION_LENGTH, -1n, le);
  view.setUint32(out.length - PCAPNG.BLOCK_TRAILER_LENGTH, out.length, le);
  return out;
}

export interface NewInterface {
  linkType: number;
  name?: string;
  nanosecond?: boolean;
  snapLength?: number;
}

/** An Interface Description Block with if_name (when given) and if_tsresol (6 or 9). */
export function encodeInterfaceDescription(byteOrder: 'le' | 'be', i: NewInterface): Uint8Array {
  const le = byteOrder === 'le';
  const name = i.name !== undefined ? new TextEncoder().encode(i.name) : null;
  const optionsLength =
    (name !== null ? PCAPNG.OPTION_VALUE + pad4(name.length) : 0) + PCAPNG.OPTION_VALUE + 4 + PCAPNG.OPTION_VALUE;
  const length = PCAPNG.IDB_MIN_LENGTH + optionsLength;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(PCAPNG.BLOCK_TYPE, PCAPNG_BLOCK.INTERFACE_DESCRIPTION, le);
  view.setUint32(PCAPNG.BLOCK_TOTAL_LENGTH, length, le);
  view.setUint16(PCAPNG.IDB_LINKTYPE, i.linkType, le);
  view.setUint32(PCAPNG.IDB_SNAPLEN, i.snapLength ?? 262144, le);
  let pos: number = PCAPNG.IDB_OPTIONS;
  if (name !== null) {
    view.setUint16(pos + PCAPNG.OPTION_CODE, PCAPNG_OPTION.IF_NAME, le);
    view.setUint16(pos + PCAPNG.OPTION_LENGTH, name.length, le);
    out.set(name, pos + PCAPNG.OPTION_VALUE);
    pos += PCAPNG.OPTION_VALUE + pad4(name.length);
  }
  view.setUint16(pos + PCAPNG.OPTION_CODE, PCAPNG_OPTION.IF_TSRESOL, le);
  view.setUint16(pos + PCAPNG.OPTION_LENGTH, 1, le);
  out[pos + PCAPNG.OPTION_VALUE] = i.nanosecond ? 9 : 6;
  pos += PCAPNG.OPTION_VALUE + 4;
  // end of options: code 0, length 0 (already zero)
  view.setUint32(length - PCAPNG.BLOCK_TRAILER_LENGTH, length, le);
  return out;
}
