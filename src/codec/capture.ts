/**
 * Opening capture files: format detection from the first bytes, and the streaming driver that feeds
 * chunks to the pcap record parser or the pcapng block parser.
 *
 * Memory: a few read-ahead buffers (READ_AHEAD_BUFFERS, each a chunk of 1 MiB by default plus room
 * for the partial record carried over in front of it), whatever the size of the input; a record
 * larger than that gets a buffer of its own (bounded by maxRecordBytes).
 * Speed: one `await` per chunk, none per packet; packets are delivered synchronously through one
 * reused PacketRecord whose `data` is a view into the working buffer, valid only during the callback.
 */
import { close, fstat, open, read } from 'node:fs';
import { promisify } from 'node:util';
import { checksumBuffer } from './checksum.js';
import { CaptureError, CliError } from './errors.js';
import type { CaptureInfo, ReadHooks, ReadSummary } from './capture-types.js';
import { BufferedRecord, decodePcapHeader, PCAP, pcapMagicInfo, PcapRecordParser } from './pcap.js';
import { PCAPNG, PCAPNG_BLOCK, PcapngBlockParser, sectionByteOrder } from './pcapng.js';

export const DEFAULT_MAX_RECORD_BYTES = 256 * 1024 * 1024;
/**
 * Bytes per read of the input (and per output buffer of the rewriters). Larger lost where it was measured: with
 * 4 MiB, about half the runs of inject-toa on bench/out/big-notoa.pcap took ~0.7 s instead of ~0.47 s (20
 * alternating runs: mean 616 ms, max 771; with 1 MiB mean 488 ms, max 515); 512 KiB and 2 MiB reads were in
 * between. Why was not measured. Two candidates: fresh buffers cost a page fault per 4 KiB page on first use
 * (10-19 us each on that VM), and a few MiB of read-ahead may stay in the shared cache where ~17 MiB cannot.
 */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
/** Room kept in front of each read-ahead chunk for the partial record carried over (default snaplen + header). */
const READ_AHEAD_HEADROOM = 256 * 1024 + 64;
/** Inputs at least this large (or of unknown size: pipes) read into checksum.ts chunk buffers (checksumBuffer). */
let largeInput = 16 * 1024 * 1024;

/** Whether a capture of `size` bytes (null: unknown, a pipe) is read into checksumBuffer chunk buffers. */
export function isLargeInput(size: number | null): boolean {
  return size === null || size >= largeInput;
}

/** Test hook: the size from which an input counts as large (isLargeInput); returns the previous one. */
export function setLargeInputThreshold(bytes: number): number {
  const previous = largeInput;
  largeInput = bytes;
  return previous;
}
/**
 * Read-ahead buffers (each READ_AHEAD_HEADROOM + chunk bytes): one parsed, the others read or being read, or
 * waiting for the writes of a rewriter that borrowed their records (each of those is read into again only once
 * they are written, which its owner learns only between two chunks). With 4, inject-toa on
 * bench/out/big-notoa.pcap waited for a read before every one of its 423 chunks (56-61 ms in all); with 6, for
 * 7-12 ms (three instrumented runs each, one thread-pool thread, writes started at once). The extra buffers cost
 * ~500 first-touch page faults (/usr/bin/time %R: 8,612-8,775 against 9,137-9,355).
 */
const READ_AHEAD_BUFFERS = 6;

export interface OpenCaptureOptions {
  /** Largest record/block accepted (default 256 MiB); larger lengths are damage, not a reason to allocate. */
  maxRecordBytes?: number;
  /** Size of each read (default 1 MiB). Small values are for tests of the carry-over logic. */
  chunkBytes?: number;
  /**
   * pcap: do not make `data` per packet; the consumer reads the bytes through BufferedRecord.buffer /
   * dataStart or calls frameData() (default false: `data` is always set).
   */
  lazyData?: boolean;
}

export { BufferedRecord };

/** ReadHooks plus one for consumers that keep positions in the reader's buffer (BufferedRecord.buffer). */
export interface BufferReadHooks extends ReadHooks {
  /**
   * Called after each run of packets, before the reader moves, refills or replaces its working buffer:
   * positions taken from BufferedRecord.buffer during the run must be used (or copied) by now.
   */
  beforeBufferReuse?(): void;
  /**
   * Called before the reader reads into a buffer whose records it delivered earlier; when it returns
   * a promise, that read starts once it settles (a consumer still writing from the buffer says so).
   */
  beforeRead?(buffer: Uint8Array): Promise<void> | undefined;
}

