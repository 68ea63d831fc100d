/**
 * Value parsers for `toa craft` flags and spec fields. Every bad value is a CliError with exit
 * code 2 (usage) naming the flag and the text.
 */
import { parseEndpoint, type Endpoint } from '../codec/addr.js';
import { fromHex } from '../codec/bytes.js';
import { parseLinkSpec, parseTcpFlags, type LinkSpec } from '../codec/build.js';
import { CliError } from '../codec/errors.js';
import type { PayloadSpec } from './model.js';

function usage(message: string): CliError {
  return new CliError(message, 2);
}

/** `--link` values: ethernet | vlan:ID | qinq:OUTER,INNER | sll | sll2 | raw | null | loop. */
export function parseLinkValue(text: string, what = '--link'): LinkSpec {
  try {
    return parseLinkSpec(text);
  } catch (e) {
    throw usage(`${what}: ${(e as Error).message}`);
  }
}

export interface RawTcpOption {
  kind: number;
  /** Bytes after kind and length. */
  data: Uint8Array;
}

/** `--tcp-option KIND:HEX` (hex may be empty: `KIND:`; kinds 0 and 1 take no data). */
export function parseTcpOptionValue(text: string): RawTcpOption {
  const m = /^(\d{1,3}):([0-9a-fA-F\s]*)$/.exec(text);
  if (!m) throw usage(`--tcp-option '${text}' is not KIND:HEX (e.g. 254:f989aabbccdd)`);
  const kind = Number(m[1]);
  if (kind > 255) throw usage(`--tcp-option '${text}': kind ${kind} is not 0..255`);
  const hex = m[2]!.replace(/\s/g, '');
  if (hex.length % 2 !== 0) throw usage(`--tcp-option '${text}': the hex has an odd number of digits`);
  const data = fromHex(hex);
  if ((kind === 0 || kind === 1) && data.length > 0) throw usage(`--tcp-option '${text}': kind ${kind} is a single byte and takes no data`);
  if (data.length > 38) throw usage(`--tcp-option '${text}': ${data.length} data bytes do not fit in 40 bytes of options`);
  return { kind, data };
}

/** The option bytes of a parsed --tcp-option. */
export function encodeRawTcpOption(o: RawTcpOption): Uint8Array {
  if (o.kind === 0 || o.kind === 1) return Uint8Array.of(o.kind);
  const out = new Uint8Array(2 + o.data.length);
  out[0] = o.kind;
  out[1] = out.length;
  out.set(o.data, 2);
  return out;
}

/** An endpoint; `requirePort` for --client/--vip/--rs. */
export function parseEndpointValue(text: string, what: string, requirePort: boolean): Endpoint {
  try {
    return parseEndpoint(text, requirePort);
  } catch (e) {
    throw usage(`${what}: ${(e as Error).message}`);
  }
}

/** `--start`: ISO 8601 time or epoch seconds (decimals allowed, up to nanoseconds). Returns [seconds, nanos]. */
export function parseStartValue(value: string | number): [number, number] {
  const text = String(value).trim();
  const epoch = /^(\d+)(?:\.(\d{1,9}))?$/.exec(text);
  if (epoch) {
    const seconds = Number(epoch[1]);
    const nanos = epoch[2] ? Number(epoch[2].padEnd(9, '0')) : 0;
    if (!Number.isSafeInteger(seconds) || seconds > 0xffffffff) throw usage(`--start '${text}' is past 2106 (pcap holds 32-bit seconds)`);
    return [seconds, nanos];
  }
  const iso = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!iso) throw usage(`--start '${text}' is not an ISO time (2024-01-01T00:00:00Z) or epoch seconds`);
  const ms = Date.parse(`${iso[1]}${iso[3]}`);
  if (Number.isNaN(ms) || ms < 0) throw usage(`--start '${text}' is not a valid time after 1970`);
  return [ms / 1000, iso[2] ? Number(iso[2].padEnd(9, '0')) : 0];
}

/** `--rtt`: seconds as a number, or a number with s, ms, us or ns. Returns nanoseconds. */
export function parseDurationValue(value: string | number, what = '--rtt'): number {
  const text = String(value).trim();
  const m = /^(\d+(?:\.\d+)?)(s|ms|us|µs|ns)?$/.exec(text);
  if (!m) throw usage(`${what} '${text}' is not a duration (e.g. 0.001, 1ms, 250us, 500ns)`);
  const scale = { s: 1e9, ms: 1e6, us: 1e3, µs: 1e3, ns: 1 }[m[2] ?? 's']!;
  const nanos = Math.round(Number(m[1]) * scale);
  if (!Number.isSafeInteger(nanos)) throw usage(`${what} '${text}' is too large`);
  return nanos;
}

/** A non-negative integer flag value within [min, max]. */
export function parseIntegerValue(value: string | number, what: string, min: number, max: number): number {
  const text = String(value).trim();
  const n = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw usage(`${what} '${text}' is not an integer in ${min}..${max}`);
  return n;
}

/** Text with \r \n \t \0 \\ and \xHH escapes, as bytes (UTF-8 for other characters). */
export function unescapeText(text: string): Uint8Array {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch !== '\\' || i + 1 >= text.length) {
      for (const b of encoder.encode(ch)) bytes.push(b);
      continue;
    }
    const next = text[++i]!;
    switch (next) {
      case 'r':
        bytes.push(13);
        break;
      case 'n':
        bytes.push(10);
        break;
      case 't':
        bytes.push(9);
        break;
      case '0':
        bytes.push(0);
        break;
      case '\\':
        bytes.push(92);
        break;
      case 'x': {
        const hex = text.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw usage(`'\\x${hex}' in '${text}' is not a \\xHH escape`);
        bytes.push(parseInt(hex, 16));
        i += 2;
        break;
      }
      default:
        bytes.push(92);
        for (const b of encoder.encode(next)) bytes.push(b);
    }
  }
  return Uint8Array.from(bytes);
}

const FILL = new TextEncoder().encode('abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ\n');

/** A payload of `size` bytes filled with a fixed printable pattern. */
export function filledPayload(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = FILL[i % FILL.length]!;
  return out;
}

/** The bytes of a PayloadSpec. */
export function payloadBytes(p: PayloadSpec, what: string): Uint8Array {
  if (typeof p === 'number') {
    if (!Number.isSafeInteger(p) || p < 0 || p > 16 * 1024 * 1024) throw usage(`${what}: size ${p} is not 0..16777216`);
    return filledPayload(p);
  }
  if (typeof p === 'string') return unescapeText(p);
  if (typeof p === 'object' && p !== null) {
    if ('size' in p) return payloadBytes(p.size, what);
    if ('text' in p && typeof p.text === 'string') return unescapeText(p.text);
    if ('hex' in p && typeof p.hex === 'string') return hexValue(p.hex, what);
  }
  throw usage(`${what}: a payload is a size, a text, {"size":N}, {"text":"..."} or {"hex":"..."}`);
}

export function hexValue(text: string, what: string): Uint8Array {
  try {
    return fromHex(text);
  } catch (e) {
    throw usage(`${what}: ${(e as Error).message}`);
  }
}

/** TCP flags as letters or a number. */
export function flagsValue(flags: string | number, what: string): number {
  if (typeof flags === 'number') {
    if (!Number.isInteger(flags) || flags < 0 || flags > 255) throw usage(`${what}: flags ${flags} are not 0..255`);
    return flags;
  }
  try {
    return parseTcpFlags(flags);
  } catch (e) {
    throw usage(`${what}: ${(e as Error).message}`);
  }
}
