/**
 * PROXY protocol v1 (text) and v2 (binary) headers at the start of a TCP stream or UDP datagram
 * (haproxy doc/proxy-protocol.txt as summarised in toa-formats.md §2.13 and dpvs.md §7).
 *
 * Decoders never throw on bad input: they return null and, when a notes array is given, record
 * why (malformed / truncated / TLV overrun) with the absolute offset.
 */
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../codec/addr.js';
import { readU16, readU32, readU32LE, toHex, writeU16 } from '../codec/bytes.js';
import { MalformedError } from '../codec/errors.js';
import { addressField, integerField, newCarrier } from './fields.js';
import type { Carrier, CarrierFields, CarrierNote, ProxyTlv } from './types.js';

/** PROXY v1 constants. */
export const PROXY_V1 = Object.freeze({ PREFIX: 'PROXY ', MAX_LENGTH: 107 });

/** PROXY v2 header offsets and constants. */
export const PROXY_V2 = Object.freeze({
  SIGNATURE: 0,
  VERSION_COMMAND: 12,
  FAMILY_TRANSPORT: 13,
  LENGTH: 14,
  ADDRESSES: 16,
  HEADER: 16,
  VERSION: 2,
  COMMAND_LOCAL: 0,
  COMMAND_PROXY: 1,
  FAMILY_UNSPEC: 0,
  FAMILY_INET: 1,
  FAMILY_INET6: 2,
  FAMILY_UNIX: 3,
  TRANSPORT_UNSPEC: 0,
  TRANSPORT_STREAM: 1,
  TRANSPORT_DGRAM: 2,
  ADDRESS_LENGTH_INET: 12,
  ADDRESS_LENGTH_INET6: 36,
  ADDRESS_LENGTH_UNIX: 216,
  UNIX_PATH: 108,
  TLV_HEADER: 3,
});

export const PROXY_V2_SIGNATURE = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);

/** Standard TLV types (toa-formats.md §2.13). */
export const PROXY_TLV = Object.freeze({
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  SSL_VERSION: 0x21,
  SSL_CN: 0x22,
  SSL_CIPHER: 0x23,
  SSL_SIG_ALG: 0x24,
  SSL_KEY_ALG: 0x25,
  NETNS: 0x30,
  AWS: 0xea,
  AZURE: 0xee,
});

const TLV_NAMES = new Map<number, string>([
  [0x01, 'ALPN'], [0x02, 'AUTHORITY'], [0x03, 'CRC32C'], [0x04, 'NOOP'], [0x05, 'UNIQUE_ID'],
  [0x20, 'SSL'], [0x21, 'SSL_VERSION'], [0x22, 'SSL_CN'], [0x23, 'SSL_CIPHER'], [0x24, 'SSL_SIG_ALG'], [0x25, 'SSL_KEY_ALG'],
  [0x30, 'NETNS'], [0xea, 'AWS'], [0xee, 'AZURE'],
]);
const TEXT_TLVS = new Set<number>([0x01, 0x02, 0x21, 0x22, 0x23, 0x24, 0x25, 0x30]);

export function proxyTlvName(type: number): string {
  return TLV_NAMES.get(type) ?? (type >= 0xe0 && type <= 0xef ? 'CUSTOM' : 'unknown');
}

function note(notes: CarrierNote[] | undefined, code: CarrierNote['code'], carrier: 'proxy-v1' | 'proxy-v2', offset: number, length: number, message: string): null {
  notes?.push({ code, carrier, offset, kind: null, length, severity: 'warning', message });
  return null;
}

// ---------------------------------------------------------------------------------------------
// v1

/** True when the range starts with "PROXY " (or, if shorter, with a prefix of it of >= 5 bytes). */
export function looksLikeProxyV1(bytes: Uint8Array, start: number, end: number): boolean {
  const n = Math.min(end - start, PROXY_V1.PREFIX.length);
  if (n < 5) return false;
  for (let i = 0; i < n; i++) if (bytes[start + i] !== PROXY_V1.PREFIX.charCodeAt(i)) return false;
  return true;
}

const PORT_TEXT = /^(0|[1-9][0-9]{0,4})$/;