export interface CaptureReader {
  readonly info: CaptureInfo;
  /** Size of the input in bytes when it is a regular file, null for pipes and stdin. */
  readonly fileSize: number | null;
  /** Kept up to date while reading, also when `read` rejects (then `truncatedAt` is set). */
  readonly summary: ReadSummary;
  /**
   * Stream the whole capture, calling onPacket synchronously for every packet with ONE reused
   * PacketRecord (its fields and `data` view are only valid during the call; copy to keep).
   * Resolves with the summary, or rejects with a CaptureError after delivering every whole packet
   * before the damage. Can be called once; the input is closed when it settles.
   */
  read(onPacket: (p: BufferedRecord) => void, hooks?: BufferReadHooks): Promise<ReadSummary>;
  /** Release the input without reading (read() closes it by itself). */
  close(): Promise<void>;
}

/* ------------------------------------------------------------------------------------------------
 * Byte sources
 * ---------------------------------------------------------------------------------------------- */

export interface ByteSource {
  /** Read up to `length` bytes into buf at `offset`; resolves 0 at the end of the input. */
  readInto(buf: Uint8Array, offset: number, length: number): Promise<number>;
  /**
   * Sources with a size (regular files): read up to `length` bytes at file offset `position` without
   * moving the position readInto goes on from, so that several reads can be under way at once.
   */
  readAt?(buf: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** Where the next readInto reads (sources with readAt). */
  readonly position?: number;
  close(): Promise<void>;
  readonly size: number | null;
}

// The callback API of node:fs through promisify (node:util is loaded with Node itself), not node:fs/promises:
// loading that module and what it pulls in cost every run ~2 ms at start.
const openAsync = promisify(open);
const fstatAsync = promisify(fstat);
const readAsync = promisify(read);
const closeAsync = promisify(close);

/** A file read through its descriptor (the reads run on the thread pool). */
class FileSource implements ByteSource {
  position = 0;
  private closed = false;
  readonly readAt: ByteSource['readAt'];
  constructor(
    private readonly fd: number,
    readonly size: number | null,
  ) {
    // pipes, FIFOs and devices have no positions: only sequential reads
    this.readAt = size === null ? undefined : this.readAtPosition;
  }
  async readInto(buf: Uint8Array, offset: number, length: number): Promise<number> {
    const n = await this.readAtPosition(buf, offset, length, this.size === null ? null : this.position);
    this.position += n;
    return n;
  }
  /** `position` null: where the descriptor is (pipes). */
  private async readAtPosition(buf: Uint8Array, offset: number, length: number, position: number | null): Promise<number> {
    // a read after close() is a bug of the caller: never an early end of the input (packets silently lost)
    if (this.closed) throw new Error('internal: read of a capture file after it was closed');
    if (length === 0) return 0;
    const { bytesRead } = await readAsync(this.fd, buf, offset, length, position);
    return bytesRead;
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeAsync(this.fd).catch(() => undefined); // only read: nothing to lose
  }
}

class StreamSource implements ByteSource {
  readonly size = null;
  private readonly iterator: AsyncIterator<Uint8Array | string>;
  private pending: Uint8Array | null = null;
  private done = false;
  constructor(stream: AsyncIterable<Uint8Array | string>) {
    this.iterator = stream[Symbol.asyncIterator]();
  }
  async readInto(buf: Uint8Array, offset: number, length: number): Promise<number> {
    if (length === 0) return 0;
    while (this.pending === null || this.pending.length === 0) {
      if (this.done) return 0;
      const next = await this.iterator.next();
      if (next.done === true) {
        this.done = true;
        return 0;
      }
      const value = next.value;
      this.pending = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    }
    const n = Math.min(length, this.pending.length);
    buf.set(this.pending.subarray(0, n), offset);
    this.pending = this.pending.subarray(n);
    return n;
  }
  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.iterator.return?.().catch(() => undefined);
    }
  }
}

class BytesSource implements ByteSource {
  private consumed = 0;
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  async readInto(buf: Uint8Array, offset: number, length: number): Promise<number> {
    const n = Math.min(length, this.bytes.length - this.consumed);
    buf.set(this.bytes.subarray(this.consumed, this.consumed + n), offset);
    this.consumed += n;
    return n;
  }
  async close(): Promise<void> {}
}

