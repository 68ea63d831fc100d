/**
 * Packets the DPVS v1.10.2 SYN proxy constructs (spec dpvs.md §5.2, §10.2), on raw L3 bytes:
 *
 * - P2  buildSynAck: the SYN-ACK, rewritten in place from the client SYN (syn_proxy_reuse_mbuf);
 * - P3  buildBadCookieRst: the RST answering an ACK whose cookie fails, in place (syn_proxy_build_tcp_rst);
 * - P4  buildRsSyn: the SYN toward the RS *before* the FNAT inbound path (syn_proxy_send_rs_syn);
 * - P6a buildWindowUpdate: the window update toward the client *before* the FNAT outbound path.
 *
 * All packets start at `l3` in `buf`; `len` is the number of captured L3 bytes (trailing link
 * padding beyond the IP length is allowed and dropped). Only plain IPv4 (any IHL) and IPv6
 * whose next header is TCP are accepted; anything else raises a structured CodecError.
 */
import { readU16, readU32, writeU16, writeU32 } from '../codec/bytes.js';
import { transportChecksum } from '../codec/checksum.js';
import { TruncatedError, MalformedError } from '../codec/errors.js';
import { IPPROTO } from '../codec/ipproto.js';
import {
  IPV4,
  fillIpv4Checksum,
  ipv4HeaderLength,
  ipv4IsLaterFragment,
  ipv4Pseudo,
  ipv4TotalLength,
  setIpv4TotalLength,
} from '../codec/ipv4.js';
import { IPV6, ipv6PayloadLength, ipv6Pseudo, setIpv6PayloadLength } from '../codec/ipv6.js';
import { TCP, TCP_FLAG, TCP_OPTION, setTcpHeaderLength, tcpHeaderLength } from '../codec/tcp.js';
import {
  DEFAULT_MSS_CLAMP,
  COOKIE_DATA,
  mintCookie,
  mssTableIndex,
  type CookieCheck,
  type CookieOptions,
  type CookieSecret,
  type CookieTuple,
  type MintedCookie,
} from './cookie.js';
import type { SynproxyConfig } from './synproxy-config.js';

/** Fixed values DPVS writes into the packets it builds. */
export const SYNPROXY_PACKET = Object.freeze({
  RS_SYN_WINDOW: 5000,
  RS_SYN_TTL: 64,
  /** The RS SYN keeps only these bits of the client ACK's TOS byte. */
  RS_SYN_TOS_MASK: 0x1e,
  /**
   * IPv4 ID of the RS SYN. DPVS never writes it (whatever was in the mbuf, UNVERIFIED);
   * this model writes 0.
   */
  RS_SYN_IPV4_ID: 0,
  /** TTL / hop limit of the bad-cookie RST (fixed, not synack ttl). */
  RST_TTL: 63,
  SYN_ACK_FLAGS: TCP_FLAG.SYN | TCP_FLAG.ACK,
  LENGTH_MSS: 4,
  LENGTH_WSCALE: 3,
  LENGTH_SACK_PERMITTED: 2,
  LENGTH_TIMESTAMP: 10,
  /** Offsets inside a timestamp option. */
  TIMESTAMP_VALUE: 2,
  TIMESTAMP_ECHO: 6,
});

/** Where the TCP segment of a raw L3 packet lies. One object can be reused across calls. */
export interface TcpLocation {
  family: 4 | 6;
  l3: number;
  ipHeaderLength: number;
  /** IP total length (IPv4) or 40 + payload length (IPv6): the L3 packet without link padding. */
  ipLength: number;
  tcp: number;
  tcpHeaderLength: number;
  /** TCP header + payload. */
  tcpLength: number;
  payloadLength: number;
}

export function newTcpLocation(): TcpLocation {
  return { family: 4, l3: 0, ipHeaderLength: 0, ipLength: 0, tcp: 0, tcpHeaderLength: 0, tcpLength: 0, payloadLength: 0 };
}

/**
 * Find the TCP segment in the IPv4 or IPv6 packet at buf[l3, l3+len). Throws TruncatedError or
 * MalformedError (offsets relative to buf) on anything the synproxy cannot handle.
 */
