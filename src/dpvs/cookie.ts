/**
 * DPVS v1.10.2 SYN-proxy cookie (spec dpvs.md §5.1), written from the behaviour description.
 *
 * The cookie K sent as the SYN-ACK's sequence number is
 *
 *   K = H(0, c=0) + sseq + (count << 24) + ((H(count, c=1) + data) mod 2^24)      (mod 2^32)
 *
 * where H is an MD5-based hash over the client 4-tuple, a per-boot secret and a minute
 * counter, `sseq` is the client ISN and `data` is a 24-bit word carrying the negotiated
 * options (bit 21 SACK, bit 20 timestamps, bits 19..16 client window scale, bits 15..12 MSS
 * table index, bits 11..0 zero).
 *
 * Byte order, as an x86 (little-endian) DPVS host computes it:
 * - IPv4: MD5 over saddr(4 wire bytes) ‖ daddr(4 wire bytes) ‖ LE32(W) ‖ LE32(count) ‖ LE32(secret[c][0]);
 * - IPv6: MD5 over sixteen LE32 words secret[c][i] + (S[0..3], D[0..3], W, count, 0…) (mod 2^32),
 *   where S and D are the addresses read as four LE32 words each;
 * - W = (sportRaw << 16) + dportRaw, each port's two wire bytes read as a little-endian uint16
 *   (port 40000 = wire 9c 40 gives 0x409c);
 * - the hash value is the first four digest bytes read as a little-endian uint32.
 *
 * The secret is `Uint32Array(32)`: secret[0][0..15] then secret[1][0..15].
 */
import { createHash } from 'node:crypto';
import { readU32LE } from '../codec/bytes.js';

/** Offsets of the fields inside the 24-bit cookie data word. */
export const COOKIE_DATA = Object.freeze({
  SACK_BIT: 21,
  TIMESTAMP_BIT: 20,
  WSCALE_SHIFT: 16,
  WSCALE_MASK: 0xf,
  MSS_INDEX_SHIFT: 12,
  MSS_INDEX_MASK: 0xf,
  RESERVED_MASK: 0xfff,
  /** Width of the data word and of the count field position (COOKIEBITS). */
  COOKIE_BITS: 24,
  COOKIE_MASK: 0xffffff,
  /** A cookie is accepted when minted within this many counter ticks (DP_VS_SYNPROXY_COUNTER_TRIES). */
  COUNTER_TRIES: 4,
  /** Largest window scale DPVS accepts (DP_VS_SYNPROXY_WSCALE_MAX). */
  WSCALE_MAX: 14,
  /** Seconds per counter tick (the DPVS minute timer). */
  SECONDS_PER_TICK: 60,
});

/** DPVS `msstab`: the MSS values a cookie can carry, by index 0..9. */
export const MSS_TABLE: readonly number[] = Object.freeze([64, 256, 512, 536, 1024, 1280, 1440, 1452, 1460, 4312]);

/** MSS assumed when the client SYN carries no MSS option (and the value a client MSS of 0 becomes). */
export const DEFAULT_MSS_CLAMP = 536;

/**
 * Index into MSS_TABLE for a clamped MSS: start at 0 and step while mss > (MSS_TABLE[i+1] − 1),
 * i.e. round down to a table entry, ≤ 255 → 64 and > 4312 → 4312.
 */
export function mssTableIndex(mss: number): number {
  let index = 0;
  while (index < MSS_TABLE.length - 1 && mss > MSS_TABLE[index + 1]! - 1) index++;
  return index;
}

/** Options negotiated into a cookie, before packing. */
export interface CookieOptions {
  /** MSS table index 0..9 (see mssTableIndex). */
  mssIndex: number;
  sackOk: boolean;
  timestampOk: boolean;
  /** Client window scale 0..14 (0 when not negotiated: it decodes as wscaleOk = false). */
  wscale: number;
}

/** Pack negotiated options into the 24-bit data word. */
export function encodeCookieData(options: CookieOptions): number {
  return (
    ((options.sackOk ? 1 : 0) << COOKIE_DATA.SACK_BIT) |
    ((options.timestampOk ? 1 : 0) << COOKIE_DATA.TIMESTAMP_BIT) |
    ((Math.min(options.wscale, COOKIE_DATA.WSCALE_MAX) & COOKIE_DATA.WSCALE_MASK) << COOKIE_DATA.WSCALE_SHIFT) |
    ((options.mssIndex & COOKIE_DATA.MSS_INDEX_MASK) << COOKIE_DATA.MSS_INDEX_SHIFT)
  );
}

