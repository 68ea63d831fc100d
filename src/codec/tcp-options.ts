/**
 * TCP options (RFC 9293 §3.2): an allocation-free walker over the raw option bytes, a lossless
 * list decoder, typed interpretation of the well-known kinds, and tcpdump's option names.
 *
 * Walking rules (house style §5): every option in [start, end) is visited with its bytes kept
 * exactly; EOL (0) and NOP (1) are one byte; every other kind - known or not (TOA 254/253/200
 * included) - is skipped by its length byte. The walk stops at EOL (the rest is padding), at a
 * length below 2, or at an option that runs past `end`; the last two are reported with the
 * option's absolute offset.
 */
import { MalformedError } from './errors.js';
import { readU16, readU32 } from './bytes.js';
import { TCP_OPTION } from './tcp.js';

/** Fixed lengths (kind + length + data) of the well-known options. */
export const TCP_OPTION_LENGTH = Object.freeze({
  MSS: 4,
  WSCALE: 3,
  SACK_PERMITTED: 2,
  SACK_BASE: 2,
  SACK_BLOCK: 8,
  TIMESTAMP: 10,
  MD5: 18,
  USER_TIMEOUT: 4,
});

/**
 * NOP, NOP, timestamp: the options area of nearly every Linux data segment. Its first 4 bytes as a
 * big-endian 32-bit number (below 2^31, so signed and unsigned reads compare alike), and its length.
 */
export const NOP_NOP_TIMESTAMP = (TCP_OPTION.NOP << 24) | (TCP_OPTION.NOP << 16) | (TCP_OPTION.TIMESTAMP << 8) | TCP_OPTION_LENGTH.TIMESTAMP;
export const NOP_NOP_TIMESTAMP_LENGTH = 2 + TCP_OPTION_LENGTH.TIMESTAMP;

/** True when the options area bytes[at, at + length) is exactly NOP, NOP, timestamp (the caller checked it is captured). */
export function isNopNopTimestamp(bytes: Uint8Array, at: number, length: number): boolean {
  return length === NOP_NOP_TIMESTAMP_LENGTH && readU32(bytes, at) === NOP_NOP_TIMESTAMP;
}

/** Offsets inside one option (from its kind byte). */
export const TCP_OPTION_FIELD = Object.freeze({
  KIND: 0,
  LENGTH: 1,
  DATA: 2,
  /** RFC 6994 experiment identifier of kinds 253/254. */
  EXPERIMENT_ID: 2,
});

/** RFC 7413 experimental TCP Fast Open: kind 254 with this experiment identifier. */
export const TFO_EXPERIMENT_ID = 0xf989;

/** Status of a walk. */
export const TCP_OPTION_WALK = Object.freeze({
  /** Reached `end` (or EOL) with every option well-formed. */
  OK: 0,
  /** An option's length byte is below 2 (or the length byte itself is missing). */
  BAD_LENGTH: 1,
  /** An option runs past the end of the options area. */
  OVERRUN: 2,
});

/**
 * Cursor over the options in [start, end): reuse one instance, call `reset` then `next()` until
 * it returns false. After each successful `next()`, `kind`, `offset` (absolute), `length`
 * (1 for EOL/NOP) describe the option; `dataOffset`/`dataLength` its data. After the walk,
 * `status` is a TCP_OPTION_WALK code, `errorOffset` the offset of the damaged option (-1 if
 * none) and `endOffset` where meaningful options stop (after EOL, or at the damage).
 */
export class TcpOptionCursor {
  bytes: Uint8Array = EMPTY;
  position = 0;
  end = 0;
  kind = -1;
  offset = -1;
  length = 0;
  dataOffset = -1;
  dataLength = 0;
  status = 0;
  errorOffset = -1;
  /** Offset just after the last walked option (EOL included): bytes from here to `end` are padding or damage. */
  endOffset = 0;
  private done = false;

  /** Start a walk over bytes[start, end); `end` is clamped to the bytes that exist, so a walk always terminates. */
  reset(bytes: Uint8Array, start: number, end: number): this {
    if (!(end <= bytes.length)) end = bytes.length; // also catches NaN
    if (!(start >= 0)) start = 0;
    this.bytes = bytes;
    this.position = start;
    this.end = end;
    this.kind = -1;
    this.offset = -1;
    this.length = 0;
    this.dataOffset = -1;
    this.dataLength = 0;
    this.status = TCP_OPTION_WALK.OK;
    this.errorOffset = -1;
    this.endOffset = start;
    this.done = false;
    return this;
  }