export function locateTcp(buf: Uint8Array, l3: number, len: number, out: TcpLocation = newTcpLocation()): TcpLocation {
  if (len < 1 || l3 + len > buf.length) throw new TruncatedError('ipv4', l3, 1, Math.max(0, Math.min(len, buf.length - l3)));
  const version = buf[l3]! >>> 4;
  out.l3 = l3;
  if (version === 4) {
    if (len < IPV4.MIN_HEADER) throw new TruncatedError('ipv4', l3, IPV4.MIN_HEADER, len);
    const headerLength = ipv4HeaderLength(buf, l3);
    if (headerLength < IPV4.MIN_HEADER) throw new MalformedError('ipv4', l3, 'ihl', headerLength >>> 2, 'an IPv4 header is at least 5 words');
    const total = ipv4TotalLength(buf, l3);
    if (total < headerLength) throw new MalformedError('ipv4', l3 + IPV4.TOTAL_LENGTH, 'total length', total, 'smaller than the header');
    if (total > len) throw new TruncatedError('ipv4', l3, total, len, 'ipv4.totalLength');
    if (buf[l3 + IPV4.PROTOCOL] !== IPPROTO.TCP) {
      throw new MalformedError('ipv4', l3 + IPV4.PROTOCOL, 'protocol', buf[l3 + IPV4.PROTOCOL]!, 'the SYN proxy handles TCP only');
    }
    if (ipv4IsLaterFragment(buf, l3)) throw new MalformedError('ipv4', l3 + IPV4.FLAGS_FRAG, 'fragment offset', readU16(buf, l3 + IPV4.FLAGS_FRAG) & IPV4.FRAG_OFFSET_MASK, 'a later fragment has no TCP header');
    out.family = 4;
    out.ipHeaderLength = headerLength;
    out.ipLength = total;
  } else if (version === 6) {
    if (len < IPV6.HEADER) throw new TruncatedError('ipv6', l3, IPV6.HEADER, len);
    const payload = ipv6PayloadLength(buf, l3);
    if (IPV6.HEADER + payload > len) throw new TruncatedError('ipv6', l3, IPV6.HEADER + payload, len, 'ipv6.payloadLength');
    if (buf[l3 + IPV6.NEXT_HEADER] !== IPPROTO.TCP) {
      throw new MalformedError('ipv6', l3 + IPV6.NEXT_HEADER, 'next header', buf[l3 + IPV6.NEXT_HEADER]!, 'the SYN proxy model handles TCP directly after the fixed header only');
    }
    out.family = 6;
    out.ipHeaderLength = IPV6.HEADER;
    out.ipLength = IPV6.HEADER + payload;
  } else {
    throw new MalformedError('ipv4', l3, 'version', version, 'not an IPv4 or IPv6 packet');
  }
  out.tcp = l3 + out.ipHeaderLength;
  out.tcpLength = out.ipLength - out.ipHeaderLength;
  if (out.tcpLength < TCP.MIN_HEADER) throw new TruncatedError('tcp', out.tcp, TCP.MIN_HEADER, out.tcpLength, out.family === 4 ? 'ipv4.totalLength' : 'ipv6.payloadLength');
  const headerLength = tcpHeaderLength(buf, out.tcp);
  if (headerLength < TCP.MIN_HEADER) throw new MalformedError('tcp', out.tcp + TCP.DATA_OFFSET, 'data offset', headerLength >>> 2, 'a TCP header is at least 5 words');
  if (headerLength > out.tcpLength) throw new TruncatedError('tcp', out.tcp, headerLength, out.tcpLength, 'tcp.dataOffset');
  out.tcpHeaderLength = headerLength;
  out.payloadLength = out.tcpLength - headerLength;
  return out;
}

/** Store a correct TCP checksum for the located segment. */
export function fillTcpChecksum(buf: Uint8Array, loc: TcpLocation): void {
  const pseudo = loc.family === 4 ? ipv4Pseudo(buf, loc.l3, IPPROTO.TCP, loc.tcpLength) : ipv6Pseudo(buf, loc.l3, IPPROTO.TCP, loc.tcpLength);
  writeU16(buf, loc.tcp + TCP.CHECKSUM, transportChecksum(buf, loc.tcp, loc.tcpLength, TCP.CHECKSUM, pseudo));
}

/** Fix the IPv4 header checksum (IPv6 has none) and the TCP checksum. */
export function fillChecksums(buf: Uint8Array, loc: TcpLocation): void {
  if (loc.family === 4) fillIpv4Checksum(buf, loc.l3);
  fillTcpChecksum(buf, loc);
}

