/**
 * Positional writers `decode --json` needs beyond writer.ts's (putU32, putPadded, putIpv4,
 * putWords on ByteWriter.view): any number as ByteWriter.uint writes it, ASCII strings and hex.
 * Like those, they write at `p` of a DataView and return the position after what they wrote; the
 * renderer reserves VIEW_RESERVE bytes (ByteWriter.at) before a run of them.
 */
import { putU32 } from './writer.js';

/** Room the JSON renderer reserves before writing a run of fragments and values. */
export const VIEW_RESERVE = 8192;

/** Whether every character of `s` is ASCII (so `new AsciiWords(s)` is allowed). */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** Write a string of ASCII characters (a number's String(n), names, hex). */
export function putAscii(dv: DataView, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) dv.setUint8(p + i, s.charCodeAt(i));
  return p + s.length;
}

/**
 * Write `n` as ByteWriter.uint does: the digits of a whole number, String(n) for anything else
 * (String(n) is also the digits of a whole number up to 10^21, and "0" for -0).
 */
export function putUint(dv: DataView, p: number, n: number): number {
  if (n >>> 0 === n) return putU32(dv, p, n);
  return putAscii(dv, p, String(n));
}

/** Two lower-case hex digits per byte value, as a little-endian 16-bit word. */
const HEX_PAIRS = new Uint16Array(256);
for (let v = 0; v < 256; v++) {
  const s = v.toString(16).padStart(2, '0');
  HEX_PAIRS[v] = s.charCodeAt(0) | (s.charCodeAt(1) << 8);
}

/** Write lower-case hex of data[start, end). */
export function putHex(dv: DataView, p: number, data: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++, p += 2) dv.setUint16(p, HEX_PAIRS[data[i]!]!, true);
  return p;
}
