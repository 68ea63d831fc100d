/**
 * The DPVS v1.10.2 SYN proxy (spec dpvs.md §5, §10.2) as an offline model.
 *
 * Feed it time-stamped raw L3 packets in capture order: client→VIP packets with
 * `clientPacket()`, RS→LIP packets with `serverPacket()` (or let the modelled RS answer), and
 * `advance()` to a time to fire RS-SYN retransmissions. Each call returns the events it caused,
 * in order: packets DPVS sends (leg 'client-side' = client↔VIP, 'rs-side' = LIP↔RS), packets the
 * modelled RS sends, and decisions without a packet (stored, dropped, consumed).
 *
 * Address translation, TOA, seq/ack/SACK deltas, window scaling, MSS and the ACK-storm check are
 * the shared FNAT handlers of fnat.ts (fnatInbound / fnatOutbound) on a connection record built
 * with createFnatConnection({ synproxy: true }).
 *
 * Not modelled: connection timeouts other than the RS-SYN retry timer, the random 0–1 s of
 * extra retry delay, NAT64/NAT46 (client and RS families must match), deny/allow lists,
 * service weight 0. The TCP
 * state is reduced to SYN_SENT / ESTABLISHED / FIN_WAIT (one FIN seen) / TIME_WAIT (both) /
 * CLOSE (RST), which is what connection reuse looks at.
 */
import { readU16, readU32, toHex, writeU32 } from '../codec/bytes.js';
import { IPV4 } from '../codec/ipv4.js';
import { IPV6 } from '../codec/ipv6.js';
import { TCP, TCP_FLAG, TCP_OPTION } from '../codec/tcp.js';
import { MSS_TABLE, checkCookie, type CookieCheck, type CookieSecret } from './cookie.js';
import { synproxyConfig, type SynproxyConfig } from './synproxy-config.js';
import { FnatResult, createFnatConnection, fnatInbound, fnatOutbound, type FnatConnection, type FnatOptions, type ToaOutcome } from './fnat.js';
import type { ToaError } from './toa-insert.js';
import {
  buildBadCookieRst,
  buildRsSyn,
  buildSynAck,
  buildWindowUpdate,
  clientTuple,
  locateTcp,
  newTcpLocation,
  synproxyTimestampValue,
  type TcpLocation,
} from './synproxy-packets.js';
import { ModelledRealServer, walkOptions, type ModelledRsOptions } from './synproxy-rs.js';

export type SynproxyState = 'SYN_SENT' | 'ESTABLISHED' | 'FIN_WAIT' | 'TIME_WAIT' | 'CLOSE';

/** A client packet held while the connection is in SYN_SENT (owned copy of its L3 bytes). */
export interface StoredPacket {
  packet: Uint8Array;
  seconds: number;
  nanoseconds: number;
}

/**
 * Per-connection state of the SYN-proxy model. F, Δf (fnat.fnatDelta), Δs (fnat.synproxyDelta),
 * fdata_seq, wscale_rs/vs and the ACK-storm counter live in the FNAT record `fnat`.
 */
export interface SynproxyConnection {
  /** 1-based connection number in the model. */
  id: number;
  fnat: FnatConnection;
  /** K (syn_proxy_seq.isn). */
  cookie: number;
  /** c_isn (the validated ACK's seq − 1). */
  clientIsn: number;
  /** r_isn, null until the RS SYN-ACK. */
  rsIsn: number | null;
  state: SynproxyState;
  stored: StoredPacket[];
  /** ack_num: packets stored so far (the first ACK counts). */
  ackNumber: number;
  /** Copy of the RS SYN before FNAT, kept for retransmission (null when none is kept). */
  savedSyn: Uint8Array | null;
  rsSynRetries: number;
  /** Capture time (seconds, fractional) of the last RS SYN sent. */
  rsSynSentAt: number;
  clientFin: boolean;
  rsFin: boolean;
}

export type SynproxyLeg = 'client-side' | 'rs-side';
/** to-client / to-rs: sent by DPVS; from-rs: sent by the modelled RS. */
export type SynproxyDirection = 'to-client' | 'to-rs' | 'from-rs';