function swapBytes(buf: Uint8Array, a: number, b: number, count: number): void {
  for (let i = 0; i < count; i++) {
    const t = buf[a + i]!;
    buf[a + i] = buf[b + i]!;
    buf[b + i] = t;
  }
}

/** Swap source and destination addresses and ports of the located packet. */
export function swapEndpoints(buf: Uint8Array, loc: TcpLocation): void {
  if (loc.family === 4) swapBytes(buf, loc.l3 + IPV4.SRC, loc.l3 + IPV4.DST, 4);
  else swapBytes(buf, loc.l3 + IPV6.SRC, loc.l3 + IPV6.DST, 16);
  swapBytes(buf, loc.tcp + TCP.SRC_PORT, loc.tcp + TCP.DST_PORT, 2);
}

/** Client 4-tuple of a client→VIP packet (views into buf, valid while buf is unchanged). */
export function clientTuple(buf: Uint8Array, loc: TcpLocation): CookieTuple {
  const src = loc.family === 4 ? loc.l3 + IPV4.SRC : loc.l3 + IPV6.SRC;
  const dst = loc.family === 4 ? loc.l3 + IPV4.DST : loc.l3 + IPV6.DST;
  const size = loc.family === 4 ? 4 : 16;
  return {
    clientAddress: buf.subarray(src, src + size),
    virtualAddress: buf.subarray(dst, dst + size),
    clientPort: readU16(buf, loc.tcp + TCP.SRC_PORT),
    virtualPort: readU16(buf, loc.tcp + TCP.DST_PORT),
  };
}

/** The SYN-proxy timestamp value: (seconds mod 100) · 10^6 + microseconds (TCP_OPT_TIMESTAMP). */
export function synproxyTimestampValue(seconds: number, nanoseconds: number): number {
  return ((seconds % 100) * 1_000_000 + Math.floor(nanoseconds / 1000)) >>> 0;
}

/** What the SYN's options said and what the SYN-ACK / cookie carry. */
export interface SynOptionSummary {
  /** Client MSS option value, or null when absent. */
  clientMss: number | null;
  /** MSS written into the SYN-ACK (null when the SYN had none: none is added). */
  synAckMss: number | null;
  /** The MSS clamp the cookie rounds: min(client, config), 0 → 536, absent → 536. */
  mssClamp: number;
  clientWscale: number | null;
  clientSackPermitted: boolean;
  /** Client TSval, or null when the SYN had no timestamp option. */
  clientTimestamp: number | null;
  /** What the cookie encodes. */
  cookie: CookieOptions;
}

/**
 * syn_proxy_parse_set_opts: rewrite the SYN's options in place (same order, same length) into
 * the SYN-ACK's, and collect what the cookie needs. Option walk stops at EOL, a length < 2 or
 * an option overrunning the header. Only MSS of length 4, WS of length 3, SACK-permitted of
 * length 2 and TS of length 10 are touched; every other option is echoed unchanged.
 */
