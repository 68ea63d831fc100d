/**
 * A modelled real server for replaying a client-only capture through the SYN-proxy model.
 *
 * It answers an RS SYN with a SYN-ACK (ISN, MSS, window scale and window as configured; SACK-
 * permitted and WS echoed only when the SYN offered them, as RFC 7323 / RFC 2018 require),
 * acknowledges every segment carrying data or FIN, sends `response` once (with the ACK of the
 * first data segment), and answers a FIN with FIN+ACK. It never initiates anything else.
 */
import { readU16, readU32, writeU16, writeU32 } from '../codec/bytes.js';
import { IPPROTO } from '../codec/ipproto.js';
import { IPV4, setIpv4TotalLength } from '../codec/ipv4.js';
import { IPV6, setIpv6PayloadLength } from '../codec/ipv6.js';
import { TCP, TCP_FLAG, TCP_OPTION, setTcpHeaderLength } from '../codec/tcp.js';
import { fillChecksums, locateTcp, newTcpLocation, type TcpLocation } from './synproxy-packets.js';

export interface ModelledRsOptions {
  /** r_isn. */
  isn: number;
  /** MSS advertised in the SYN-ACK. */
  mss: number;
  /** Window scale advertised when the SYN carried WS (null: never advertise one). */
  wscale: number | null;
  /** Window field of every RS packet (unscaled, as on the wire). */
  window: number;
  /** IPv4 ID of the RS's packets (incremented per packet). */
  ipv4Id: number;
  /** TTL / hop limit. */
  ttl: number;
  /** Bytes sent once, with the acknowledgment of the first client data (empty: none). */
  response: Uint8Array;
  /** Delay between the packet the RS receives and its answer, in microseconds. */
  delayMicros: number;
}

export const MODELLED_RS_DEFAULTS: Readonly<ModelledRsOptions> = Object.freeze({
  isn: 0x55667788,
  mss: 1460,
  wscale: 7,
  window: 0xfe88,
  ipv4Id: 0x7777,
  ttl: 64,
  response: new Uint8Array(0),
  delayMicros: 100,
});

interface RsConnection {
  /** Next sequence number the RS will send. */
  sendNext: number;
  /** Next sequence number the RS expects (its ack value). */
  receiveNext: number;
  responded: boolean;
  finSent: boolean;
}

/** The modelled RS: feed it every L→R packet, get its R→L answers (owned L3 packets). */
export class ModelledRealServer {
  readonly options: ModelledRsOptions;
  private readonly connections = new Map<string, RsConnection>();
  private nextId: number;
  private readonly loc: TcpLocation = newTcpLocation();

  constructor(options: Partial<ModelledRsOptions> = {}) {
    this.options = { ...MODELLED_RS_DEFAULTS, ...options };
    this.nextId = this.options.ipv4Id & 0xffff;
  }

  /** Answers to one L→R packet at buf[l3, l3+len), in sending order (possibly none). */
  receive(buf: Uint8Array, l3: number, len: number): Uint8Array[] {
    const loc = locateTcp(buf, l3, len, this.loc);
    const key = endpointKey(buf, loc);
    const flags = buf[loc.tcp + TCP.FLAGS]!;
    const seq = readU32(buf, loc.tcp + TCP.SEQ);
    if (flags & TCP_FLAG.RST) {
      this.connections.delete(key);
      return [];
    }
    if ((flags & (TCP_FLAG.SYN | TCP_FLAG.ACK)) === TCP_FLAG.SYN) {
      let offeredSack = false;
      let offeredWscale = false;
      walkOptions(buf, loc, (kind) => {
        if (kind === TCP_OPTION.SACK_PERMITTED) offeredSack = true;
        if (kind === TCP_OPTION.WSCALE) offeredWscale = true;
      });
      const conn: RsConnection = { sendNext: (this.options.isn + 1) >>> 0, receiveNext: (seq + 1) >>> 0, responded: false, finSent: false };
      this.connections.set(key, conn);
      const options: number[] = [TCP_OPTION.MSS, 4, this.options.mss >>> 8, this.options.mss & 0xff];
      if (offeredSack) options.push(TCP_OPTION.NOP, TCP_OPTION.NOP, TCP_OPTION.SACK_PERMITTED, 2);
      if (offeredWscale && this.options.wscale !== null) options.push(TCP_OPTION.NOP, TCP_OPTION.WSCALE, 3, this.options.wscale);
      return [this.reply(buf, loc, this.options.isn, conn.receiveNext, TCP_FLAG.SYN | TCP_FLAG.ACK, Uint8Array.from(options), EMPTY)];
    }
    const conn = this.connections.get(key);
    if (!conn) return [];
    const fin = flags & TCP_FLAG.FIN ? 1 : 0;
    if (loc.payloadLength === 0 && fin === 0) return [];
    const end = (seq + loc.payloadLength + fin) >>> 0;
    // Only in-order or overlapping segments move receiveNext forward (modular compare).
    if (((end - conn.receiveNext) | 0) > 0) conn.receiveNext = end;
    const out: Uint8Array[] = [];
    let replyFlags: number = TCP_FLAG.ACK;
    let payload: Uint8Array = EMPTY;
    if (loc.payloadLength > 0 && !conn.responded && this.options.response.length > 0) {
      conn.responded = true;
      payload = this.options.response;
      replyFlags |= TCP_FLAG.PSH;
    }
    if (fin && !conn.finSent) {
      conn.finSent = true;
      replyFlags |= TCP_FLAG.FIN;
    }
    out.push(this.reply(buf, loc, conn.sendNext, conn.receiveNext, replyFlags, EMPTY, payload));
    conn.sendNext = (conn.sendNext + payload.length + (replyFlags & TCP_FLAG.FIN ? 1 : 0)) >>> 0;
    return out;
  }