export type SynproxyDecision =
  | {
      kind: 'syn-ack';
      cookie: number;
      data: number;
      count: number;
      clientIsn: number;
      /** Cookie MSS (table value) and index. */
      mss: number;
      mssIndex: number;
      /** MSS written in the SYN-ACK (null: the SYN had none). */
      synAckMss: number | null;
      sackOk: boolean;
      timestampOk: boolean;
      wscale: number;
      window: number;
      /** A connection for this 4-tuple already existed (DPVS answers anyway). */
      existingConnection: boolean;
    }
  | { kind: 'cookie-ok'; cookie: number; data: number; diff: number; mss: number; sackOk: boolean; timestampOk: boolean; wscale: number; wscaleOk: boolean }
  | { kind: 'cookie-bad'; cookie: number; reason: CookieCheck['reason']; diff: number }
  | { kind: 'null-ack-dropped' }
  | { kind: 'stored'; number: number }
  | { kind: 'dropped'; reason: 'store-full' | 'no-ack-flag' | 'no-connection' | 'fnat-failed'; detail?: string }
  | { kind: 'rs-syn'; retry: number; fnatIsn: number; deltaF: number }
  | { kind: 'rs-syn-exhausted'; retries: number }
  | { kind: 'rs-syn-ack-consumed'; rsIsn: number; deltaS: number; wscaleRs: number }
  | { kind: 'window-update' }
  | { kind: 'forward'; toa: ToaOutcome; toaError: ToaError | null; pruned: number; stored: number }
  | { kind: 'standalone' }
  | { kind: 'outbound'; storm: boolean }
  | { kind: 'rs-rst'; deltaS: number }
  | { kind: 'reuse'; cookie: number; previousCookie: number }
  | { kind: 'rs-modelled' };

export interface SynproxyEvent {
  seconds: number;
  nanoseconds: number;
  leg: SynproxyLeg | null;
  direction: SynproxyDirection | null;
  /** The packet sent (owned L3 bytes), or null for a decision without a packet. */
  packet: Uint8Array | null;
  /** Connection id (1-based), 0 when none. */
  connection: number;
  decision: SynproxyDecision;
}

export interface SynproxyModelOptions {
  config: SynproxyConfig;
  secret: CookieSecret;
  /** The DPVS minute counter at the first SYN. */
  minute: number;
  /** DPVS local address (laddr), same family as the clients. */
  localAddress: Uint8Array;
  /** lport of connection 1; connection n uses localPort + n − 1. */
  localPort: number;
  realAddress: Uint8Array;
  realPort: number;
  /** F for each new RS SYN (DPVS draws it from a time-based hash; take it as a parameter). */
  fnatIsn: number | ((connection: SynproxyConnection) => number);
  /** When given, a modelled RS answers every rs-side packet (use for client-only captures). */
  modelledRs: Partial<ModelledRsOptions> | null;
  /** Options passed to fnatInbound / fnatOutbound (MTU, TOA policy, ...). */
  fnatOptions: FnatOptions;
  /** IPv4 ID written in RS SYNs (DPVS leaves it unset; UNVERIFIED). */
  rsSynIpv4Id: number;
}

const NANOS = 1_000_000_000;
/** Spare bytes after each packet handed to the FNAT handlers (their buffer contract). */
const FNAT_SPARE = 128;

interface TimedPacket {
  packet: Uint8Array;
  seconds: number;
  nanoseconds: number;
}

export class SynproxyModel {
  readonly options: SynproxyModelOptions;
  readonly config: SynproxyConfig;
  private readonly connections = new Map<string, SynproxyConnection>();
  private readonly byRsTuple = new Map<string, SynproxyConnection>();
  private nextConnectionId = 1;
  private firstSynSeconds: number | null = null;
  private firstSynNanos = 0;
  private readonly rs: ModelledRealServer | null;
  private readonly loc: TcpLocation = newTcpLocation();
  private events: SynproxyEvent[] = [];
  private readonly fnatResult = new FnatResult();
  /** Connections with a saved RS SYN (the only ones the retry timer looks at). */
  private readonly waitingForRs = new Set<SynproxyConnection>();

