/**
 * The TCP flow table of `toa stats`: one row per 4-tuple, found by a numeric hash.
 *
 * Memory is bounded by the number of distinct 4-tuples, never by packets, and none of it is a
 * JavaScript object per flow:
 * - the key is a 30-bit symmetric hash of (addresses, ports) into an open-addressing Int32Array;
 *   an IPv4 flow's addresses are two 32-bit words of its row, an IPv6 flow's sit in a byte pool
 *   (32 bytes per flow), so a lookup compares numbers in place and builds no string and no object;
 * - a flow is a row index: its fields are 256 bytes of one buffer (see I and D), the ones a packet
 *   touches in the first two cache lines; the buffer grows 4× at a time below LARGE_ROWS rows, 2× past;
 * - the carriers a connection keeps (SYN, handshake ACK, first later one, first one) are a shape
 *   number, an IPv4 address and a port in the row; objects only for IPv6 or unusual address texts
 *   and for several carriers on one packet. So finished connections leave no garbage in the old
 *   generation, and memory stays flat when 4-tuples carry connection after connection.
 *
 * A row describes the *current connection* on its 4-tuple. When the 4-tuple is reused (a SYN
 * without ACK whose sequence number differs from the first one seen from that side, the rule
 * tshark uses to start a new TCP stream), the caller finalises the connection (verdict, tallies)
 * and calls `resetConnection(flow)`: finished connections leave only counters behind.
 *
 * Endpoint A is the source of the first packet seen on the 4-tuple; which side is the client is
 * decided per connection (`clientSide`): the sender of the SYN, else the receiver of the SYN-ACK,
 * else the side facing a `--vip`, else the side with the higher port.
 */
import type { Carrier } from '../carriers/index.js';
import { bytesEqual, formatEndpoint, formatIp } from '../codec/addr.js';
import { grown } from '../codec/bytes.js';

/** Direction of the last packet looked up: from endpoint A to B, or from B to A. */
export const FLOW_DIRECTION = Object.freeze({ A_TO_B: 0, B_TO_A: 1 });

/** How the client side of a connection was decided. */
export type ClientEvidence = 'syn' | 'syn-ack' | 'vip' | 'port';

/** `clientEvidence` column codes (0, the reset value, is 'port'). */
export const EVIDENCE = Object.freeze({ PORT: 0, SYN: 1, SYN_ACK: 2, VIP: 3 });
const EVIDENCE_NAMES: readonly ClientEvidence[] = ['port', 'syn', 'syn-ack', 'vip'];

/** Bits of the `flags` column. */
export const FLOW_FLAG = Object.freeze({
  /** A PROXY v1/v2 header was seen at the start of a client payload. */
  PROXY_HEADER: 1,
  FIN: 2,
  RST: 4,
  /** The TTL-63 server RST came after the SYN-ACK. */
  RST_TTL63_AFTER_SYN_ACK: 8,
  /** Entries in the rare-field maps: rstTtl63Packet, zeroWindowSince, windowOpenedAfter. */
  RST_TTL63: 16,
  ZERO_WINDOW: 32,
  WINDOW_OPENED: 64,
  /** The 4-tuple carried an earlier connection (kept across resetConnection). */
  REUSED: 128,
});

/** The carrier slots of a connection (CarrierView fields are all that verdicts, modules and the report read). */
export const CARRIER_SLOT = Object.freeze({
  /** Client-address carriers of the option kinds a backend module reads, on the first client SYN. */
  SYN: 0,
  /** The same on the handshake ACK. */
  ACK: 1,
  /** First client-address carrier on a client packet that is neither the SYN nor the handshake ACK. */
  LATER: 2,
  /** First client-address carrier of the connection, any client packet (names the client). */
  FIRST: 3,
});
const SLOTS = 4;

/** What is kept of a carrier for a connection. */
export type CarrierView = Pick<Carrier, 'carrier' | 'kind' | 'length' | 'format' | 'clientAddress' | 'clientPort' | 'firstOption'>;

/** A carrier without its address and port: kept once per distinct shape. */
interface CarrierShape {
  carrier: Carrier['carrier'];
  kind: number | null;
  length: number;
  format: string;
  firstOption: boolean | undefined;
}