export function rewriteSynOptions(
  buf: Uint8Array,
  tcp: number,
  tcpHeaderBytes: number,
  config: SynproxyConfig,
  timestampValue: number,
): SynOptionSummary {
  const summary: SynOptionSummary = {
    clientMss: null,
    synAckMss: null,
    mssClamp: DEFAULT_MSS_CLAMP,
    clientWscale: null,
    clientSackPermitted: false,
    clientTimestamp: null,
    cookie: { mssIndex: 0, sackOk: false, timestampOk: false, wscale: 0 },
  };
  const end = tcp + tcpHeaderBytes;
  let p = tcp + TCP.MIN_HEADER;
  while (p < end) {
    const kind = buf[p]!;
    if (kind === TCP_OPTION.EOL) break;
    if (kind === TCP_OPTION.NOP) {
      p++;
      continue;
    }
    if (p + 1 >= end) break;
    const size = buf[p + 1]!;
    if (size < 2 || size > end - p) break;
    if (kind === TCP_OPTION.MSS && size === SYNPROXY_PACKET.LENGTH_MSS) {
      const client = readU16(buf, p + 2);
      let value = Math.min(client, config.mss);
      if (value === 0) value = DEFAULT_MSS_CLAMP;
      writeU16(buf, p + 2, value);
      summary.clientMss = client;
      summary.synAckMss = value;
      summary.mssClamp = value;
    } else if (kind === TCP_OPTION.WSCALE && size === SYNPROXY_PACKET.LENGTH_WSCALE) {
      const client = buf[p + 2]!;
      summary.clientWscale = client;
      if (config.wscale === 0) {
        buf.fill(TCP_OPTION.NOP, p, p + size);
      } else {
        buf[p + 2] = config.wscale;
        summary.cookie.wscale = Math.min(client, COOKIE_DATA.WSCALE_MAX);
      }
    } else if (kind === TCP_OPTION.SACK_PERMITTED && size === SYNPROXY_PACKET.LENGTH_SACK_PERMITTED) {
      summary.clientSackPermitted = true;
      if (config.sack) summary.cookie.sackOk = true;
      else buf.fill(TCP_OPTION.NOP, p, p + size);
    } else if (kind === TCP_OPTION.TIMESTAMP && size === SYNPROXY_PACKET.LENGTH_TIMESTAMP) {
      const clientValue = readU32(buf, p + SYNPROXY_PACKET.TIMESTAMP_VALUE);
      summary.clientTimestamp = clientValue;
      if (config.timestamp) {
        writeU32(buf, p + SYNPROXY_PACKET.TIMESTAMP_ECHO, clientValue);
        writeU32(buf, p + SYNPROXY_PACKET.TIMESTAMP_VALUE, timestampValue);
        summary.cookie.timestampOk = true;
      } else {
        buf.fill(TCP_OPTION.NOP, p, p + size);
      }
    }
    p += size;
  }
  summary.cookie.mssIndex = mssTableIndex(summary.mssClamp);
  return summary;
}

export interface SynAckParams {
  config: SynproxyConfig;
  secret: CookieSecret;
  /** Minute counter at the SYN. */
  count: number;
  /** TSval for a SYN-ACK timestamp (used only with config.timestamp): synproxyTimestampValue(capture time). */
  timestampValue: number;
}

export interface SynAckResult {
  /** Length of the SYN-ACK at buf[l3, l3+length). */
  length: number;
  minted: MintedCookie;
  options: SynOptionSummary;
  clientIsn: number;
  window: number;
}

/**
 * P2: turn the client SYN at buf[l3, l3+len) into DPVS's SYN-ACK, in place. Everything not
 * listed in spec §5.2 P2 stays as it arrived (IPv4 ID and DF, IP options, byte 12, urgent
 * pointer, unknown options, SYN payload). Link padding past the IP length is dropped from the
 * returned length. The caller checks the flags (SYN without ACK/RST/FIN).
 */
export function buildSynAck(buf: Uint8Array, l3: number, len: number, params: SynAckParams, loc: TcpLocation = newTcpLocation()): SynAckResult {
  locateTcp(buf, l3, len, loc);
  const { config } = params;
  const options = rewriteSynOptions(buf, loc.tcp, loc.tcpHeaderLength, config, params.timestampValue);
  const clientIsn = readU32(buf, loc.tcp + TCP.SEQ);
  const minted = mintCookie({ ...clientTuple(buf, loc), secret: params.secret, count: params.count, isn: clientIsn, options: options.cookie });
  swapEndpoints(buf, loc);
  writeU32(buf, loc.tcp + TCP.SEQ, minted.cookie);
  writeU32(buf, loc.tcp + TCP.ACK, (clientIsn + 1) >>> 0);
  buf[loc.tcp + TCP.FLAGS] = SYNPROXY_PACKET.SYN_ACK_FLAGS;
  const window = config.closeClientWindow && !config.deferRsSyn ? 0 : readU16(buf, loc.tcp + TCP.WINDOW);
  writeU16(buf, loc.tcp + TCP.WINDOW, window);
  if (loc.family === 4) {
    buf[l3 + IPV4.TTL] = config.ttl;
    buf[l3 + IPV4.TOS] = 0;
  } else {
    buf[l3 + IPV6.HOP_LIMIT] = config.ttl;
  }
  fillChecksums(buf, loc);
  return { length: loc.ipLength, minted, options, clientIsn, window };
}

/**
 * Bad-cookie RST (syn_proxy_build_tcp_rst), in place on the offending client packet:
 * endpoints swapped, seq = its ack, ack = its seq + payload (+1 for SYN), FIN/SYN/PSH cleared,
 * RST+ACK set (URG/ECE/CWR kept), window 0, options kept, payload cut, TTL / hop limit 63,
 * IPv4 TOS 0. Returns the new L3 length.
 */