  constructor(options: Partial<SynproxyModelOptions> & Pick<SynproxyModelOptions, 'secret' | 'localAddress' | 'realAddress'>) {
    this.options = {
      config: options.config ?? synproxyConfig(),
      secret: options.secret,
      minute: options.minute ?? 0,
      localAddress: options.localAddress,
      localPort: options.localPort ?? 5000,
      realAddress: options.realAddress,
      realPort: options.realPort ?? 8080,
      fnatIsn: options.fnatIsn ?? 0xa0000000,
      modelledRs: options.modelledRs ?? null,
      fnatOptions: options.fnatOptions ?? {},
      rsSynIpv4Id: options.rsSynIpv4Id ?? 0,
    };
    if (this.options.localAddress.length !== this.options.realAddress.length) {
      throw new RangeError('synproxy model: local and real-server addresses must be of the same family');
    }
    this.config = this.options.config;
    this.rs = this.options.modelledRs ? new ModelledRealServer(this.options.modelledRs) : null;
  }

  /** All connections, in creation order. */
  get connectionList(): SynproxyConnection[] {
    return [...this.connections.values()].sort((a, b) => a.id - b.id);
  }

  /** The minute counter at a capture time (minute at the first SYN, +1 per 60 s of capture time). */
  countAt(seconds: number, nanoseconds: number): number {
    if (this.firstSynSeconds === null) return this.options.minute >>> 0;
    const elapsed = (seconds - this.firstSynSeconds) * NANOS + (nanoseconds - this.firstSynNanos);
    return (this.options.minute + Math.floor(elapsed / (60 * NANOS))) >>> 0;
  }

  /** Fire RS-SYN retransmission timers due up to this time. */
  advance(seconds: number, nanoseconds: number): SynproxyEvent[] {
    this.events = [];
    this.runTimers(seconds + nanoseconds / NANOS);
    return this.events;
  }

  /** A client→VIP packet at buf[l3, l3+len) captured at (seconds, nanoseconds). buf is not modified. */
  clientPacket(buf: Uint8Array, l3: number, len: number, seconds: number, nanoseconds: number): SynproxyEvent[] {
    this.events = [];
    this.runTimers(seconds + nanoseconds / NANOS);
    this.onClient(buf, l3, len, seconds, nanoseconds);
    return this.events;
  }

  /** An RS→LIP packet at buf[l3, l3+len). buf is not modified. */
  serverPacket(buf: Uint8Array, l3: number, len: number, seconds: number, nanoseconds: number): SynproxyEvent[] {
    this.events = [];
    this.runTimers(seconds + nanoseconds / NANOS);
    this.onServer(buf, l3, len, seconds, nanoseconds);
    return this.events;
  }

  // ---------------------------------------------------------------- client side

