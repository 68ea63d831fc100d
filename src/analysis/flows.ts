/**
 * The TCP flow table of `toa stats`: one compact record per 4-tuple, found by a numeric hash.
 *
 * Memory is bounded by the number of distinct 4-tuples, never by packets:
 * - the key is a 30-bit symmetric hash of (addresses, ports) into an open-addressing Int32Array;
 *   both addresses of every flow live in one shared byte pool (32 bytes per flow), so a lookup
 *   compares bytes in place and builds no string and no object per packet;
 * - a FlowRecord holds numbers only, plus references to the carriers of the two packets a
 *   backend module reads (SYN, handshake ACK) and of the first later carrier; those objects
 *   were allocated by the carrier scanner anyway.
 *
 * A record describes the *current connection* on its 4-tuple. When the 4-tuple is reused (a SYN
 * without ACK whose sequence number differs from the first one seen from that side, the rule
 * tshark uses to start a new TCP stream), the caller finalises the connection (verdict, tallies)
 * and calls `resetConnection()`: finished connections leave only counters behind.
 *
 * Endpoint A is the source of the first packet seen on the 4-tuple; which side is the client is
 * decided per connection (`clientSide`): the sender of the SYN, else the receiver of the SYN-ACK,
 * else the side facing a `--vip`, else the side with the higher port.
 */
import type { Carrier } from '../carriers/index.js';
import { formatEndpoint, formatIp } from '../codec/addr.js';

/** Direction of the last packet looked up: from endpoint A to B, or from B to A. */
export const FLOW_DIRECTION = Object.freeze({ A_TO_B: 0, B_TO_A: 1 });

/** How the client side of a connection was decided. */
export type ClientEvidence = 'syn' | 'syn-ack' | 'vip' | 'port';

/** Bytes per flow in the address pool: address A (16) then address B (16). */
const POOL_STRIDE = 32;
const POOL_B = 16;

export class FlowRecord {
  // --- connection identity
  /** Connections finished on this 4-tuple before the current one (port reuse). */
  reuse = 0;
  /** 0: endpoint A is the client, 1: endpoint B is the client, -1 not decided yet. */
  clientSide = -1;
  clientEvidence: ClientEvidence = 'port';
  /** 1-based index of the capture file (in the command line order) and packet number of the first packet. */
  fileIndex = 0;
  firstPacket = 0;
  /** Milliseconds since the epoch (fractional). */
  firstTime = 0;
  lastTime = 0;

  // --- counters
  packets = 0;
  bytes = 0;
  packetsAtoB = 0;
  packetsBtoA = 0;
  payloadAtoB = 0;
  payloadBtoA = 0;
  /** First sequence number seen from A / from B (-1: none yet); a SYN with another one starts a new connection. */
  firstSeqA = -1;
  firstSeqB = -1;

  // --- handshake
  /** SYNs (without ACK) from the client, retransmissions included; 0 = no SYN in the capture. */
  synCount = 0;
  synSequence = 0;
  synPacket = 0;
  synFile = 0;
  synCarriers: Carrier[] | null = null;
  synAckCount = 0;
  synAckSequence = 0;
  synAckTime = 0;
  synAckWindow = -1;
  /** SYN-ACK window 0: time (ms) of the SYN-ACK while waiting for an opening, -1 otherwise. */
  zeroWindowSince = -1;
  /** Milliseconds from a zero-window SYN-ACK to the first server packet with a window > 0 (-1: not opened). */
  windowOpenedAfter = -1;
  /** Packet number of the ACK that completes the handshake (0: not seen). */
  ackPacket = 0;
  ackFile = 0;
  ackCarriers: Carrier[] | null = null;
  /** IP length (header + payload, from the IP header) and TCP header length of that ACK. */
  ackIpLength = 0;
  ackTcpHeaderLength = 0;
  ackIpVersion = 0;

