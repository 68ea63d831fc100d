/**
 * `--kinds` override: which TCP option kind/length pairs are read as client-address carriers.
 *
 * Spec grammar (comma separated, spaces allowed around items):
 *   KIND:LENGTH   read exactly that pair, e.g. 254:8
 *   KIND          every length the registry reads for KIND (254 → 8,16,20; 200 → 8; 28 → 7,19);
 *                 for a kind the registry does not know: 8 and 20.
 * A pair that is a registry row decodes with that row (252:20 is Alibaba vtoa VPC). Any other pair
 * decodes with the standard layout for its length: 8 → port + IPv4 ('custom-v4'),
 * 16 → ByteDance src+dst IPv4 ('custom-extra-v4'), 20 → port + IPv6 ('custom-v6').
 * The look-alike rules (TFO, Host ID, User-Timeout notes) still apply to a filtered scan.
 */
import { formatIpv4, formatIpv6 } from '../codec/addr.js';
import { readU16 } from '../codec/bytes.js';
import { CliError } from '../codec/errors.js';
import { addressField, integerField, newCarrier } from './fields.js';
import { FORMATS, registryLengths, TOA_EXTRA, type CarrierFormat } from './registry.js';
import type { Carrier, CarrierFields } from './types.js';

export interface KindFilter {
  /** The spec text as given (for messages). */
  readonly spec: string;
  /** kind * 256 + length → the format used to decode that pair. */
  readonly pairs: ReadonlyMap<number, CarrierFormat>;
}

function customPortAddress(format: string, size: 4 | 16): CarrierFormat {
  return {
    format, aliases: [], row: 'K', carrier: 'tcp-option', kind: null, lengths: [size + 4], family: size === 4 ? 'ipv4' : 'ipv6',
    carriesClientAddress: true, lookalike: false, vendors: ['user --kinds'], packets: 'any',
    layout: `0 kind (from --kinds), 1 len ${size + 4}, 2 client port, 4 client ${size === 4 ? 'IPv4' : 'IPv6'}`,
    decode: (bytes: Uint8Array, offset: number, length: number): Carrier => {
      const c = newCarrier('tcp-option', bytes[offset]!, length, format, offset);
      c.clientPort = readU16(bytes, offset + 2);
      c.clientAddress = size === 4 ? formatIpv4(bytes, offset + 4) : formatIpv6(bytes, offset + 4);
      return c;
    },
    encode: (f: CarrierFields) => {
      const a = addressField(f.clientAddress, size, 'clientAddress', format);
      const out = new Uint8Array(size + 4);
      out[0] = 254;
      out[1] = out.length;
      const port = integerField(f.clientPort, 0xffff, 'clientPort', format);
      out[2] = port >>> 8;
      out[3] = port & 0xff;
      out.set(a, 4);
      return out;
    },
  };
}

/** Standard layouts used by --kinds for pairs that are not registry rows (kind byte from the pair). */
export const CUSTOM_FORMATS: readonly CarrierFormat[] = Object.freeze([
  customPortAddress('custom-v4', 4),
  customPortAddress('custom-v6', 16),
  {
    ...FORMATS.find((f) => f.format === 'toa-extra-v4')!,
    format: 'custom-extra-v4', aliases: [], row: 'K', kind: null, vendors: ['user --kinds'], packets: 'any',
    decode: (bytes: Uint8Array, offset: number, length: number): Carrier => {
      const c = newCarrier('tcp-option', bytes[offset]!, length, 'custom-extra-v4', offset);
      c.clientPort = readU16(bytes, offset + TOA_EXTRA.SOURCE_PORT);
      c.clientAddress = formatIpv4(bytes, offset + TOA_EXTRA.SOURCE_ADDRESS);
      c.virtualPort = readU16(bytes, offset + TOA_EXTRA.DESTINATION_PORT);
      c.virtualAddress = formatIpv4(bytes, offset + TOA_EXTRA.DESTINATION_ADDRESS);
      return c;
    },
  },
]);

const STANDARD_BY_LENGTH = new Map<number, CarrierFormat>([
  [8, CUSTOM_FORMATS[0]!],
  [20, CUSTOM_FORMATS[1]!],
  [16, CUSTOM_FORMATS[2]!],
]);

function registryRow(kind: number, length: number): CarrierFormat | undefined {
  return FORMATS.find((f) => f.carrier === 'tcp-option' && !f.lookalike && f.kind === kind && f.lengths.includes(length));
}

function usage(message: string): never {
  throw new CliError(message, 2, 'use KIND:LENGTH pairs or bare kinds, e.g. --kinds 254:8,254:20,200:8 or --kinds 254,200');
}

/**
 * Parse a `--kinds` spec. Throws CliError (exit code 2) with a one-sentence message naming the
 * bad item.
 */
export function parseKindSpec(spec: string): KindFilter {
  const text = spec.trim();
  if (text === '') usage('--kinds is empty: give at least one KIND or KIND:LENGTH');
  const pairs = new Map<number, CarrierFormat>();
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const m = /^(\d{1,3})(?::(\d{1,2}))?$/.exec(item);
    if (!m) usage(`--kinds item '${item}' is not KIND or KIND:LENGTH (decimal numbers, e.g. 254:8)`);
    const kind = Number(m[1]);
    if (kind < 2 || kind > 255) usage(`--kinds item '${item}': kind ${kind} is not 2..255 (0 and 1 are End-of-List and NOP)`);
    if (m[2] !== undefined) {
      const length = Number(m[2]);
      if (length < 2 || length > 40) usage(`--kinds item '${item}': length ${length} is not 2..40 (a TCP option area holds at most 40 bytes)`);
      const f = registryRow(kind, length) ?? STANDARD_BY_LENGTH.get(length);
      if (!f) usage(`--kinds item '${item}': no client-address layout has length ${length} (use 8 port+IPv4, 16 ByteDance src+dst, 20 port+IPv6, or a registry pair such as 28:7 or 252:20)`);
      pairs.set(kind * 256 + length, f);
    } else {
      const lengths = registryLengths('tcp-option', kind);
      if (lengths.length > 0) for (const l of lengths) pairs.set(kind * 256 + l, registryRow(kind, l)!);
      else {
        pairs.set(kind * 256 + 8, STANDARD_BY_LENGTH.get(8)!);
        pairs.set(kind * 256 + 20, STANDARD_BY_LENGTH.get(20)!);
      }
    }
  }
  return { spec: text, pairs };
}

/** The format a filter uses for (kind, length) at `offset`, honouring registry predicates; no allocation. */
export function filterFormat(filter: KindFilter, kind: number, length: number, bytes: Uint8Array, offset: number): CarrierFormat | undefined {
  const f = filter.pairs.get(kind * 256 + length);
  if (!f) return undefined;
  if (f.accepts && !f.accepts(bytes, offset, length)) return undefined;
  return f;
}

/** "254:8,254:16,254:20" — the pairs a filter reads, sorted (for messages and --json). */
export function describeKindFilter(filter: KindFilter): string {
  return [...filter.pairs.keys()].sort((a, b) => a - b).map((k) => `${k >>> 8}:${k & 0xff}`).join(',');
}