/**
 * Value of `text` when it is a dotted quad as formatIpv4 writes it (no leading zeros), else -1.
 * Builds nothing.
 */
export function dottedQuadValue(text: string): number {
  let value = 0;
  let p = 0;
  const n = text.length;
  for (let k = 0; k < 4; k++) {
    if (k > 0 && text.charCodeAt(p++) !== 0x2e) return -1;
    const start = p;
    let b = 0;
    while (p < n && p - start < 3) {
      const c = text.charCodeAt(p);
      if (c < 0x30 || c > 0x39) break;
      b = b * 10 + (c - 0x30);
      p++;
    }
    if (p === start || b > 255 || (p - start > 1 && text.charCodeAt(start) === 0x30)) return -1;
    value = value * 256 + b;
  }
  return p === n ? value : -1;
}

/** Bytes per flow in the address pool: address A (16) then address B (16). */
const POOL_STRIDE = 32;
const POOL_B = 16;
const INITIAL_SLOTS = 1 << 12;
const INITIAL_ROWS = 1 << 10;
/**
 * Rows grow 4× at a time below LARGE_ROWS (2× past it, see growRows): the new buffer is only touched
 * where the old one is copied and where rows are added, so fewer, larger steps copy less.
 */
const ROW_GROWTH = 4;
const LARGE_ROWS = 1 << 20;

/** Text of one connection's endpoints, client first. */
export interface FlowEndpoints {
  client: string;
  server: string;
  clientAddress: string;
  clientPort: number;
  serverAddress: string;
  serverPort: number;
}

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** Signed big-endian 32-bit word (stays a small integer in optimised code, no heap number). */
function word(data: Uint8Array, o: number): number {
  return (data[o]! << 24) | (data[o + 1]! << 16) | (data[o + 2]! << 8) | data[o + 3]!;
}

/** XOR of the address words of one endpoint (4 or 16 bytes). */
function addressWords(data: Uint8Array, offset: number, length: number): number {
  let h = word(data, offset);
  for (let i = 4; i < length; i += 4) h = mix32(h) ^ word(data, offset + i);
  return h;
}

/**
 * Fields of a flow row. A row is ROW_BYTES of one buffer seen as Int32Array (`FlowTable.ints`, index
 * flow * ROW_INTS + I.x) and as Float64Array (`FlowTable.doubles`, index flow * ROW_DOUBLES + D.x):
 * the fields one packet reads and writes share the first two cache lines, so a packet whose flow was
 * pushed out of the cache by the streaming capture data costs few misses. Integers that fit 32 bits
 * are ints (sequence numbers stored `| 0`, read `>>> 0`); counters and packet numbers are doubles.
 */
export const enum I {
  /** 30-bit hash, plus 2^30 for IPv6. */
  KEY = 0,
  /** First 4 bytes of address A / B as a big-endian signed word (the whole address for IPv4). */
  WORD_A = 1,
  WORD_B = 2,
  /** portA << 16 | portB. */
  PORTS = 3,
  /** FLOW_FLAG bits. */
  FLAGS = 4,
  /** 0: endpoint A is the client, 1: endpoint B is the client (decided on the connection's first packet). */
  CLIENT_SIDE = 5,
  /** First sequence number seen from A / from B (valid once the packet count of that side is > 0). */
  FIRST_SEQ_A = 6,
  FIRST_SEQ_B = 7,
  // doubles 4..13 (ints 8..27)
  /** EVIDENCE code. */
  EVIDENCE = 28,
  /** 1-based index of the capture file (in the command line order) of the first packet. */
  FILE_INDEX = 29,
  /** Window of the first SYN-ACK (valid when SYN_ACK_COUNT > 0). */
  SYN_ACK_WINDOW = 30,
  /** Index of the flow's addresses in the IPv6 address pool. */
  POOL_SLOT = 31,
  // doubles 16..18 (ints 32..37)
  SYN_SEQUENCE = 38,
  SYN_ACK_SEQUENCE = 39,
  /** IP length (header + payload, from the IP header), TCP header length and IP version of the handshake ACK. */
  ACK_IP_LENGTH = 40,
  ACK_TCP_HEADER_LENGTH = 41,
  ACK_IP_VERSION = 42,
  /**
   * Carriers per CARRIER_SLOT, three ints each from CARRIERS + 3 * slot: shape (0 none; > 0 a single
   * carrier kept as a shape number plus its IPv4 address and port (-1: none), so no object stays
   * referenced and nothing per connection reaches the old generation; -1 anything else (IPv6 or unusual
   * address text, several carriers), kept as objects in a map), address (`| 0`), port.
   */
  CARRIERS = 48,
}

