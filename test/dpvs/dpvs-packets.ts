/** Small raw-packet builder and readers for the FNAT tests (IPv4/IPv6 + TCP/UDP, valid checksums). */
import { readU16, readU32, writeU16, writeU32 } from '../../src/codec/bytes.js';
import { finish, fillIpv4HeaderChecksum, pseudoHeaderV4, pseudoHeaderV6, sum16 } from '../../src/codec/checksum.js';
import { parseIp } from '../../src/codec/addr.js';

export const HEADROOM = 128;

export interface TcpPacketSpec {
  src: string | Uint8Array;
  dst: string | Uint8Array;
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  urgent?: number;
  options?: ArrayLike<number>;
  payload?: ArrayLike<number>;
  /** IPv4 */
  id?: number;
  ttl?: number;
  tos?: number;
  df?: boolean;
  /** IPv6 first 4 bytes */
  versionClassFlow?: number;
  /** UDP instead of TCP */
  udp?: boolean;
  /** leave the transport checksum as this value instead of computing it */
  rawChecksum?: number;
}

export function addr(a: string | Uint8Array): Uint8Array {
  if (typeof a !== 'string') return a;
  const r = parseIp(a);
  if (!r) throw new Error(`bad address ${a}`);
  return r;
}

export function hex(text: string): number[] {
  const clean = text.replace(/\s+/g, '');
  const out: number[] = [];
  for (let i = 0; i < clean.length; i += 2) out.push(parseInt(clean.substr(i, 2), 16));
  return out;
}

/** Build the packet at offset 0 of a buffer with HEADROOM spare bytes; returns {buf, len}. */
export function buildPacket(spec: TcpPacketSpec, headroom = HEADROOM): { buf: Uint8Array; len: number } {
  const src = addr(spec.src);
  const dst = addr(spec.dst);
  const v4 = src.length === 4;
  const options = Uint8Array.from(spec.options ?? []);
  const payload = Uint8Array.from(spec.payload ?? []);
  const ipHeader = v4 ? 20 : 40;
  const l4Header = spec.udp ? 8 : 20 + options.length;
  const len = ipHeader + l4Header + payload.length;
  const buf = new Uint8Array(len + headroom);
  if (v4) {
    buf[0] = 0x45;
    buf[1] = spec.tos ?? 0;
    writeU16(buf, 2, len);
    writeU16(buf, 4, spec.id ?? 0);
    writeU16(buf, 6, spec.df === false ? 0 : 0x4000);
    buf[8] = spec.ttl ?? 64;
    buf[9] = spec.udp ? 17 : 6;
    buf.set(src, 12);
    buf.set(dst, 16);
  } else {
    writeU32(buf, 0, spec.versionClassFlow ?? 0x60000000);
    writeU16(buf, 4, len - 40);
    buf[6] = spec.udp ? 17 : 6;
    buf[7] = spec.ttl ?? 64;
    buf.set(src, 8);
    buf.set(dst, 24);
  }
  const t = ipHeader;
  writeU16(buf, t, spec.sport);
  writeU16(buf, t + 2, spec.dport);
  if (spec.udp) {
    writeU16(buf, t + 4, 8 + payload.length);
  } else {
    writeU32(buf, t + 4, (spec.seq ?? 0) >>> 0);
    writeU32(buf, t + 8, (spec.ack ?? 0) >>> 0);
    buf[t + 12] = ((20 + options.length) / 4) << 4;
    buf[t + 13] = spec.flags ?? 0x10;
    writeU16(buf, t + 14, spec.window ?? 0);
    writeU16(buf, t + 18, spec.urgent ?? 0);
    buf.set(options, t + 20);
  }
  buf.set(payload, t + l4Header);
  fillChecksums(buf, 0, len);
  if (spec.rawChecksum !== undefined) writeU16(buf, t + (spec.udp ? 6 : 16), spec.rawChecksum);
  return { buf, len };
}

/** Transport offset of a simple packet (no IPv6 extension headers, no opp shim). */
export function l4Of(buf: Uint8Array, l3 = 0): number {
  return buf[l3]! >>> 4 === 4 ? l3 + (buf[l3]! & 15) * 4 : l3 + 40;
}

/** Recompute IPv4 header and TCP/UDP checksums of a complete simple packet (UDP checksum 0 kept when `keepZeroUdp`). */
export function fillChecksums(buf: Uint8Array, l3: number, len: number): void {
  const v4 = buf[l3]! >>> 4 === 4;
  const t = l4Of(buf, l3);
  const protocol = v4 ? buf[l3 + 9]! : buf[l3 + 6]!;
  const l4Length = l3 + len - t;
  const field = protocol === 17 ? 6 : 16;
  writeU16(buf, t + field, 0);
  const pseudo = v4 ? pseudoHeaderV4(buf, l3 + 12, l3 + 16, protocol, l4Length) : pseudoHeaderV6(buf, l3 + 8, l3 + 24, protocol, l4Length);
  let c = finish(sum16(buf, t, t + l4Length, pseudo));
  if (protocol === 17 && c === 0) c = 0xffff;
  writeU16(buf, t + field, c);
  if (v4) fillIpv4HeaderChecksum(buf, l3, (buf[l3]! & 15) * 4);
}

/** True when IPv4 header and transport checksums of a complete simple packet verify. */
export function checksumsOk(buf: Uint8Array, l3: number, len: number): boolean {
  const v4 = buf[l3]! >>> 4 === 4;
  if (v4 && finish(sum16(buf, l3, l3 + (buf[l3]! & 15) * 4)) !== 0) return false;
  const t = l4Of(buf, l3);
  const protocol = v4 ? buf[l3 + 9]! : buf[l3 + 6]!;
  const l4Length = l3 + len - t;
  if (protocol === 17 && v4 && readU16(buf, t + 6) === 0) return true;
  const pseudo = v4 ? pseudoHeaderV4(buf, l3 + 12, l3 + 16, protocol, l4Length) : pseudoHeaderV6(buf, l3 + 8, l3 + 24, protocol, l4Length);
  return finish(sum16(buf, t, t + l4Length, pseudo)) === 0;
}

export const tcp = {
  seq: (b: Uint8Array, l3 = 0) => readU32(b, l4Of(b, l3) + 4),
  ack: (b: Uint8Array, l3 = 0) => readU32(b, l4Of(b, l3) + 8),
  doff: (b: Uint8Array, l3 = 0) => (b[l4Of(b, l3) + 12]! >>> 4) * 4,
  window: (b: Uint8Array, l3 = 0) => readU16(b, l4Of(b, l3) + 14),
  checksum: (b: Uint8Array, l3 = 0) => readU16(b, l4Of(b, l3) + 16),
  sport: (b: Uint8Array, l3 = 0) => readU16(b, l4Of(b, l3)),
  dport: (b: Uint8Array, l3 = 0) => readU16(b, l4Of(b, l3) + 2),
  options: (b: Uint8Array, l3 = 0) => Array.from(b.subarray(l4Of(b, l3) + 20, l4Of(b, l3) + tcp.doff(b, l3))),
  payload: (b: Uint8Array, len: number, l3 = 0) => Array.from(b.subarray(l4Of(b, l3) + tcp.doff(b, l3), l3 + len)),
};
export const ip = {
  length: (b: Uint8Array, l3 = 0) => (b[l3]! >>> 4 === 4 ? readU16(b, l3 + 2) : 40 + readU16(b, l3 + 4)),
  checksum: (b: Uint8Array, l3 = 0) => readU16(b, l3 + 10),
};
