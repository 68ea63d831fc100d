/**
 * Connection tracking for the capture rewriters: one `Flow` per (protocol, address pair, port pair),
 * found by an allocation-free open-addressing hash table keyed on the packet bytes themselves.
 *
 * The hash is symmetric (both directions of a connection land on the same slot chain); the lookup
 * also tells the direction: `lookup` returns the flow and sets `lastForward` to true when the
 * packet's source is the flow's side A (the source of the first packet seen).
 *
 * Client/server sides (the client is the side that sent the SYN):
 *   - a SYN without ACK: its source is the client; a SYN-ACK: its destination is the client;
 *   - otherwise, `--server IP[:PORT]` when given and matching one side;
 *   - otherwise by ports: a port below 1024 is the server's; else the lower port is the server's
 *     (registered ports 1024-49151 are below the ephemeral range), ties go to the destination.
 * A later SYN or SYN-ACK overrides an inference made from ports (`sideFrom` tells which rule decided).
 */
import { grown, readU16, readU32, writeU32 } from '../codec/bytes.js';
import { moduleInt32Array } from '../codec/checksum.js';
import { IPV4 } from '../codec/ipv4.js';
import { IPV6 } from '../codec/ipv6.js';
import type { FnatConnection } from '../dpvs/fnat.js';

export type SideRule = 'syn' | 'server-option' | 'ports';