  private onClient(buf: Uint8Array, l3: number, len: number, seconds: number, nanoseconds: number): void {
    const loc = locateTcp(buf, l3, len, this.loc);
    const flags = buf[loc.tcp + TCP.FLAGS]!;
    const key = clientKey(buf, loc);
    const conn = this.connections.get(key) ?? null;

    if ((flags & (TCP_FLAG.SYN | TCP_FLAG.ACK | TCP_FLAG.RST | TCP_FLAG.FIN)) === TCP_FLAG.SYN) {
      this.answerSyn(buf, loc, seconds, nanoseconds, conn);
      return;
    }
    const pureAck = (flags & (TCP_FLAG.ACK | TCP_FLAG.SYN | TCP_FLAG.RST | TCP_FLAG.FIN)) === TCP_FLAG.ACK;
    if (!conn) {
      if (!pureAck) {
        this.note(seconds, nanoseconds, 0, { kind: 'dropped', reason: 'no-connection' });
        return;
      }
      if (this.config.deferRsSyn && loc.payloadLength === 0) {
        this.note(seconds, nanoseconds, 0, { kind: 'null-ack-dropped' });
        return;
      }
      const check = this.check(buf, loc, seconds, nanoseconds);
      if (!check.valid) {
        this.sendBadCookieRst(buf, loc, seconds, nanoseconds, check, 0);
        return;
      }
      const created = this.createConnection(key, buf, loc, check);
      this.noteCookieOk(seconds, nanoseconds, created.id, check);
      this.store(created, buf, loc, seconds, nanoseconds);
      this.sendRsSyn(created, buf, loc, check, seconds, nanoseconds, 0);
      return;
    }

    if (conn.state === 'SYN_SENT') {
      if ((flags & TCP_FLAG.ACK) === 0) this.note(seconds, nanoseconds, conn.id, { kind: 'dropped', reason: 'no-ack-flag' });
      else if (conn.ackNumber <= this.config.maxAckSaved) this.store(conn, buf, loc, seconds, nanoseconds);
      else this.note(seconds, nanoseconds, conn.id, { kind: 'dropped', reason: 'store-full' });
      return;
    }

    const reusable = (conn.state === 'CLOSE' && this.config.reuseInClose) || (conn.state === 'TIME_WAIT' && this.config.reuseInTimeWait);
    if (reusable && pureAck && ((readU32(buf, loc.tcp + TCP.ACK) - 1) >>> 0) !== conn.cookie) {
      const check = this.check(buf, loc, seconds, nanoseconds);
      if (check.valid) {
        this.reuse(conn, buf, loc, check, seconds, nanoseconds);
        return;
      }
    }
    this.forwardInbound(conn, buf, loc.l3, loc.ipLength, seconds, nanoseconds, 0);
  }

  private answerSyn(buf: Uint8Array, loc: TcpLocation, seconds: number, nanoseconds: number, conn: SynproxyConnection | null): void {
    if (this.firstSynSeconds === null) {
      this.firstSynSeconds = seconds;
      this.firstSynNanos = nanoseconds;
    }
    const copy = buf.slice(loc.l3, loc.l3 + loc.ipLength);
    const count = this.countAt(seconds, nanoseconds);
    const result = buildSynAck(copy, 0, copy.length, {
      config: this.config,
      secret: this.options.secret,
      count,
      timestampValue: synproxyTimestampValue(seconds, nanoseconds),
    });
    const cookie = result.options.cookie;
    this.events.push({
      seconds,
      nanoseconds,
      leg: 'client-side',
      direction: 'to-client',
      packet: copy.subarray(0, result.length),
      connection: conn?.id ?? 0,
      decision: {
        kind: 'syn-ack',
        cookie: result.minted.cookie,
        data: result.minted.data,
        count,
        clientIsn: result.clientIsn,
        mss: tableMss(cookie.mssIndex),
        mssIndex: cookie.mssIndex,
        synAckMss: result.options.synAckMss,
        sackOk: cookie.sackOk,
        timestampOk: cookie.timestampOk,
        wscale: cookie.wscale,
        window: result.window,
        existingConnection: conn !== null,
      },
    });
  }

  private check(buf: Uint8Array, loc: TcpLocation, seconds: number, nanoseconds: number): CookieCheck {
    return checkCookie(
      {
        ...clientTuple(buf, loc),
        secret: this.options.secret,
        sequenceNumber: readU32(buf, loc.tcp + TCP.SEQ),
        acknowledgmentNumber: readU32(buf, loc.tcp + TCP.ACK),
      },
      this.countAt(seconds, nanoseconds),
    );
  }

  private noteCookieOk(seconds: number, nanoseconds: number, id: number, check: CookieCheck): void {
    this.note(seconds, nanoseconds, id, {
      kind: 'cookie-ok',
      cookie: check.cookie,
      data: check.data,
      diff: check.diff,
      mss: check.mss,
      sackOk: check.sackOk,
      timestampOk: check.timestampOk,
      wscale: check.wscale,
      wscaleOk: check.wscaleOk,
    });
  }

