/**
 * One packet, fully looked at: the lax dissection, checksum verdicts, and every client-address
 * carrier at every place one can sit (IPv4 options, IPv6 destination options, the opp shim,
 * TCP options, the start of the L4 payload). Shared by decode, stats and strip.
 *
 * One PacketInspector is reused for every packet: `carriers` and `notes` are emptied per packet
 * (length = 0) and only receive objects when something is found, so a packet with no carrier
 * allocates nothing.
 */
import { Dissection, dissectAt, verifyChecksums } from '../codec/dissect.js';
import { IPV6_EXT } from '../codec/ipv6.js';
import { IPPROTO } from '../codec/ipproto.js';
import { TCP_FLAG } from '../codec/tcp.js';
import { isNopNopTimestamp } from '../codec/tcp-options.js';
import {
  decodeOpp,
  scanIpv4Options,
  scanIpv6DestOpts,
  scanPayload,
  scanTcpOptions,
  type Carrier,
  type CarrierNote,
  type KindFilter,
} from '../carriers/index.js';

export interface InspectOptions {
  /** Verify IP and L4 checksums (costs one pass over the packet bytes). Default true. */
  checksums?: boolean;
  /** `--kinds`: which TCP kind/length pairs are read as TOA (default: the registry). */
  kinds?: KindFilter;
  /** Look for PROXY/SPP headers at the start of payloads. Default true. */
  payload?: boolean;
  /**
   * Leave the plain DPVS TOAs out of `carriers` (the TCP options isPlainToaV4Option accepts; only
   * without `kinds`): for a renderer that reads them from the option bytes (the plain decode line).
   * Default false.
   */
  skipPlainToa?: boolean;
}

/**
 * An empty array whose elements kind already holds objects. An empty literal starts with small
 * integers and changes its hidden class at the first push: the code optimized before the first
 * carrier (or note) of a run then deoptimized at every `carriers.length` / `notes.length` ('wrong
 * map' in writeOptions, tags and inspectAt in `node --trace-deopt`, decode of bench/out/big.pcap).
 */
function objectArray<T>(): T[] {
  const a = [null] as unknown as T[];
  a.length = 0;
  return a;
}

export class PacketInspector {
  readonly d = new Dissection();
  readonly carriers: Carrier[] = objectArray<Carrier>();
  readonly notes: CarrierNote[] = objectArray<CarrierNote>();
  private readonly checksums: boolean;
  private readonly kinds: KindFilter | undefined;
  private readonly payload: boolean;
  /** True when plain DPVS TOAs are left out of `carriers` (InspectOptions.skipPlainToa, without `kinds`). */
  readonly plainToaSkipped: boolean;

  constructor(options: InspectOptions = {}) {
    this.checksums = options.checksums !== false;
    this.kinds = options.kinds;
    this.payload = options.payload !== false;
    this.plainToaSkipped = options.skipPlainToa === true && options.kinds === undefined;
  }

  /** Dissect `data` and collect its carriers; results are in `d`, `carriers`, `notes` until the next call. */
  inspect(data: Uint8Array, linkType: number, originalLength: number): void {
    this.inspectAt(data, 0, data.length, linkType, originalLength);
  }

  /**
   * `inspect` of the frame data[start, end) in place (e.g. in a reader's buffer: no view per packet).
   * Every offset in `d`, `carriers` and `notes` then counts from data[0]: subtract `start` for
   * offsets within the frame.
   */
  inspectAt(data: Uint8Array, start: number, end: number, linkType: number, originalLength: number): void {
    const d = this.d;
    const carriers = this.carriers;
    const notes = this.notes;
    // setting length is a runtime call even when it does not change: only when something was found
    if (carriers.length !== 0) carriers.length = 0;
    if (notes.length !== 0) notes.length = 0;
    dissectAt(data, start, end, linkType, originalLength, d);
    if (d.ipVersion === 0) return;
    if (this.checksums) verifyChecksums(data, d, end);
    if (d.ipv4OptionsOffset >= 0) scanIpv4Options(data, d.ipv4OptionsOffset, d.ipv4OptionsOffset + d.ipv4OptionsLength, carriers, notes);
    for (let i = 0; i < d.extensionCount; i++) {
      if (d.extensionTypes[i] === IPV6_EXT.DEST_OPTS) {
        const at = d.extensionOffsets[i]!;
        scanIpv6DestOpts(data, at, at + d.extensionLengths[i]!, carriers, notes);
      }
    }
    if (d.oppOffset >= 0) decodeOpp(data, d.oppOffset, d.oppOffset + d.oppLength, carriers, notes);
    // NOP, NOP, timestamp (nearly every data segment) holds no carrier and no note (kinds 1 and 8 are
    // not carrier kinds of the registry): no walk, unless --kinds (a pair may name kind 8)
    if (d.tcpOptionsOffset >= 0 && !(this.kinds === undefined && isNopNopTimestamp(data, d.tcpOptionsOffset, d.tcpOptionsLength))) {
      scanTcpOptions(
        data,
        d.tcpOptionsOffset,
        d.tcpOptionsOffset + d.tcpOptionsLength,
        (d.tcpFlags & TCP_FLAG.SYN) !== 0,
        carriers,
        notes,
        this.kinds,
        this.plainToaSkipped,
      );
    }
    if (this.payload && d.payloadOffset >= 0 && d.payloadLength > 0 && !d.isLaterFragment) {
      const t = d.transportProtocol;
      if (t === IPPROTO.TCP || t === IPPROTO.UDP) {
        scanPayload(data, d.payloadOffset, d.payloadOffset + d.payloadLength, t === IPPROTO.TCP ? 'tcp' : 'udp', carriers, notes);
      }
    }
  }
}
