/**
 * Carrier insertion primitives for `inject-toa` without --fnat, on a raw L3 packet described by a
 * parsed `PacketLayout` (src/dpvs/l4fix.ts). Lengths are fixed here; checksums are the caller's
 * (checksumBegin before, checksumEnd after, see src/dpvs/l4fix.ts).
 *
 * - insertTcpCarrierWithFallback: DPVS tcp_fnat_in_handler's TOA step exactly (spec/dpvs.md §3):
 *   tcp_in_add_toa; on failure tcp_in_prune_options (always, unless disabled) and one retry when
 *   prune freed enough and the first error was NOROOM or FRAG; the legacy (≤ 1.9.4) path only
 *   turns existing carriers of the same kind into NOPs. The packet leaves without a carrier when
 *   it still fails.
 * - insertIpv4Option: a TTGW/UOA IPv4 option as the FIRST option (right after the fixed header):
 *   IHL and total length grow; FRAG when the packet would exceed the MTU, NOROOM when IHL > 15.
 * - insertDestinationOptions: a whole IPv6 Destination Options header right after the fixed
 *   header; the fixed header's next header moves into it and becomes 60.
 */
import { IPV4 } from '../codec/ipv4.js';
import { IPV6, IPV6_EXT } from '../codec/ipv6.js';
import { openGap, type PacketLayout } from '../dpvs/l4fix.js';
import { pruneOptions } from '../dpvs/prune.js';
import { addToa, nopOptions, type ToaError, type ToaPlacement } from '../dpvs/toa-insert.js';

/** What insertTcpCarrierWithFallback did (reused). */
export class InsertOutcome {
  firstError: ToaError | null = null;
  error: ToaError | null = null;
  pruned = 0;
  nopped = 0;
  reset(): void {
    this.firstError = null;
    this.error = null;
    this.pruned = 0;
    this.nopped = 0;
  }
}

export interface TcpInsertPolicy {
  mtu: number;
  placement: ToaPlacement;
  /** DPVS ≤ 1.9.4: no pruning, only NOP out existing carriers of the same kind. */
  legacy: boolean;
  /** --no-prune: no pruning and no retry. */
  prune: boolean;
}

/** Returns true when the carrier was inserted; `out` says why not. */
export function insertTcpCarrierWithFallback(
  buf: Uint8Array,
  layout: PacketLayout,
  option: Uint8Array,
  isSyn: boolean,
  policy: TcpInsertPolicy,
  out: InsertOutcome,
): boolean {
  out.reset();
  let error = addToa(buf, layout, option, policy.mtu, policy.placement);
  out.firstError = error;
  if (error !== null) {
    if (policy.legacy) {
      out.nopped = nopOptions(buf, layout, option[0]);
    } else if (policy.prune) {
      const required = (option.length + 3) & ~3;
      const pruned = pruneOptions(buf, layout, required, isSyn);
      out.pruned = pruned;
      if (pruned >= required && (error === 'NOROOM' || error === 'FRAG')) error = addToa(buf, layout, option, policy.mtu, policy.placement);
    }
  }
  out.error = error;
  return error === null;
}

export type IpInsertStatus = 'inserted' | 'FRAG' | 'NOROOM' | 'no-room-in-buffer';

/** Insert IPv4 option bytes (a multiple of 4 long) as the first option. */
export function insertIpv4Option(buf: Uint8Array, layout: PacketLayout, option: Uint8Array, mtu: number): IpInsertStatus {
  const n = option.length;
  if (layout.ipLength + n > mtu) return 'FRAG';
  if (layout.ipHeaderLength + n > IPV4.MAX_HEADER || (n & 3) !== 0) return 'NOROOM';
  if (layout.end + n > buf.length) return 'no-room-in-buffer';
  const at = layout.l3 + IPV4.MIN_HEADER;
  openGap(buf, layout, at, n);
  buf.set(option, at);
  layout.ipHeaderLength += n;
  layout.l4 += n;
  buf[layout.l3 + IPV4.VER_IHL] = 0x40 | (layout.ipHeaderLength >>> 2);
  return 'inserted';
}

/** Insert a whole Destination Options header (next-header byte is overwritten) after the fixed IPv6 header. */
export function insertDestinationOptions(buf: Uint8Array, layout: PacketLayout, header: Uint8Array, mtu: number): IpInsertStatus {
  const n = header.length;
  if (layout.ipLength + n > mtu) return 'FRAG';
  if (layout.end + n > buf.length) return 'no-room-in-buffer';
  const at = layout.l3 + IPV6.HEADER;
  const next = buf[layout.l3 + IPV6.NEXT_HEADER]!;
  openGap(buf, layout, at, n);
  buf.set(header, at);
  buf[at] = next;
  buf[layout.l3 + IPV6.NEXT_HEADER] = IPV6_EXT.DEST_OPTS;
  layout.nextHeaderField = layout.hasExtensionHeaders ? layout.nextHeaderField + n : IPV6.HEADER;
  layout.hasExtensionHeaders = true;
  layout.ipHeaderLength += n;
  layout.l4 += n;
  return 'inserted';
}