  private sendBadCookieRst(buf: Uint8Array, loc: TcpLocation, seconds: number, nanoseconds: number, check: CookieCheck, id: number): void {
    const copy = buf.slice(loc.l3, loc.l3 + loc.ipLength);
    const length = buildBadCookieRst(copy, 0, copy.length);
    this.events.push({
      seconds,
      nanoseconds,
      leg: 'client-side',
      direction: 'to-client',
      packet: copy.subarray(0, length),
      connection: id,
      decision: { kind: 'cookie-bad', cookie: check.cookie, reason: check.reason, diff: check.diff },
    });
  }

  private createConnection(key: string, buf: Uint8Array, loc: TcpLocation, check: CookieCheck): SynproxyConnection {
    const tuple = clientTuple(buf, loc);
    if (tuple.clientAddress.length !== this.options.localAddress.length) {
      throw new RangeError('synproxy model: client and local addresses must be of the same family (NAT64 is not modelled)');
    }
    const id = this.nextConnectionId++;
    const conn: SynproxyConnection = {
      id,
      fnat: createFnatConnection({
        client: tuple.clientAddress.slice(),
        clientPort: tuple.clientPort,
        vip: tuple.virtualAddress.slice(),
        vipPort: tuple.virtualPort,
        local: this.options.localAddress,
        localPort: (this.options.localPort + id - 1) & 0xffff,
        real: this.options.realAddress,
        realPort: this.options.realPort,
        fdataSeq: (check.cookie + 1) >>> 0,
        synproxy: true,
        wscaleVs: check.wscaleOk ? this.config.wscale : 0,
        ackStormThreshold: this.config.ackStormThresh,
      }),
      cookie: check.cookie,
      clientIsn: (readU32(buf, loc.tcp + TCP.SEQ) - 1) >>> 0,
      rsIsn: null,
      state: 'SYN_SENT',
      stored: [],
      ackNumber: 0,
      savedSyn: null,
      rsSynRetries: 0,
      rsSynSentAt: 0,
      clientFin: false,
      rsFin: false,
    };
    conn.fnat.fnatIsn = this.chooseF(conn);
    this.connections.set(key, conn);
    this.byRsTuple.set(rsKey(conn.fnat.realAddress, conn.fnat.realPort, conn.fnat.localAddress, conn.fnat.localPort), conn);
    return conn;
  }

  private store(conn: SynproxyConnection, buf: Uint8Array, loc: TcpLocation, seconds: number, nanoseconds: number): void {
    conn.stored.push({ packet: buf.slice(loc.l3, loc.l3 + loc.ipLength), seconds, nanoseconds });
    conn.ackNumber++;
    this.note(seconds, nanoseconds, conn.id, { kind: 'stored', number: conn.ackNumber });
  }

  /** A new F (tcp_in_init_seq takes it when the RS SYN passes the inbound handler). */
  private chooseF(conn: SynproxyConnection): number {
    const f = this.options.fnatIsn;
    return (typeof f === 'number' ? f : f(conn)) >>> 0;
  }

  /** fnatInbound on an owned copy (with the spare room the handler needs). */
  private inbound(conn: SynproxyConnection, buf: Uint8Array, l3: number, len: number): { packet: Uint8Array | null; result: FnatResult; standalone: Uint8Array | null } {
    const copy = new Uint8Array(len + FNAT_SPARE);
    copy.set(buf.subarray(l3, l3 + len), 0);
    const result = fnatInbound(conn.fnat, copy, 0, len, this.options.fnatOptions, this.fnatResult);
    const standalone = result.standaloneLength > 0 ? result.standalone.slice() : null;
    return { packet: result.status === 'ok' ? copy.subarray(0, result.newLength) : null, result, standalone };
  }

  /** fnatOutbound on an owned copy. */
  private outbound(conn: SynproxyConnection, buf: Uint8Array, l3: number, len: number): { packet: Uint8Array | null; result: FnatResult } {
    const copy = new Uint8Array(len + FNAT_SPARE);
    copy.set(buf.subarray(l3, l3 + len), 0);
    const result = fnatOutbound(conn.fnat, copy, 0, len, this.options.fnatOptions, this.fnatResult);
    return { packet: result.status === 'ok' ? copy.subarray(0, result.newLength) : null, result };
  }

