/** TCP header (RFC 9293): field offsets, flags and accessors on raw bytes. */
import { readU16, readU32, writeU32 } from './bytes.js';

export const TCP = Object.freeze({
  SRC_PORT: 0,
  DST_PORT: 2,
  SEQ: 4,
  ACK: 8,
  DATA_OFFSET: 12,
  FLAGS: 13,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT: 18,
  MIN_HEADER: 20,
  MAX_HEADER: 60,
});

export const TCP_FLAG = Object.freeze({
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
});

/** TCP option kinds with names (RFC 9293, IANA). Carrier kinds live in src/carriers. */
export const TCP_OPTION = Object.freeze({
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WSCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMP: 8,
  MD5: 19,
  USER_TIMEOUT: 28,
  AUTH: 29,
  MPTCP: 30,
  FAST_OPEN: 34,
  EXP1: 253,
  EXP2: 254,
});

export function tcpHeaderLength(b: Uint8Array, o: number): number {
  return (b[o + TCP.DATA_OFFSET]! >>> 4) * 4;
}
export function setTcpHeaderLength(b: Uint8Array, o: number, bytes: number): void {
  b[o + TCP.DATA_OFFSET] = ((bytes >>> 2) << 4) | (b[o + TCP.DATA_OFFSET]! & 0x0f);
}
export function tcpFlags(b: Uint8Array, o: number): number {
  return b[o + TCP.FLAGS]!;
}
export function tcpSeq(b: Uint8Array, o: number): number {
  return readU32(b, o + TCP.SEQ);
}
export function tcpAck(b: Uint8Array, o: number): number {
  return readU32(b, o + TCP.ACK);
}
export function setTcpSeq(b: Uint8Array, o: number, v: number): void {
  writeU32(b, o + TCP.SEQ, v >>> 0);
}
export function setTcpAck(b: Uint8Array, o: number, v: number): void {
  writeU32(b, o + TCP.ACK, v >>> 0);
}
export function tcpSrcPort(b: Uint8Array, o: number): number {
  return readU16(b, o + TCP.SRC_PORT);
}
export function tcpDstPort(b: Uint8Array, o: number): number {
  return readU16(b, o + TCP.DST_PORT);
}
export function tcpWindow(b: Uint8Array, o: number): number {
  return readU16(b, o + TCP.WINDOW);
}
