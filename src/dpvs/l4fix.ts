/**
 * Layout of a raw L3 packet and the length + checksum fix-ups that the DPVS model runs after
 * rewriting it in place.
 *
 * Layout: `parseLayout(buf, l3, len, layout)` fills a reusable `PacketLayout` (numbers only, no
 * allocation) with the IP family, header lengths, transport offset and the captured length.
 * `len` is the captured L3 length; bytes beyond the IP length field (link padding) are ignored,
 * as DPVS trims them in ipv4_rcv/ipv6_rcv. A capture cut by snaplen has `captured < ipLength`.
 *
 * Checksums: `checksumBegin` is called BEFORE any edit and `checksumEnd` after all edits.
 *   - 'full': recompute over the whole segment (needs the complete packet).
 *   - 'incremental': RFC 1624 style. The old checksum minus the sum of the captured transport
 *     bytes and the old pseudo-header is the contribution of the bytes that were not captured
 *     (the "residual"). After the edits, new checksum = captured bytes + new pseudo-header +
 *     residual, where the residual is byte-swapped (multiplied by 256 mod 65535) when the
 *     uncaptured tail moved by an odd number of bytes. A checksum that was right stays right.
 *   - 'keep': lengths are fixed, the transport checksum field is left as it is.
 *   - 'auto' (default): 'full' when the packet is complete, else 'incremental'.
 * The IPv4 header checksum is always recomputed (the header is always captured).
 */
import { readU16, writeU16 } from '../codec/bytes.js';
import { finish, fold, sum16, udpChecksumValue } from '../codec/checksum.js';
import { IPPROTO } from '../codec/ipproto.js';
import { IPV4, fillIpv4Checksum, ipv4HeaderLength, ipv4IsFragment, ipv4Pseudo } from '../codec/ipv4.js';
import { IPV6, IPV6_EXT, ipv6Pseudo } from '../codec/ipv6.js';
import { TCP } from '../codec/tcp.js';
import { TcpOptionCursor } from '../codec/tcp-options.js';
import { UDP } from '../codec/udp.js';

export type LayoutStatus = 'ok' | 'not-ip' | 'truncated-header' | 'fragment' | 'malformed';

/** Reusable description of one packet; every field is a number so filling it allocates nothing. */
export class PacketLayout {
  status: LayoutStatus = 'ok';
  af: 4 | 6 = 4;
  /** Absolute offset of the IP header. */
  l3 = 0;
  /** IP header bytes: IHL*4, or 40 + IPv6 extension headers. */
  ipHeaderLength = 0;
  /** Transport protocol (after IPv6 extension headers). */
  protocol = 0;
  /** Absolute offset of the transport header (== l3 + ipHeaderLength). */
  l4 = 0;
  /** L3 length according to the IP header (total length, or 40 + payload length). */
  ipLength = 0;
  /** Captured L3 bytes, at most ipLength. */
  captured = 0;
  /** True when an IPv6 packet has extension headers before the transport. */
  hasExtensionHeaders = false;
  /** Offset (relative to l3) of the IPv6 next-header byte that names the transport. */
  nextHeaderField = 0;
  /** TCP data offset in bytes, or 8 for UDP, 0 otherwise. */
  l4HeaderLength = 0;

  /** Transport length according to the IP header. */
  get l4Length(): number {
    return this.ipLength - this.ipHeaderLength;
  }
  /** Captured transport bytes. */
  get l4Captured(): number {
    return this.captured - this.ipHeaderLength;
  }
  get complete(): boolean {
    return this.captured === this.ipLength;
  }
  /** Payload length after the transport header, per the IP header. */
  get payloadLength(): number {
    return this.l4Length - this.l4HeaderLength;
  }
  /** Absolute end of the captured bytes. */
  get end(): number {
    return this.l3 + this.captured;
  }
}

/**
 * Fill `layout` for the IP packet at buf[l3, l3+len). Never throws; the status says what was found.
 * TCP and UDP headers must be captured in full (options included) for status 'ok'.
 */
