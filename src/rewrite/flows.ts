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
import { readU16, readU32 } from '../codec/bytes.js';
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
  readonly addressA: Uint8Array;
  readonly addressB: Uint8Array;
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

  /** PROXY header state: the seq of the segment that starts with the header and the header length. */
  proxySeq = 0;
  proxyShift = 0;
  proxyActive = false;

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
  /** IPv4: the addresses as unsigned 32-bit numbers (the flow table compares these). */
  readonly wordA: number;
  readonly wordB: number;

  /** `addressA`/`addressB` are views into `slab` (one shared allocation for many flows). */
  constructor(id: number, protocol: number, af: 4 | 6, data: Uint8Array, l3: number, l4: number, slab: AddressSlab = SHARED_SLAB) {
    this.id = id;
    this.protocol = protocol;
    this.af = af;
    const size = af === 4 ? 4 : 16;
    const source = l3 + (af === 4 ? IPV4.SRC : IPV6.SRC);
    const destination = l3 + (af === 4 ? IPV4.DST : IPV6.DST);
    this.addressA = slab.copy(data, source, size);
    this.addressB = slab.copy(data, destination, size);
    this.wordA = af === 4 ? readU32(data, source) : 0;
    this.wordB = af === 4 ? readU32(data, destination) : 0;
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

  skip(reason: SkipReason): void {
    if (reason === 'not-eligible') {
      this.notEligibleCount++;
      return;
    }
    let counts = this.skipCounts;
    if (counts === null) counts = this.skipCounts = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    counts[SKIP_INDEX[reason]]!++;
  }

  /** Forget the TCP connection state (a new SYN on the same 4-tuple: a new connection). */
  resetConnectionState(): void {
    this.clientIsnKnown = false;
    this.fdataKnown = false;
    this.fdataGuessed = false;
    this.fdataSeq = 0;
    this.proxyActive = false;
    this.proxyShift = 0;
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
    if (this.used + size > this.chunk.length) {
      this.chunk = new Uint8Array(65536);
      this.used = 0;
    }
    const start = this.used;
    const chunk = this.chunk;
    for (let i = 0; i < size; i++) chunk[start + i] = data[at + i]!;
    this.used = start + size;
    return chunk.subarray(start, start + size);
  }
}

const SHARED_SLAB = new AddressSlab();

function mixBytes(data: Uint8Array, start: number, length: number, h: number): number {
  for (let i = 0; i < length; i++) h = Math.imul(h ^ data[start + i]!, 0x01000193);
  return h;
}

function sameBytes(data: Uint8Array, at: number, key: Uint8Array): boolean {
  for (let i = 0; i < key.length; i++) if (data[at + i] !== key[i]) return false;
  return true;
}

/** Open-addressing table of flows; `lookup` allocates nothing. */
export class FlowTable {
  readonly flows: Flow[] = [];
  private slots = new Int32Array(1024).fill(-1);
  /** The hash of the flow in each slot: most probes that do not match stop here. */
  private slotHashes = new Int32Array(1024);
  private mask = 1023;
  private readonly slab = new AddressSlab();
  /** Direction of the last successful lookup: true when the packet went A -> B. */
  lastForward = true;

  get size(): number {
    return this.flows.length;
  }

  private hash(protocol: number, data: Uint8Array, l3: number, af: 4 | 6, l4: number): number {
    const size = af === 4 ? 4 : 16;
    const source = l3 + (af === 4 ? IPV4.SRC : IPV6.SRC);
    const destination = l3 + (af === 4 ? IPV4.DST : IPV6.DST);
    const a = mixBytes(data, source, size, 0x811c9dc5 ^ readU16(data, l4));
    const b = mixBytes(data, destination, size, 0x811c9dc5 ^ readU16(data, l4 + 2));
    return ((a ^ b) + protocol * 0x9e3779b1) | 0;
  }

  private matches(flow: Flow, protocol: number, data: Uint8Array, l3: number, af: 4 | 6, l4: number): 0 | 1 | 2 {
    if (flow.protocol !== protocol || flow.af !== af) return 0;
    const sport = readU16(data, l4);
    const dport = readU16(data, l4 + 2);
    if (af === 4) {
      const source = readU32(data, l3 + IPV4.SRC);
      const destination = readU32(data, l3 + IPV4.DST);
      if (sport === flow.portA && dport === flow.portB && source === flow.wordA && destination === flow.wordB) return 1;
      if (sport === flow.portB && dport === flow.portA && source === flow.wordB && destination === flow.wordA) return 2;
      return 0;
    }
    const source = l3 + IPV6.SRC;
    const destination = l3 + IPV6.DST;
    if (sport === flow.portA && dport === flow.portB && sameBytes(data, source, flow.addressA) && sameBytes(data, destination, flow.addressB)) return 1;
    if (sport === flow.portB && dport === flow.portA && sameBytes(data, source, flow.addressB) && sameBytes(data, destination, flow.addressA)) return 2;
    return 0;
  }

  /**
   * The flow of the packet at l3 (family af, transport `protocol` with ports at l4), created when
   * new (`created` set on the table). Sets lastForward.
   */
  lookup(protocol: number, data: Uint8Array, l3: number, af: 4 | 6, l4: number): Flow {
    const h = this.hash(protocol, data, l3, af, l4);
    const slots = this.slots;
    const hashes = this.slotHashes;
    let i = h & this.mask;
    for (;;) {
      const index = slots[i]!;
      if (index < 0) break;
      if (hashes[i] === h) {
        const flow = this.flows[index]!;
        const m = this.matches(flow, protocol, data, l3, af, l4);
        if (m !== 0) {
          this.lastForward = m === 1;
          this.created = false;
          return flow;
        }
      }
      i = (i + 1) & this.mask;
    }
    const flow = new Flow(this.flows.length + 1, protocol, af, data, l3, l4, this.slab);
    slots[i] = this.flows.length;
    hashes[i] = h;
    this.flows.push(flow);
    this.lastForward = true;
    this.created = true;
    if (this.flows.length * 2 > this.mask) this.grow();
    return flow;
  }

  /** True when the last lookup created the flow. */
  created = false;

  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    this.slots = new Int32Array(capacity).fill(-1);
    this.slotHashes = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (let index = 0; index < this.flows.length; index++) {
      const f = this.flows[index]!;
      let h = mixBytes(f.addressA, 0, f.addressA.length, 0x811c9dc5 ^ f.portA);
      const b = mixBytes(f.addressB, 0, f.addressB.length, 0x811c9dc5 ^ f.portB);
      h = ((h ^ b) + f.protocol * 0x9e3779b1) | 0;
      let i = h & this.mask;
      while (this.slots[i]! >= 0) i = (i + 1) & this.mask;
      this.slots[i] = index;
      this.slotHashes[i] = h;
    }
  }
}

/** Decide the server side by ports: true when `portA` is the server's port. */
export function portAIsServer(portA: number, portB: number): boolean {
  const aWellKnown = portA < 1024;
  const bWellKnown = portB < 1024;
  if (aWellKnown !== bWellKnown) return aWellKnown;
  if (portA !== portB) return portA < portB;
  return false;
}