/** Why a client->server packet did not get a carrier (report keys). */
export const SKIP_REASONS = ['not-eligible', 'FRAG', 'NOROOM', 'NOROUTE', 'NOTSUPP', 'family', 'no-room-in-buffer', 'max-trail', 'no-carrier'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export class Flow {
  /** 1-based, in order of first appearance. */
  readonly id: number;
  readonly protocol: number;
  readonly af: 4 | 6;
  /** Side A = source of the first packet; side B = its destination. */
  /** The slab bytes holding address A then address B (views made on demand: no objects per flow). */
  private readonly keyBytes: Uint8Array;
  private readonly keyAt: number;
  readonly portA: number;
  readonly portB: number;
  /** True when side A is the client. */
  clientIsA = true;
  sideFrom: SideRule = 'ports';

  /** TCP state learned from the capture (client-leg numbering). */
  clientIsn = 0;
  clientIsnKnown = false;
  /** fdata_seq: server ISN + 1 (from the SYN-ACK), or the first client ack when no SYN-ACK was seen. */
  fdataSeq = 0;
  fdataKnown = false;
  fdataGuessed = false;

  /** Per-flow carrier bytes (TCP option formats), built once. */
  carrier: Uint8Array | null = null;
  /** FNAT (or identity) connection record for the DPVS handlers. */
  connection: FnatConnection | null = null;
  /** UDP: carriers sent (UOA first-N rule). */
  udpCarriersSent = 0;

  /** Counters for --report. */
  packetsClientToServer = 0;
  packetsServerToClient = 0;
  carriersInserted = 0;
  carriersRemoved = 0;
  standalonePackets = 0;
  /** Skips for 'not-eligible' (by far the most common reason: no array for most flows). */
  private notEligibleCount = 0;
  /** Skip counts for the other reasons by SKIP_REASONS index, created at the first such skip (see `skipped`). */
  private skipCounts: number[] | null = null;

  /** The addresses are kept in `slab` (one shared allocation for many flows). */
  constructor(id: number, protocol: number, af: 4 | 6, data: Uint8Array, l3: number, l4: number, slab: AddressSlab = SHARED_SLAB) {
    this.id = id;
    this.protocol = protocol;
    this.af = af;
    const size = af === 4 ? 4 : 16;
    const source = l3 + (af === 4 ? IPV4.SRC : IPV6.SRC);
    const destination = l3 + (af === 4 ? IPV4.DST : IPV6.DST);
    const at = slab.reserve(2 * size);
    const key = slab.current;
    for (let i = 0; i < size; i++) {
      key[at + i] = data[source + i]!;
      key[at + size + i] = data[destination + i]!;
    }
    this.keyBytes = key;
    this.keyAt = at;
    this.portA = readU16(data, l4);
    this.portB = readU16(data, l4 + 2);
  }

  /** Skip counts by reason (only reasons that occurred). */
  get skipped(): Map<SkipReason, number> {
    const out = new Map<SkipReason, number>();
    const counts = this.skipCounts;
    for (let i = 0; i < SKIP_REASONS.length; i++) {
      const n = i === NOT_ELIGIBLE_INDEX ? this.notEligibleCount : counts === null ? 0 : counts[i]!;
      if (n > 0) out.set(SKIP_REASONS[i]!, n);
    }
    return out;
  }

  get addressA(): Uint8Array {
    return this.keyBytes.subarray(this.keyAt, this.keyAt + (this.af === 4 ? 4 : 16));
  }
  get addressB(): Uint8Array {
    const size = this.af === 4 ? 4 : 16;
    return this.keyBytes.subarray(this.keyAt + size, this.keyAt + 2 * size);
  }

  get clientAddress(): Uint8Array {
    return this.clientIsA ? this.addressA : this.addressB;
  }
  get serverAddress(): Uint8Array {
    return this.clientIsA ? this.addressB : this.addressA;
  }
  get clientPort(): number {
    return this.clientIsA ? this.portA : this.portB;
  }
  get serverPort(): number {
    return this.clientIsA ? this.portB : this.portA;
  }

  /** Count `times` (default 1) skips for `reason`. */
  skip(reason: SkipReason, times = 1): void {
    if (reason === 'not-eligible') {
      this.notEligibleCount += times;
      return;
    }
    let counts = this.skipCounts;
    if (counts === null) counts = this.skipCounts = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    counts[SKIP_INDEX[reason]]! += times;
  }

  /** Forget the TCP connection state (a new SYN on the same 4-tuple: a new connection). */
  resetConnectionState(): void {
    this.clientIsnKnown = false;
    this.fdataKnown = false;
    this.fdataGuessed = false;
    this.fdataSeq = 0;
    this.udpCarriersSent = 0;
    this.connection = null;
  }
}

const SKIP_INDEX = Object.fromEntries(SKIP_REASONS.map((r, i) => [r, i])) as Record<SkipReason, number>;
const NOT_ELIGIBLE_INDEX = SKIP_INDEX['not-eligible'];

/**
 * Flow addresses live in shared 64 KiB chunks: a flow costs two small views instead of two
 * ArrayBuffers of 4 or 16 bytes each (which the garbage collector tracks one by one).
 */
export class AddressSlab {
  private chunk = new Uint8Array(65536);
  private used = 0;

  copy(data: Uint8Array, at: number, size: number): Uint8Array {
    if (size > 1024) return data.slice(at, at + size); // not what the slab is for
    const view = this.take(size);
    for (let i = 0; i < size; i++) view[i] = data[at + i]!;
    return view;
  }

  /** `size` (≤ 1024) fresh zero bytes for the caller to fill. */
  take(size: number): Uint8Array {
    const at = this.reserve(size);
    return this.chunk.subarray(at, at + size);
  }

  /** Reserve `size` (≤ 1024) bytes: their offset in `current`, which is read right after (a full chunk is replaced). */
  reserve(size: number): number {
    if (this.used + size > this.chunk.length) {
      this.chunk = new Uint8Array(65536);
      this.used = 0;
    }
    const at = this.used;
    this.used = at + size;
    return at;
  }

  /** The chunk `reserve` handed out bytes of. */
  get current(): Uint8Array {
    return this.chunk;
  }
}

const SHARED_SLAB = new AddressSlab();

function mixBytes(data: Uint8Array, start: number, length: number, h: number): number {
  for (let i = 0; i < length; i++) h = Math.imul(h ^ data[start + i]!, 0x01000193);
  return h;
}

/** One side (address word, port) of an IPv4 flow, mixed; the two sides are added (symmetric). */
function mixSide(word: number, port: number): number {
  let x = Math.imul(word ^ ((port << 16) | port), 0x9e3779b1);
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca6b);
  return x ^ (x >>> 13);
}

function finalHash(a: number, b: number, protocol: number): number {
  let h = (a + b + Math.imul(protocol, 0x27d4eb2d)) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  return h ^ (h >>> 15);
}

