/**
 * Per-connection records of a SYN-proxy replay (`--report`): the cookie and its decoded bits,
 * Δs and Δf, the outcome, rejected client ACKs and anomalies. One record per handshake attempt
 * (a client 4-tuple with one client ISN; connection reuse starts a new record).
 *
 * Numbers that are sequence-space values are printed as 0x-prefixed 8-digit hex strings; times
 * as "seconds.nanoseconds" strings of capture time.
 */
import type { SynproxyDecision } from '../dpvs/synproxy.js';
import { hex32, timeKey, timeText, type OptionFacts } from './packet.js';

export type ConnectionOutcome =
  | 'established'
  | 'bad-cookie'
  | 'rst-from-rs'
  | 'syn-retries-exhausted'
  | 'no-ack'
  | 'waiting-for-rs';

export type AnomalyKind =
  | 'window-stayed-zero'
  | 'options-reflected'
  | 'mss-lowered'
  | 'window-scaling-dropped'
  | 'timestamps-dropped'
  | 'ack-storm'
  | 'stored-packets-dropped';

export interface Anomaly {
  kind: AnomalyKind;
  detail: string;
}

export interface RejectedAck {
  time: string;
  seq: string;
  ack: string;
  reason: string;
}

export interface CookieReport {
  value: string;
  /** The minute counter the cookie was minted with. */
  count: number;
  /** The 24-bit data word (hex) and its bits. */
  data: string;
  mss: number;
  mssIndex: number;
  sackOk: boolean;
  timestampOk: boolean;
  wscale: number;
  /** MSS written in the SYN-ACK (null: the SYN had none). */
  synAckMss: number | null;
  synAckWindow: number;
}

export interface ConnectionReport {
  id: number;
  client: string;
  vip: string;
  /** DPVS local address:port and RS address:port of the rs-side leg (null before the RS SYN). */
  local: string | null;
  rs: string | null;
  firstSeen: string;
  clientIsn: string | null;
  cookie: CookieReport | null;
  /** The validated ACK: counter ticks since minting and whether window scaling survived. */
  cookieCheck: { diff: number; wscaleOk: boolean } | null;
  fnatIsn: string | null;
  rsIsn: string | null;
  deltaF: string | null;
  deltaS: string | null;
  outcome: ConnectionOutcome;
  rejectedAcks: RejectedAck[];
  stored: number;
  dropped: Record<string, number>;
  rsSynSent: number;
  windowUpdate: boolean;
  /** Seconds from the window-0 SYN-ACK to the first packet toward the client with a window > 0 (null: never, or not closed). */
  clientWindowZeroSeconds: number | null;
  toaInserted: number;
  toaFailed: number;
  /** Whether the first rs-side packet after the RS SYN (the stored ACK) carried a TOA; null when none was sent. */
  firstRsAckToa: boolean | null;
  ackStormPackets: number;
  anomalies: Anomaly[];
  packets: { clientSide: number; rsSide: number };
}

/** Working state behind one record (not printed). */
export interface ConnectionState {
  report: ConnectionReport;
  clientSyn: OptionFacts | null;
  synAck: OptionFacts | null;
  synAckPayload: number;
  rsSyn: OptionFacts | null;
  /** Capture time (ns key) of the window-0 SYN-ACK, null when it was not closed. */
  windowClosedAt: number | null;
  windowOpenedAt: number | null;
  seenFirstRsAck: boolean;
}

export class ReportBuilder {
  readonly connections: ConnectionState[] = [];