/**
 * The double fields of a flow row: the same ROW_BYTES as I, indexed in 8-byte units (double k covers
 * ints 2k and 2k + 1, the gaps noted in I). Two enums rather than one table of byte offsets: each is a
 * const enum, inlined as the index into its own typed view, so a packet pays no offset arithmetic, and
 * the type of `int(flow, I.x)` / `double(flow, D.x)` keeps an int field from being read as a double.
 */
export const enum D {
  /** Packets from A / from B (the connection's packets are their sum) and their payload bytes. */
  PACKETS_A = 4,
  PACKETS_B = 5,
  PAYLOAD_A = 6,
  PAYLOAD_B = 7,
  BYTES = 8,
  /** Packet number of the ACK that completes the handshake (0: not seen). */
  ACK_PACKET = 9,
  /** SYNs (without ACK) from the client, retransmissions included; 0 = no SYN in the capture. */
  SYN_COUNT = 10,
  SYN_ACK_COUNT = 11,
  /** Client→server packets (SYN and handshake ACK included) with a client-address carrier. */
  CARRIER_PACKETS = 12,
  /** Packet number of the first packet. */
  FIRST_PACKET = 13,
  SYN_PACKET = 16,
  /** Server→client packets with a client-address carrier. */
  SERVER_CARRIER_PACKETS = 17,
  LATER_CARRIER_PACKET = 18,
}

export const ROW_BYTES = 256;
export const ROW_INTS = ROW_BYTES / 4;
export const ROW_DOUBLES = ROW_BYTES / 8;
/** Ints of a connection (everything after the 4-tuple fields) that resetConnection clears. */
const CONNECTION_INTS_START = I.FLAGS;
const IPV6_KEY = 1 << 30;

/**
 * Flow rows. A flow is the row index returned by `lookup`; read and write its fields through `ints`
 * and `doubles` (see I and D). The buffer is replaced when the table grows (only inside `lookup`), so
 * take `ints` / `doubles` from the table after a lookup, never across one.
 */