/**
 * Strictly parse a PROXY v1 line at `start` (the range must begin with "PROXY "). Returns the
 * carrier or null (with a note: truncated when the range ends before a CRLF within 107 bytes,
 * malformed otherwise).
 */
export function decodeProxyV1(bytes: Uint8Array, start: number, end: number, notes?: CarrierNote[]): Carrier | null {
  if (end > bytes.length) end = bytes.length;
  if (!looksLikeProxyV1(bytes, start, end)) return null;
  const limit = Math.min(end, start + PROXY_V1.MAX_LENGTH);
  let cr = -1;
  for (let i = start; i + 1 < limit; i++) {
    const b = bytes[i]!;
    if (b === 0x0d && bytes[i + 1] === 0x0a) {
      cr = i;
      break;
    }
    if (b < 0x20 || b > 0x7e) return note(notes, 'proxy-malformed', 'proxy-v1', i, i - start, `PROXY v1 line has a non-printable byte 0x${b.toString(16).padStart(2, '0')} at byte ${i}`);
  }
  if (cr < 0) {
    if (end - start >= PROXY_V1.MAX_LENGTH) return note(notes, 'proxy-malformed', 'proxy-v1', start, PROXY_V1.MAX_LENGTH, `PROXY v1 line at byte ${start} has no CRLF within ${PROXY_V1.MAX_LENGTH} bytes`);
    return note(notes, 'proxy-truncated', 'proxy-v1', start, end - start, `PROXY v1 line at byte ${start} ends after ${end - start} bytes without a CRLF`);
  }
  let line = '';
  for (let i = start; i < cr; i++) line += String.fromCharCode(bytes[i]!);
  const total = cr + 2 - start;
  const parts = line.split(' ');
  const family = parts[1];
  const bad = (why: string) => note(notes, 'proxy-malformed', 'proxy-v1', start, total, `PROXY v1 line at byte ${start} ${why}`);
  if (family === 'UNKNOWN') {
    const c = newCarrier('proxy-v1', null, total, 'proxy-v1', start);
    c.command = 'PROXY';
    c.family = 'UNKNOWN';
    return c;
  }
  if (family !== 'TCP4' && family !== 'TCP6') return bad(`has protocol '${family ?? ''}' (expected TCP4, TCP6 or UNKNOWN)`);
  if (parts.length !== 6) return bad(`has ${parts.length - 2} fields after ${family} (expected 4 separated by single spaces)`);
  const parse = family === 'TCP4' ? parseIpv4 : parseIpv6;
  const src = parse(parts[2]!);
  const dst = parse(parts[3]!);
  if (!src) return bad(`has a source address '${parts[2]}' that is not ${family === 'TCP4' ? 'IPv4' : 'IPv6'}`);
  if (!dst) return bad(`has a destination address '${parts[3]}' that is not ${family === 'TCP4' ? 'IPv4' : 'IPv6'}`);
  const sport = PORT_TEXT.test(parts[4]!) ? Number(parts[4]) : -1;
  const dport = PORT_TEXT.test(parts[5]!) ? Number(parts[5]) : -1;
  if (sport < 0 || sport > 0xffff) return bad(`has a source port '${parts[4]}' that is not 0..65535`);
  if (dport < 0 || dport > 0xffff) return bad(`has a destination port '${parts[5]}' that is not 0..65535`);
  const c = newCarrier('proxy-v1', null, total, 'proxy-v1', start);
  c.command = 'PROXY';
  c.family = family;
  c.clientAddress = src.length === 4 ? formatIpv4(src, 0) : formatIpv6(src, 0);
  c.clientPort = sport;
  c.virtualAddress = dst.length === 4 ? formatIpv4(dst, 0) : formatIpv6(dst, 0);
  c.virtualPort = dport;
  return c;
}

