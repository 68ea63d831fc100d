/**
 * Small packet helpers for the SYN-proxy replay: endpoint keys, TCP field reads, ack/SACK
 * re-basing, the option summary the ladder and the report print, and output framing.
 *
 * Packets here are raw L3 bytes (IPv4 or IPv6 with TCP right after the fixed header), located
 * with the synproxy model's locateTcp.
 */
import { formatEndpoint, formatIp } from '../codec/addr.js';
import { readU16, readU32, toHex, writeU32 } from '../codec/bytes.js';
import { ETHERNET, ETHERTYPE } from '../codec/link.js';
import { IPV4 } from '../codec/ipv4.js';
import { IPV6 } from '../codec/ipv6.js';
import { IPPROTO } from '../codec/ipproto.js';
import { TCP, TCP_OPTION } from '../codec/tcp.js';
import { TcpOptionCursor } from '../codec/tcp-options.js';
import { fillChecksums, type TcpLocation } from '../dpvs/synproxy-packets.js';

/** Offsets of the addresses of the located packet's IP header. */
export function addressOffsets(loc: TcpLocation): { src: number; dst: number; size: 4 | 16 } {
  return loc.family === 4
    ? { src: loc.l3 + IPV4.SRC, dst: loc.l3 + IPV4.DST, size: 4 }
    : { src: loc.l3 + IPV6.SRC, dst: loc.l3 + IPV6.DST, size: 16 };
}

/** "hexaddr:port" of the packet's source or destination. */
export function endpointKey(buf: Uint8Array, loc: TcpLocation, which: 'src' | 'dst'): string {
  const a = addressOffsets(loc);
  const at = which === 'src' ? a.src : a.dst;
  const port = readU16(buf, loc.tcp + (which === 'src' ? TCP.SRC_PORT : TCP.DST_PORT));
  return `${toHex(buf, at, at + a.size)}:${port}`;
}

/** "src>dst" key of a packet's direction. */
export function flowKey(buf: Uint8Array, loc: TcpLocation): string {
  return `${endpointKey(buf, loc, 'src')}>${endpointKey(buf, loc, 'dst')}`;
}

/** The key of the opposite direction of a "src>dst" key. */
export function reverseKey(key: string): string {
  const i = key.indexOf('>');
  return `${key.slice(i + 1)}>${key.slice(0, i)}`;
}

/** Printable endpoint ("192.0.2.1:40000", "[2001:db8::1]:80") of a packet's source or destination. */
export function endpointText(buf: Uint8Array, loc: TcpLocation, which: 'src' | 'dst'): string {
  const a = addressOffsets(loc);
  const port = readU16(buf, loc.tcp + (which === 'src' ? TCP.SRC_PORT : TCP.DST_PORT));
  return formatEndpoint(formatIp(buf, which === 'src' ? a.src : a.dst, a.size), port);
}

/** Key of an address (bytes) and port as endpointKey builds it. */
export function endpointKeyOf(address: Uint8Array, port: number): string {
  return `${toHex(address)}:${port}`;
}

/**
 * IP protocol of the packet at buf[l3] without walking IPv6 extension headers (-1 when the
 * version is neither 4 nor 6 or the header is cut).
 */
export function quickProtocol(buf: Uint8Array, l3: number, len: number): number {
  if (len < 1) return -1;
  const version = buf[l3]! >>> 4;
  if (version === 4) return len > IPV4.PROTOCOL ? buf[l3 + IPV4.PROTOCOL]! : -1;
  if (version === 6) return len > IPV6.NEXT_HEADER ? buf[l3 + IPV6.NEXT_HEADER]! : -1;
  return -1;
}

export function isTcpProtocol(protocol: number): boolean {
  return protocol === IPPROTO.TCP;
}

/**
 * Add `delta` to the ack field and to every edge of every SACK option of the located packet, in
 * place, then fix the checksums. Used to re-base a recorded client's acks onto the model's cookie.
 */
export function rebaseAck(buf: Uint8Array, loc: TcpLocation, delta: number): void {
  writeU32(buf, loc.tcp + TCP.ACK, (readU32(buf, loc.tcp + TCP.ACK) + delta) >>> 0);
  shiftSackEdges(buf, loc, delta);
  fillChecksums(buf, loc);
}

/** Add `delta` (mod 2^32) to every edge of every SACK option of the located packet, in place. */
export function shiftSackEdges(buf: Uint8Array, loc: TcpLocation, delta: number): void {
  const cursor = optionCursor.reset(buf, loc.tcp + TCP.MIN_HEADER, loc.tcp + loc.tcpHeaderLength);
  while (cursor.next()) {
    if (cursor.kind !== TCP_OPTION.SACK) continue;
    const end = cursor.offset + cursor.length;
    for (let p = cursor.dataOffset; p + 4 <= end; p += 4) writeU32(buf, p, (readU32(buf, p) + delta) >>> 0);
  }
}

const optionCursor = new TcpOptionCursor();
const walkCursor = new TcpOptionCursor();

/**
 * Call visit(kind, offset, size) for each option of the located packet (NOPs included, size 1;
 * EOL not visited) until EOL or damage: the codec's TcpOptionCursor over the TCP options area.
 * One shared cursor: `visit` must not start another walkTcpOptions.
 */
export function walkTcpOptions(buf: Uint8Array, loc: TcpLocation, visit: (kind: number, at: number, size: number) => void): void {
  const cursor = walkCursor.reset(buf, loc.tcp + TCP.MIN_HEADER, loc.tcp + loc.tcpHeaderLength);
  while (cursor.next()) if (cursor.kind !== TCP_OPTION.EOL) visit(cursor.kind, cursor.offset, cursor.length);
}