  open(client: string, vip: string, seconds: number, nanoseconds: number, clientIsn: number | null, clientSyn: OptionFacts | null): ConnectionState {
    const state: ConnectionState = {
      report: {
        id: this.connections.length + 1,
        client,
        vip,
        local: null,
        rs: null,
        firstSeen: timeText(seconds, nanoseconds),
        clientIsn: clientIsn === null ? null : hex32(clientIsn),
        cookie: null,
        cookieCheck: null,
        fnatIsn: null,
        rsIsn: null,
        deltaF: null,
        deltaS: null,
        outcome: 'no-ack',
        rejectedAcks: [],
        stored: 0,
        dropped: {},
        rsSynSent: 0,
        windowUpdate: false,
        clientWindowZeroSeconds: null,
        toaInserted: 0,
        toaFailed: 0,
        firstRsAckToa: null,
        ackStormPackets: 0,
        anomalies: [],
        packets: { clientSide: 0, rsSide: 0 },
      },
      clientSyn,
      synAck: null,
      synAckPayload: 0,
      rsSyn: null,
      windowClosedAt: null,
      windowOpenedAt: null,
      seenFirstRsAck: false,
    };
    this.connections.push(state);
    return state;
  }

  /** A model decision for this connection. `packetFacts` are the options of the packet sent with it, if any. */
  decision(
    state: ConnectionState,
    d: SynproxyDecision,
    seconds: number,
    nanoseconds: number,
    context: { packetFacts: OptionFacts | null; payloadLength: number; window: number | null; seq: number | null; ack: number | null; local: string | null; rs: string | null },
  ): void {
    const r = state.report;
    switch (d.kind) {
      case 'syn-ack':
        r.cookie = {
          value: hex32(d.cookie),
          count: d.count >>> 0,
          data: `0x${d.data.toString(16).padStart(6, '0')}`,
          mss: d.mss,
          mssIndex: d.mssIndex,
          sackOk: d.sackOk,
          timestampOk: d.timestampOk,
          wscale: d.wscale,
          synAckMss: d.synAckMss,
          synAckWindow: d.window,
        };
        if (r.clientIsn === null) r.clientIsn = hex32(d.clientIsn);
        state.synAck = context.packetFacts;
        state.synAckPayload = context.payloadLength;
        if (d.window === 0 && state.windowClosedAt === null) state.windowClosedAt = timeKey(seconds, nanoseconds);
        break;
      case 'cookie-ok':
        r.cookieCheck = { diff: d.diff, wscaleOk: d.wscaleOk };
        if (r.cookie === null) {
          r.cookie = {
            value: hex32(d.cookie),
            count: -1,
            data: `0x${d.data.toString(16).padStart(6, '0')}`,
            mss: d.mss,
            mssIndex: -1,
            sackOk: d.sackOk,
            timestampOk: d.timestampOk,
            wscale: d.wscale,
            synAckMss: null,
            synAckWindow: -1,
          };
        }
        r.outcome = 'waiting-for-rs';
        break;
      case 'cookie-bad':
        r.rejectedAcks.push({
          time: timeText(seconds, nanoseconds),
          seq: context.seq === null ? '' : hex32(context.seq),
          ack: context.ack === null ? '' : hex32(context.ack),
          reason: d.reason ?? 'invalid',
        });
        if (r.outcome === 'no-ack') r.outcome = 'bad-cookie';
        break;
      case 'null-ack-dropped':
        bump(r.dropped, 'null-ack (defer-rs-syn)');
        break;
      case 'stored':
        r.stored++;
        break;
      case 'dropped':
        bump(r.dropped, d.reason);
        break;
      case 'rs-syn':
        r.rsSynSent++;
        r.fnatIsn = hex32(d.fnatIsn);
        r.deltaF = hex32(d.deltaF);
        if (context.local) r.local = context.local;
        if (context.rs) r.rs = context.rs;
        state.rsSyn = context.packetFacts;
        break;
      case 'rs-syn-exhausted':
        r.outcome = 'syn-retries-exhausted';
        break;
      case 'rs-syn-ack-consumed':
        r.rsIsn = hex32(d.rsIsn);
        r.deltaS = hex32(d.deltaS);
        r.outcome = 'established';
        break;
      case 'window-update':
        r.windowUpdate = true;
        break;
      case 'forward':
        if (d.toa === 'inserted') r.toaInserted++;
        else if (d.toa === 'failed') r.toaFailed++;
        if (!state.seenFirstRsAck) {
          state.seenFirstRsAck = true;
          r.firstRsAckToa = d.toa === 'inserted';
        }
        break;
      case 'outbound':
        if (d.storm) r.ackStormPackets++;
        break;
      case 'rs-rst':
        r.deltaS = hex32(d.deltaS);
        r.outcome = 'rst-from-rs';
        break;
      case 'reuse':
      case 'standalone':
      case 'rs-modelled':
        break;
    }
    if (context.window !== null && context.window > 0 && state.windowClosedAt !== null && state.windowOpenedAt === null && d.kind !== 'syn-ack') {
      state.windowOpenedAt = timeKey(seconds, nanoseconds);
    }
  }