/** Secret as DPVS stores it: g_net_secret[2][16], flattened ([0][0..15] then [1][0..15]). */
export type CookieSecret = Uint32Array;

const SECRET_WORDS = 16;

/** The TV-15 pattern secret: secret[c][i] = 0x01020304 · (c + 1) + i. */
export function defaultCookieSecret(): CookieSecret {
  const secret = new Uint32Array(2 * SECRET_WORDS);
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < SECRET_WORDS; i++) secret[c * SECRET_WORDS + i] = (0x01020304 * (c + 1) + i) >>> 0;
  }
  return secret;
}

/**
 * Parse a secret given as 256 hex digits: 32 words of 8 big-endian hex digits each,
 * secret[0][0..15] first. Whitespace, ':' and a leading 0x are ignored. Throws Error on bad text.
 */
export function parseCookieSecret(hex: string): CookieSecret {
  const clean = hex.trim().replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (clean.length !== 256 || /[^0-9a-fA-F]/.test(clean)) {
    throw new Error(`a cookie secret needs exactly 256 hex digits (32 words of 8), got ${clean.length} characters`);
  }
  const secret = new Uint32Array(2 * SECRET_WORDS);
  for (let i = 0; i < secret.length; i++) secret[i] = parseInt(clean.substring(i * 8, i * 8 + 8), 16) >>> 0;
  return secret;
}

/** The two wire bytes of a port read as a little-endian uint16 (what an x86 DPVS hashes). */
export function rawPort(port: number): number {
  return ((port & 0xff) << 8) | ((port >>> 8) & 0xff);
}

const v4Input = new Uint8Array(20);
const v4View = new DataView(v4Input.buffer, v4Input.byteOffset, v4Input.byteLength);
const v6Input = new Uint8Array(64);
const v6View = new DataView(v6Input.buffer, v6Input.byteOffset, v6Input.byteLength);

function md5FirstWordLE(input: Uint8Array): number {
  const digest = createHash('md5').update(input).digest();
  return readU32LE(digest, 0);
}

/**
 * IPv4 cookie hash H(count, c). saddr/daddr are the 4 wire bytes at the given offsets.
 * sportRaw/dportRaw are rawPort(port) values.
 */
export function cookieHashV4(
  secret: CookieSecret,
  count: number,
  c: 0 | 1,
  saddr: Uint8Array,
  daddr: Uint8Array,
  sportRaw: number,
  dportRaw: number,
  saddrOffset = 0,
  daddrOffset = 0,
): number {
  v4Input.set(saddr.subarray(saddrOffset, saddrOffset + 4), 0);
  v4Input.set(daddr.subarray(daddrOffset, daddrOffset + 4), 4);
  v4View.setUint32(8, (((sportRaw & 0xffff) << 16) + (dportRaw & 0xffff)) >>> 0, true);
  v4View.setUint32(12, count >>> 0, true);
  v4View.setUint32(16, secret[c * SECRET_WORDS]!, true);
  return md5FirstWordLE(v4Input);
}

/** IPv6 cookie hash H(count, c). saddr/daddr are the 16 wire bytes at the given offsets. */
export function cookieHashV6(
  secret: CookieSecret,
  count: number,
  c: 0 | 1,
  saddr: Uint8Array,
  daddr: Uint8Array,
  sportRaw: number,
  dportRaw: number,
  saddrOffset = 0,
  daddrOffset = 0,
): number {
  const base = c * SECRET_WORDS;
  for (let i = 0; i < 4; i++) {
    v6View.setUint32(i * 4, (secret[base + i]! + readU32LE(saddr, saddrOffset + i * 4)) >>> 0, true);
    v6View.setUint32(16 + i * 4, (secret[base + 4 + i]! + readU32LE(daddr, daddrOffset + i * 4)) >>> 0, true);
  }
  v6View.setUint32(32, (secret[base + 8]! + (((sportRaw & 0xffff) << 16) + (dportRaw & 0xffff))) >>> 0, true);
  v6View.setUint32(36, (secret[base + 9]! + (count >>> 0)) >>> 0, true);
  for (let i = 10; i < SECRET_WORDS; i++) v6View.setUint32(i * 4, secret[base + i]!, true);
  return md5FirstWordLE(v6Input);
}

/** The client-side 4-tuple a cookie is bound to: the client packet's own source and destination. */
export interface CookieTuple {
  /** Client address, 4 (IPv4) or 16 (IPv6) wire bytes. */
  clientAddress: Uint8Array;
  /** VIP, same length as clientAddress. */
  virtualAddress: Uint8Array;
  clientPort: number;
  virtualPort: number;
}

