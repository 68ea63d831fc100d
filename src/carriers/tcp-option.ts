/**
 * Client-address carriers in the TCP options area, with the recognition rules of
 * toa-formats.md §3 (rules 1-5):
 *
 * - kind 253/254 whose bytes 2-3 are 0x0348 (RFC 7974 Host ID) → note 'host-id', never an address.
 * - kind 254 whose bytes 2-3 are 0xF989 → note 'tcp-fast-open' when the segment has SYN set or
 *   the length is not 8/16/20; on a non-SYN segment a 254/8|16|20 with 0xF989 is a TOA with client
 *   port 63881 (carrier, plus an 'exid-collision' note because tcpdump/tshark show it as TFO).
 * - 254: 8 → toa-v4, 20 → toa-v6, 16 → toa-extra-v4, other lengths → note 'rfc6994-experiment'.
 * - 253: 20 → toa-v6-253, 8 → toa-v4-253, other lengths → note 'rfc6994-experiment'.
 * - 200/8, 201/6, 202/8, 252/20, 250/8, 249/40: the registry rows (201/202/250 carry no client address).
 * - 28/7 with byte 2 == 1 → alibaba-cdn-v4; 28/19 → alibaba-cdn-v6; 28/4 → note 'user-timeout';
 *   other 28 → note 'unknown-length'.
 * - Any 253/254 carrier whose port equals a known ExID gets `exidCollision` and a note (the other
 *   253/254 carriers with a port have the field too, undefined).
 *
 * The walk (backend-module rules): NOP skipped; EOL stops (note 'data-after-eol' when non-zero
 * bytes follow); a missing length byte, a length below 2 or an option overrunning the area stop
 * the walk with a 'malformed-option' note carrying the option's absolute offset.
 * Nothing is allocated unless a carrier or note is found.
 */
import { readU16 } from '../codec/bytes.js';
import { MalformedError } from '../codec/errors.js';
import { TCP_OPTION } from '../codec/tcp.js';
import { filterFormat, CUSTOM_FORMATS, type KindFilter } from './kinds.js';
import { addressField, integerField } from './fields.js';
import { FORMATS, isCarrierKind, KNOWN_EXIDS, lookupFormat, requireFormat, RFC6994, writePortAddress, type CarrierFormat } from './registry.js';
import type { Carrier, CarrierFields, CarrierNote } from './types.js';

/** Kind/length constants of the TCP carriers this file reasons about. */
export const TCP_CARRIER = Object.freeze({
  EXPERIMENT_1: 253,
  EXPERIMENT_2: 254,
  USER_TIMEOUT: TCP_OPTION.USER_TIMEOUT,
  USER_TIMEOUT_LENGTH: 4,
  MAX_OPTIONS: 40,
});

/** Kinds the default scan looks at: every registry TCP kind plus 28 (UTO) and 253/254 (experiments). */
const INTERESTING_KINDS = new Uint8Array(256);
for (let k = 0; k < 256; k++) if (isCarrierKind('tcp-option', k)) INTERESTING_KINDS[k] = 1;
INTERESTING_KINDS[TCP_CARRIER.USER_TIMEOUT] = 1;
INTERESTING_KINDS[TCP_CARRIER.EXPERIMENT_1] = 1;
INTERESTING_KINDS[TCP_CARRIER.EXPERIMENT_2] = 1;

function pushNote(notes: CarrierNote[] | undefined, code: CarrierNote['code'], offset: number, kind: number | null, length: number, severity: 'info' | 'warning', message: string, exid?: number): void {
  if (!notes) return;
  const n: CarrierNote = { code, carrier: 'tcp-option', offset, kind, length, severity, message };
  if (exid !== undefined) n.exid = exid;
  notes.push(n);
}

function hex4(n: number): string {
  return '0x' + n.toString(16).toUpperCase().padStart(4, '0');
}

/** Why tcpOptionFormat found no carrier (read after it returned undefined). */
const enum NoCarrier {
  /** A kind no scan looks at (MSS, SACK, ...). */
  Uninteresting,
  /** RFC 7974 Host ID (ExID 0x0348). */
  HostId,
  /** TCP Fast Open (254 with ExID 0xF989 on a SYN, or at a length no TOA uses). */
  FastOpen,
  /** No registry row (or --kinds pair) reads this kind and length. */
  NoFormat,
}

let noCarrier: NoCarrier = NoCarrier.Uninteresting;