  // --- carriers
  /** Client→server packets (SYN and handshake ACK included) with a client-address carrier. */
  carrierPackets = 0;
  /** Server→client packets with a client-address carrier. */
  serverCarrierPackets = 0;
  /** First client-address carrier on a client packet that is neither the SYN nor the handshake ACK. */
  laterCarrier: Carrier | null = null;
  laterCarrierPacket = 0;
  /** First client-address carrier of the connection, any packet (names the client). */
  firstCarrier: Carrier | null = null;
  /** A PROXY v1/v2 header was seen at the start of a client payload. */
  proxyHeader = false;

  // --- closing and oddities
  finSeen = false;
  rstSeen = false;
  /** Packet number of a server RST with TTL/hop limit 63 sent before any server data (0: none). */
  rstTtl63Packet = 0;
  rstTtl63AfterSynAck = false;

  constructor(
    readonly hash: number,
    /** Index of this flow's 32 bytes in the table's address pool. */
    readonly slot: number,
    readonly ipVersion: 4 | 6,
    readonly portA: number,
    readonly portB: number,
  ) {}

  /** Forget the finished connection, keep the 4-tuple. */
  resetConnection(): void {
    this.reuse++;
    this.clientSide = -1;
    this.clientEvidence = 'port';
    this.fileIndex = 0;
    this.firstPacket = 0;
    this.firstTime = 0;
    this.lastTime = 0;
    this.packets = 0;
    this.bytes = 0;
    this.packetsAtoB = 0;
    this.packetsBtoA = 0;
    this.payloadAtoB = 0;
    this.payloadBtoA = 0;
    this.firstSeqA = -1;
    this.firstSeqB = -1;
    this.synCount = 0;
    this.synSequence = 0;
    this.synPacket = 0;
    this.synFile = 0;
    this.synCarriers = null;
    this.synAckCount = 0;
    this.synAckSequence = 0;
    this.synAckTime = 0;
    this.synAckWindow = -1;
    this.zeroWindowSince = -1;
    this.windowOpenedAfter = -1;
    this.ackPacket = 0;
    this.ackFile = 0;
    this.ackCarriers = null;
    this.ackIpLength = 0;
    this.ackTcpHeaderLength = 0;
    this.ackIpVersion = 0;
    this.carrierPackets = 0;
    this.serverCarrierPackets = 0;
    this.laterCarrier = null;
    this.laterCarrierPacket = 0;
    this.firstCarrier = null;
    this.proxyHeader = false;
    this.finSeen = false;
    this.rstSeen = false;
    this.rstTtl63Packet = 0;
    this.rstTtl63AfterSynAck = false;
  }

  /** Packets and payload bytes from the client side (A when the client is undecided). */
  get clientPackets(): number {
    return this.clientSide === 1 ? this.packetsBtoA : this.packetsAtoB;
  }
  get serverPackets(): number {
    return this.clientSide === 1 ? this.packetsAtoB : this.packetsBtoA;
  }
  get clientPayload(): number {
    return this.clientSide === 1 ? this.payloadBtoA : this.payloadAtoB;
  }
  get serverPayload(): number {
    return this.clientSide === 1 ? this.payloadAtoB : this.payloadBtoA;
  }
}

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

const INITIAL_SLOTS = 1 << 12;