export function parseLayout(buf: Uint8Array, l3: number, len: number, layout: PacketLayout): LayoutStatus {
  layout.l3 = l3;
  layout.hasExtensionHeaders = false;
  layout.l4HeaderLength = 0;
  layout.nextHeaderField = 0;
  if (l3 < 0 || len < 1 || l3 + len > buf.length) return (layout.status = 'truncated-header');
  const version = buf[l3]! >>> 4;
  if (version === 4) {
    layout.af = 4;
    if (len < IPV4.MIN_HEADER) return (layout.status = 'truncated-header');
    const ihl = ipv4HeaderLength(buf, l3);
    const total = readU16(buf, l3 + IPV4.TOTAL_LENGTH);
    if (ihl < IPV4.MIN_HEADER || total < ihl) return (layout.status = 'malformed');
    if (len < ihl) return (layout.status = 'truncated-header');
    layout.ipHeaderLength = ihl;
    layout.protocol = buf[l3 + IPV4.PROTOCOL]!;
    layout.ipLength = total;
    if (ipv4IsFragment(buf, l3)) {
      layout.captured = Math.min(len, total);
      layout.l4 = l3 + ihl;
      return (layout.status = 'fragment');
    }
  } else if (version === 6) {
    layout.af = 6;
    if (len < IPV6.HEADER) return (layout.status = 'truncated-header');
    const payload = readU16(buf, l3 + IPV6.PAYLOAD_LENGTH);
    if (payload === 0) return (layout.status = 'malformed'); // jumbogram or empty: not handled
    layout.ipLength = IPV6.HEADER + payload;
    let next = buf[l3 + IPV6.NEXT_HEADER]!;
    let field: number = IPV6.NEXT_HEADER;
    let at: number = IPV6.HEADER;
    while (next === IPV6_EXT.HOP_BY_HOP || next === IPV6_EXT.ROUTING || next === IPV6_EXT.DEST_OPTS || next === IPV6_EXT.FRAGMENT) {
      if (next === IPV6_EXT.FRAGMENT) {
        layout.captured = Math.min(len, layout.ipLength);
        layout.l4 = l3 + at;
        layout.ipHeaderLength = at;
        return (layout.status = 'fragment');
      }
      if (len < at + 8) return (layout.status = 'truncated-header');
      layout.hasExtensionHeaders = true;
      field = at;
      next = buf[l3 + at]!;
      at += (buf[l3 + at + 1]! + 1) * 8;
      if (at > layout.ipLength) return (layout.status = 'malformed');
    }
    layout.nextHeaderField = field;
    layout.ipHeaderLength = at;
    layout.protocol = next;
  } else {
    return (layout.status = 'not-ip');
  }
  layout.captured = Math.min(len, layout.ipLength);
  layout.l4 = l3 + layout.ipHeaderLength;
  const l4Captured = layout.captured - layout.ipHeaderLength;
  if (layout.protocol === IPPROTO.TCP) {
    if (l4Captured < TCP.MIN_HEADER) return (layout.status = 'truncated-header');
    const doff = (buf[layout.l4 + TCP.DATA_OFFSET]! >>> 4) * 4;
    if (doff < TCP.MIN_HEADER || doff > layout.l4Length) return (layout.status = 'malformed');
    if (l4Captured < doff) return (layout.status = 'truncated-header');
    layout.l4HeaderLength = doff;
  } else if (layout.protocol === IPPROTO.UDP) {
    if (layout.l4Length < UDP.HEADER) return (layout.status = 'malformed');
    if (l4Captured < UDP.HEADER) return (layout.status = 'truncated-header');
    layout.l4HeaderLength = UDP.HEADER;
  }
  return (layout.status = 'ok');
}

const optionCursor = new TcpOptionCursor();

/**
 * The codec's TcpOptionCursor over the options of a parsed TCP layout ([l4 + 20, l4 + doff)).
 * Walk rules are DPVS's: EOL ends the walk, a silly (< 2) or partial option stops it. EOL and
 * NOP come back with length 1. One shared cursor: finish one walk before starting another.
 */
export function tcpOptionsOf(buf: Uint8Array, layout: PacketLayout): TcpOptionCursor {
  return optionCursor.reset(buf, layout.l4 + TCP.MIN_HEADER, layout.l4 + layout.l4HeaderLength);
}

/** Store a new L3 length in the IP header (IPv4 total length or IPv6 payload length) and in the layout. */
export function setIpLength(buf: Uint8Array, layout: PacketLayout, ipLength: number): void {
  if (layout.af === 4) writeU16(buf, layout.l3 + IPV4.TOTAL_LENGTH, ipLength);
  else writeU16(buf, layout.l3 + IPV6.PAYLOAD_LENGTH, ipLength - IPV6.HEADER);
  layout.ipLength = ipLength;
}

/**
 * Insert `count` bytes at absolute offset `at` (inside the captured packet), moving the captured
 * tail later; the IP length and the captured length grow by `count`. The new bytes are left as they
 * were (the caller writes them). The caller guarantees the buffer has room.
 */
export function openGap(buf: Uint8Array, layout: PacketLayout, at: number, count: number): void {
  buf.copyWithin(at + count, at, layout.end);
  layout.captured += count;
  setIpLength(buf, layout, layout.ipLength + count);
}

/** Remove `count` bytes at absolute offset `at`, moving the captured tail earlier; lengths shrink. */
export function closeGap(buf: Uint8Array, layout: PacketLayout, at: number, count: number): void {
  buf.copyWithin(at, at + count, layout.end);
  layout.captured -= count;
  setIpLength(buf, layout, layout.ipLength - count);
}

export type ChecksumMode = 'auto' | 'full' | 'incremental' | 'keep';

/** Offset of the checksum field inside the transport header, or -1 when not TCP/UDP. */
export function checksumField(protocol: number): number {
  if (protocol === IPPROTO.TCP) return TCP.CHECKSUM;
  if (protocol === IPPROTO.UDP) return UDP.CHECKSUM;
  return -1;
}