const V6_KEY = 32;
/** Scratch header FlowTable.flowAt builds Flow objects from (IPv6 header + ports). */
const KEY_HEADER = new Uint8Array(IPV6.HEADER + 4);

/**
 * One key row per flow in `FlowTable.rows` (Int32Array, ROW.STRIDE ints): everything a probe compares
 * sits in one cache line. IPv4 addresses are (signed) 32-bit words; IPv6 addresses are in `v6`.
 */
export const ROW = Object.freeze({ HASH: 0, PROTOCOL_FAMILY: 1, PORTS: 2, WORD_A: 3, WORD_B: 4, STRIDE: 8 });
/** Flows a new table has room for before it first grows (its arrays are zero pages until touched). */
const INITIAL_FLOWS = 4096;
/** The most flows `reserve` makes room for (the table still grows past it when needed). */
const MAX_RESERVED_FLOWS = 1 << 20;
/**
 * The same in the checksum module's memory (3 MiB of rows and slots, and inject-toa's 2 MiB of lean rows, next to
 * the reader's 7.5 MiB of chunk buffers in its 14 MiB): an estimate from a large file's size must not take the
 * room the flows it really has need (bench/out/big4m.pcap: 217k estimated, 50,000 real).
 */
const MAX_MODULE_RESERVED_FLOWS = 1 << 16;
/** Input bytes per flow assumed by flowsExpectedIn: short connections of ~20 packets (bench/gen-big.mjs has ~8.9 kB). */
const BYTES_PER_FLOW_GUESS = 8192;

/** A guess of how many flows a capture of `fileBytes` bytes has, for FlowTable.reserve (a hint only). */
export function flowsExpectedIn(fileBytes: number): number {
  return Math.min(MAX_RESERVED_FLOWS, Math.ceil(fileBytes / BYTES_PER_FLOW_GUESS));
}

/**
 * Open-addressing table of flows. The keys live in typed arrays (no object per flow):
 * `lookupIndex` finds or creates a flow and returns its index (0-based, in order of first
 * appearance) without allocating; `lookup` does the same and hands out the `Flow` object of that
 * index, made on its first `lookup` (from the stored key: side A is always the first packet's source).
 * Both can be used on one table (inject-toa keeps TCP flows in columns of its own, UDP flows as objects).
 */
export class FlowTable {
  /** Flow objects by index, made by `lookup` or `flowAt` (holes: flows only seen through lookupIndex). */
  private readonly objects: Array<Flow | undefined> = [];
  private objectCount = 0;
  /**
   * Called for each Flow object `flows` makes for a flow that only `lookupIndex` saw (a user that keeps
   * its own per-flow state fills the object in from it).
   */
  onMaterialize: ((flow: Flow, index: number) => void) | null = null;
  private count = 0;
  private capacity = INITIAL_FLOWS;
  /** Key rows (ROW), index * ROW.STRIDE. */
  private rows: Int32Array = new Int32Array(INITIAL_FLOWS * ROW.STRIDE);
  private v6 = new Uint8Array(0);
  /**
   * Slot pairs: flow index + 1 (0: empty, so a new table is all zero pages until used) and that
   * flow's hash (most probes that do not match stop at it).
   */
  private slots: Int32Array = new Int32Array(4 * INITIAL_FLOWS);
  private mask = 2 * INITIAL_FLOWS - 1;
  private readonly slab = new AddressSlab();
  /** Direction of the last lookup: true when the packet went A -> B (always true for a new flow). */
  lastForward = true;
  /** True when the last lookup created the flow. */
  created = false;

  /** Makes the key rows and slots when the table grows: plain arrays, or (reserve) arrays in the checksum module's memory. */
  private newInt32s: (length: number) => Int32Array = (length) => new Int32Array(length);

  /** The key rows, slots, slot mask and row capacity as they are now (for a lane; replaced when the table grows). */
  get rowArray(): Int32Array {
    return this.rows;
  }
  get slotArray(): Int32Array {
    return this.slots;
  }
  get slotMask(): number {
    return this.mask;
  }
  get rowCapacity(): number {
    return this.capacity;
  }