/* ------------------------------------------------------------------------------------------------
 * Format detection
 * ---------------------------------------------------------------------------------------------- */

/** Formats we recognise but do not read, by leading bytes (checked in order). */
const FOREIGN_MAGICS: Array<{ bytes: number[]; name: string }> = [
  { bytes: [0xa1, 0xb2, 0xcd, 0x34], name: 'a "modified" (Kuznetzov) pcap file' },
  { bytes: [0x34, 0xcd, 0xb2, 0xa1], name: 'a "modified" (Kuznetzov) pcap file' },
  { bytes: [0x1f, 0x8b], name: 'a gzip-compressed file (decompress it first)' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], name: 'a zstd-compressed file (decompress it first)' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], name: 'an xz-compressed file (decompress it first)' },
  { bytes: [0x42, 0x5a, 0x68], name: 'a bzip2-compressed file (decompress it first)' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], name: 'a zip archive' },
  { bytes: [0x73, 0x6e, 0x6f, 0x6f, 0x70, 0x00, 0x00, 0x00], name: 'a snoop capture (convert it with editcap -F pcap)' },
  { bytes: [0x52, 0x54, 0x53, 0x53], name: 'a Microsoft Network Monitor 1.x capture (convert it with editcap -F pcap)' },
  { bytes: [0x47, 0x4d, 0x42, 0x55], name: 'a Microsoft Network Monitor 2.x capture (convert it with editcap -F pcap)' },
  { bytes: [0x58, 0x43, 0x50, 0x00], name: 'a NetXray/Sniffer capture (convert it with editcap -F pcap)' },
  { bytes: [0x69, 0x70, 0x74, 0x72, 0x61, 0x63, 0x65], name: 'an AIX iptrace capture (convert it with editcap -F pcap)' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], name: 'an ELF executable' },
];

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Which reader handles these first bytes; throws a CaptureError (packet 0, offset 0) naming what it is otherwise. */
export function detectCaptureFormat(first: Uint8Array, file: string): 'pcap' | 'pcapng' {
  if (first.length === 0) throw new CaptureError(file, 0, 0, 'empty file: not a pcap or pcapng file');
  if (first.length >= 4) {
    const magic = ((first[0]! << 24) | (first[1]! << 16) | (first[2]! << 8) | first[3]!) >>> 0;
    if (pcapMagicInfo(magic) !== null) return 'pcap';
    if (magic === PCAPNG_BLOCK.SECTION_HEADER) return 'pcapng';
    for (const foreign of FOREIGN_MAGICS) {
      if (startsWith(first, foreign.bytes)) {
        throw new CaptureError(file, 0, 0, `not a pcap or pcapng file: magic 0x${hex4(magic)} is ${foreign.name}, which is not supported`);
      }
    }
    const text = first.subarray(0, Math.min(first.length, 64)).every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
    throw new CaptureError(file, 0, 0, `not a pcap or pcapng file: magic 0x${hex4(magic)}${text ? ' (it looks like text)' : ''}`);
  }
  for (const foreign of FOREIGN_MAGICS) {
    if (startsWith(first, foreign.bytes)) throw new CaptureError(file, 0, 0, `not a pcap or pcapng file: it is ${foreign.name}`);
  }
  throw new CaptureError(file, 0, 0, `not a pcap or pcapng file: only ${first.length} bytes long`);
}