/** Per 16-bit value: 1 for the ExIDs of KNOWN_EXIDS (a table load instead of a Map look-up per option). */
const KNOWN_EXID_FLAGS = new Uint8Array(0x10000);
for (const id of KNOWN_EXIDS.keys()) KNOWN_EXID_FLAGS[id] = 1;

/**
 * True when the registry reads every kind-254 length-8 option as toa-v4 and nothing else (one row, no
 * `accepts` predicate, decoded as "kind, len, port, address"): what isPlainToaV4Option relies on.
 */
const TOA_V4_ONLY_254_8 = ((): boolean => {
  const rows = FORMATS.filter((f) => f.carrier === 'tcp-option' && f.kind === TCP_CARRIER.EXPERIMENT_2 && f.lengths.includes(8) && !f.lookalike);
  return rows.length === 1 && rows[0]!.format === 'toa-v4' && rows[0]!.accepts === undefined && INTERESTING_KINDS[TCP_CARRIER.EXPERIMENT_2] === 1;
})();

/**
 * True when the well-formed option at `offset` is one that scanTcpOptions without --kinds reads as a
 * toa-v4 carrier with no note: kind 254, length 8, and a port (bytes 2-3, where RFC 6994 puts the
 * ExID) that is no known ExID, which also rules out Host ID and TCP Fast Open. Its carrier text is
 * `toa A.B.C.D:PORT` (address bytes 4-7, port bytes 2-3). Allocates nothing.
 */
export function isPlainToaV4Option(bytes: Uint8Array, offset: number): boolean {
  return bytes[offset] === TCP_CARRIER.EXPERIMENT_2 && bytes[offset + 1] === 8 && KNOWN_EXID_FLAGS[readU16(bytes, offset + RFC6994.EXID)] === 0 && TOA_V4_ONLY_254_8;
}

/**
 * The format classifyTcpOption decodes the well-formed option at `offset` with (bounds already
 * checked), or undefined when it finds no carrier there. Allocates nothing: for callers that only
 * need to know whether (and which) carrier sits there.
 */
export function tcpOptionFormat(bytes: Uint8Array, offset: number, isSyn: boolean, kinds?: KindFilter): CarrierFormat | undefined {
  const kind = bytes[offset]!;
  if (!kinds && INTERESTING_KINDS[kind] === 0) {
    noCarrier = NoCarrier.Uninteresting; // MSS, SACK, TS, WS, ...: nothing to report
    return undefined;
  }
  const length = bytes[offset + 1]!;
  const exid = kind === TCP_CARRIER.EXPERIMENT_1 || kind === TCP_CARRIER.EXPERIMENT_2 ? experimentId(bytes, offset, length) : -1;
  if (exid === RFC6994.HOST_ID) {
    noCarrier = NoCarrier.HostId;
    return undefined;
  }
  if (kind === TCP_CARRIER.EXPERIMENT_2 && exid === RFC6994.FAST_OPEN && (isSyn || !isCarrierLength(length))) {
    noCarrier = NoCarrier.FastOpen;
    return undefined;
  }
  const format = kinds ? filterFormat(kinds, kind, length, bytes, offset) : lookupFormat('tcp-option', kind, length, bytes, offset);
  if (!format) noCarrier = NoCarrier.NoFormat;
  return format;
}

/** The RFC 6994 ExID of an experiment option (kind 253/254), -1 when the option is too short for one. */
function experimentId(bytes: Uint8Array, offset: number, length: number): number {
  return length >= 4 ? readU16(bytes, offset + RFC6994.EXID) : -1;
}

/**
 * Classify one well-formed option (bounds already checked). Returns the number of carriers
 * pushed (0 or 1).
 */
export function classifyTcpOption(
  bytes: Uint8Array, offset: number, isSyn: boolean, out: Carrier[], notes?: CarrierNote[], kinds?: KindFilter,
): number {
  const format = tcpOptionFormat(bytes, offset, isSyn, kinds);
  const kind = bytes[offset]!;
  const length = bytes[offset + 1]!;
  const experimental = kind === TCP_CARRIER.EXPERIMENT_1 || kind === TCP_CARRIER.EXPERIMENT_2;
  if (!format) {
    if (noCarrier !== NoCarrier.Uninteresting) noteNoCarrier(bytes, offset, kind, length, experimental, isSyn, notes, kinds);
    return 0;
  }
  const c = format.decode(bytes, offset, length)!;
  if (experimental && c.clientPort !== null) {
    const name = KNOWN_EXIDS.get(c.clientPort);
    // Set on every such carrier, undefined when the port is no ExID (JSON.stringify and the -v lines
    // leave undefined fields out): a carrier with a collision then has the same hidden class as the
    // others, where adding the field only to it made a new one and deoptimized the renderers that
    // had only seen the others (node --trace-deopt, decode of bench/out/big.pcap: 'wrong map' in
    // writeNetwork, writeOptions, findCarrier, ... at its first collision, packet 71434).
    c.exidCollision = name;
    if (name !== undefined) {
      pushNote(notes, 'exid-collision', offset, kind, length, 'warning',
        `${c.format} at byte ${offset} has client port ${c.clientPort} (${hex4(c.clientPort)}), which tcpdump and tshark show as the RFC 6994 ExID of ${name}`, c.clientPort);
    }
  }
  out.push(c);
  return 1;
}