export class FlowTable {
  /** Open addressing, linear probing: slot → record index + 1 (0 = empty). Load kept ≤ 1/2. */
  private slots = new Int32Array(INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  private pool = new Uint8Array(POOL_STRIDE * 1024);
  private used = 0;
  /** Every record, in creation order. */
  readonly records: FlowRecord[] = [];
  /** FLOW_DIRECTION of the packet of the last `lookup`. */
  direction = 0;

  get size(): number {
    return this.used;
  }

  /**
   * The record of the TCP/UDP 4-tuple of a packet (created when new); sets `direction`.
   * `data` holds the packet; the addresses are `length` (4 or 16) bytes at the given offsets.
   * No allocation unless the 4-tuple is new.
   */
  lookup(data: Uint8Array, sourceOffset: number, destinationOffset: number, length: 4 | 16, sourcePort: number, destinationPort: number): FlowRecord {
    // Symmetric in (source, destination): XOR of the two endpoints' words, then one mix.
    const hash = mix32(addressWords(data, sourceOffset, length) ^ addressWords(data, destinationOffset, length) ^ Math.imul(sourcePort ^ destinationPort, 0x9e3779b1) ^ length) & 0x3fffffff;
    const version = length === 4 ? 4 : 6;
    const slots = this.slots;
    const mask = this.mask;
    const pool = this.pool;
    const records = this.records;
    let i = hash & mask;
    for (let entry = slots[i]!; entry !== 0; entry = slots[i]!) {
      const r = records[entry - 1]!;
      if (r.hash === hash && r.ipVersion === version) {
        const base = r.slot * POOL_STRIDE;
        if (r.portA === sourcePort && r.portB === destinationPort && same(pool, base, data, sourceOffset, length) && same(pool, base + POOL_B, data, destinationOffset, length)) {
          this.direction = FLOW_DIRECTION.A_TO_B;
          return r;
        }
        if (r.portA === destinationPort && r.portB === sourcePort && same(pool, base, data, destinationOffset, length) && same(pool, base + POOL_B, data, sourceOffset, length)) {
          this.direction = FLOW_DIRECTION.B_TO_A;
          return r;
        }
      }
      i = (i + 1) & mask;
    }
    const slot = this.used++;
    if ((slot + 1) * POOL_STRIDE > this.pool.length) {
      const bigger = new Uint8Array(this.pool.length * 2);
      bigger.set(this.pool);
      this.pool = bigger;
    }
    const base = slot * POOL_STRIDE;
    this.pool.set(data.subarray(sourceOffset, sourceOffset + length), base);
    this.pool.set(data.subarray(destinationOffset, destinationOffset + length), base + POOL_B);
    const record = new FlowRecord(hash, slot, version, sourcePort, destinationPort);
    records.push(record);
    slots[i] = slot + 1;
    if (this.used * 2 > slots.length) this.grow();
    this.direction = FLOW_DIRECTION.A_TO_B;
    return record;
  }

  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (const r of this.records) {
      let i = r.hash & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = r.slot + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }

  /** Address text of endpoint A (side 0) or B (side 1) of a record. */
  address(record: FlowRecord, side: 0 | 1): string {
    return formatIp(this.pool, record.slot * POOL_STRIDE + (side === 0 ? 0 : POOL_B), record.ipVersion === 4 ? 4 : 16);
  }

  /** True when endpoint `side` of the record has these address bytes (4 or 16) and, when given, this port. */
  endpointIs(record: FlowRecord, side: 0 | 1, address: Uint8Array, port: number | null): boolean {
    const length = record.ipVersion === 4 ? 4 : 16;
    if (address.length !== length) return false;
    if (port !== null && (side === 0 ? record.portA : record.portB) !== port) return false;
    return same(this.pool, record.slot * POOL_STRIDE + (side === 0 ? 0 : POOL_B), address, 0, length);
  }

  /** Client and server endpoints of the current connection (A is the client while undecided). */
  endpoints(record: FlowRecord): FlowEndpoints {
    const clientSide: 0 | 1 = record.clientSide === 1 ? 1 : 0;
    const serverSide: 0 | 1 = clientSide === 0 ? 1 : 0;
    const clientAddress = this.address(record, clientSide);
    const serverAddress = this.address(record, serverSide);
    const clientPort = clientSide === 0 ? record.portA : record.portB;
    const serverPort = clientSide === 0 ? record.portB : record.portA;
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

function same(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aOffset + i] !== b[bOffset + i]) return false;
  return true;
}