  private sendRsSyn(conn: SynproxyConnection, buf: Uint8Array, loc: TcpLocation, check: CookieCheck, seconds: number, nanoseconds: number, retry: number): void {
    const syn = buildRsSyn(buf, loc.l3, loc.ipLength, check, synproxyTimestampValue(seconds, nanoseconds), this.options.rsSynIpv4Id);
    conn.savedSyn = this.config.rsSynMaxRetry > 0 ? syn : null;
    if (conn.savedSyn) this.waitingForRs.add(conn);
    conn.rsSynRetries = retry;
    conn.rsSynSentAt = seconds + nanoseconds / NANOS;
    this.transmitRsSyn(conn, syn, seconds, nanoseconds, retry);
  }

  private transmitRsSyn(conn: SynproxyConnection, syn: Uint8Array, seconds: number, nanoseconds: number, retry: number): void {
    const { packet, result } = this.inbound(conn, syn, 0, syn.length);
    if (!packet) {
      this.note(seconds, nanoseconds, conn.id, { kind: 'dropped', reason: 'fnat-failed', detail: result.status });
      return;
    }
    this.emit(seconds, nanoseconds, 'rs-side', 'to-rs', packet, conn.id, {
      kind: 'rs-syn',
      retry,
      fnatIsn: conn.fnat.fnatIsn,
      deltaF: conn.fnat.fnatDelta,
    });
  }

  private reuse(conn: SynproxyConnection, buf: Uint8Array, loc: TcpLocation, check: CookieCheck, seconds: number, nanoseconds: number): void {
    const previousCookie = conn.cookie;
    conn.stored = [];
    conn.ackNumber = 0;
    conn.cookie = check.cookie;
    conn.clientIsn = (readU32(buf, loc.tcp + TCP.SEQ) - 1) >>> 0;
    conn.fnat.fdataSeq = readU32(buf, loc.tcp + TCP.ACK);
    // F = 0 in DPVS: a new F is taken when the new RS SYN passes tcp_in_init_seq. Δs is kept.
    conn.fnat.fnatIsn = this.chooseF(conn);
    conn.fnat.fnatIsnSet = false;
    conn.state = 'SYN_SENT';
    conn.clientFin = false;
    conn.rsFin = false;
    conn.fnat.wscaleVs = check.wscaleOk ? this.config.wscale : 0;
    this.note(seconds, nanoseconds, conn.id, { kind: 'reuse', cookie: check.cookie, previousCookie });
    this.store(conn, buf, loc, seconds, nanoseconds);
    this.sendRsSyn(conn, buf, loc, check, seconds, nanoseconds, 0);
  }

  private forwardInbound(conn: SynproxyConnection, buf: Uint8Array, l3: number, len: number, seconds: number, nanoseconds: number, stored: number): void {
    const flags = buf[l3 + ipHeaderBytes(buf, l3) + TCP.FLAGS]!;
    const { packet, result, standalone } = this.inbound(conn, buf, l3, len);
    if (!packet) {
      this.note(seconds, nanoseconds, conn.id, { kind: 'dropped', reason: 'fnat-failed', detail: result.status });
      return;
    }
    const toa = result.toa;
    const toaError = result.toaError;
    const pruned = result.pruned;
    if (standalone) this.emit(seconds, nanoseconds, 'rs-side', 'to-rs', standalone, conn.id, { kind: 'standalone' });
    if (flags & TCP_FLAG.RST) conn.state = 'CLOSE';
    else if (flags & TCP_FLAG.FIN) {
      conn.clientFin = true;
      if (conn.state !== 'CLOSE') conn.state = conn.rsFin ? 'TIME_WAIT' : 'FIN_WAIT';
    }
    this.emit(seconds, nanoseconds, 'rs-side', 'to-rs', packet, conn.id, { kind: 'forward', toa, toaError, pruned, stored });
  }

  // ---------------------------------------------------------------- RS side