/** "PROXY TCP4|TCP6 client virtual cport vport\r\n", or "PROXY UNKNOWN\r\n" without a client address. */
export function encodeProxyV1(f: CarrierFields): Uint8Array {
  let line: string;
  if (f.clientAddress === undefined) line = 'PROXY UNKNOWN\r\n';
  else {
    const src = addressField(f.clientAddress, 0, 'clientAddress', 'proxy-v1');
    const dst = addressField(f.virtualAddress, src.length as 4 | 16, 'virtualAddress', 'proxy-v1');
    const text = (a: Uint8Array) => (a.length === 4 ? formatIpv4(a, 0) : formatIpv6(a, 0));
    const sport = integerField(f.clientPort, 0xffff, 'clientPort', 'proxy-v1');
    const dport = integerField(f.virtualPort, 0xffff, 'virtualPort', 'proxy-v1');
    line = `PROXY ${src.length === 4 ? 'TCP4' : 'TCP6'} ${text(src)} ${text(dst)} ${sport} ${dport}\r\n`;
  }
  const out = new Uint8Array(line.length);
  for (let i = 0; i < line.length; i++) out[i] = line.charCodeAt(i);
  return out;
}

// ---------------------------------------------------------------------------------------------
// v2

/** True when the range starts with the v2 signature (or, if shorter, a prefix of >= 5 bytes). */
export function looksLikeProxyV2(bytes: Uint8Array, start: number, end: number): boolean {
  const n = Math.min(end - start, PROXY_V2_SIGNATURE.length);
  if (n < 5) return false;
  for (let i = 0; i < n; i++) if (bytes[start + i] !== PROXY_V2_SIGNATURE[i]) return false;
  return true;
}

const FAMILY_NAMES = ['unspec', 'inet', 'inet6', 'unix'];
const TRANSPORT_NAMES = ['unspec', 'stream', 'dgram'];
const ADDRESS_LENGTHS = [0, PROXY_V2.ADDRESS_LENGTH_INET, PROXY_V2.ADDRESS_LENGTH_INET6, PROXY_V2.ADDRESS_LENGTH_UNIX];

/** Parse a PROXY v2 header at `start`. Returns null (with a note) when damaged or cut short. */
export function decodeProxyV2(bytes: Uint8Array, start: number, end: number, notes?: CarrierNote[]): Carrier | null {
  if (end > bytes.length) end = bytes.length;
  if (!looksLikeProxyV2(bytes, start, end)) return null;
  const avail = end - start;
  if (avail < PROXY_V2.HEADER) return note(notes, 'proxy-truncated', 'proxy-v2', start, avail, `PROXY v2 header at byte ${start} is cut after ${avail} of 16 bytes`);
  const bad = (at: number, why: string) => note(notes, 'proxy-malformed', 'proxy-v2', at, 0, `PROXY v2 header at byte ${start}: ${why}`);
  const versionCommand = bytes[start + PROXY_V2.VERSION_COMMAND]!;
  if (versionCommand >>> 4 !== PROXY_V2.VERSION) return bad(start + PROXY_V2.VERSION_COMMAND, `version ${versionCommand >>> 4} (expected 2)`);
  const command = versionCommand & 0x0f;
  if (command > PROXY_V2.COMMAND_PROXY) return bad(start + PROXY_V2.VERSION_COMMAND, `command ${command} (expected 0 LOCAL or 1 PROXY)`);
  const familyTransport = bytes[start + PROXY_V2.FAMILY_TRANSPORT]!;
  const family = familyTransport >>> 4;
  const transport = familyTransport & 0x0f;
  if (family > PROXY_V2.FAMILY_UNIX) return bad(start + PROXY_V2.FAMILY_TRANSPORT, `address family ${family} (expected 0..3)`);
  if (transport > PROXY_V2.TRANSPORT_DGRAM) return bad(start + PROXY_V2.FAMILY_TRANSPORT, `transport ${transport} (expected 0..2)`);
  const length = readU16(bytes, start + PROXY_V2.LENGTH);
  const total = PROXY_V2.HEADER + length;
  if (total > avail) return note(notes, 'proxy-truncated', 'proxy-v2', start, avail, `PROXY v2 header at byte ${start} declares ${total} bytes, ${avail} available`);
  const addressLength = ADDRESS_LENGTHS[family]!;
  if (length < addressLength) return bad(start + PROXY_V2.LENGTH, `length ${length} is shorter than the ${addressLength}-byte ${FAMILY_NAMES[family]} address block`);

  const c = newCarrier('proxy-v2', null, total, 'proxy-v2', start);
  c.command = command === PROXY_V2.COMMAND_PROXY ? 'PROXY' : 'LOCAL';
  c.family = FAMILY_NAMES[family]!;
  c.transport = TRANSPORT_NAMES[transport]!;
  const a = start + PROXY_V2.ADDRESSES;
  if (command === PROXY_V2.COMMAND_PROXY) {
    if (family === PROXY_V2.FAMILY_INET) {
      c.clientAddress = formatIpv4(bytes, a);
      c.virtualAddress = formatIpv4(bytes, a + 4);
      c.clientPort = readU16(bytes, a + 8);
      c.virtualPort = readU16(bytes, a + 10);
    } else if (family === PROXY_V2.FAMILY_INET6) {
      c.clientAddress = formatIpv6(bytes, a);
      c.virtualAddress = formatIpv6(bytes, a + 16);
      c.clientPort = readU16(bytes, a + 32);
      c.virtualPort = readU16(bytes, a + 34);
    } else if (family === PROXY_V2.FAMILY_UNIX) {
      c.sourcePath = cString(bytes, a, PROXY_V2.UNIX_PATH);
      c.destinationPath = cString(bytes, a + PROXY_V2.UNIX_PATH, PROXY_V2.UNIX_PATH);
    }
  }
  const tlvStart = a + addressLength;
  const tlvEnd = start + total;
  if (tlvStart < tlvEnd) c.tlvs = parseTlvs(bytes, tlvStart, tlvEnd, start, total, notes);
  return c;
}