  /** Fill the derived fields and anomalies; returns the printable records. */
  finish(): ConnectionReport[] {
    return this.connections.map((state) => {
      const r = state.report;
      r.anomalies = [];
      if (state.windowClosedAt !== null) {
        if (state.windowOpenedAt === null) {
          r.clientWindowZeroSeconds = null;
          r.anomalies.push({ kind: 'window-stayed-zero', detail: 'the SYN-ACK advertised window 0 and no later packet toward the client opened it' });
        } else {
          r.clientWindowZeroSeconds = (state.windowOpenedAt - state.windowClosedAt) / 1e9;
        }
      }
      if (state.synAck && (state.synAck.otherKinds.length > 0 || state.synAckPayload > 0)) {
        const parts: string[] = [];
        if (state.synAck.otherKinds.length > 0) parts.push(`option kinds ${state.synAck.otherKinds.join(', ')} of the client SYN echoed in the SYN-ACK`);
        if (state.synAckPayload > 0) parts.push(`${state.synAckPayload} bytes of SYN payload echoed`);
        r.anomalies.push({ kind: 'options-reflected', detail: parts.join('; ') });
      }
      const clientMss = state.clientSyn?.mss ?? null;
      const synAckMss = state.synAck?.mss ?? null;
      const rsSynMss = state.rsSyn?.mss ?? null;
      if (clientMss !== null && ((synAckMss !== null && synAckMss < clientMss) || (rsSynMss !== null && rsSynMss < clientMss))) {
        r.anomalies.push({ kind: 'mss-lowered', detail: `client SYN ${clientMss}, SYN-ACK ${synAckMss ?? 'none'}, RS SYN ${rsSynMss ?? 'not sent'}` });
      }
      if (state.clientSyn?.wscale !== null && state.clientSyn?.wscale !== undefined) {
        const lost: string[] = [];
        if (state.synAck && state.synAck.wscale === null) lost.push('the SYN-ACK has no window scale');
        if (state.rsSyn && state.rsSyn.wscale === null) lost.push('the RS SYN has no window scale');
        if (lost.length > 0) r.anomalies.push({ kind: 'window-scaling-dropped', detail: `client offered ws ${state.clientSyn.wscale}; ${lost.join(', ')}` });
      }
      if (state.clientSyn?.timestamp && ((state.synAck && !state.synAck.timestamp) || (state.rsSyn && !state.rsSyn.timestamp))) {
        r.anomalies.push({ kind: 'timestamps-dropped', detail: `client offered timestamps; ${state.synAck && !state.synAck.timestamp ? 'the SYN-ACK' : 'the RS SYN'} carries none` });
      }
      if (r.ackStormPackets > 0) r.anomalies.push({ kind: 'ack-storm', detail: `${r.ackStormPackets} RS packets left untranslated (ack_storm_thresh reached)` });
      if ((r.dropped['store-full'] ?? 0) > 0) {
        r.anomalies.push({ kind: 'stored-packets-dropped', detail: `${r.dropped['store-full']} client packets dropped while waiting for the RS (max_ack_saved)` });
      }
      return r;
    });
  }
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