export class FlowTable {
  /** Open addressing, linear probing: slot → row + 1 (0 = empty). Load kept ≤ 1/2. */
  private slots = new Int32Array(INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  /** Addresses of IPv6 flows, 32 bytes each at POOL_SLOT (IPv4 addresses are WORD_A / WORD_B). */
  private pool = new Uint8Array(POOL_STRIDE * 64);
  private poolUsed = 0;
  private used = 0;
  private capacity = INITIAL_ROWS;
  ints = new Int32Array(INITIAL_ROWS * ROW_INTS);
  doubles = new Float64Array(this.ints.buffer);
  /** FLOW_DIRECTION of the packet of the last `lookup`. */
  direction = 0;

  /** SYN-ACK window 0 (flag ZERO_WINDOW): time (ms) of that SYN-ACK while waiting for an opening. Rare: a map. */
  readonly zeroWindowSince = new Map<number, number>();
  /** Milliseconds from a zero-window SYN-ACK to the first server packet with a window > 0 (flag WINDOW_OPENED). */
  readonly windowOpenedAfter = new Map<number, number>();
  /** Packet number of a server RST with TTL/hop limit 63 sent before any server data (flag RST_TTL63). */
  readonly rstTtl63Packet = new Map<number, number>();
  private readonly carrierObjects = new Map<number, readonly CarrierView[]>();
  private readonly carrierShapes: CarrierShape[] = [];
  /** format → (kind, length, firstOption) → shape number. */
  private readonly shapeNumbers = new Map<string, Map<number, number>>();

  get size(): number {
    return this.used;
  }

  /**
   * The row of the TCP/UDP 4-tuple of a packet (created when new); sets `direction`.
   * `data` holds the packet; the addresses are `length` (4 or 16) bytes at the given offsets.
   * No allocation unless the table grows.
   */
  lookup(data: Uint8Array, sourceOffset: number, destinationOffset: number, length: 4 | 16, sourcePort: number, destinationPort: number): number {
    // Symmetric in (source, destination): XOR of the two endpoints' words, then one mix.
    // The first address words decide for IPv4 and reject most IPv6 mismatches before a byte compare.
    const source0 = word(data, sourceOffset);
    const destination0 = word(data, destinationOffset);
    const ipv4 = length === 4;
    const sourceWords = ipv4 ? source0 : addressWords(data, sourceOffset, length);
    const destinationWords = ipv4 ? destination0 : addressWords(data, destinationOffset, length);
    const hash = mix32(sourceWords ^ destinationWords ^ Math.imul(sourcePort ^ destinationPort, 0x9e3779b1) ^ length) & 0x3fffffff;
    const key = ipv4 ? hash : hash | IPV6_KEY;
    const forward = (sourcePort << 16) | destinationPort;
    const backward = (destinationPort << 16) | sourcePort;
    const slots = this.slots;
    const mask = this.mask;
    const ints = this.ints;
    let i = hash & mask;
    for (let entry = slots[i]!; entry !== 0; entry = slots[i]!) {
      const r = entry - 1;
      const o = r * ROW_INTS;
      if (ints[o + I.KEY] === key) {
        const ports = ints[o + I.PORTS]!;
        const wordA = ints[o + I.WORD_A]!;
        const wordB = ints[o + I.WORD_B]!;
        if (ports === forward && wordA === source0 && wordB === destination0 && (ipv4 || this.sameAddresses(r, data, sourceOffset, destinationOffset))) {
          this.direction = FLOW_DIRECTION.A_TO_B;
          return r;
        }
        if (ports === backward && wordA === destination0 && wordB === source0 && (ipv4 || this.sameAddresses(r, data, destinationOffset, sourceOffset))) {
          this.direction = FLOW_DIRECTION.B_TO_A;
          return r;
        }
      }
      i = (i + 1) & mask;
    }
    const r = this.used++;
    if (r === this.capacity) this.growRows();
    const o = r * ROW_INTS;
    const row = this.ints;
    if (!ipv4) {
      const slot = this.poolUsed++;
      if ((slot + 1) * POOL_STRIDE > this.pool.length) this.pool = grown(this.pool, this.pool.length * 2);
      this.pool.set(data.subarray(sourceOffset, sourceOffset + 16), slot * POOL_STRIDE);
      this.pool.set(data.subarray(destinationOffset, destinationOffset + 16), slot * POOL_STRIDE + POOL_B);
      row[o + I.POOL_SLOT] = slot;
    }
    row[o + I.KEY] = key;
    row[o + I.WORD_A] = source0;
    row[o + I.WORD_B] = destination0;
    row[o + I.PORTS] = forward;
    // a new row is all zero, which is every connection field's "nothing seen yet" value
    slots[i] = r + 1;
    if (this.used * 2 > slots.length) this.growSlots();
    this.direction = FLOW_DIRECTION.A_TO_B;
    return r;
  }

  /** Row r's addresses A and B are the 16 bytes at aOffset and at bOffset of data (IPv6). */
  private sameAddresses(r: number, data: Uint8Array, aOffset: number, bOffset: number): boolean {
    const base = this.ints[r * ROW_INTS + I.POOL_SLOT]! * POOL_STRIDE;
    return bytesEqual(this.pool, base, data, aOffset, 16) && bytesEqual(this.pool, base + POOL_B, data, bOffset, 16);
  }

  /** Forget the finished connection of `flow` (every field after the 4-tuple and POOL_SLOT), keep the 4-tuple. */
  resetConnection(flow: number): void {
    const ints = this.ints;
    const o = flow * ROW_INTS;
    const flags = ints[o + I.FLAGS]!;
    if ((flags & FLOW_FLAG.ZERO_WINDOW) !== 0) this.zeroWindowSince.delete(flow);
    if ((flags & FLOW_FLAG.WINDOW_OPENED) !== 0) this.windowOpenedAfter.delete(flow);
    if ((flags & FLOW_FLAG.RST_TTL63) !== 0) this.rstTtl63Packet.delete(flow);
    for (let slot = 0; slot < SLOTS; slot++) if (ints[o + I.CARRIERS + 3 * slot] === -1) this.carrierObjects.delete(flow * SLOTS + slot);
    const poolSlot = ints[o + I.POOL_SLOT]!;
    ints.fill(0, o + CONNECTION_INTS_START, o + ROW_INTS);
    ints[o + I.POOL_SLOT] = poolSlot;
    ints[o + I.FLAGS] = FLOW_FLAG.REUSED;
  }

  /** One int / double field of a row (for per-connection code; per-packet code indexes ints / doubles). */
  int(flow: number, field: I): number {
    return this.ints[flow * ROW_INTS + field]!;
  }
  double(flow: number, field: D): number {
    return this.doubles[flow * ROW_DOUBLES + field]!;
  }

  /** 4 or 6. */
  ipVersion(flow: number): 4 | 6 {
    return (this.ints[flow * ROW_INTS + I.KEY]! & IPV6_KEY) !== 0 ? 6 : 4;
  }
  portA(flow: number): number {
    return this.ints[flow * ROW_INTS + I.PORTS]! >>> 16;
  }
  portB(flow: number): number {
    return this.ints[flow * ROW_INTS + I.PORTS]! & 0xffff;
  }
  clientSide(flow: number): 0 | 1 {
    return this.ints[flow * ROW_INTS + I.CLIENT_SIDE] === 1 ? 1 : 0;
  }
  flags(flow: number): number {
    return this.ints[flow * ROW_INTS + I.FLAGS]!;
  }

  /** Packets of the flow's current connection. */
  packets(flow: number): number {
    const o = flow * ROW_DOUBLES;
    return this.doubles[o + D.PACKETS_A]! + this.doubles[o + D.PACKETS_B]!;
  }

  private growRows(): void {
    // past a million rows (256 MiB), 2× steps: less address space reserved ahead of use
    this.capacity *= this.capacity < LARGE_ROWS ? ROW_GROWTH : 2;
    this.ints = grown(this.ints, this.capacity * ROW_INTS);
    this.doubles = new Float64Array(this.ints.buffer);
  }

  private growSlots(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let r = 0; r < this.used; r++) {
      let i = this.ints[r * ROW_INTS + I.KEY]! & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = r + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }

  /** Keep one carrier (with a client address) in a slot of the flow's connection. */
  keepCarrier(flow: number, slot: number, c: Carrier): void {
    const address = dottedQuadValue(c.clientAddress!);
    if (address < 0) {
      this.keepCarrierObjects(flow, slot, [c]);
      return;
    }
    const o = flow * ROW_INTS + I.CARRIERS + 3 * slot;
    this.ints[o] = this.shapeNumber(c);
    this.ints[o + 1] = address | 0;
    this.ints[o + 2] = c.clientPort ?? -1;
  }

  /** Keep a list of carriers in a slot (objects; for the unusual cases keepCarrier does not cover). */
  keepCarrierObjects(flow: number, slot: number, list: readonly CarrierView[]): void {
    this.ints[flow * ROW_INTS + I.CARRIERS + 3 * slot] = -1;
    this.carrierObjects.set(flow * SLOTS + slot, list);
  }

  hasCarrier(flow: number, slot: number): boolean {
    return this.ints[flow * ROW_INTS + I.CARRIERS + 3 * slot] !== 0;
  }

  /**
   * Shape number of a slot holding one compact carrier (> 0), 0 when empty, -1 when kept as objects.
   * Two compact carriers with the same shape differ only in their IPv4 address and port.
   */
  carrierShapeOf(flow: number, slot: number): number {
    return this.ints[flow * ROW_INTS + I.CARRIERS + 3 * slot]!;
  }

  /** The carriers of a slot (null: none); made anew for compact ones. */
  carriers(flow: number, slot: number): readonly CarrierView[] | null {
    const o = flow * ROW_INTS + I.CARRIERS + 3 * slot;
    const shape = this.ints[o]!;
    if (shape === 0) return null;
    if (shape < 0) return this.carrierObjects.get(flow * SLOTS + slot)!;
    return [this.viewOf(shape, formatIpv4Value(this.ints[o + 1]! >>> 0), this.ints[o + 2]!)];
  }

  /** The first carrier of a slot (null: none). */
  carrier(flow: number, slot: number): CarrierView | null {
    return this.carriers(flow, slot)?.[0] ?? null;
  }

  /** A carrier of the given compact shape with this address text (for outcomes that depend on the shape only). */
  shapeView(shape: number, address: string): readonly CarrierView[] {
    return [this.viewOf(shape, address, null)];
  }

  /** IPv4 address (as a number) of a slot's compact carrier. */
  carrierAddressValue(flow: number, slot: number): number {
    return this.ints[flow * ROW_INTS + I.CARRIERS + 3 * slot + 1]! >>> 0;
  }

  private viewOf(shape: number, clientAddress: string, port: number | null): CarrierView {
    const s = this.carrierShapes[shape - 1]!;
    const view: CarrierView = { carrier: s.carrier, kind: s.kind, length: s.length, format: s.format, clientAddress, clientPort: port === null || port < 0 ? null : port };
    if (s.firstOption !== undefined) view.firstOption = s.firstOption;
    return view;
  }

  private shapeNumber(c: Carrier): number {
    let byFormat = this.shapeNumbers.get(c.format);
    if (byFormat === undefined) this.shapeNumbers.set(c.format, (byFormat = new Map()));
    const key = ((c.kind ?? 0x100) * 0x10000 + c.length) * 4 + (c.firstOption === undefined ? 0 : c.firstOption ? 1 : 2);
    const n = byFormat.get(key);
    if (n !== undefined && this.carrierShapes[n - 1]!.carrier === c.carrier) return n;
    // the same format, kind and length under another carrier type: the map keeps only the first one, so
    // look for an equal shape before adding one (else every such carrier would add a shape)
    for (let k = 0; k < this.carrierShapes.length; k++) {
      const s = this.carrierShapes[k]!;
      if (s.carrier === c.carrier && s.format === c.format && s.kind === c.kind && s.length === c.length && s.firstOption === c.firstOption) return k + 1;
    }
    this.carrierShapes.push({ carrier: c.carrier, kind: c.kind, length: c.length, format: c.format, firstOption: c.firstOption });
    if (n === undefined) byFormat.set(key, this.carrierShapes.length);
    return this.carrierShapes.length;
  }

  /** 4-tuples that carried more than one connection. */
  reusedFourTuples(): number {
    let n = 0;
    for (let r = 0; r < this.used; r++) if ((this.ints[r * ROW_INTS + I.FLAGS]! & FLOW_FLAG.REUSED) !== 0) n++;
    return n;
  }

  /** How the client side of the flow's current connection was decided. */
  evidence(flow: number): ClientEvidence {
    return EVIDENCE_NAMES[this.ints[flow * ROW_INTS + I.EVIDENCE]!]!;
  }

  /** Packets and payload bytes from the client side and from the server side. */
  clientPackets(flow: number): number {
    return this.doubles[flow * ROW_DOUBLES + (this.clientSide(flow) === 1 ? D.PACKETS_B : D.PACKETS_A)]!;
  }
  serverPackets(flow: number): number {
    return this.doubles[flow * ROW_DOUBLES + (this.clientSide(flow) === 1 ? D.PACKETS_A : D.PACKETS_B)]!;
  }
  clientPayload(flow: number): number {
    return this.doubles[flow * ROW_DOUBLES + (this.clientSide(flow) === 1 ? D.PAYLOAD_B : D.PAYLOAD_A)]!;
  }
  serverPayload(flow: number): number {
    return this.doubles[flow * ROW_DOUBLES + (this.clientSide(flow) === 1 ? D.PAYLOAD_A : D.PAYLOAD_B)]!;
  }

  /** Address of endpoint `side` as a number when the flow is IPv4, else -1. */
  ipv4Value(flow: number, side: 0 | 1): number {
    if (this.ipVersion(flow) !== 4) return -1;
    return this.ints[flow * ROW_INTS + (side === 0 ? I.WORD_A : I.WORD_B)]! >>> 0;
  }

  /** Address text of endpoint A (side 0) or B (side 1) of a flow. */
  address(flow: number, side: 0 | 1): string {
    if (this.ipVersion(flow) === 4) return formatIpv4Value(this.ipv4Value(flow, side));
    return formatIp(this.pool, this.ints[flow * ROW_INTS + I.POOL_SLOT]! * POOL_STRIDE + (side === 0 ? 0 : POOL_B), 16);
  }

  /** True when endpoint `side` of the flow has these address bytes (4 or 16) and, when given, this port. */
  endpointIs(flow: number, side: 0 | 1, address: Uint8Array, port: number | null): boolean {
    const length = this.ipVersion(flow) === 4 ? 4 : 16;
    if (address.length !== length) return false;
    if (port !== null && (side === 0 ? this.portA(flow) : this.portB(flow)) !== port) return false;
    if (length === 4) return this.ints[flow * ROW_INTS + (side === 0 ? I.WORD_A : I.WORD_B)] === word(address, 0);
    return bytesEqual(this.pool, this.ints[flow * ROW_INTS + I.POOL_SLOT]! * POOL_STRIDE + (side === 0 ? 0 : POOL_B), address, 0, length);
  }

  /** Client and server endpoints of the current connection. */
  endpoints(flow: number): FlowEndpoints {
    const clientSide = this.clientSide(flow);
    const serverSide: 0 | 1 = clientSide === 0 ? 1 : 0;
    const clientAddress = this.address(flow, clientSide);
    const serverAddress = this.address(flow, serverSide);
    const clientPort = clientSide === 0 ? this.portA(flow) : this.portB(flow);
    const serverPort = clientSide === 0 ? this.portB(flow) : this.portA(flow);
    return {
      client: formatEndpoint(clientAddress, clientPort),
      server: formatEndpoint(serverAddress, serverPort),
      clientAddress,
      clientPort,
      serverAddress,
      serverPort,
    };
  }
}

/** Dotted quad of an address held as a number 0..2^32-1. */
export function formatIpv4Value(value: number): string {
  return `${Math.floor(value / 0x1000000)}.${Math.floor(value / 0x10000) & 255}.${Math.floor(value / 0x100) & 255}.${value & 255}`;
}

/**
 * Rows keyed by a pair of numbers (an IPv4 address 0..2^32-1 and a port or 0), in insertion order,
 * each with two counters; open addressing over typed arrays (the numeric twin of a Map keyed by
 * "address|port" text, without a string per key).
 */
export class PairIndex {
  private slots = new Int32Array(1 << 10);
  private mask = (1 << 10) - 1;
  private keys = new Float64Array(1 << 9);
  private counters = new Float64Array(2 << 9);
  size = 0;