  private reply(buf: Uint8Array, loc: TcpLocation, seq: number, ack: number, flags: number, options: Uint8Array, payload: Uint8Array): Uint8Array {
    const ipHeader = loc.family === 4 ? IPV4.MIN_HEADER : IPV6.HEADER;
    const tcpHeader = TCP.MIN_HEADER + options.length;
    const out = new Uint8Array(ipHeader + tcpHeader + payload.length);
    if (loc.family === 4) {
      out[IPV4.VER_IHL] = 0x45;
      setIpv4TotalLength(out, 0, out.length);
      writeU16(out, IPV4.ID, this.nextId);
      this.nextId = (this.nextId + 1) & 0xffff;
      writeU16(out, IPV4.FLAGS_FRAG, IPV4.FLAG_DF);
      out[IPV4.TTL] = this.options.ttl;
      out[IPV4.PROTOCOL] = IPPROTO.TCP;
      out.set(buf.subarray(loc.l3 + IPV4.DST, loc.l3 + IPV4.DST + 4), IPV4.SRC);
      out.set(buf.subarray(loc.l3 + IPV4.SRC, loc.l3 + IPV4.SRC + 4), IPV4.DST);
    } else {
      out[IPV6.VER_TC_FLOW] = 0x60;
      setIpv6PayloadLength(out, 0, tcpHeader + payload.length);
      out[IPV6.NEXT_HEADER] = IPPROTO.TCP;
      out[IPV6.HOP_LIMIT] = this.options.ttl;
      out.set(buf.subarray(loc.l3 + IPV6.DST, loc.l3 + IPV6.DST + 16), IPV6.SRC);
      out.set(buf.subarray(loc.l3 + IPV6.SRC, loc.l3 + IPV6.SRC + 16), IPV6.DST);
    }
    const t = ipHeader;
    writeU16(out, t + TCP.SRC_PORT, readU16(buf, loc.tcp + TCP.DST_PORT));
    writeU16(out, t + TCP.DST_PORT, readU16(buf, loc.tcp + TCP.SRC_PORT));
    writeU32(out, t + TCP.SEQ, seq >>> 0);
    writeU32(out, t + TCP.ACK, ack >>> 0);
    setTcpHeaderLength(out, t, tcpHeader);
    out[t + TCP.FLAGS] = flags;
    writeU16(out, t + TCP.WINDOW, this.options.window);
    out.set(options, t + TCP.MIN_HEADER);
    out.set(payload, t + tcpHeader);
    fillChecksums(out, locateTcp(out, 0, out.length));
    return out;
  }
}

const EMPTY = new Uint8Array(0);

function endpointKey(buf: Uint8Array, loc: TcpLocation): string {
  const size = loc.family === 4 ? 4 : 16;
  const src = loc.l3 + (loc.family === 4 ? IPV4.SRC : IPV6.SRC);
  const dst = loc.l3 + (loc.family === 4 ? IPV4.DST : IPV6.DST);
  return `${buf.subarray(src, src + size).join('.')}:${readU16(buf, loc.tcp + TCP.SRC_PORT)}>${buf.subarray(dst, dst + size).join('.')}:${readU16(buf, loc.tcp + TCP.DST_PORT)}`;
}

/** Call visit(kind, offset) for each option until EOL or a malformed length. */
export function walkOptions(buf: Uint8Array, loc: TcpLocation, visit: (kind: number, offset: number) => void): void {
  const end = loc.tcp + loc.tcpHeaderLength;
  let p = loc.tcp + TCP.MIN_HEADER;
  while (p < end) {
    const kind = buf[p]!;
    if (kind === TCP_OPTION.EOL) return;
    if (kind === TCP_OPTION.NOP) {
      p++;
      continue;
    }
    if (p + 1 >= end) return;
    const size = buf[p + 1]!;
    if (size < 2 || size > end - p) return;
    visit(kind, p);
    p += size;
  }
}