/** Per call site state carried from checksumBegin to checksumEnd. */
export class ChecksumState {
  /** The mode actually used ('auto' resolved). */
  mode: 'full' | 'incremental' | 'keep' = 'full';
  /** Ones' complement sum of the uncaptured transport bytes (incremental mode). */
  residual = 0;
  /** Captured transport bytes when the state was taken. */
  l4Captured = 0;
  /** An IPv4 UDP datagram sent with checksum 0 ("no checksum") keeps 0 in incremental mode. */
  udpZero = false;
  /** Set to force the UDP checksum to 0 (DPVS opp mode over IPv4). */
  forceZero = false;
}

/** Pseudo-header sum of a transport of `l4Length` bytes (the full length) in the IP packet of family `af` at l3. */
export function pseudoSum(buf: Uint8Array, l3: number, af: 4 | 6, protocol: number, l4Length: number): number {
  return af === 4 ? ipv4Pseudo(buf, l3, protocol, l4Length) : ipv6Pseudo(buf, l3, protocol, l4Length);
}

/** Sum of the captured transport bytes except the checksum field. */
function capturedSum(buf: Uint8Array, l4: number, end: number, field: number, acc: number): number {
  const at = l4 + field;
  if (end <= at) return sum16(buf, l4, end, acc);
  acc = sum16(buf, l4, at, acc);
  return sum16(buf, at + 2, end, acc);
}

/**
 * Record what the checksum update needs; call before editing. `l4`/`protocol` name the transport
 * whose checksum is fixed (for the opp shim this is the UDP header after the shim).
 */
export function checksumBegin(buf: Uint8Array, layout: PacketLayout, mode: ChecksumMode, state: ChecksumState, l4 = layout.l4, protocol = layout.protocol): void {
  state.forceZero = false;
  state.udpZero = false;
  state.residual = 0;
  state.l4Captured = layout.end - l4;
  const field = checksumField(protocol);
  if (mode === 'keep' || field < 0) {
    state.mode = 'keep';
    return;
  }
  const complete = layout.complete;
  state.mode = mode === 'auto' ? (complete ? 'full' : 'incremental') : mode;
  if (state.mode === 'full' && !complete) state.mode = 'incremental';
  if (state.mode !== 'incremental') return;
  const stored = readU16(buf, l4 + field);
  if (protocol === IPPROTO.UDP && stored === 0) {
    state.udpZero = true;
    return;
  }
  const l4Length = protocol === IPPROTO.UDP ? readU16(buf, l4 + UDP.LENGTH) : layout.l3 + layout.ipLength - l4;
  const known = capturedSum(buf, l4, layout.end, field, pseudoSum(buf, layout.l3, layout.af, protocol, l4Length));
  // residual = (sum of all) - (known), in ones' complement arithmetic
  state.residual = fold((~stored & 0xffff) + (~fold(known) & 0xffff));
}

/**
 * Recompute the transport checksum per `state` and then the IPv4 header checksum.
 * `l4Length` defaults to the length implied by the IP header (for UDP, the UDP length field).
 */
export function checksumEnd(buf: Uint8Array, layout: PacketLayout, state: ChecksumState, l4 = layout.l4, protocol = layout.protocol): void {
  const field = checksumField(protocol);
  if (field >= 0 && state.mode !== 'keep') {
    const l4Length = protocol === IPPROTO.UDP ? readU16(buf, l4 + UDP.LENGTH) : layout.l3 + layout.ipLength - l4;
    if (state.forceZero || state.udpZero) {
      if (state.forceZero) writeU16(buf, l4 + field, 0);
    } else if (state.mode === 'full') {
      const acc = capturedSum(buf, l4, l4 + l4Length, field, pseudoSum(buf, layout.l3, layout.af, protocol, l4Length));
      const c = finish(acc);
      writeU16(buf, l4 + field, protocol === IPPROTO.UDP ? udpChecksumValue(c) : c);
    } else {
      const known = capturedSum(buf, l4, layout.end, field, pseudoSum(buf, layout.l3, layout.af, protocol, l4Length));
      const shift = layout.end - l4 - state.l4Captured;
      const residual = (shift & 1) !== 0 ? fold(state.residual * 256) : state.residual;
      const c = finish(known + residual);
      writeU16(buf, l4 + field, protocol === IPPROTO.UDP ? udpChecksumValue(c) : c);
    }
  }
  if (layout.af === 4) fillIpv4Checksum(buf, layout.l3);
}

/** Full recompute of the transport checksum and IPv4 header checksum of a complete packet (helper). */
export function fixChecksumsFull(buf: Uint8Array, layout: PacketLayout, state: ChecksumState): void {
  checksumBegin(buf, layout, 'full', state);
  checksumEnd(buf, layout, state);
}

/** True when the transport checksum of a complete packet verifies (IPv4 UDP checksum 0 counts as ok). */
export function transportChecksumOk(buf: Uint8Array, layout: PacketLayout): boolean {
  const field = checksumField(layout.protocol);
  if (field < 0) return true;
  if (layout.protocol === IPPROTO.UDP && layout.af === 4 && readU16(buf, layout.l4 + field) === 0) return true;
  const acc = sum16(buf, layout.l4, layout.end, pseudoSum(buf, layout.l3, layout.af, layout.protocol, layout.l4Length));
  return fold(acc) === 0xffff;
}