export function buildBadCookieRst(buf: Uint8Array, l3: number, len: number, loc: TcpLocation = newTcpLocation()): number {
  locateTcp(buf, l3, len, loc);
  const t = loc.tcp;
  const seq = readU32(buf, t + TCP.SEQ);
  const ack = readU32(buf, t + TCP.ACK);
  const flags = buf[t + TCP.FLAGS]!;
  const synBump = flags & TCP_FLAG.SYN ? 1 : 0;
  writeU32(buf, t + TCP.SEQ, ack);
  writeU32(buf, t + TCP.ACK, (seq + loc.payloadLength + synBump) >>> 0);
  buf[t + TCP.FLAGS] = (flags & ~(TCP_FLAG.FIN | TCP_FLAG.SYN | TCP_FLAG.PSH)) | TCP_FLAG.RST | TCP_FLAG.ACK;
  writeU16(buf, t + TCP.WINDOW, 0);
  loc.ipLength -= loc.payloadLength;
  loc.tcpLength -= loc.payloadLength;
  loc.payloadLength = 0;
  swapEndpoints(buf, loc);
  if (loc.family === 4) {
    setIpv4TotalLength(buf, l3, loc.ipLength);
    buf[l3 + IPV4.TTL] = SYNPROXY_PACKET.RST_TTL;
    buf[l3 + IPV4.TOS] = 0;
  } else {
    setIpv6PayloadLength(buf, l3, loc.tcpLength);
    buf[l3 + IPV6.HOP_LIMIT] = SYNPROXY_PACKET.RST_TTL;
  }
  fillChecksums(buf, loc);
  return loc.ipLength;
}

/** Options of the RS SYN in DPVS order (syn_proxy_syn_build_options). */
export function rsSynOptions(check: Pick<CookieCheck, 'mss' | 'sackOk' | 'timestampOk' | 'wscaleOk' | 'wscale'>, timestampValue: number): Uint8Array {
  const size = 4 + (check.timestampOk ? 12 : 0) + (check.wscaleOk ? 4 : 0) + (check.sackOk && !check.timestampOk ? 4 : 0);
  const out = new Uint8Array(size);
  let p = 0;
  out[p++] = TCP_OPTION.MSS;
  out[p++] = SYNPROXY_PACKET.LENGTH_MSS;
  writeU16(out, p, check.mss);
  p += 2;
  if (check.timestampOk) {
    if (check.sackOk) {
      out[p++] = TCP_OPTION.SACK_PERMITTED;
      out[p++] = SYNPROXY_PACKET.LENGTH_SACK_PERMITTED;
    } else {
      out[p++] = TCP_OPTION.NOP;
      out[p++] = TCP_OPTION.NOP;
    }
    out[p++] = TCP_OPTION.TIMESTAMP;
    out[p++] = SYNPROXY_PACKET.LENGTH_TIMESTAMP;
    writeU32(out, p, timestampValue);
    writeU32(out, p + 4, 0);
    p += 8;
  } else if (check.sackOk) {
    out[p++] = TCP_OPTION.NOP;
    out[p++] = TCP_OPTION.NOP;
    out[p++] = TCP_OPTION.SACK_PERMITTED;
    out[p++] = SYNPROXY_PACKET.LENGTH_SACK_PERMITTED;
  }
  if (check.wscaleOk) {
    out[p++] = TCP_OPTION.NOP;
    out[p++] = TCP_OPTION.WSCALE;
    out[p++] = SYNPROXY_PACKET.LENGTH_WSCALE;
    out[p++] = check.wscale;
  }
  return out;
}

/**
 * P4 before FNAT: the SYN DPVS sends toward the RS, built from the client's cookie-valid ACK at
 * buf[l3, l3+len) (still C→V addresses and ports; the FNAT inbound path rewrites them).
 * IPv4: 0x45, TOS = ACK TOS & 0x1E, DF, TTL 64, ID = `ipv4Id` (DPVS leaves it unset: UNVERIFIED;
 * default 0). IPv6: version 6 with TC and flow label 0 (UNVERIFIED in DPVS), hop limit 64.
 * TCP: seq = ACK seq − 1, ack 0, SYN, window 5000, urgent 0, options from rsSynOptions.
 * Both checksums are valid.
 */