function cString(bytes: Uint8Array, offset: number, max: number): string {
  let s = '';
  for (let i = 0; i < max && bytes[offset + i] !== 0; i++) s += String.fromCharCode(bytes[offset + i]!);
  return s;
}

function parseTlvs(bytes: Uint8Array, start: number, end: number, headerStart: number, headerLength: number, notes: CarrierNote[] | undefined, inside?: number): ProxyTlv[] {
  const out: ProxyTlv[] = [];
  let i = start;
  while (i < end) {
    if (end - i < PROXY_V2.TLV_HEADER || i + PROXY_V2.TLV_HEADER + readU16(bytes, i + 1) > end) {
      const what = end - i < PROXY_V2.TLV_HEADER ? `${end - i} stray byte(s)` : `TLV type 0x${bytes[i]!.toString(16)} of length ${readU16(bytes, i + 1)}`;
      notes?.push({
        code: 'proxy-tlv-overrun', carrier: 'proxy-v2', offset: i, kind: bytes[i]!, length: end - i, severity: 'warning',
        message: `PROXY v2 ${inside === undefined ? '' : 'SSL sub-'}${what} at byte ${i} runs past the end of the ${inside === undefined ? 'header' : 'SSL TLV'} at byte ${end}`,
      });
      break;
    }
    const type = bytes[i]!;
    const length = readU16(bytes, i + 1);
    const v = i + PROXY_V2.TLV_HEADER;
    const tlv: ProxyTlv = { type, name: proxyTlvName(type), length, offset: i, value: toHex(bytes, v, v + length) };
    if (TEXT_TLVS.has(type)) tlv.text = ascii(bytes, v, v + length);
    else if (type === PROXY_TLV.UNIQUE_ID) tlv.text = tlv.value;
    else if (type === PROXY_TLV.AWS && length >= 1 && bytes[v] === 0x01) tlv.text = `vpce-id=${ascii(bytes, v + 1, v + length)}`;
    else if (type === PROXY_TLV.AZURE && length >= 5 && bytes[v] === 0x01) tlv.text = `linkid=${readU32LE(bytes, v + 1)}`;
    else if (type === PROXY_TLV.SSL && inside === undefined && length >= 5) {
      tlv.text = `client=0x${bytes[v]!.toString(16)} verify=${readU32(bytes, v + 1)}`;
      tlv.sub = parseTlvs(bytes, v + 5, v + length, headerStart, headerLength, notes, type);
    } else if (type === PROXY_TLV.CRC32C && length === 4) {
      tlv.crcOk = crc32c(bytes, headerStart, headerStart + headerLength, v) === readU32(bytes, v);
    }
    out.push(tlv);
    i = v + length;
  }
  return out;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32C (Castagnoli) of bytes[start, end), treating the 4 bytes at `zeroAt` (if given) as zero. */
export function crc32c(bytes: Uint8Array, start: number, end: number, zeroAt = -1): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    const b = zeroAt >= 0 && i >= zeroAt && i < zeroAt + 4 ? 0 : bytes[i]!;
    crc = CRC32C_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * PROXY v2 header: signature, 0x21 (or 0x20 LOCAL), family/transport, length, addresses
 * (client then virtual, client port then virtual port), then the given TLVs in order.
 * A LOCAL header without addresses uses family UNSPEC and an empty address block.
 * A TLV of type 0x03 (CRC32C) given with an empty value is written as 4 bytes holding the
 * computed CRC32C of the whole header.
 */
export function encodeProxyV2(f: CarrierFields): Uint8Array {
  const command = f.command ?? 'PROXY';
  const transport = f.transport === 'dgram' ? PROXY_V2.TRANSPORT_DGRAM : PROXY_V2.TRANSPORT_STREAM;
  let src: Uint8Array | null = null;
  let dst: Uint8Array | null = null;
  if (f.clientAddress !== undefined || command === 'PROXY') {
    src = addressField(f.clientAddress, 0, 'clientAddress', 'proxy-v2');
    dst = addressField(f.virtualAddress, src.length as 4 | 16, 'virtualAddress', 'proxy-v2');
  }
  const addressLength = src ? (src.length === 4 ? PROXY_V2.ADDRESS_LENGTH_INET : PROXY_V2.ADDRESS_LENGTH_INET6) : 0;
  const tlvs = f.tlvs ?? [];
  let tlvLength = 0;
  for (const t of tlvs) {
    integerField(t.type, 0xff, 'tlvs.type', 'proxy-v2');
    if (t.value.length > 0xffff) throw new MalformedError('carrier', 0, 'tlvs.value', t.value.length, 'PROXY v2 TLV value longer than 65535 bytes');
    tlvLength += PROXY_V2.TLV_HEADER + (t.type === PROXY_TLV.CRC32C && t.value.length === 0 ? 4 : t.value.length);
  }
  const length = addressLength + tlvLength;
  if (length > 0xffff) throw new MalformedError('carrier', 0, 'length', length, 'PROXY v2 header longer than 65535 bytes');
  const out = new Uint8Array(PROXY_V2.HEADER + length);
  out.set(PROXY_V2_SIGNATURE, PROXY_V2.SIGNATURE);
  out[PROXY_V2.VERSION_COMMAND] = (PROXY_V2.VERSION << 4) | (command === 'PROXY' ? PROXY_V2.COMMAND_PROXY : PROXY_V2.COMMAND_LOCAL);
  const family = !src ? PROXY_V2.FAMILY_UNSPEC : src.length === 4 ? PROXY_V2.FAMILY_INET : PROXY_V2.FAMILY_INET6;
  out[PROXY_V2.FAMILY_TRANSPORT] = (family << 4) | (src ? transport : PROXY_V2.TRANSPORT_UNSPEC);
  writeU16(out, PROXY_V2.LENGTH, length);
  let o = PROXY_V2.ADDRESSES;
  if (src && dst) {
    out.set(src, o);
    out.set(dst, o + src.length);
    o += 2 * src.length;
    writeU16(out, o, integerField(f.clientPort, 0xffff, 'clientPort', 'proxy-v2'));
    writeU16(out, o + 2, integerField(f.virtualPort, 0xffff, 'virtualPort', 'proxy-v2'));
    o += 4;
  }
  let crcAt = -1;
  for (const t of tlvs) {
    out[o] = t.type;
    const auto = t.type === PROXY_TLV.CRC32C && t.value.length === 0;
    writeU16(out, o + 1, auto ? 4 : t.value.length);
    if (auto) crcAt = o + PROXY_V2.TLV_HEADER;
    else out.set(t.value, o + PROXY_V2.TLV_HEADER);
    o += PROXY_V2.TLV_HEADER + (auto ? 4 : t.value.length);
  }
  if (crcAt >= 0) {
    const crc = crc32c(out, 0, out.length, crcAt);
    out[crcAt] = crc >>> 24;
    out[crcAt + 1] = (crc >>> 16) & 0xff;
    out[crcAt + 2] = (crc >>> 8) & 0xff;
    out[crcAt + 3] = crc & 0xff;
  }
  return out;
}