  private onServer(buf: Uint8Array, l3: number, len: number, seconds: number, nanoseconds: number): void {
    // A location of its own: the modelled RS can re-enter onServer while this one is in use.
    const loc = locateTcp(buf, l3, len, newTcpLocation());
    const src = loc.family === 4 ? loc.l3 + IPV4.SRC : loc.l3 + IPV6.SRC;
    const dst = loc.family === 4 ? loc.l3 + IPV4.DST : loc.l3 + IPV6.DST;
    const size = loc.family === 4 ? 4 : 16;
    const conn = this.byRsTuple.get(
      rsKey(buf.subarray(src, src + size), readU16(buf, loc.tcp + TCP.SRC_PORT), buf.subarray(dst, dst + size), readU16(buf, loc.tcp + TCP.DST_PORT)),
    );
    if (!conn) {
      this.note(seconds, nanoseconds, 0, { kind: 'dropped', reason: 'no-connection' });
      return;
    }
    const flags = buf[loc.tcp + TCP.FLAGS]!;
    if (conn.state === 'SYN_SENT' && (flags & TCP_FLAG.RST) !== 0) {
      const seq = readU32(buf, loc.tcp + TCP.SEQ);
      conn.fnat.synproxyDelta = (conn.cookie - seq) >>> 0;
      conn.state = 'CLOSE';
      conn.savedSyn = null;
      const copy = buf.slice(loc.l3, loc.l3 + loc.ipLength);
      writeU32(copy, loc.tcp - loc.l3 + TCP.SEQ, (seq + 1) >>> 0);
      this.sendOutbound(conn, copy, 0, copy.length, seconds, nanoseconds, { kind: 'rs-rst', deltaS: conn.fnat.synproxyDelta });
      return;
    }
    if (conn.state === 'SYN_SENT' && (flags & (TCP_FLAG.SYN | TCP_FLAG.ACK)) === (TCP_FLAG.SYN | TCP_FLAG.ACK)) {
      this.establish(conn, buf, loc, seconds, nanoseconds);
      return;
    }
    if (flags & TCP_FLAG.RST) conn.state = 'CLOSE';
    else if (flags & TCP_FLAG.FIN) {
      conn.rsFin = true;
      if (conn.state !== 'CLOSE') conn.state = conn.clientFin ? 'TIME_WAIT' : 'FIN_WAIT';
    }
    this.sendOutbound(conn, buf, loc.l3, loc.ipLength, seconds, nanoseconds, null);
  }

  /** fnatOutbound and emit toward the client; decision null = { kind: 'outbound', storm }. */
  private sendOutbound(conn: SynproxyConnection, buf: Uint8Array, l3: number, len: number, seconds: number, nanoseconds: number, decision: SynproxyDecision | null): void {
    const { packet, result } = this.outbound(conn, buf, l3, len);
    if (!packet) {
      this.note(seconds, nanoseconds, conn.id, { kind: 'dropped', reason: 'fnat-failed', detail: result.status });
      return;
    }
    this.emit(seconds, nanoseconds, 'client-side', 'to-client', packet, conn.id, decision ?? { kind: 'outbound', storm: result.ackStorm });
  }

  private establish(conn: SynproxyConnection, buf: Uint8Array, loc: TcpLocation, seconds: number, nanoseconds: number): void {
    let wscaleRs = 0;
    walkOptions(buf, loc, (kind, offset) => {
      if (kind === TCP_OPTION.WSCALE && buf[offset + 1] === 3) wscaleRs = buf[offset + 2]!;
    });
    if (wscaleRs > 14) wscaleRs = 0;
    const rsIsn = readU32(buf, loc.tcp + TCP.SEQ);
    conn.fnat.wscaleRs = wscaleRs;
    conn.rsIsn = rsIsn;
    conn.fnat.synproxyDelta = (conn.cookie - rsIsn) >>> 0;
    conn.state = 'ESTABLISHED';
    conn.savedSyn = null;
    this.note(seconds, nanoseconds, conn.id, { kind: 'rs-syn-ack-consumed', rsIsn, deltaS: conn.fnat.synproxyDelta, wscaleRs });
    if (this.config.closeClientWindow && !this.config.deferRsSyn && conn.stored.length === 1) {
      const update = buildWindowUpdate(buf, loc.l3, loc.ipLength);
      this.sendOutbound(conn, update, 0, update.length, seconds, nanoseconds, { kind: 'window-update' });
    }
    const stored = conn.stored;
    conn.stored = [];
    for (let i = 0; i < stored.length; i++) {
      const held = stored[i]!;
      this.forwardInbound(conn, held.packet, 0, held.packet.length, seconds, nanoseconds, i + 1);
    }
  }