  /** Row of the pair, -1 when absent. */
  find(address: number, port: number): number {
    const key = address * 0x10000 + port;
    for (let i = mix32((address | 0) ^ Math.imul(port, 0x9e3779b1)) & this.mask; ; i = (i + 1) & this.mask) {
      const entry = this.slots[i]!;
      if (entry === 0) return -1;
      if (this.keys[entry - 1] === key) return entry - 1;
    }
  }

  /** Row of the pair, added (counters 0) when absent. */
  add(address: number, port: number): number {
    const found = this.find(address, port);
    if (found >= 0) return found;
    const row = this.size++;
    if (row === this.keys.length) {
      this.keys = grown(this.keys, row * 2);
      this.counters = grown(this.counters, row * 4);
    }
    this.keys[row] = address * 0x10000 + port;
    if (this.size * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(row);
    return row;
  }

  address(row: number): number {
    return Math.floor(this.keys[row]! / 0x10000);
  }

  /** Counter k (0 or 1) of a row. */
  counter(row: number, k: 0 | 1): number {
    return this.counters[row * 2 + k]!;
  }
  addToCounter(row: number, k: 0 | 1, n: number): void {
    this.counters[row * 2 + k]! += n;
  }

  private place(row: number): void {
    const key = this.keys[row]!;
    const address = Math.floor(key / 0x10000);
    const port = key - address * 0x10000;
    let i = mix32((address | 0) ^ Math.imul(port, 0x9e3779b1)) & this.mask;
    while (this.slots[i] !== 0) i = (i + 1) & this.mask;
    this.slots[i] = row + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let row = 0; row < this.size; row++) this.place(row);
  }
}
