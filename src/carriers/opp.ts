/**
 * The UOA "opp" shim (IP protocol / next header 248) between the IP header and UDP
 * (dpvs.md §6, toa-formats.md I2): 0 version<<4 (1 IPv4 client, 2 IPv6 client), 1 next protocol,
 * 2 length u16 (4 + option: 12 or 24), then option type 31 length 8|20 (port, address).
 * Never throws; notes 'opp-malformed' with the offset when the shim is damaged.
 */
import { readU16 } from '../codec/bytes.js';
import { addressField, integerField } from './fields.js';
import { OPP, requireFormat, writeOppShim } from './registry.js';
import type { Carrier, CarrierFields, CarrierNote } from './types.js';

function bad(notes: CarrierNote[] | undefined, offset: number, length: number, message: string, code: CarrierNote['code'] = 'opp-malformed'): number {
  notes?.push({ code, carrier: 'opp', offset, kind: null, length, severity: 'warning', message });
  return 0;
}

/**
 * Total shim length (header + option) declared at `start`, or -1 when fewer than 4 bytes are
 * available. The dissector uses it to find the UDP header.
 */
export function oppLength(bytes: Uint8Array, start: number, end: number): number {
  if (end > bytes.length) end = bytes.length;
  if (end - start < OPP.HEADER) return -1;
  return readU16(bytes, start + OPP.LENGTH);
}

/** Decode the shim at [start, end); pushes at most one carrier; returns the count pushed. */
export function decodeOpp(bytes: Uint8Array, start: number, end: number, out: Carrier[], notes?: CarrierNote[]): number {
  if (end > bytes.length) end = bytes.length;
  if (start < 0) start = 0;
  const avail = end - start;
  if (avail < OPP.HEADER) return avail > 0 ? bad(notes, start, avail, `opp shim at byte ${start} is cut after ${avail} of 4 header bytes`) : 0;
  const versionByte = bytes[start + OPP.VERSION]!;
  const version = versionByte >>> 4;
  if ((version !== OPP.VERSION_IPV4 && version !== OPP.VERSION_IPV6) || (versionByte & 0x0f) !== 0) {
    return bad(notes, start, avail, `opp shim at byte ${start} has version byte 0x${versionByte.toString(16).padStart(2, '0')} (expected 0x10 or 0x20)`);
  }
  const length = readU16(bytes, start + OPP.LENGTH);
  if (length !== 12 && length !== 24) return bad(notes, start, length, `opp shim at byte ${start} has length ${length} (expected 12 or 24)`);
  if (length > avail) return bad(notes, start, length, `opp shim at byte ${start} declares ${length} bytes, ${avail} available`);
  const o = start + OPP.OPTION;
  const type = bytes[o]!;
  const optlen = bytes[o + 1]!;
  if (type !== OPP.OPTION_TYPE || optlen !== length - OPP.HEADER) {
    return bad(notes, o, optlen, `opp shim at byte ${start}: inner option type ${type} length ${optlen} (expected type 31 length ${length - OPP.HEADER})`);
  }
  if ((version === OPP.VERSION_IPV4) !== (optlen === 8)) {
    bad(notes, start, length, `opp shim at byte ${start}: version ${version} disagrees with option length ${optlen}; decoded by length`, 'family-mismatch');
  }
  out.push(requireFormat('uoa-opp').decode(bytes, start, optlen)!);
  return 1;
}

/** The whole shim (4-byte header + option 31), 12 bytes for an IPv4 client or 24 for IPv6. */
export function encodeOppHeader(fields: CarrierFields): Uint8Array {
  return requireFormat('uoa-opp').encode(fields);
}

/**
 * Allocation-free variant of encodeOppHeader: writes the shim + option (the bytes
 * encodeOppHeader({clientAddress, clientPort, nextHeader}) returns) at out[offset] and returns
 * 12 or 24. Throws MalformedError (layer 'carrier') on an address that is not 4 or 16 bytes or a
 * port / next protocol out of range. The caller provides the room.
 */
export function writeOppHeader(out: Uint8Array, offset: number, nextProtocol: number, port: number, address: Uint8Array): number {
  addressField(address, 0, 'clientAddress', 'uoa-opp');
  integerField(port, 0xffff, 'clientPort', 'uoa-opp');
  integerField(nextProtocol, 0xff, 'nextHeader', 'uoa-opp');
  return writeOppShim(out, offset, nextProtocol, port, address);
}
