/**
 * TOA insertion on raw packets: DPVS tcp_in_add_toa (spec/dpvs.md §1-§3) plus the helpers the
 * legacy path and the inverse handlers need.
 *
 * addToa(buf, layout, option, mtu, placement)
 *   Checks in DPVS order, before touching anything:
 *     1 NOTSUPP (option is not 8..40 bytes after padding), 2 NOROUTE (mtu null),
 *     3 FRAG (ipLength > mtu - optlen), 4 NOROOM (60 - doff*4 < optlen),
 *     6 NOROOM (buffer has no tailroom; DPVS "no tailroom to append").
 *   Then moves options+payload later by optlen, writes the option at TCP offset 20
 *   ('first', DPVS) or after the last option before any EOL ('last', JD style), doff += optlen/4,
 *   IP length += optlen. Options whose length is not a multiple of 4 are padded with NOPs
 *   (after the option for 'first', before it for 'last'). Checksums are the caller's job.
 */
import { TCP, TCP_OPTION, setTcpHeaderLength } from '../codec/tcp.js';
import { closeGap, openGap, tcpOptionsOf, type PacketLayout } from './l4fix.js';

export type ToaError = 'NOTSUPP' | 'NOROUTE' | 'FRAG' | 'NOROOM' | 'INVPKT';
export type ToaPlacement = 'first' | 'last';

/** DPVS TCP_OPT_ADDR. */
export const TOA_KIND = 254;
export const TOA_LENGTH_V4 = 8;
export const TOA_LENGTH_V6 = 20;

// The DPVS TOA option itself (254, 8 or 20, port BE, address) is the registry's toa-v4/toa-v6:
// write it with writeTcpCarrier (src/carriers/tcp-option.ts), allocation-free.

/** Offset (absolute) of the end of the meaningful options: the first EOL, or the end of the header. */
function optionsEnd(buf: Uint8Array, layout: PacketLayout): number {
  const option = tcpOptionsOf(buf, layout);
  while (option.next()) if (option.kind === TCP_OPTION.EOL) return option.offset;
  return layout.l4 + layout.l4HeaderLength;
}

/**
 * tcp_in_add_toa: insert `option` (complete TCP option bytes) into the TCP header.
 * Returns null on success or the DPVS error code; on error the packet is untouched.
 */
export function addToa(buf: Uint8Array, layout: PacketLayout, option: Uint8Array, mtu: number | null, placement: ToaPlacement = 'first'): ToaError | null {
  const padding = (4 - (option.length & 3)) & 3;
  const optionLength = option.length + padding;
  if (option.length < 2 || optionLength > TCP.MAX_HEADER - TCP.MIN_HEADER) return 'NOTSUPP';
  if (mtu === null) return 'NOROUTE';
  if (layout.ipLength > mtu - optionLength) return 'FRAG';
  if (TCP.MAX_HEADER - layout.l4HeaderLength < optionLength) return 'NOROOM';
  if (layout.end + optionLength > buf.length) return 'NOROOM';
  const at = placement === 'first' ? layout.l4 + TCP.MIN_HEADER : optionsEnd(buf, layout);
  openGap(buf, layout, at, optionLength);
  if (placement === 'first') {
    buf.set(option, at);
    buf.fill(TCP_OPTION.NOP, at + option.length, at + optionLength);
  } else {
    buf.fill(TCP_OPTION.NOP, at, at + padding);
    buf.set(option, at + padding);
  }
  layout.l4HeaderLength += optionLength;
  setTcpHeaderLength(buf, layout.l4, layout.l4HeaderLength);
  return null;
}

/**
 * tcp_in_remove_toa (DPVS ≤ 1.9.4 failure path): every option of kind `kind` (default 254)
 * becomes NOPs. Returns how many options were neutralised.
 */
export function nopOptions(buf: Uint8Array, layout: PacketLayout, kind = TOA_KIND): number {
  let count = 0;
  const option = tcpOptionsOf(buf, layout);
  while (option.next()) {
    if (option.length >= 2 && option.kind === kind) {
      buf.fill(TCP_OPTION.NOP, option.offset, option.offset + option.length);
      count++;
    }
  }
  return count;
}

/**
 * Absolute offset of the first option of `kind` (and `length` when given) in the TCP header,
 * or -1. Walk rules as DPVS/the kernel module: stop at EOL, silly or partial options.
 */
export function findOption(buf: Uint8Array, layout: PacketLayout, kind: number, length = -1): number {
  const option = tcpOptionsOf(buf, layout);
  while (option.next()) {
    if (option.length >= 2 && option.kind === kind && (length < 0 || option.length === length)) return option.offset;
  }
  return -1;
}

/**
 * Remove the option at absolute offset `at` (length from its length byte) and the NOP padding
 * that makes the removed span a multiple of 4 (NOPs right after it, else right before it).
 * Returns the number of bytes removed, or 0 when the span cannot be made 4-aligned.
 */
export function removeOptionAt(buf: Uint8Array, layout: PacketLayout, at: number): number {
  const headerEnd = layout.l4 + layout.l4HeaderLength;
  let start = at;
  let stop = at + buf[at + 1]!;
  while ((stop - start) & 3 && stop < headerEnd && buf[stop] === TCP_OPTION.NOP) stop++;
  while ((stop - start) & 3 && start > layout.l4 + TCP.MIN_HEADER && buf[start - 1] === TCP_OPTION.NOP) start--;
  const count = stop - start;
  if (count & 3) return 0;
  closeGap(buf, layout, start, count);
  layout.l4HeaderLength -= count;
  setTcpHeaderLength(buf, layout.l4, layout.l4HeaderLength);
  return count;
}
