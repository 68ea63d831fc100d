/**
 * DPVS TCP option surgery on raw packets: tcp_in_prune_options and tcp_in_remove_ts
 * (ip_vs_proto_tcp.c, v1.10.2; behaviour per spec/dpvs.md §3 and §4.1).
 *
 * Both work in place on the TCP header at layout.l4 (a parsed, 'ok' TCP layout).
 */
import { TCP, TCP_OPTION, setTcpHeaderLength } from '../codec/tcp.js';
import { closeGap, tcpOptionsOf, type PacketLayout } from './l4fix.js';

/** Length of the timestamp option that tcp_in_remove_ts turns into NOPs. */
const TIMESTAMP_LENGTH = 10;
const TOA_KIND = 254;

/**
 * tcp_in_remove_ts: the FIRST timestamp option of length 10 becomes ten NOP bytes (0x01).
 * doff is unchanged. Walk stops at EOL, a silly option (length < 2) or a partial option.
 * Returns true when a timestamp was removed.
 */
export function removeTimestamp(buf: Uint8Array, layout: PacketLayout): boolean {
  const option = tcpOptionsOf(buf, layout);
  while (option.next()) {
    if (option.kind === TCP_OPTION.TIMESTAMP && option.length === TIMESTAMP_LENGTH) {
      buf.fill(TCP_OPTION.NOP, option.offset, option.offset + TIMESTAMP_LENGTH);
      return true;
    }
  }
  return false;
}

/** Maximum length of each option kind protected in pass 2 (0 = not protected). */
function protectedMaximum(kind: number, isSyn: boolean): number {
  if (kind === TCP_OPTION.TIMESTAMP) return 10;
  if (!isSyn) return 0;
  switch (kind) {
    case TCP_OPTION.MSS:
      return 4;
    case TCP_OPTION.WSCALE:
      return 3;
    case TCP_OPTION.SACK_PERMITTED:
      return 2;
    case TCP_OPTION.MPTCP:
      return 40;
    case TCP_OPTION.FAST_OPEN:
      return 18;
    default:
      return 0;
  }
}

/**
 * tcp_in_prune_options(reqlen): free TCP option space so that `requiredLength` bytes fit.
 *  (a) options shorter than reqlen: return 0, change nothing;
 *  (b) pass 1: drop NOPs and every kind-254 option; stop at EOL / silly / partial (the rest is freed);
 *  (c) pass 2 (only if still short): drop unprotected options (protected = first TS ≤ 10, and on SYN
 *      also MSS ≤ 4, WS ≤ 3, SACKP ≤ 2, MPTCP ≤ 40, TFO ≤ 18) until enough is freed;
 *  (d) pad with EOL (0) bytes while the freed count is not a multiple of 4. If nothing is left to
 *      free, return 0, but the option bytes HAVE been rewritten (the TV-4 side effect). Otherwise
 *      remove the freed bytes (payload moves up, doff and IP length shrink) and return the count.
 * `isSyn` selects the SYN protection set. Returns the number of bytes removed from the packet.
 */
export function pruneOptions(buf: Uint8Array, layout: PacketLayout, requiredLength: number, isSyn = false): number {
  const start = layout.l4 + TCP.MIN_HEADER;
  const optionLength = layout.l4HeaderLength - TCP.MIN_HEADER;
  const end = start + optionLength;
  if (optionLength < requiredLength) return 0;
  // pass 1: compaction
  let write = start;
  const option = tcpOptionsOf(buf, layout);
  while (option.next()) {
    // EOL (the last one visited) and NOPs have length 1: dropped
    if (option.length >= 2 && option.kind !== TOA_KIND) {
      buf.copyWithin(write, option.offset, option.offset + option.length);
      write += option.length;
    }
  }
  let pruned = end - write;
  // pass 2: drop unprotected options
  if (pruned < requiredLength) {
    const compactedEnd = write;
    write = start;
    let i = start;
    let seen = 0; // bit per protected kind index already kept
    while (i < compactedEnd) {
      const kind = buf[i]!;
      const length = buf[i + 1]!; // compacted options are all well formed
      const maximum = protectedMaximum(kind, isSyn);
      const bit = protectedBit(kind);
      let keep: boolean;
      if (maximum > 0 && length <= maximum && (seen & bit) === 0) {
        seen |= bit;
        keep = true;
      } else {
        keep = pruned >= requiredLength;
      }
      if (keep) {
        buf.copyWithin(write, i, i + length);
        write += length;
      } else {
        pruned += length;
      }
      i += length;
    }
  }
  // (d) alignment with EOL bytes
  if (pruned > 0) {
    while (pruned % 4 !== 0) {
      buf[write++] = TCP_OPTION.EOL;
      pruned--;
    }
  }
  if (pruned === 0) return 0;
  closeGap(buf, layout, write, pruned);
  layout.l4HeaderLength -= pruned;
  setTcpHeaderLength(buf, layout.l4, layout.l4HeaderLength);
  return pruned;
}

function protectedBit(kind: number): number {
  switch (kind) {
    case TCP_OPTION.TIMESTAMP:
      return 1;
    case TCP_OPTION.MSS:
      return 2;
    case TCP_OPTION.WSCALE:
      return 4;
    case TCP_OPTION.SACK_PERMITTED:
      return 8;
    case TCP_OPTION.MPTCP:
      return 16;
    case TCP_OPTION.FAST_OPEN:
      return 32;
    default:
      return 0;
  }
}
