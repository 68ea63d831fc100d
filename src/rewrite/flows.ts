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
import { readU16, readU32, writeU16, writeU32 } from '../codec/bytes.js';
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
  private capacity = 512;
  private protocols = new Uint8Array(512);
  private families = new Uint8Array(512);
  private portsA = new Uint16Array(512);
  private portsB = new Uint16Array(512);
  /** IPv4 addresses as (signed) 32-bit words; IPv6 addresses are in `v6` (32 bytes per flow). */
  private wordsA = new Int32Array(512);
  private wordsB = new Int32Array(512);
  private v6 = new Uint8Array(0);
  private hashes = new Int32Array(512);
  private slots = new Int32Array(1024).fill(-1);
  /** The hash of the flow in each slot: most probes that do not match stop here. */
  private slotHashes = new Int32Array(1024);
  private mask = 1023;
  private readonly slab = new AddressSlab();
  /** Direction of the last lookup: true when the packet went A -> B (always true for a new flow). */
  lastForward = true;
  /** True when the last lookup created the flow. */
  created = false;

  /** Flows seen so far. */
  get size(): number {
    return this.count;
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
    const af = this.families[index] === 6 ? 6 : 4;
    // a header with just the key at its offsets: side A as the source, side B as the destination
    const key = KEY_HEADER;
    const l4 = af === 4 ? IPV4.MIN_HEADER : IPV6.HEADER;
    if (af === 4) {
      writeU32(key, IPV4.SRC, this.wordsA[index]! >>> 0);
      writeU32(key, IPV4.DST, this.wordsB[index]! >>> 0);
    } else {
      key.set(this.v6.subarray(index * V6_KEY, index * V6_KEY + 32), IPV6.SRC);
    }
    writeU16(key, l4, this.portsA[index]!);
    writeU16(key, l4 + 2, this.portsB[index]!);
    return this.keep(index, new Flow(index + 1, this.protocols[index]!, af, key, 0, l4, this.slab));
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
    const sport = readU16(data, l4);
    const dport = readU16(data, l4 + 2);
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
    const hashes = this.slotHashes;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const index = slots[i]!;
      if (index < 0) break;
      if (hashes[i] === h && this.protocols[index] === protocol && this.families[index] === af) {
        const pa = this.portsA[index]!;
        const pb = this.portsB[index]!;
        if (af === 4) {
          const a = this.wordsA[index]!;
          const b = this.wordsB[index]!;
          if (sport === pa && dport === pb && wa === a && wb === b) return this.found(index, true);
          if (sport === pb && dport === pa && wa === b && wb === a) return this.found(index, false);
        } else {
          const key = index * V6_KEY;
          const v6 = this.v6;
          if (sport === pa && dport === pb && sameBytes(data, l3 + IPV6.SRC, v6, key) && sameBytes(data, l3 + IPV6.DST, v6, key + 16)) return this.found(index, true);
          if (sport === pb && dport === pa && sameBytes(data, l3 + IPV6.SRC, v6, key + 16) && sameBytes(data, l3 + IPV6.DST, v6, key)) return this.found(index, false);
        }
      }
      i = (i + 1) & mask;
    }
    const index = this.count;
    if (index === this.capacity) this.growColumns();
    this.protocols[index] = protocol;
    this.families[index] = af;
    this.portsA[index] = sport;
    this.portsB[index] = dport;
    this.wordsA[index] = wa;
    this.wordsB[index] = wb;
    this.hashes[index] = h;
    if (af === 6) {
      if (this.v6.length < this.capacity * V6_KEY) this.v6 = grown(this.v6, this.capacity * V6_KEY);
      this.v6.set(data.subarray(l3 + IPV6.SRC, l3 + IPV6.SRC + 32), index * V6_KEY);
    }
    slots[i] = index;
    hashes[i] = h;
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

  private growColumns(): void {
    const n = this.capacity * 2;
    this.protocols = grown(this.protocols, n);
    this.families = grown(this.families, n);
    this.portsA = grown(this.portsA, n);
    this.portsB = grown(this.portsB, n);
    this.wordsA = grown(this.wordsA, n);
    this.wordsB = grown(this.wordsB, n);
    this.hashes = grown(this.hashes, n);
    this.capacity = n;
  }

  private growSlots(): void {
    const size = (this.mask + 1) * 2;
    const slots = new Int32Array(size).fill(-1);
    const slotHashes = new Int32Array(size);
    const mask = size - 1;
    for (let index = 0; index < this.count; index++) {
      const h = this.hashes[index]!;
      let i = h & mask;
      while (slots[i]! >= 0) i = (i + 1) & mask;
      slots[i] = index;
      slotHashes[i] = h;
    }
    this.slots = slots;
    this.slotHashes = slotHashes;
    this.mask = mask;
  }
}

function sameBytes(data: Uint8Array, at: number, key: Uint8Array, keyAt: number): boolean {
  for (let i = 0; i < 16; i++) if (data[at + i] !== key[keyAt + i]) return false;
  return true;
}

/** A typed array of `length` elements holding a copy of `a` at its start. */
function grown<T extends Uint8Array | Uint16Array | Int32Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}

/** Decide the server side by ports: true when `portA` is the server's port. */
export function portAIsServer(portA: number, portB: number): boolean {
  const aWellKnown = portA < 1024;
  const bWellKnown = portB < 1024;
  if (aWellKnown !== bWellKnown) return aWellKnown;
  if (portA !== portB) return portA < portB;
  return false;
}