function hex4(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/* ------------------------------------------------------------------------------------------------
 * Opening
 * ---------------------------------------------------------------------------------------------- */

/**
 * The CliError for a file that cannot be opened or examined. util/output.js is imported only then:
 * a run that reads its inputs does not load it for the reader.
 */
async function fileError(err: unknown, path: string): Promise<Error> {
  const { describeFileError } = await import('../util/output.js');
  return describeFileError(err, path, 'read');
}

/** Open a capture file by path (`-` = stdin). Reads the file header (pcap) or first section header (pcapng). */
export async function openCapture(path: string, opts: OpenCaptureOptions = {}): Promise<CaptureReader> {
  if (path === '-') return openCaptureStream(process.stdin, '-', opts);
  let fd: number;
  try {
    fd = await openAsync(path, 'r');
  } catch (err) {
    throw await fileError(err, path);
  }
  let size: number | null = null;
  try {
    const st = await fstatAsync(fd);
    if (st.isDirectory()) throw new CliError(`cannot read ${path}: it is a directory`, 1);
    if (st.isFile()) size = st.size;
  } catch (err) {
    await closeAsync(fd).catch(() => undefined);
    throw err instanceof CliError ? err : await fileError(err, path);
  }
  return start(new FileSource(fd, size), path, opts);
}

/** Open a capture from a stream of bytes (e.g. process.stdin or a test's Readable). */
export async function openCaptureStream(
  stream: AsyncIterable<Uint8Array | string>,
  name: string,
  opts: OpenCaptureOptions = {},
): Promise<CaptureReader> {
  return start(new StreamSource(stream), name, opts);
}

/** Open a capture from any ByteSource (tests give sources whose reads finish out of order or fail). */
export async function openCaptureSource(source: ByteSource, name: string, opts: OpenCaptureOptions = {}): Promise<CaptureReader> {
  return start(source, name, opts);
}

/** Open a capture held in memory. */
export async function openCaptureBytes(bytes: Uint8Array, name: string, opts: OpenCaptureOptions = {}): Promise<CaptureReader> {
  return start(new BytesSource(bytes), name, opts);
}

async function start(source: ByteSource, file: string, opts: OpenCaptureOptions): Promise<CaptureReader> {
  try {
    const maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    const chunkBytes = Math.max(64, opts.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    // a large input's first buffer is made like the read-ahead ring's (read() hands it to the ring once its
    // records are delivered): the ring then makes one buffer fewer, whose pages each cost a fault on first use
    const first = isLargeInput(source.size) ? checksumBuffer(READ_AHEAD_HEADROOM + chunkBytes) : new Uint8Array(chunkBytes);
    const state: DriverState = { buf: first, end: 0, eof: false };
    await fill(source, state, 4);
    const format = detectCaptureFormat(state.buf.subarray(0, Math.min(state.end, 8)), file);
    const info: CaptureInfo = { file, format, pcap: null, sections: [], interfaces: [] };
    if (format === 'pcap') {
      await fill(source, state, PCAP.HEADER_LENGTH);
      info.pcap = decodePcapHeader(state.buf.subarray(0, state.end), file);
      const pcap = info.pcap;
      info.interfaces.push({
        id: 0,
        globalId: 0,
        section: 0,
        linkType: pcap.linkType,
        snapLength: pcap.snapLength,
        unitsPerSecond: pcap.nanosecond ? 1e9 : 1e6,
        tsOffsetSeconds: 0,
        tsResolutionBase: 10,
        tsResolutionExponent: pcap.nanosecond ? 9 : 6,
        name: null,
        rawBlock: null,
      });
    } else {
      await readFirstSection(source, state, file, info, maxRecordBytes);
    }
    return new Reader(source, state, info, maxRecordBytes, opts.lazyData === true, chunkBytes);
  } catch (err) {
    await source.close();
    throw err;
  }
}

interface DriverState {
  buf: Uint8Array;
  /** Valid bytes are buf[0, end) before reading starts. */
  end: number;
  eof: boolean;
}

/**
 * Most bytes the reads at open ask for at a time (unless more are needed): parsing starts sooner, and the
 * first chunk, ending in a record that goes on in the next, reaches the parser's path for such a record
 * within ~150 packets. With the whole first chunk read at open, V8 optimised the parser (on-stack, in that
 * chunk) before that path had run, and dropped the optimised code at its end (node --trace-deopt: "Insufficient
 * type feedback" in parse, at `this.fileSize`), then optimised it again.
 */
const FIRST_READ_BYTES = 64 * 1024;

/** Read until at least `want` bytes are buffered (growing the buffer if needed) or the input ends. */
async function fill(source: ByteSource, state: DriverState, want: number): Promise<void> {
  if (want > state.buf.length) {
    const bigger = new Uint8Array(Math.max(want, state.buf.length * 2));
    bigger.set(state.buf.subarray(0, state.end));
    state.buf = bigger;
  }
  while (state.end < want && !state.eof) {
    const n = await source.readInto(state.buf, state.end, Math.min(state.buf.length - state.end, Math.max(want - state.end, FIRST_READ_BYTES)));
    if (n === 0) state.eof = true;
    state.end += n;
  }
}

async function readFirstSection(source: ByteSource, state: DriverState, file: string, info: CaptureInfo, maxRecordBytes: number): Promise<void> {
  await fill(source, state, PCAPNG.MIN_BLOCK_LENGTH);
  if (state.end < PCAPNG.MIN_BLOCK_LENGTH) {
    throw new CaptureError(file, 1, 0, `truncated section header block: ${PCAPNG.MIN_BLOCK_LENGTH} bytes needed, only ${state.end} present`);
  }
  let view = new DataView(state.buf.buffer, state.buf.byteOffset, state.buf.byteLength);
  const order = sectionByteOrder(view, 0);
  if (order === null) {
    throw new CaptureError(file, 1, 0, `not a pcapng file: section header block byte-order magic 0x${hex4(view.getUint32(PCAPNG.SHB_BYTE_ORDER_MAGIC, false))}`);
  }
  const le = order === 'le';
  const length = view.getUint32(PCAPNG.BLOCK_TOTAL_LENGTH, le);
  if (length < PCAPNG.SHB_MIN_LENGTH || length % 4 !== 0 || length > maxRecordBytes) {
    throw new CaptureError(file, 1, 0, `section header block has a bad total length ${length}`);
  }
  await fill(source, state, length);
  if (state.end < length) {
    throw new CaptureError(file, 1, 0, `truncated section header block: header says ${length} bytes, only ${state.end} remain`);
  }
  view = new DataView(state.buf.buffer, state.buf.byteOffset, state.buf.byteLength);
  const versionMajor = view.getUint16(PCAPNG.SHB_VERSION_MAJOR, le);
  const versionMinor = view.getUint16(PCAPNG.SHB_VERSION_MINOR, le);
  if (versionMajor !== 1) {
    throw new CaptureError(file, 1, 0, `unsupported pcapng version ${versionMajor}.${versionMinor} (only 1.x is defined)`);
  }
  info.sections.push({ index: 0, byteOrder: order, versionMajor, versionMinor, rawBlock: state.buf.slice(0, length) });
}

class Reader implements CaptureReader {
  readonly summary: ReadSummary = { packets: 0, bytes: 0, truncatedAt: null };
  private used = false;

  constructor(
    private readonly source: ByteSource,
    private readonly state: DriverState,
    readonly info: CaptureInfo,
    private readonly maxRecordBytes: number,
    private readonly lazyData: boolean,
    private readonly chunkBytes: number,
  ) {}

  get fileSize(): number | null {
    return this.source.size;
  }

  async close(): Promise<void> {
    await this.source.close();
  }

  async read(onPacket: (p: BufferedRecord) => void, hooks?: BufferReadHooks): Promise<ReadSummary> {
    if (this.used) throw new Error('CaptureReader.read() may only be called once');
    this.used = true;
    const record = new BufferedRecord();
    const info = this.info;
    const parser =
      info.format === 'pcap'
        ? new PcapRecordParser(info.file, info.pcap!, record, onPacket, hooks, this.maxRecordBytes, this.source.size, this.lazyData)
        : new PcapngBlockParser(info.file, info, record, onPacket, hooks, this.maxRecordBytes, this.source.size);
    const state = this.state;
    let buf = state.buf;
    let view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let start = info.format === 'pcap' ? PCAP.HEADER_LENGTH : 0;
    let end = state.end;
    let base = 0; // file offset of buf[0]
    let eof = state.eof;
    const betweenChunks = hooks?.betweenChunks;
    const beforeBufferReuse = hooks?.beforeBufferReuse;
    const beforeRead = hooks?.beforeRead;
    // Read-ahead: the next chunks are read (one read at a time, in order) into a few buffers of
    // READ_AHEAD_HEADROOM + chunk bytes while the current one is parsed. The partial record left at the
    // end of the current buffer is copied into the headroom in front of the next chunk's bytes. A
    // record that does not fit there gets a buffer of its own size; a record still incomplete is
    // completed with bytes copied from the chunks read after it.
    const large = isLargeInput(this.source.size);
    const chunk = this.chunkBytes;
    /** The first buffer, until the ring takes it over (when it has the size of the ring's buffers). */
    let first: Uint8Array | null = buf.length === READ_AHEAD_HEADROOM + chunk ? buf : null;
    const ahead = new ReadAhead(this.source, chunk, large, first !== null);
    /** The read-ahead slot `buf` belongs to (null: the first buffer, or one of a large record). */
    let current: ReadSlot | null = null;
    try {
      for (;;) {
        if (!eof) ahead.pump();
        start = parser.parse(buf, view, start, end, base);
        beforeBufferReuse?.();
        this.summary.packets = parser.packets;
        this.summary.bytes = parser.bytes;
        if (eof) {
          parser.atEnd(buf, view, start, end, base);
          break;
        }
        const next = await ahead.next();
        if (next === null) {
          eof = true;
          parser.atEnd(buf, view, start, end, base);
          break;
        }
        const carry = end - start;
        const previous = current;
        if (carry <= next.from && parser.need <= carry + next.buf.length - next.from) {
          const into = next.from - carry;
          next.buf.set(buf.subarray(start, end), into);
          base += start - into;
          ahead.take();
          current = next;
          buf = next.buf;
          view = next.view;
          start = into;
          end = next.to;
        } else {
          // a large record: a buffer of its size (at least), filled below
          const merged = new Uint8Array(Math.max(parser.need, carry + next.to - next.from, chunk));
          merged.set(buf.subarray(start, end), 0);
          base += start;
          current = null;
          buf = merged;
          view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
          start = 0;
          end = carry;
        }
        // the records delivered from the previous buffer are done with: it may be read into again
        if (previous !== null) ahead.recycle(previous, beforeRead?.(previous.buf));
        else if (first !== null) {
          ahead.adopt(first, beforeRead?.(first));
          first = null;
        }
        // complete the next record with the bytes of the following chunks when this one did not
        while (end - start < parser.need && end < buf.length) {
          const more = await ahead.next();
          if (more === null) {
            eof = true;
            break;
          }
          const n = Math.min(more.to - more.from, buf.length - end);
          buf.set(more.buf.subarray(more.from, more.from + n), end);
          end += n;
          more.from += n;
          if (more.from === more.to) {
            ahead.take();
            ahead.recycle(more, undefined); // nothing was delivered from it
          }
        }
        if (betweenChunks !== undefined) await betweenChunks();
      }
    } catch (err) {
      await ahead.settle();
      this.summary.packets = parser.packets;
      this.summary.bytes = parser.bytes;
      if (err instanceof CaptureError) this.summary.truncatedAt = err.offset;
      throw err;
    } finally {
      await this.source.close();
    }
    return this.summary;
  }
}

/** A read-ahead buffer and, once read into, where its unconsumed bytes are: buf[from, to). */
interface ReadSlot {
  readonly buf: Uint8Array;
  readonly view: DataView;
  from: number;
  to: number;
  /** A recycled slot is read into once this settles (writes still borrowing its bytes). */
  release: Promise<void> | undefined;
  /** Its read finished (from/to set; from === to: the input ended there), or failed (`error` set). */
  done: boolean;
  /** Its read failed, with this error (null: it did not). */
  failure: { error: unknown } | null;
}

function newSlot(buf: Uint8Array, release: Promise<void> | undefined): ReadSlot {
  return { buf, view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), from: 0, to: 0, release, done: false, failure: null };
}

/**
 * Up to READ_AHEAD_BUFFERS chunks read ahead, delivered in file order. A source with positions (a
 * regular file) gets a read for every free buffer at once, each at the file offset reserved for it,
 * so the thread pool always has the next reads queued and goes from one to the next without waiting
 * for the main thread to start each (which it can only do between two chunks it parses); the reads
 * at and past the size the file had when it was opened (it may have grown) go one at a time, as do
 * all reads of a pipe. A recycled buffer is read into once its `release` settles. A read that fails is
 * reported when its chunk's turn comes, after the chunks before it, whatever order the reads failed in.
 */
class ReadAhead {
  /** Slots with a read issued (or waiting for its release), in file order; the head is next() once done. */
  private readonly queue: ReadSlot[] = [];
  private readonly free: ReadSlot[] = [];
  private allocated = 0;
  /** Reads under way (including those waiting for their buffer's release). */
  private running = 0;
  /** No more reads are started: the end of the input was reached, or settle() was called. */
  private ended = false;
  /** The first read that failed: no more reads start. Each slot keeps its own, reported when next() reaches it. */
  private failure: { error: unknown } | null = null;
  private waiter: (() => void) | null = null;
  private idleWaiters: Array<() => void> = [];
  /** Sources with positions: the file offset the next read starts at. */
  private nextPosition: number;
  private readonly knownSize: number;

  constructor(
    private readonly source: ByteSource,
    private readonly chunk: number,
    /** Buffers in the checksum module's memory (large inputs), where checksums are summed in place. */
    private readonly large: boolean,
    /** The reader's first buffer will be adopted: it counts as one of the ring's buffers from the start. */
    adopting: boolean,
  ) {
    this.allocated = adopting ? 1 : 0;
    this.nextPosition = source.position ?? 0;
    this.knownSize = source.readAt !== undefined && source.size !== null ? source.size : -1;
  }

  /** Start reads into the free buffers (allocated until there are READ_AHEAD_BUFFERS), as many as allowed. */
  pump(): void {
    while (!this.ended && this.failure === null) {
      // within the size at open: reads side by side; otherwise one at a time, at the offset the last one ended
      const sideBySide = this.nextPosition < this.knownSize;
      if (!sideBySide && this.running > 0) return;
      let slot = this.free.shift();
      if (slot === undefined) {
        if (this.allocated === READ_AHEAD_BUFFERS) return;
        this.allocated++;
        const length = READ_AHEAD_HEADROOM + this.chunk;
        slot = newSlot(this.large ? checksumBuffer(length) : new Uint8Array(length), undefined);
      }
      const target = slot;
      target.done = false;
      target.failure = null;
      target.from = target.to = READ_AHEAD_HEADROOM;
      const release = target.release;
      target.release = undefined;
      this.queue.push(target);
      this.running++;
      let read: () => Promise<number>;
      if (this.knownSize < 0) {
        read = () => this.source.readInto(target.buf, READ_AHEAD_HEADROOM, this.chunk);
      } else if (sideBySide) {
        const position = this.nextPosition;
        const length = Math.min(this.chunk, this.knownSize - position);
        this.nextPosition += length;
        read = () => this.readFully(target.buf, length, position);
      } else {
        const position = this.nextPosition;
        read = () => this.source.readAt!(target.buf, READ_AHEAD_HEADROOM, this.chunk, position);
      }
      (release === undefined ? read() : release.then(read)).then(
        (n) => {
          this.running--;
          if (!sideBySide) this.nextPosition += n;
          target.to = READ_AHEAD_HEADROOM + n;
          target.done = true;
          if (n === 0) this.ended = true;
          else this.pump();
          this.wake();
        },
        (error: unknown) => {
          this.running--;
          // reported when the consumer reaches this chunk (the ones before it are delivered first);
          // no more reads start
          target.failure = { error };
          target.done = true;
          this.failure ??= { error };
          this.wake();
        },
      );
    }
  }

  /**
   * `length` bytes at `position` into buf after the headroom, going on after a short read; fewer only
   * when the file ends sooner (it shrank since it was opened).
   */
  private async readFully(buf: Uint8Array, length: number, position: number): Promise<number> {
    let done = 0;
    while (done < length) {
      const n = await this.source.readAt!(buf, READ_AHEAD_HEADROOM + done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  private wake(): void {
    if (this.running === 0) {
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of idle) resolve();
    }
    const waiter = this.waiter;
    if (waiter === null) return;
    this.waiter = null;
    waiter();
  }

  /** The oldest slot read and not taken, or null at the end of the input (rejects when a read failed). */
  async next(): Promise<ReadSlot | null> {
    for (;;) {
      const head = this.queue[0];
      if (head !== undefined && head.done) {
        if (head.failure !== null) throw head.failure.error;
        return head.to === head.from ? null : head;
      }
      if (head === undefined) {
        if (this.failure !== null) throw this.failure.error;
        if (this.ended) return null;
        this.pump();
        // every buffer is held by the consumer: a bug of the caller, never an early end of the input
        if (this.queue.length === 0) throw new Error('internal: the capture reader has no free buffer to read into');
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** The consumer took the slot next() gave (its bytes now belong to the consumer until recycled). */
  take(): void {
    this.queue.shift();
  }

  /**
   * Take the reader's first buffer (READ_AHEAD_HEADROOM + chunk bytes; its records all delivered), counted
   * in `allocated` since the constructor, as one of the ring's buffers: read into once `release` settles.
   */
  adopt(buf: Uint8Array, release: Promise<void> | undefined): void {
    this.free.push(newSlot(buf, release));
    this.pump();
  }

  /** Hand back a taken slot: it is read into again once `release` settles. */
  recycle(slot: ReadSlot, release: Promise<void> | undefined): void {
    slot.from = slot.to = 0;
    slot.done = false;
    slot.release = release;
    this.free.push(slot);
    this.pump();
  }

  /** Start no more reads and wait for those under way, if any (before the input is closed). */
  async settle(): Promise<void> {
    this.ended = true;
    while (this.running > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
