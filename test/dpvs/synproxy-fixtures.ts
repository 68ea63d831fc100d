/** Packet fixtures and checks shared by the synproxy tests (not a test file itself). */
import { expect } from 'vitest';
import { parseIp } from '../../src/codec/addr.js';
import { readU16, writeU16, writeU32 } from '../../src/codec/bytes.js';
import { fillIpv4HeaderChecksum, pseudoHeaderV4, pseudoHeaderV6, transportChecksum, verifyIpv4HeaderChecksum, verifyTransportChecksum } from '../../src/codec/checksum.js';

export interface TcpSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  options?: number[] | Uint8Array;
  payload?: Uint8Array;
  ttl?: number;
  tos?: number;
  id?: number;
  /** IPv4 flags+fragment word (default DF). */
  fragWord?: number;
  /** IPv6 first 4 bytes (version, TC, flow label); default 0x60000000. */
  versionClassFlow?: number;
  urgent?: number;
}

export function ip(text: string): Uint8Array {
  const bytes = parseIp(text);
  if (!bytes) throw new Error(`bad address ${text}`);
  return bytes;
}

/** An IPv4 or IPv6 TCP packet with correct checksums (computed with src/codec/checksum.ts). */
export function tcpPacket(spec: TcpSpec): Uint8Array {
  const src = ip(spec.src);
  const dst = ip(spec.dst);
  const v4 = src.length === 4;
  const options = Uint8Array.from(spec.options ?? []);
  if (options.length % 4 !== 0) throw new Error('options must be padded to 4 bytes');
  const payload = spec.payload ?? new Uint8Array(0);
  const ipHeader = v4 ? 20 : 40;
  const tcpLength = 20 + options.length + payload.length;
  const out = new Uint8Array(ipHeader + tcpLength);
  if (v4) {
    out[0] = 0x45;
    out[1] = spec.tos ?? 0;
    writeU16(out, 2, out.length);
    writeU16(out, 4, spec.id ?? 0);
    writeU16(out, 6, spec.fragWord ?? 0x4000);
    out[8] = spec.ttl ?? 64;
    out[9] = 6;
    out.set(src, 12);
    out.set(dst, 16);
    fillIpv4HeaderChecksum(out, 0, 20);
  } else {
    writeU32(out, 0, spec.versionClassFlow ?? 0x60000000);
    writeU16(out, 4, tcpLength);
    out[6] = 6;
    out[7] = spec.ttl ?? 64;
    out.set(src, 8);
    out.set(dst, 24);
  }
  const t = ipHeader;
  writeU16(out, t, spec.sport);
  writeU16(out, t + 2, spec.dport);
  writeU32(out, t + 4, spec.seq >>> 0);
  writeU32(out, t + 8, (spec.ack ?? 0) >>> 0);
  out[t + 12] = ((20 + options.length) / 4) << 4;
  out[t + 13] = spec.flags;
  writeU16(out, t + 14, spec.window ?? 64240);
  writeU16(out, t + 18, spec.urgent ?? 0);
  out.set(options, t + 20);
  out.set(payload, t + 20 + options.length);
  const pseudo = v4 ? pseudoHeaderV4(out, 12, 16, 6, tcpLength) : pseudoHeaderV6(out, 8, 24, 6, tcpLength);
  writeU16(out, t + 16, transportChecksum(out, t, tcpLength, 16, pseudo));
  return out;
}

/** Decoded view of an L3 TCP packet for assertions. */
export interface Parsed {
  family: 4 | 6;
  ipHeader: number;
  tcp: number;
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  dataOffset: number;
  flags: number;
  window: number;
  options: Uint8Array;
  payload: Uint8Array;
}

export function parse(packet: Uint8Array): Parsed {
  const v4 = packet[0]! >> 4 === 4;
  const ipHeader = v4 ? (packet[0]! & 0xf) * 4 : 40;
  const t = ipHeader;
  const dataOffset = (packet[t + 12]! >> 4) * 4;
  const u32 = (o: number) => ((packet[o]! << 24) | (packet[o + 1]! << 16) | (packet[o + 2]! << 8) | packet[o + 3]!) >>> 0;
  return {
    family: v4 ? 4 : 6,
    ipHeader,
    tcp: t,
    src: v4 ? packet.subarray(12, 16) : packet.subarray(8, 24),
    dst: v4 ? packet.subarray(16, 20) : packet.subarray(24, 40),
    sport: readU16(packet, t),
    dport: readU16(packet, t + 2),
    seq: u32(t + 4),
    ack: u32(t + 8),
    dataOffset,
    flags: packet[t + 13]!,
    window: readU16(packet, t + 14),
    options: packet.subarray(t + 20, t + dataOffset),
    payload: packet.subarray(t + dataOffset),
  };
}

/** Assert the IP length field matches the buffer and both checksums verify. */
export function expectValidPacket(packet: Uint8Array): void {
  const v4 = packet[0]! >> 4 === 4;
  if (v4) {
    const ihl = (packet[0]! & 0xf) * 4;
    expect(readU16(packet, 2)).toBe(packet.length);
    expect(verifyIpv4HeaderChecksum(packet, 0, ihl)).toBe(true);
    const l4 = packet.length - ihl;
    expect(verifyTransportChecksum(packet, ihl, l4, pseudoHeaderV4(packet, 12, 16, 6, l4))).toBe(true);
  } else {
    expect(readU16(packet, 4)).toBe(packet.length - 40);
    const l4 = packet.length - 40;
    expect(verifyTransportChecksum(packet, 40, l4, pseudoHeaderV6(packet, 8, 24, 6, l4))).toBe(true);
  }
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

export function bytesOf(text: string): number[] {
  return text
    .trim()
    .split(/\s+/)
    .map((h) => parseInt(h, 16));
}
