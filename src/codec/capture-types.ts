/**
 * The contract between capture-file readers/writers and everything else.
 *
 * Readers hand packets over synchronously, one reused PacketRecord per reader: its fields and
 * its `data` view are only valid during the callback. A caller that keeps a packet copies it
 * (`data.slice()`), deliberately.
 */

export type CaptureFormat = 'pcap' | 'pcapng';

/** One capture interface: the single pseudo-interface of a pcap file, or a pcapng IDB. */
export interface CaptureInterface {
  /** Index within its pcapng section (0 for pcap). */
  id: number;
  /** Global index over the whole file (all sections), as used by PacketRecord.interfaceId. */
  globalId: number;
  section: number;
  linkType: number;
  snapLength: number;
  /** Timestamp units per second (1e6 for µs pcap, 1e9 for ns pcap, from if_tsresol for pcapng). */
  unitsPerSecond: number;
  /** if_tsoffset in seconds (pcapng), 0 otherwise. */
  tsOffsetSeconds: number;
  /**
   * Exact timestamp resolution: one unit is base^-exponent seconds (pcap µs: 10/6, ns: 10/9; pcapng
   * if_tsresol, default 10/6). `unitsPerSecond` is the same value as a number (inexact beyond 2^53).
   */
  tsResolutionBase?: 10 | 2;
  tsResolutionExponent?: number;
  name: string | null;
  /** For pcapng: the whole IDB block exactly as read (in its section's byte order), for pass-through writing. */
  rawBlock: Uint8Array | null;
}

export interface PcapHeaderInfo {
  byteOrder: 'le' | 'be';
  nanosecond: boolean;
  versionMajor: number;
  versionMinor: number;
  thiszone: number;
  sigfigs: number;
  snapLength: number;
  /** Link type field as stored (lower 16 bits = link type; upper bits FCS info, kept). */
  linkTypeField: number;
  linkType: number;
  /** The 24-byte file header exactly as read. */
  rawHeader: Uint8Array;
}

export interface PcapngSectionInfo {
  index: number;
  byteOrder: 'le' | 'be';
  versionMajor: number;
  versionMinor: number;
  /** The whole SHB exactly as read. */
  rawBlock: Uint8Array;
}

export interface CaptureInfo {
  file: string;
  format: CaptureFormat;
  pcap: PcapHeaderInfo | null;
  sections: PcapngSectionInfo[];
  /** All interfaces seen so far, indexed by globalId. Grows while a pcapng file is read. */
  interfaces: CaptureInterface[];
}

export interface PacketRecord {
  /** 1-based packet number in the file. */
  index: number;
  /** Global interface index (CaptureInfo.interfaces). */
  interfaceId: number;
  linkType: number;
  /** Timestamp as whole seconds since the epoch plus nanoseconds (0..999,999,999), exact. */
  timestampSeconds: number;
  timestampNanos: number;
  capturedLength: number;
  originalLength: number;
  /** The captured bytes: a view into the reader's buffer, valid only during the callback. */
  data: Uint8Array;
  /** Byte offset in the file of this packet's record header or block. */
  fileOffset: number;
  /** pcapng block type: 6 EPB, 3 SPB, 2 obsolete PB; 0 for a pcap record. */
  blockType: number;
  /** pcapng: the block's options bytes (after the padded packet data), or null. */
  options: Uint8Array | null;
  /**
   * The raw timestamp as stored, for exact re-writing: pcapng EPB/PB the (high, low) 32-bit halves of the
   * unit count; pcap the (seconds, fraction) fields; SPB (no timestamp) 0, 0.
   */
  rawTsHigh: number;
  rawTsLow: number;
  /** Obsolete pcapng Packet Block (type 2): its drops count, kept for exact re-writing (0 otherwise). */
  packetBlockDrops?: number;
}

/** A non-packet pcapng block other than SHB/IDB (NRB, ISB, DSB, custom, unknown), passed through raw. */
export interface OtherBlock {
  type: number;
  section: number;
  fileOffset: number;
  raw: Uint8Array;
}

export interface ReadHooks {
  onSection?(section: PcapngSectionInfo): void;
  onInterface?(iface: CaptureInterface): void;
  onOtherBlock?(block: OtherBlock): void;
  /** A recoverable oddity (e.g. an unknown link type, a snaplen exceeded); packet 0 = file level. */
  onWarning?(message: string, packet: number, offset: number): void;
  /**
   * Called between input chunks (about every MiB), never per packet; a returned promise is awaited,
   * which lets a consumer apply back-pressure (e.g. wait for a slow output).
   */
  betweenChunks?(): Promise<void> | void;
  /**
   * pcap only, optional: offered the whole records at buf[pos, end) before each record is delivered; the
   * consumer may take a run of them itself (written or counted as onPacket would have), adding them to
   * `run.packets` and `run.bytes`, and returns where it stopped (pos: it took none, and the record there
   * goes to onPacket as usual), or TAKE_NONE: it will take no record of this input, and is not asked again.
   * It must leave alone any record the reader would warn about or fail on.
   */
  takeRecords?(buf: Uint8Array, pos: number, end: number, base: number, run: RecordRun): number;
}

/** takeRecords' answer for "no record of this input, ever" (the reader then stops offering them). */
export const TAKE_NONE = -1;

/** The pcap reader's state takeRecords sees: the file's record rules, and the counters it advances. */
export interface RecordRun {
  readonly littleEndian: boolean;
  readonly snapLength: number;
  readonly maxRecordBytes: number;
  readonly linkType: number;
  packets: number;
  bytes: number;
}

export interface ReadSummary {
  packets: number;
  /** Sum of the captured lengths of the packets delivered. */
  bytes: number;
  /** Set when the file ended in damage after `packets` good packets; the reader also rejects with it. */
  truncatedAt: number | null;
}