/** The note (if any) for an interesting option that tcpOptionFormat found no carrier in (reason in `noCarrier`). */
function noteNoCarrier(
  bytes: Uint8Array, offset: number, kind: number, length: number, experimental: boolean, isSyn: boolean, notes: CarrierNote[] | undefined, kinds: KindFilter | undefined,
): void {
  if (!notes) return;
  const exid = experimental ? experimentId(bytes, offset, length) : -1;
  if (noCarrier === NoCarrier.HostId) {
    pushNote(notes, 'host-id', offset, kind, length, 'info', `kind ${kind} length ${length} at byte ${offset} is an RFC 7974 Host ID (ExID 0x0348), not a client address`, exid);
  } else if (noCarrier === NoCarrier.FastOpen) {
    pushNote(notes, 'tcp-fast-open', offset, kind, length, 'info', `kind 254 length ${length} at byte ${offset} is a TCP Fast Open option (ExID 0xF989)${isSyn ? ' on a SYN' : ''}, not a client address`, exid);
  } else if (experimental) {
    // not read as an address: a generic RFC 6994 experiment (silent when --kinds left out a standard pair)
    if (!(kinds && isCarrierLength(length))) {
      pushNote(notes, 'rfc6994-experiment', offset, kind, length, 'info',
        `kind ${kind} length ${length} at byte ${offset} is an RFC 6994 experiment${exid >= 0 ? ` (ExID ${hex4(exid)}${KNOWN_EXIDS.has(exid) ? ' ' + KNOWN_EXIDS.get(exid)! : ''})` : ''}, not a client-address carrier`,
        exid >= 0 ? exid : undefined);
    }
  } else if (kind === TCP_CARRIER.USER_TIMEOUT) {
    if (length === TCP_CARRIER.USER_TIMEOUT_LENGTH) {
      pushNote(notes, 'user-timeout', offset, kind, length, 'info', `kind 28 length 4 at byte ${offset} is the User-Timeout option (RFC 5482), not an Alibaba CDN TOA`);
    } else if (!kinds) {
      pushNote(notes, 'unknown-length', offset, kind, length, 'warning',
        `kind 28 length ${length} at byte ${offset}${length === 7 ? ` with version byte ${bytes[offset + 2]}` : ''} is neither a User-Timeout (length 4) nor an Alibaba CDN TOA (length 7 version 1, length 19)`);
    }
  } else if (!kinds && isCarrierKind('tcp-option', kind)) {
    pushNote(notes, 'unknown-length', offset, kind, length, 'warning', `kind ${kind} at byte ${offset} has length ${length}, which no carrier format of that kind uses`);
  }
}

function isCarrierLength(length: number): boolean {
  return length === 8 || length === 16 || length === 20;
}

/**
 * Walk the TCP options area [start, end) of `bytes` and push every client-address carrier into
 * `out` (and look-alikes/damage into `notes`). `isSyn`: the segment has SYN set (TFO rule).
 * `kinds` replaces the registry's kind/length pairs (see parseKindSpec). Returns the count pushed.
 * `skipPlainToa` (only without `kinds`): push nothing for the options isPlainToaV4Option accepts (a
 * caller that reads those from the bytes itself; they are not counted). Never throws; offsets are
 * absolute in `bytes`.
 */
