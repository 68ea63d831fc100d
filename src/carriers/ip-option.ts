/**
 * Client-address carriers in the IPv4 options area (toa-formats.md §3 rule 6):
 *   type 31: len 8 → uoa-ipo (DPVS UOA ipo / JD ipoa); len 16|40 → ttgw-v4 (operation bit 0 = inner family)
 *   type 30: len 16|40 → ttgw-v4-asym; len 8 → ovs-slb-rs
 *   type 29: len 16|32 → ttgw-v2 (with VNI)
 * Other lengths of 29/30/31 → note 'unknown-length'. The ByteDance receiver only reads the FIRST
 * option after the fixed header; every carrier records `firstOption`.
 * Walk: EOL (0) stops, NOP (1) is skipped, a missing length byte / length < 2 / overrun stops
 * with a 'malformed-option' note. Never throws; offsets are absolute.
 */
import { MalformedError } from '../codec/errors.js';
import { IPV4_OPTION } from '../codec/ipv4.js';
import { addressField, integerField } from './fields.js';
import { isCarrierKind, lookupFormat, requireFormat, writePortAddress } from './registry.js';
import type { Carrier, CarrierFields, CarrierNote } from './types.js';

function pushNote(notes: CarrierNote[] | undefined, code: CarrierNote['code'], offset: number, kind: number, length: number, message: string): void {
  notes?.push({ code, carrier: 'ipv4-option', offset, kind, length, severity: 'warning', message });
}

/** Walk IPv4 options [start, end) and push carriers; returns the count pushed. */
export function scanIpv4Options(bytes: Uint8Array, start: number, end: number, out: Carrier[], notes?: CarrierNote[]): number {
  if (end > bytes.length) end = bytes.length;
  if (start < 0) start = 0;
  let found = 0;
  let i = start;
  while (i < end) {
    const type = bytes[i]!;
    if (type === IPV4_OPTION.EOL) break;
    if (type === IPV4_OPTION.NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) {
      pushNote(notes, 'malformed-option', i, type, 1, `IPv4 option type ${type} at byte ${i} has no length byte before the end of the options at byte ${end}`);
      break;
    }
    const length = bytes[i + 1]!;
    if (length < 2) {
      pushNote(notes, 'malformed-option', i, type, length, `IPv4 option type ${type} at byte ${i} has length ${length} (below 2); the walk stops here`);
      break;
    }
    if (i + length > end) {
      pushNote(notes, 'malformed-option', i, type, length, `IPv4 option type ${type} length ${length} at byte ${i} overruns the options area ending at byte ${end}`);
      break;
    }
    const format = lookupFormat('ipv4-option', type, length, bytes, i);
    if (format) {
      const c = format.decode(bytes, i, length)!;
      c.firstOption = i === start;
      if (c.operation !== undefined) {
        // TTGW: the operation byte names the inner family; v1 uses bit 0, v2 the whole byte
        const v6 = format.format === 'ttgw-v2' ? length === 32 : length === 40;
        const said = format.format === 'ttgw-v2' ? c.operation : c.operation & 1;
        if (said !== (v6 ? 1 : 0)) {
          pushNote(notes, 'family-mismatch', i, type, length, `${format.format} at byte ${i}: operation byte ${c.operation} says ${said === 1 ? 'IPv6' : said === 0 ? 'IPv4' : 'neither family'} but length ${length} carries ${v6 ? 'IPv6' : 'IPv4'}; decoded by length`);
        }
      }
      out.push(c);
      found++;
    } else if (isCarrierKind('ipv4-option', type)) {
      pushNote(notes, 'unknown-length', i, type, length, `IPv4 option type ${type} at byte ${i} has length ${length}, which no carrier format of that type uses`);
    }
    i += length;
  }
  return found;
}

/** Exact IPv4 option bytes for an ipv4-option format (uoa-ipo, ttgw-v4, ttgw-v4-asym, ttgw-v2, ovs-slb-rs). */
export function encodeIpv4OptionCarrier(format: string, fields: CarrierFields): Uint8Array {
  const f = requireFormat(format);
  if (f.carrier !== 'ipv4-option') throw new MalformedError('carrier', 0, 'format', format, `format ${f.format} is carried in ${f.carrier}, not in IPv4 options`);
  return f.encode(fields);
}

/**
 * Allocation-free variant of encodeIpv4OptionCarrier for the port+address formats 'uoa-ipo'
 * (type 31) and 'ovs-slb-rs' (type 30): writes the 8-byte option at out[offset] and returns 8.
 * Throws MalformedError (layer 'carrier') when the address is not IPv4 or the port not 0..65535.
 */
export function writeIpv4OptionCarrier(out: Uint8Array, offset: number, format: 'uoa-ipo' | 'ovs-slb-rs', port: number, address: Uint8Array): number {
  const kind = format === 'uoa-ipo' ? UOA_IPO_TYPE : format === 'ovs-slb-rs' ? OVS_SLB_RS_TYPE : -1;
  if (kind < 0) throw new MalformedError('carrier', 0, 'format', format, `format ${format} is not a port+address IPv4 option`);
  addressField(address, 4, 'clientAddress', format);
  integerField(port, 0xffff, 'clientPort', format);
  return writePortAddress(out, offset, kind, port, address);
}

const UOA_IPO_TYPE = requireFormat('uoa-ipo').kind!;
const OVS_SLB_RS_TYPE = requireFormat('ovs-slb-rs').kind!;
