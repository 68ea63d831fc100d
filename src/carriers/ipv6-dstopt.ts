/**
 * Client-address carriers in an IPv6 Destination Options extension header (next header 60):
 * ByteDance TTGW option type 31/30 (optlen 12 → IPv4 inner, 36 → IPv6 inner) and v2 type 29
 * (optlen 12 / 28). Pad1 (0) and PadN (1) are walked; other options are skipped by length.
 * Never throws; offsets are absolute (carrier offset = the option type byte).
 */
import { MalformedError } from '../codec/errors.js';
import { DEST_OPTS, isCarrierKind, lookupFormat, requireFormat, wrapDestinationOptions } from './registry.js';
import type { Carrier, CarrierFields, CarrierNote } from './types.js';

function pushNote(notes: CarrierNote[] | undefined, code: CarrierNote['code'], offset: number, kind: number | null, length: number, message: string): void {
  notes?.push({ code, carrier: 'ipv6-dstopt', offset, kind, length, severity: 'warning', message });
}

/**
 * Walk the destination-options header occupying [extStart, extEnd) (extStart = its next-header
 * byte). The header's own length field bounds the walk; a header declaring more than extEnd is
 * noted and walked up to extEnd. Returns the number of carriers pushed.
 */
export function scanIpv6DestOpts(bytes: Uint8Array, extStart: number, extEnd: number, out: Carrier[], notes?: CarrierNote[]): number {
  if (extEnd > bytes.length) extEnd = bytes.length;
  if (extStart < 0) extStart = 0;
  if (extEnd - extStart < DEST_OPTS.OPTIONS) {
    if (extEnd > extStart) pushNote(notes, 'malformed-option', extStart, null, extEnd - extStart, `IPv6 destination options header at byte ${extStart} is cut after ${extEnd - extStart} bytes`);
    return 0;
  }
  const declared = (bytes[extStart + DEST_OPTS.HEADER_EXT_LENGTH]! + 1) * 8;
  let end = extStart + declared;
  if (end > extEnd) {
    pushNote(notes, 'malformed-option', extStart, null, declared, `IPv6 destination options header at byte ${extStart} declares ${declared} bytes, ${extEnd - extStart} available`);
    end = extEnd;
  }
  let found = 0;
  let first = true;
  let i = extStart + DEST_OPTS.OPTIONS;
  while (i < end) {
    const type = bytes[i]!;
    if (type === DEST_OPTS.PAD1) {
      i++;
      continue;
    }
    if (i + 1 >= end) {
      pushNote(notes, 'malformed-option', i, type, 1, `IPv6 destination option type ${type} at byte ${i} has no length byte`);
      break;
    }
    const optlen = bytes[i + 1]!;
    if (i + 2 + optlen > end) {
      pushNote(notes, 'malformed-option', i, type, optlen, `IPv6 destination option type ${type} length ${optlen} at byte ${i} overruns the header ending at byte ${end}`);
      break;
    }
    if (type !== DEST_OPTS.PADN) {
      const format = lookupFormat('ipv6-dstopt', type, optlen, bytes, i);
      if (format) {
        const c = format.decode(bytes, i, optlen)!;
        c.firstOption = first;
        out.push(c);
        found++;
      } else if (isCarrierKind('ipv6-dstopt', type)) {
        pushNote(notes, 'unknown-length', i, type, optlen, `IPv6 destination option type ${type} at byte ${i} has length ${optlen}, which no carrier format of that type uses`);
      }
      first = false;
    }
    i += 2 + optlen;
  }
  return found;
}

/**
 * A whole Destination Options extension header for an ipv6-dstopt format (ttgw-v6,
 * ttgw-v6-asym, ttgw-v2-v6): next header (fields.nextHeader, default 59 as a placeholder),
 * header ext length, the option, Pad1/PadN to a multiple of 8.
 */
export function encodeIpv6DestOptCarrier(format: string, fields: CarrierFields): Uint8Array {
  const f = requireFormat(format);
  if (f.carrier !== 'ipv6-dstopt') throw new MalformedError('carrier', 0, 'format', format, `format ${f.format} is carried in ${f.carrier}, not in IPv6 destination options`);
  return f.encode(fields);
}

export { wrapDestinationOptions };