  // ---------------------------------------------------------------- timers and the modelled RS

  private runTimers(now: number): void {
    if (this.waitingForRs.size === 0) return;
    for (const conn of [...this.waitingForRs].sort((a, b) => a.id - b.id)) {
      if (conn.state !== 'SYN_SENT' || conn.savedSyn === null) {
        this.waitingForRs.delete(conn);
        continue;
      }
      while (conn.state === 'SYN_SENT' && conn.savedSyn !== null && now >= conn.rsSynSentAt + this.config.synSentTimeout) {
        const due = conn.rsSynSentAt + this.config.synSentTimeout;
        const seconds = Math.floor(due);
        const nanoseconds = Math.round((due - seconds) * NANOS);
        if (conn.rsSynRetries >= this.config.rsSynMaxRetry) {
          conn.savedSyn = null;
          this.note(seconds, nanoseconds, conn.id, { kind: 'rs-syn-exhausted', retries: conn.rsSynRetries });
          break;
        }
        conn.rsSynRetries++;
        conn.rsSynSentAt = due;
        this.transmitRsSyn(conn, conn.savedSyn, seconds, nanoseconds, conn.rsSynRetries);
      }
    }
  }

  private note(seconds: number, nanoseconds: number, connection: number, decision: SynproxyDecision): void {
    this.events.push({ seconds, nanoseconds, leg: null, direction: null, packet: null, connection, decision });
  }

  private emit(
    seconds: number,
    nanoseconds: number,
    leg: SynproxyLeg,
    direction: SynproxyDirection,
    packet: Uint8Array,
    connection: number,
    decision: SynproxyDecision,
  ): void {
    this.events.push({ seconds, nanoseconds, leg, direction, packet, connection, decision });
    if (direction === 'to-rs' && this.rs) {
      const answers = this.rs.receive(packet, 0, packet.length);
      const delay = this.rs.options.delayMicros * 1000;
      const queue: TimedPacket[] = answers.map((answer) => ({ packet: answer, ...addNanos(seconds, nanoseconds, delay) }));
      for (const answer of queue) {
        this.events.push({ ...answer, leg: 'rs-side', direction: 'from-rs', connection, decision: { kind: 'rs-modelled' } });
        this.onServer(answer.packet, 0, answer.packet.length, answer.seconds, answer.nanoseconds);
      }
    }
  }
}

function addNanos(seconds: number, nanoseconds: number, add: number): { seconds: number; nanoseconds: number } {
  const total = nanoseconds + add;
  return { seconds: seconds + Math.floor(total / NANOS), nanoseconds: total % NANOS };
}

function tableMss(index: number): number {
  return MSS_TABLE[index] ?? 0;
}

function ipHeaderBytes(buf: Uint8Array, l3: number): number {
  return buf[l3]! >>> 4 === 4 ? (buf[l3]! & 0x0f) * 4 : IPV6.HEADER;
}

function clientKey(buf: Uint8Array, loc: TcpLocation): string {
  const size = loc.family === 4 ? 4 : 16;
  const src = loc.l3 + (loc.family === 4 ? IPV4.SRC : IPV6.SRC);
  const dst = loc.l3 + (loc.family === 4 ? IPV4.DST : IPV6.DST);
  return `${toHex(buf, src, src + size)}:${readU16(buf, loc.tcp + TCP.SRC_PORT)}>${toHex(buf, dst, dst + size)}:${readU16(buf, loc.tcp + TCP.DST_PORT)}`;
}

function rsKey(src: Uint8Array, sport: number, dst: Uint8Array, dport: number): string {
  return `${toHex(src)}:${sport}>${toHex(dst)}:${dport}`;
}
