/**
 * Keeping a bad checksum bad.
 *
 * Decision (issue 3): a packet whose input checksum is already wrong must not come out "fixed"
 * by the full recomputation of a rewrite. Before rewriting, `audit` verifies the packet:
 *   - transport (TCP/UDP) checksum of a complete packet wrong → the rewrite uses the RFC 1624
 *     incremental mode instead of 'full'. Incremental carries over the difference between the
 *     stored value and the true sum (l4fix.ts "residual"), so the output checksum is wrong by
 *     exactly the same ones'-complement amount as the input was;
 *   - IPv4 header checksum wrong → after the rewrite, `restoreIpv4Error` adds the same error
 *     (stored − correct, in ones' complement) to the freshly computed header checksum.
 * Packets cut by the snap length cannot be verified; their transport checksum is updated
 * incrementally anyway (a right one stays right, a wrong one stays wrong).
 */
import { readU16, writeU16 } from '../codec/bytes.js';
import { fold, ipv4HeaderChecksum } from '../codec/checksum.js';
import { IPV4 } from '../codec/ipv4.js';
import { IPPROTO } from '../codec/ipproto.js';
import { transportChecksumOk, type PacketLayout } from '../dpvs/l4fix.js';

export class ChecksumAudit {
  transportBad = false;
  ipBad = false;
  /** IPv4 header: the stored and the correct checksum before the rewrite. */
  ipStored = 0;
  ipCorrect = 0;

  /** Verify the packet of an 'ok' (or 'fragment') layout. */
  audit(buf: Uint8Array, layout: PacketLayout): void {
    this.transportBad = false;
    this.ipBad = false;
    if (layout.af === 4) {
      this.ipStored = readU16(buf, layout.l3 + IPV4.CHECKSUM);
      this.ipCorrect = ipv4HeaderChecksum(buf, layout.l3, layout.ipHeaderLength);
      this.ipBad = this.ipStored !== this.ipCorrect;
    }
    if (layout.complete && (layout.protocol === IPPROTO.TCP || layout.protocol === IPPROTO.UDP)) {
      this.transportBad = !transportChecksumOk(buf, layout);
    }
  }

  get bad(): boolean {
    return this.transportBad || this.ipBad;
  }

  /** After the rewrite (IPv4 header checksum freshly computed at l3): re-apply the input's error. */
  restoreIpv4Error(buf: Uint8Array, l3: number): void {
    if (!this.ipBad || buf[l3]! >>> 4 !== 4) return;
    const correct = readU16(buf, l3 + IPV4.CHECKSUM);
    writeU16(buf, l3 + IPV4.CHECKSUM, fold(correct + this.ipStored + (~this.ipCorrect & 0xffff)));
  }
}