export function scanTcpOptions(
  bytes: Uint8Array, start: number, end: number, isSyn: boolean, out: Carrier[], notes?: CarrierNote[], kinds?: KindFilter, skipPlainToa = false,
): number {
  if (end > bytes.length) end = bytes.length;
  if (start < 0) start = 0;
  let found = 0;
  let i = start;
  while (i < end) {
    const kind = bytes[i]!;
    if (kind === TCP_OPTION.EOL) {
      for (let j = i + 1; j < end; j++) {
        if (bytes[j] !== 0) {
          pushNote(notes, 'data-after-eol', i, kind, end - i, 'warning', `TCP options: End-of-List at byte ${i} is followed by non-zero byte 0x${bytes[j]!.toString(16).padStart(2, '0')} at byte ${j}; the rest is not read`);
          break;
        }
      }
      break;
    }
    if (kind === TCP_OPTION.NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) {
      pushNote(notes, 'malformed-option', i, kind, 1, 'warning', `TCP option kind ${kind} at byte ${i} has no length byte before the end of the options at byte ${end}`);
      break;
    }
    const length = bytes[i + 1]!;
    if (length < 2) {
      pushNote(notes, 'malformed-option', i, kind, length, 'warning', `TCP option kind ${kind} at byte ${i} has length ${length} (below 2); the walk stops here`);
      break;
    }
    if (i + length > end) {
      pushNote(notes, 'malformed-option', i, kind, length, 'warning', `TCP option kind ${kind} length ${length} at byte ${i} overruns the options area ending at byte ${end}`);
      break;
    }
    // MSS, SACK, timestamps, ...: what classifyTcpOption would pass over without a carrier or a note
    if (kinds === undefined && (INTERESTING_KINDS[kind] === 0 || (skipPlainToa && isPlainToaV4Option(bytes, i)))) {
      i += length;
      continue;
    }
    found += classifyTcpOption(bytes, i, isSyn, out, notes, kinds);
    i += length;
  }
  return found;
}

export interface TcpEncodeOptions {
  /** Write this kind byte instead of the format's (for --kinds pairs and custom-* formats). */
  kind?: number;
  /** Prepend NOPs so the result is a multiple of 4 bytes (as Tencent does before 201; 28/7 → NOP + 7). */
  align?: boolean;
}

/**
 * Exact option bytes for a TCP-option format (or 'custom-v4' / 'custom-v6' / 'custom-extra-v4').
 * Throws MalformedError (layer 'carrier') for a non-TCP format or bad fields.
 */
export function encodeTcpCarrier(format: string, fields: CarrierFields, options: TcpEncodeOptions = {}): Uint8Array {
  const f = CUSTOM_FORMATS.find((x) => x.format === format) ?? requireFormat(format);
  if (f.carrier !== 'tcp-option') throw new MalformedError('carrier', 0, 'format', format, `format ${f.format} is carried in ${f.carrier}, not in TCP options`);
  let bytes = f.encode(fields);
  if (options.kind !== undefined) {
    if (!Number.isInteger(options.kind) || options.kind < 2 || options.kind > 255) throw new MalformedError('carrier', 0, 'kind', options.kind, 'TCP option kind must be 2..255');
    bytes[0] = options.kind;
  }
  if (options.align && bytes.length % 4 !== 0) {
    const pad = 4 - (bytes.length % 4);
    const out = new Uint8Array(bytes.length + pad).fill(TCP_OPTION.NOP);
    out.set(bytes, pad);
    bytes = out;
  }
  return bytes;
}

/** The TCP-option formats with the "kind, len, port, address" layout, which writeTcpCarrier writes. */
export type PortAddressTcpFormat = 'toa-v4' | 'toa-v6' | 'toa-v4-253' | 'toa-v6-253' | 'toa-v4-200';

/** Kind and address size of each PortAddressTcpFormat, read from its registry row once. */
const PORT_ADDRESS_TCP = new Map<string, { kind: number; size: 4 | 16 }>(
  (['toa-v4', 'toa-v6', 'toa-v4-253', 'toa-v6-253', 'toa-v4-200'] as const).map((name) => {
    const row = requireFormat(name);
    return [name, { kind: row.kind!, size: row.family === 'ipv6' ? 16 : 4 }];
  }),
);

/**
 * Allocation-free variant of encodeTcpCarrier for the port+address formats: writes the option
 * (the same bytes encodeTcpCarrier(format, {clientPort, clientAddress}) returns) at out[offset]
 * and returns its length (8 or 20). Throws MalformedError (layer 'carrier') when the address
 * is not of the format's family or the port is not 0..65535. The caller provides the room.
 */
export function writeTcpCarrier(out: Uint8Array, offset: number, format: PortAddressTcpFormat, port: number, address: Uint8Array): number {
  const row = PORT_ADDRESS_TCP.get(format);
  if (!row) throw new MalformedError('carrier', 0, 'format', format, `format ${format} is not a port+address TCP option`);
  addressField(address, row.size, 'clientAddress', format);
  integerField(port, 0xffff, 'clientPort', format);
  return writePortAddress(out, offset, row.kind, port, address);
}