  /** Advance to the next option; false at the end, after EOL or on damage (see `status`). */
  next(): boolean {
    if (this.done) return false;
    const p = this.position;
    const end = this.end;
    const bytes = this.bytes;
    if (p >= end) {
      this.done = true;
      return false;
    }
    const kind = bytes[p]!;
    this.kind = kind;
    this.offset = p;
    if (kind === TCP_OPTION.EOL || kind === TCP_OPTION.NOP) {
      this.length = 1;
      this.dataOffset = p + 1;
      this.dataLength = 0;
      this.position = p + 1;
      this.endOffset = p + 1;
      if (kind === TCP_OPTION.EOL) this.done = true;
      return true;
    }
    if (p + 1 >= end) {
      return this.fail(TCP_OPTION_WALK.BAD_LENGTH, p);
    }
    const length = bytes[p + 1]!;
    if (length < 2) return this.fail(TCP_OPTION_WALK.BAD_LENGTH, p);
    if (p + length > end) return this.fail(TCP_OPTION_WALK.OVERRUN, p);
    this.length = length;
    this.dataOffset = p + 2;
    this.dataLength = length - 2;
    this.position = p + length;
    this.endOffset = p + length;
    return true;
  }

  private fail(status: number, at: number): boolean {
    this.status = status;
    this.errorOffset = at;
    this.endOffset = at;
    this.done = true;
    return false;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * Callback walk: `visit(kind, offset, length)` for every option (return `false` to stop early).
 * Returns a TCP_OPTION_WALK status; on damage `tcpOptionWalkError.offset` holds the option's offset.
 * Allocation-free when `visit` is a hoisted function.
 */
export function walkTcpOptions(
  bytes: Uint8Array,
  start: number,
  end: number,
  visit: (kind: number, offset: number, length: number) => boolean | void,
): number {
  const cursor = sharedCursor.reset(bytes, start, end);
  while (cursor.next()) {
    if (visit(cursor.kind, cursor.offset, cursor.length) === false) break;
  }
  tcpOptionWalkError.offset = cursor.errorOffset;
  return cursor.status;
}

const sharedCursor = new TcpOptionCursor();
/** Offset of the damaged option of the last `walkTcpOptions` call (-1 if none). */
export const tcpOptionWalkError = { offset: -1 };

/** One option, lossless: `bytes` is a view of the whole option (kind, length, data). */
export interface TcpOptionEntry {
  kind: number;
  /** Absolute offset of the kind byte. */
  offset: number;
  /** Total length (1 for EOL/NOP). */
  length: number;
  /** View of the option data (after kind and length; empty for EOL/NOP). */
  data: Uint8Array;
}

export interface TcpOptionList {
  options: TcpOptionEntry[];
  status: number;
  /** Offset of the damaged option, -1 when the walk was clean. */
  errorOffset: number;
  /** Bytes after EOL (or after the damage) up to `end`: padding, kept for a lossless re-encode. */
  trailing: Uint8Array;
}

/** Lax list decoder (allocates): every option up to EOL/damage plus the trailing bytes. */
export function decodeTcpOptions(bytes: Uint8Array, start: number, end: number): TcpOptionList {
  const cursor = new TcpOptionCursor().reset(bytes, start, end);
  const options: TcpOptionEntry[] = [];
  while (cursor.next()) {
    options.push({
      kind: cursor.kind,
      offset: cursor.offset,
      length: cursor.length,
      data: bytes.subarray(cursor.dataOffset, cursor.dataOffset + cursor.dataLength),
    });
  }
  return { options, status: cursor.status, errorOffset: cursor.errorOffset, trailing: bytes.subarray(cursor.endOffset, end) };
}

/** Strict list decoder: like `decodeTcpOptions` but throws MalformedError('tcp-option') on damage. */
export function parseTcpOptions(bytes: Uint8Array, start: number, end: number): TcpOptionList {
  const list = decodeTcpOptions(bytes, start, end);
  if (list.status === TCP_OPTION_WALK.BAD_LENGTH) {
    const value = list.errorOffset + 1 < end ? bytes[list.errorOffset + 1]! : 'missing';
    throw new MalformedError('tcp-option', list.errorOffset, 'length', value, `option kind ${bytes[list.errorOffset]} needs a length of at least 2`);
  }
  if (list.status === TCP_OPTION_WALK.OVERRUN) {
    throw new MalformedError(
      'tcp-option',
      list.errorOffset,
      'length',
      bytes[list.errorOffset + 1]!,
      `option kind ${bytes[list.errorOffset]} runs past the end of the options at byte ${end}`,
    );
  }
  return list;
}

/** Encoded length of an option list `{kind, data}` (EOL/NOP are one byte; data ignored for them). */
export function tcpOptionsEncodedLength(options: ReadonlyArray<{ kind: number; data?: ArrayLike<number> }>): number {
  let n = 0;
  for (const o of options) n += o.kind === TCP_OPTION.EOL || o.kind === TCP_OPTION.NOP ? 1 : 2 + (o.data?.length ?? 0);
  return n;
}

/**
 * Encode `{kind, data}` options into out[offset...]; returns the bytes written. Throws a plain
 * Error when an option would not fit its length byte (data longer than 253 bytes).
 */
export function encodeTcpOptions(options: ReadonlyArray<{ kind: number; data?: ArrayLike<number> }>, out: Uint8Array, offset: number): number {
  let p = offset;
  for (const o of options) {
    if (o.kind === TCP_OPTION.EOL || o.kind === TCP_OPTION.NOP) {
      out[p++] = o.kind;
      continue;
    }
    const data = o.data ?? [];
    if (data.length > 253) throw new Error(`TCP option kind ${o.kind} has ${data.length} data bytes; at most 253 fit a length byte`);
    out[p] = o.kind & 0xff;
    out[p + 1] = data.length + 2;
    for (let i = 0; i < data.length; i++) out[p + 2 + i] = data[i]!;
    p += 2 + data.length;
  }
  return p - offset;
}

// ---------------------------------------------------------------------------------------------
// Typed interpretation (allocates; for display and tests, not the per-packet path)

export type TcpOptionValue =
  | { type: 'eol' }
  | { type: 'nop' }
  | { type: 'mss'; mss: number }
  | { type: 'wscale'; shift: number }
  | { type: 'sackOK' }
  | { type: 'sack'; blocks: Array<{ left: number; right: number }> }
  | { type: 'timestamp'; tsval: number; tsecr: number }
  | { type: 'md5'; digest: Uint8Array }
  | { type: 'uto'; granularity: 'seconds' | 'minutes'; timeout: number }
  | { type: 'mptcp'; subtype: number; data: Uint8Array }
  | { type: 'tfo'; cookie: Uint8Array; experimental: boolean }
  | { type: 'exp'; kind: number; experimentId: number; data: Uint8Array }
  | { type: 'unknown'; kind: number; data: Uint8Array }
  | { type: 'invalid'; kind: number; data: Uint8Array; reason: string };

function invalid(kind: number, data: Uint8Array, reason: string): TcpOptionValue {
  return { type: 'invalid', kind, data, reason };
}

/**
 * Interpret the option at bytes[offset] of total `length` (as walked). Lengths that do not fit
 * the kind give `{type: 'invalid'}` with a reason; kinds not listed give `{type: 'unknown'}`.
 */
export function interpretTcpOption(bytes: Uint8Array, offset: number, length: number): TcpOptionValue {
  const kind = bytes[offset]!;
  if (kind === TCP_OPTION.EOL) return { type: 'eol' };
  if (kind === TCP_OPTION.NOP) return { type: 'nop' };
  const dataStart = offset + TCP_OPTION_FIELD.DATA;
  const data = bytes.subarray(dataStart, offset + length);
  switch (kind) {
    case TCP_OPTION.MSS:
      if (length !== TCP_OPTION_LENGTH.MSS) return invalid(kind, data, `mss needs length ${TCP_OPTION_LENGTH.MSS}`);
      return { type: 'mss', mss: readU16(bytes, dataStart) };
    case TCP_OPTION.WSCALE:
      if (length !== TCP_OPTION_LENGTH.WSCALE) return invalid(kind, data, `wscale needs length ${TCP_OPTION_LENGTH.WSCALE}`);
      return { type: 'wscale', shift: bytes[dataStart]! };
    case TCP_OPTION.SACK_PERMITTED:
      if (length !== TCP_OPTION_LENGTH.SACK_PERMITTED) return invalid(kind, data, 'sackOK needs length 2');
      return { type: 'sackOK' };
    case TCP_OPTION.SACK: {
      const blockBytes = length - TCP_OPTION_LENGTH.SACK_BASE;
      if (blockBytes % TCP_OPTION_LENGTH.SACK_BLOCK !== 0) return invalid(kind, data, 'sack length is not 2 + 8n');
      const blocks: Array<{ left: number; right: number }> = [];
      for (let p = dataStart; p < offset + length; p += TCP_OPTION_LENGTH.SACK_BLOCK) {
        blocks.push({ left: readU32(bytes, p), right: readU32(bytes, p + 4) });
      }
      return { type: 'sack', blocks };
    }
    case TCP_OPTION.TIMESTAMP:
      if (length !== TCP_OPTION_LENGTH.TIMESTAMP) return invalid(kind, data, `TS needs length ${TCP_OPTION_LENGTH.TIMESTAMP}`);
      return { type: 'timestamp', tsval: readU32(bytes, dataStart), tsecr: readU32(bytes, dataStart + 4) };
    case TCP_OPTION.MD5:
      if (length !== TCP_OPTION_LENGTH.MD5) return invalid(kind, data, `md5 needs length ${TCP_OPTION_LENGTH.MD5}`);
      return { type: 'md5', digest: data };
    case TCP_OPTION.USER_TIMEOUT: {
      if (length !== TCP_OPTION_LENGTH.USER_TIMEOUT) return invalid(kind, data, `uto needs length ${TCP_OPTION_LENGTH.USER_TIMEOUT}`);
      const word = readU16(bytes, dataStart);
      // RFC 5482: G bit set = minutes, clear = seconds.
      return { type: 'uto', granularity: word & 0x8000 ? 'minutes' : 'seconds', timeout: word & 0x7fff };
    }
    case TCP_OPTION.MPTCP:
      if (length < 3) return invalid(kind, data, 'mptcp needs a subtype byte');
      return { type: 'mptcp', subtype: bytes[dataStart]! >>> 4, data };
    case TCP_OPTION.FAST_OPEN:
      return { type: 'tfo', cookie: data, experimental: false };
    case TCP_OPTION.EXP1:
    case TCP_OPTION.EXP2: {
      if (length < 4) return { type: 'unknown', kind, data };
      const experimentId = readU16(bytes, dataStart);
      if (experimentId === TFO_EXPERIMENT_ID) return { type: 'tfo', cookie: bytes.subarray(dataStart + 2, offset + length), experimental: true };
      return { type: 'exp', kind, experimentId, data: bytes.subarray(dataStart + 2, offset + length) };
    }
    default:
      return { type: 'unknown', kind, data };
  }
}

/** MSS of the option at `offset`, or -1 if it is not a well-formed MSS option. No allocation. */
export function tcpOptionMss(bytes: Uint8Array, offset: number, length: number): number {
  return bytes[offset] === TCP_OPTION.MSS && length === TCP_OPTION_LENGTH.MSS ? readU16(bytes, offset + 2) : -1;
}

/** Window-scale shift of the option at `offset`, or -1. No allocation. */
export function tcpOptionWindowScale(bytes: Uint8Array, offset: number, length: number): number {
  return bytes[offset] === TCP_OPTION.WSCALE && length === TCP_OPTION_LENGTH.WSCALE ? bytes[offset + 2]! : -1;
}

/** TSval of a well-formed timestamp option, or -1. No allocation. */
export function tcpOptionTsval(bytes: Uint8Array, offset: number, length: number): number {
  return bytes[offset] === TCP_OPTION.TIMESTAMP && length === TCP_OPTION_LENGTH.TIMESTAMP ? readU32(bytes, offset + 2) : -1;
}

/** TSecr of a well-formed timestamp option, or -1. No allocation. */
export function tcpOptionTsecr(bytes: Uint8Array, offset: number, length: number): number {
  return bytes[offset] === TCP_OPTION.TIMESTAMP && length === TCP_OPTION_LENGTH.TIMESTAMP ? readU32(bytes, offset + 6) : -1;
}

/** Number of SACK blocks of a well-formed SACK option, or -1. Block i: left at offset+2+8i, right at +4. */
export function tcpOptionSackBlockCount(bytes: Uint8Array, offset: number, length: number): number {
  if (bytes[offset] !== TCP_OPTION.SACK) return -1;
  const n = length - TCP_OPTION_LENGTH.SACK_BASE;
  return n >= 0 && n % TCP_OPTION_LENGTH.SACK_BLOCK === 0 ? n / TCP_OPTION_LENGTH.SACK_BLOCK : -1;
}

/** MPTCP subtype (high nibble of the third byte), or -1. */
export function tcpOptionMptcpSubtype(bytes: Uint8Array, offset: number, length: number): number {
  return bytes[offset] === TCP_OPTION.MPTCP && length >= 3 ? bytes[offset + 2]! >>> 4 : -1;
}

/** tcpdump's option names; other kinds print as `unknown-N`. */
const OPTION_NAMES: Record<number, string> = {
  0: 'eol',
  1: 'nop',
  2: 'mss',
  3: 'wscale',
  4: 'sackOK',
  5: 'sack',
  6: 'echo',
  7: 'echoreply',
  8: 'TS',
  11: 'cc',
  12: 'ccnew',
  13: 'ccecho',
  19: 'md5',
  20: 'scps',
  28: 'uto',
  29: 'tcp-ao',
  30: 'mptcp',
  34: 'tfo',
  254: 'exp',
};

/** Name of an option kind as tcpdump prints it (`mss`, `wscale`, `sackOK`, `TS`, `exp`, `unknown-253`). */
export function tcpOptionName(kind: number): string {
  return OPTION_NAMES[kind] ?? `unknown-${kind}`;
}