export function buildRsSyn(
  buf: Uint8Array,
  l3: number,
  len: number,
  check: Pick<CookieCheck, 'mss' | 'sackOk' | 'timestampOk' | 'wscaleOk' | 'wscale'>,
  timestampValue: number,
  ipv4Id: number = SYNPROXY_PACKET.RS_SYN_IPV4_ID,
  loc: TcpLocation = newTcpLocation(),
): Uint8Array {
  locateTcp(buf, l3, len, loc);
  const options = rsSynOptions(check, timestampValue);
  const tcpLength = TCP.MIN_HEADER + options.length;
  const ipHeader = loc.family === 4 ? IPV4.MIN_HEADER : IPV6.HEADER;
  const out = new Uint8Array(ipHeader + tcpLength);
  if (loc.family === 4) {
    out[IPV4.VER_IHL] = 0x45;
    out[IPV4.TOS] = buf[l3 + IPV4.TOS]! & SYNPROXY_PACKET.RS_SYN_TOS_MASK;
    setIpv4TotalLength(out, 0, out.length);
    writeU16(out, IPV4.ID, ipv4Id);
    writeU16(out, IPV4.FLAGS_FRAG, IPV4.FLAG_DF);
    out[IPV4.TTL] = SYNPROXY_PACKET.RS_SYN_TTL;
    out[IPV4.PROTOCOL] = IPPROTO.TCP;
    out.set(buf.subarray(l3 + IPV4.SRC, l3 + IPV4.DST + 4), IPV4.SRC);
  } else {
    out[IPV6.VER_TC_FLOW] = 0x60;
    setIpv6PayloadLength(out, 0, tcpLength);
    out[IPV6.NEXT_HEADER] = IPPROTO.TCP;
    out[IPV6.HOP_LIMIT] = SYNPROXY_PACKET.RS_SYN_TTL;
    out.set(buf.subarray(l3 + IPV6.SRC, l3 + IPV6.DST + 16), IPV6.SRC);
  }
  const t = ipHeader;
  out.set(buf.subarray(loc.tcp + TCP.SRC_PORT, loc.tcp + TCP.DST_PORT + 2), t + TCP.SRC_PORT);
  writeU32(out, t + TCP.SEQ, (readU32(buf, loc.tcp + TCP.SEQ) - 1) >>> 0);
  setTcpHeaderLength(out, t, tcpLength);
  out[t + TCP.FLAGS] = TCP_FLAG.SYN;
  writeU16(out, t + TCP.WINDOW, SYNPROXY_PACKET.RS_SYN_WINDOW);
  out.set(options, t + TCP.MIN_HEADER);
  const outLoc = locateTcp(out, 0, out.length);
  fillChecksums(out, outLoc);
  return out;
}

/**
 * P6a before FNAT: the window update built from the RS SYN-ACK at buf[l3, l3+len) (still R→L).
 * The first 20 TCP bytes with SYN cleared, seq + 1, doff 5; IPv4: the first 20 IP bytes with
 * 0x45, TOS 0, DF, length 40, the RS's ID and TTL; IPv6: the fixed header with payload length 20.
 */
export function buildWindowUpdate(buf: Uint8Array, l3: number, len: number, loc: TcpLocation = newTcpLocation()): Uint8Array {
  locateTcp(buf, l3, len, loc);
  const ipHeader = loc.family === 4 ? IPV4.MIN_HEADER : IPV6.HEADER;
  const out = new Uint8Array(ipHeader + TCP.MIN_HEADER);
  out.set(buf.subarray(l3, l3 + ipHeader), 0);
  out.set(buf.subarray(loc.tcp, loc.tcp + TCP.MIN_HEADER), ipHeader);
  if (loc.family === 4) {
    out[IPV4.VER_IHL] = 0x45;
    out[IPV4.TOS] = 0;
    writeU16(out, IPV4.FLAGS_FRAG, IPV4.FLAG_DF);
    setIpv4TotalLength(out, 0, out.length);
  } else {
    setIpv6PayloadLength(out, 0, TCP.MIN_HEADER);
  }
  const t = ipHeader;
  out[t + TCP.FLAGS] = out[t + TCP.FLAGS]! & ~TCP_FLAG.SYN;
  writeU32(out, t + TCP.SEQ, (readU32(out, t + TCP.SEQ) + 1) >>> 0);
  setTcpHeaderLength(out, t, TCP.MIN_HEADER);
  const outLoc = locateTcp(out, 0, out.length);
  fillChecksums(out, outLoc);
  return out;
}