/** Parsed option values of interest (first instance of each). */
export interface OptionFacts {
  mss: number | null;
  wscale: number | null;
  sackPermitted: boolean;
  timestamp: { value: number; echo: number } | null;
  /** First TOA (kind 254, length 8 or 20) as "ip:port". */
  toa: string | null;
  sackBlocks: number;
  /** Kinds other than EOL, NOP, MSS, WS, SACK-permitted, SACK, TS and TOA. */
  otherKinds: number[];
}

export function optionFacts(buf: Uint8Array, loc: TcpLocation): OptionFacts {
  const facts: OptionFacts = { mss: null, wscale: null, sackPermitted: false, timestamp: null, toa: null, sackBlocks: 0, otherKinds: [] };
  walkTcpOptions(buf, loc, (kind, at, size) => {
    switch (kind) {
      case TCP_OPTION.NOP:
        return;
      case TCP_OPTION.MSS:
        if (size === 4 && facts.mss === null) facts.mss = readU16(buf, at + 2);
        return;
      case TCP_OPTION.WSCALE:
        if (size === 3 && facts.wscale === null) facts.wscale = buf[at + 2]!;
        return;
      case TCP_OPTION.SACK_PERMITTED:
        facts.sackPermitted = true;
        return;
      case TCP_OPTION.SACK:
        facts.sackBlocks += Math.floor((size - 2) / 8);
        return;
      case TCP_OPTION.TIMESTAMP:
        if (size === 10 && facts.timestamp === null) facts.timestamp = { value: readU32(buf, at + 2), echo: readU32(buf, at + 6) };
        return;
      case TOA_KIND:
        if ((size === 8 || size === 20) && facts.toa === null) {
          facts.toa = formatEndpoint(formatIp(buf, at + 4, size === 8 ? 4 : 16), readU16(buf, at + 2));
          return;
        }
        facts.otherKinds.push(kind);
        return;
      default:
        facts.otherKinds.push(kind);
    }
  });
  return facts;
}

/** The DPVS TOA option kind. */
export const TOA_KIND = 254;

/** Short option list as the ladder prints it: "mss 1452,sackOK,ts 12/0,ws 7,toa 192.0.2.1:40000". */
export function optionText(buf: Uint8Array, loc: TcpLocation): string {
  const parts: string[] = [];
  let nops = 0;
  const flushNops = () => {
    if (nops > 0) parts.push(nops === 1 ? 'nop' : `nop×${nops}`);
    nops = 0;
  };
  walkTcpOptions(buf, loc, (kind, at, size) => {
    if (kind === TCP_OPTION.NOP) {
      nops++;
      return;
    }
    flushNops();
    if (kind === TCP_OPTION.MSS && size === 4) parts.push(`mss ${readU16(buf, at + 2)}`);
    else if (kind === TCP_OPTION.WSCALE && size === 3) parts.push(`ws ${buf[at + 2]!}`);
    else if (kind === TCP_OPTION.SACK_PERMITTED) parts.push('sackOK');
    else if (kind === TCP_OPTION.TIMESTAMP && size === 10) parts.push(`ts ${readU32(buf, at + 2)}/${readU32(buf, at + 6)}`);
    else if (kind === TCP_OPTION.SACK) {
      const blocks: string[] = [];
      for (let p = at + 2; p + 8 <= at + size; p += 8) blocks.push(`${readU32(buf, p)}-${readU32(buf, p + 4)}`);
      parts.push(`sack ${blocks.join(' ')}`);
    } else if (kind === TOA_KIND && (size === 8 || size === 20)) {
      parts.push(`toa ${formatEndpoint(formatIp(buf, at + 4, size === 8 ? 4 : 16), readU16(buf, at + 2))}`);
    } else parts.push(`opt${kind}/${size}`);
  });
  flushNops();
  return parts.join(',');
}

/** Ethernet addresses of a flow, learned from the client's frames. */
export interface FlowMacs {
  /** Source MAC of the client's frames (the client or its router). */
  peer: Uint8Array;
  /** Destination MAC of the client's frames (DPVS's port). */
  dpvs: Uint8Array;
}

/** An Ethernet frame (no VLAN tag) around an L3 packet: dst, src, EtherType by IP version. */
export function ethernetFrame(l3: Uint8Array, destination: Uint8Array, source: Uint8Array): Uint8Array {
  const out = new Uint8Array(ETHERNET.HEADER + l3.length);
  out.set(destination.subarray(0, 6), ETHERNET.DESTINATION);
  out.set(source.subarray(0, 6), ETHERNET.SOURCE);
  const type = l3[0]! >>> 4 === 6 ? ETHERTYPE.IPV6 : ETHERTYPE.IPV4;
  out[ETHERNET.TYPE] = type >>> 8;
  out[ETHERNET.TYPE + 1] = type & 0xff;
  out.set(l3, ETHERNET.HEADER);
  return out;
}

/** Seconds + nanoseconds as one comparable number of nanoseconds (exact below 2^53 ns ≈ 104 days of epoch... use only for ordering). */
export function timeKey(seconds: number, nanoseconds: number): number {
  return seconds * 1e9 + nanoseconds;
}

/** "1700000000.050000000" */
export function timeText(seconds: number, nanoseconds: number): string {
  return `${seconds}.${String(nanoseconds).padStart(9, '0')}`;
}

export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}