  /**
   * A lane (kernels.ts injectScan) made flows size .. count - 1 itself, as lookupIndex would have (key rows and
   * slots written, nothing to grow): the table now counts them.
   */
  adoptFlows(count: number): void {
    if (count < this.count || count > this.capacity || count * 2 > this.mask) throw new Error(`internal: a lane made flows up to ${count} in a table of ${this.count}`);
    this.count = count;
  }

  /** Flows seen so far. */
  get size(): number {
    return this.count;
  }

  /**
   * Make room for `flows` flows (at most MAX_RESERVED_FLOWS) before the first lookup, so the table
   * does not grow and rehash on the way there; the capacity it returns is a power of two. No effect
   * on a table that already holds flows. Flow indices and directions do not depend on the capacity.
   * `moduleMemory`: the rows and slots (now and when they grow) in the checksum module's memory while it
   * has room (moduleInt32Array), where inject-toa's record lane (rewrite/kernels.ts) reads them.
   */
  reserve(flows: number, moduleMemory = false): number {
    if (this.count !== 0) return this.capacity;
    let capacity = INITIAL_FLOWS;
    const most = moduleMemory ? MAX_MODULE_RESERVED_FLOWS : MAX_RESERVED_FLOWS;
    while (capacity < flows && capacity < most) capacity *= 2;
    if (moduleMemory) this.newInt32s = moduleInt32Array;
    if (capacity > this.capacity || moduleMemory) {
      this.capacity = capacity;
      this.rows = this.newInt32s(capacity * ROW.STRIDE);
      this.slots = this.newInt32s(4 * capacity);
      this.mask = 2 * capacity - 1;
    }
    return this.capacity;
  }

  /**
   * The flow of the packet at l3 (family af, transport `protocol` with ports at l4), created when
   * new (`created`), as its Flow object. Sets lastForward.
   */
  lookup(protocol: number, data: Uint8Array, l3: number, af: 4 | 6, l4: number): Flow {
    const index = this.lookupIndex(protocol, data, l3, af, l4);
    const flow = this.objects[index];
    if (flow !== undefined) return flow;
    if (this.created) return this.keep(index, new Flow(index + 1, protocol, af, data, l3, l4, this.slab));
    return this.flowAt(index);
  }

  /** The Flow object of flow `index` (< size), made from the stored key when it has none yet. */
  flowAt(index: number): Flow {
    const existing = this.objects[index];
    if (existing !== undefined) return existing;
    const row = index * ROW.STRIDE;
    const rows = this.rows;
    const af = rows[row + ROW.PROTOCOL_FAMILY]! >>> 8 === 6 ? 6 : 4;
    // a header with just the key at its offsets: side A as the source, side B as the destination
    const key = KEY_HEADER;
    const l4 = af === 4 ? IPV4.MIN_HEADER : IPV6.HEADER;
    if (af === 4) {
      writeU32(key, IPV4.SRC, rows[row + ROW.WORD_A]! >>> 0);
      writeU32(key, IPV4.DST, rows[row + ROW.WORD_B]! >>> 0);
    } else {
      key.set(this.v6.subarray(index * V6_KEY, index * V6_KEY + 32), IPV6.SRC);
    }
    writeU32(key, l4, rows[row + ROW.PORTS]! >>> 0);
    return this.keep(index, new Flow(index + 1, rows[row + ROW.PROTOCOL_FAMILY]! & 0xff, af, key, 0, l4, this.slab));
  }

  /** Every flow as a Flow object, in order of first appearance (objects made now for flows that had none). */
  get flows(): readonly Flow[] {
    if (this.objectCount < this.count) {
      const fill = this.onMaterialize;
      for (let index = 0; index < this.count; index++) {
        if (this.objects[index] !== undefined) continue;
        const flow = this.flowAt(index);
        fill?.(flow, index);
      }
    }
    return this.objects as Flow[];
  }

  private keep(index: number, flow: Flow): Flow {
    while (this.objects.length < index) this.objects.push(undefined);
    this.objects[index] = flow;
    this.objectCount++;
    return flow;
  }