function cookieHash(secret: CookieSecret, count: number, c: 0 | 1, tuple: CookieTuple): number {
  const hash = tuple.clientAddress.length === 16 ? cookieHashV6 : cookieHashV4;
  return hash(secret, count, c, tuple.clientAddress, tuple.virtualAddress, rawPort(tuple.clientPort), rawPort(tuple.virtualPort));
}

export interface MintCookieParams extends CookieTuple {
  secret: CookieSecret;
  /** The minute counter at the SYN (only its low 8 bits reach the cookie, all 32 reach the hash). */
  count: number;
  /** Client ISN (the SYN's sequence number). */
  isn: number;
  options: CookieOptions;
}

export interface MintedCookie {
  cookie: number;
  data: number;
  /** H(0, c=0). */
  h0: number;
  /** H(count, c=1). */
  h1: number;
}

/** Mint the cookie for a client SYN (secure_tcp_syn_cookie / _v6). */
export function mintCookie(params: MintCookieParams): MintedCookie {
  const data = encodeCookieData(params.options);
  const h0 = cookieHash(params.secret, 0, 0, params);
  const h1 = cookieHash(params.secret, params.count, 1, params);
  const low = (h1 + data) & COOKIE_DATA.COOKIE_MASK;
  const cookie = (h0 + (params.isn >>> 0) + ((params.count << COOKIE_DATA.COOKIE_BITS) >>> 0) + low) >>> 0;
  return { cookie, data, h0, h1 };
}

export interface CheckCookieParams extends CookieTuple {
  secret: CookieSecret;
  /** The ACK's sequence number (client ISN + 1). */
  sequenceNumber: number;
  /** The ACK's acknowledgment number (K + 1). */
  acknowledgmentNumber: number;
}

export interface CookieCheck {
  valid: boolean;
  /** Why the check failed ('' when valid). */
  reason: '' | 'expired' | 'mss-index' | 'reserved-bits' | 'wscale';
  /** Recovered 24-bit data word (meaningful only when not expired). */
  data: number;
  /** Counter ticks since minting, 0..255; valid needs < 4. */
  diff: number;
  mssIndex: number;
  /** MSS_TABLE value of mssIndex (0 when the index is out of range). */
  mss: number;
  sackOk: boolean;
  timestampOk: boolean;
  wscale: number;
  /** wscale in 1..14. */
  wscaleOk: boolean;
  /** The cookie itself (ack − 1). */
  cookie: number;
}

/** Check the cookie carried by a client ACK at counter value countNow (check_tcp_syn_cookie / _v6). */
export function checkCookie(params: CheckCookieParams, countNow: number): CookieCheck {
  const cookie = (params.acknowledgmentNumber - 1) >>> 0;
  const sseq = (params.sequenceNumber - 1) >>> 0;
  const h0 = cookieHash(params.secret, 0, 0, params);
  const t = (cookie - h0 - sseq) >>> 0;
  const diff = ((countNow >>> 0) - (t >>> COOKIE_DATA.COOKIE_BITS)) & 0xff;
  const result: CookieCheck = {
    valid: false,
    reason: 'expired',
    data: 0,
    diff,
    mssIndex: 0,
    mss: 0,
    sackOk: false,
    timestampOk: false,
    wscale: 0,
    wscaleOk: false,
    cookie,
  };
  if (diff >= COOKIE_DATA.COUNTER_TRIES) return result;
  const h1 = cookieHash(params.secret, (countNow - diff) >>> 0, 1, params);
  const data = (t - h1) & COOKIE_DATA.COOKIE_MASK;
  result.data = data;
  result.mssIndex = (data >>> COOKIE_DATA.MSS_INDEX_SHIFT) & COOKIE_DATA.MSS_INDEX_MASK;
  result.mss = MSS_TABLE[result.mssIndex] ?? 0;
  result.sackOk = ((data >>> COOKIE_DATA.SACK_BIT) & 1) === 1;
  result.timestampOk = ((data >>> COOKIE_DATA.TIMESTAMP_BIT) & 1) === 1;
  result.wscale = (data >>> COOKIE_DATA.WSCALE_SHIFT) & COOKIE_DATA.WSCALE_MASK;
  result.wscaleOk = result.wscale >= 1 && result.wscale <= COOKIE_DATA.WSCALE_MAX;
  if (result.mssIndex >= MSS_TABLE.length) result.reason = 'mss-index';
  else if ((data & COOKIE_DATA.RESERVED_MASK) !== 0) result.reason = 'reserved-bits';
  else if (result.wscale === COOKIE_DATA.WSCALE_MASK) result.reason = 'wscale';
  else {
    result.reason = '';
    result.valid = true;
  }
  return result;
}