  /** As lookup, the flow's index only (nothing allocated, except when the table grows). */
  lookupIndex(protocol: number, data: Uint8Array, l3: number, af: 4 | 6, l4: number): number {
    const ports = readU32(data, l4) | 0;
    const sport = ports >>> 16;
    const dport = ports & 0xffff;
    const swapped = ((ports >>> 16) | (ports << 16)) | 0;
    const protocolFamily = protocol | (af << 8);
    let wa = 0;
    let wb = 0;
    let h: number;
    if (af === 4) {
      wa = readU32(data, l3 + IPV4.SRC) | 0;
      wb = readU32(data, l3 + IPV4.DST) | 0;
      h = finalHash(mixSide(wa, sport), mixSide(wb, dport), protocol);
    } else {
      h = finalHash(mixBytes(data, l3 + IPV6.SRC, 16, 0x811c9dc5 ^ sport), mixBytes(data, l3 + IPV6.DST, 16, 0x811c9dc5 ^ dport), protocol);
    }
    const slots = this.slots;
    const rows = this.rows;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const index = slots[2 * i]! - 1;
      if (index < 0) break;
      if (slots[2 * i + 1] === h) {
        const row = index * ROW.STRIDE;
        if (rows[row + ROW.PROTOCOL_FAMILY] === protocolFamily) {
          const p = rows[row + ROW.PORTS]!;
          if (af === 4) {
            const a = rows[row + ROW.WORD_A]!;
            const b = rows[row + ROW.WORD_B]!;
            if (p === ports && wa === a && wb === b) return this.found(index, true);
            if (p === swapped && wa === b && wb === a) return this.found(index, false);
          } else {
            const key = index * V6_KEY;
            const v6 = this.v6;
            if (p === ports && sameBytes(data, l3 + IPV6.SRC, v6, key) && sameBytes(data, l3 + IPV6.DST, v6, key + 16)) return this.found(index, true);
            if (p === swapped && sameBytes(data, l3 + IPV6.SRC, v6, key + 16) && sameBytes(data, l3 + IPV6.DST, v6, key)) return this.found(index, false);
          }
        }
      }
      i = (i + 1) & mask;
    }
    const index = this.count;
    if (index === this.capacity) this.growRows();
    const row = index * ROW.STRIDE;
    const r = this.rows;
    r[row + ROW.HASH] = h;
    r[row + ROW.PROTOCOL_FAMILY] = protocolFamily;
    r[row + ROW.PORTS] = ports;
    r[row + ROW.WORD_A] = wa;
    r[row + ROW.WORD_B] = wb;
    if (af === 6) {
      if (this.v6.length < this.capacity * V6_KEY) this.v6 = grown(this.v6, this.capacity * V6_KEY);
      this.v6.set(data.subarray(l3 + IPV6.SRC, l3 + IPV6.SRC + 32), index * V6_KEY);
    }
    slots[2 * i] = index + 1;
    slots[2 * i + 1] = h;
    this.count = index + 1;
    this.lastForward = true;
    this.created = true;
    if (this.count * 2 > this.mask) this.growSlots();
    return index;
  }

  private found(index: number, forward: boolean): number {
    this.lastForward = forward;
    this.created = false;
    return index;
  }

  private growRows(): void {
    const n = this.capacity * 2;
    this.rows = grown(this.rows, n * ROW.STRIDE, this.newInt32s);
    this.capacity = n;
  }

  private growSlots(): void {
    const size = (this.mask + 1) * 2;
    const slots = this.newInt32s(2 * size);
    const mask = size - 1;
    const rows = this.rows;
    for (let index = 0; index < this.count; index++) {
      const h = rows[index * ROW.STRIDE + ROW.HASH]!;
      let i = h & mask;
      while (slots[2 * i] !== 0) i = (i + 1) & mask;
      slots[2 * i] = index + 1;
      slots[2 * i + 1] = h;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

function sameBytes(data: Uint8Array, at: number, key: Uint8Array, keyAt: number): boolean {
  for (let i = 0; i < 16; i++) if (data[at + i] !== key[keyAt + i]) return false;
  return true;
}

/** Decide the server side by ports: true when `portA` is the server's port. */
export function portAIsServer(portA: number, portB: number): boolean {
  const aWellKnown = portA < 1024;
  const bWellKnown = portB < 1024;
  if (aWellKnown !== bWellKnown) return aWellKnown;
  if (portA !== portB) return portA < portB;
  return false;
}
