/** Property tests for the FNAT model: TOA insert/strip, checksums (full and incremental), inverses. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readU16 } from '../../src/codec/bytes.js';
import {
  createFnatConnection,
  fnatInbound,
  fnatInboundInverse,
  fnatOutbound,
  fnatOutboundInverse,
  FnatResult,
  type FnatConnection,
} from '../../src/dpvs/fnat.js';
import { PacketLayout, parseLayout } from '../../src/dpvs/l4fix.js';
import { addToa, removeOptionAt } from '../../src/dpvs/toa-insert.js';
import { addr, buildPacket, checksumsOk, l4Of } from './dpvs-packets.js';

/** One well-formed TCP option (never kind 254 so the inverse finds only the inserted TOA). */
const arbOption = fc.oneof(
  fc.constant([1]),
  fc.integer({ min: 0, max: 0xffff }).map((m) => [2, 4, m >>> 8, m & 0xff]),
  fc.integer({ min: 0, max: 14 }).map((s) => [3, 3, s]),
  fc.constant([4, 2]),
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => [8, 10, ...b]),
  fc.integer({ min: 1, max: 4 }).chain((n) => fc.uint8Array({ minLength: 8 * n, maxLength: 8 * n }).map((b) => [5, 2 + 8 * n, ...b])),
  fc.integer({ min: 0, max: 8 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => [200, 2 + n, ...b])),
);

/** Option list of at most `max` bytes, padded with NOPs (or a final EOL) to a multiple of 4. */
const arbOptions = (max: number) =>
  fc.tuple(fc.array(arbOption, { maxLength: 8 }), fc.boolean()).map(([list, eol]) => {
    const out: number[] = [];
    for (const o of list) if (out.length + o.length <= max) out.push(...o);
    while (out.length % 4 !== 0) out.push(eol ? 0 : 1);
    return out.length > max ? out.slice(0, 0) : out;
  });

interface Flow {
  v6: boolean;
  nat: boolean;
  options: number[];
  payload: Uint8Array;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  fnatIsn: number;
  clientIsn: number;
  synproxyDelta: number;
}

const arbFlow = (maxOptions: number) =>
  fc.record({
    v6: fc.boolean(),
    nat: fc.boolean(),
    options: arbOptions(maxOptions),
    payload: fc.uint8Array({ maxLength: 300 }),
    seq: fc.nat({ max: 0xffffffff }),
    ack: fc.nat({ max: 0xffffffff }),
    flags: fc.constantFrom(0x10, 0x18, 0x11, 0x19, 0x14, 0x04),
    window: fc.integer({ min: 0, max: 0xffff }),
    fnatIsn: fc.nat({ max: 0xffffffff }),
    clientIsn: fc.nat({ max: 0xffffffff }),
    synproxyDelta: fc.oneof(fc.constant(0), fc.nat({ max: 0xffffffff })),
  });

const C4 = '192.0.2.1';
const V4 = '198.51.100.10';
const C6 = '2001:db8::1';
const V6 = '2001:db8::80';

/** Connection for a flow: client family v4/v6; nat = NAT64 (v6 client, v4 RS) or, for v4, a v4 RS. */
function connFor(f: Flow, fdata: number): FnatConnection {
  const rsV4 = !f.v6 || f.nat;
  return createFnatConnection({
    client: addr(f.v6 ? C6 : C4),
    clientPort: 40000,
    vip: addr(f.v6 ? V6 : V4),
    vipPort: 80,
    local: addr(rsV4 ? '10.0.0.100' : '2001:db8:1::100'),
    localPort: 5000,
    real: addr(rsV4 ? '10.0.0.2' : '2001:db8:2::2'),
    realPort: 8080,
    fnatIsn: f.fnatIsn,
    clientIsn: f.clientIsn,
    synproxyDelta: f.synproxyDelta,
    fdataSeq: fdata,
  });
}

/** Client-leg packet C→V (IPv4 with ID 0, DF, TOS 0 so NAT64 round trips are exact; v6 class/flow 0). */
function clientPacket(f: Flow) {
  return buildPacket({
    src: f.v6 ? C6 : C4,
    dst: f.v6 ? V6 : V4,
    sport: 40000,
    dport: 80,
    seq: f.seq,
    ack: f.ack,
    flags: f.flags,
    window: f.window,
    options: f.options,
    payload: f.payload,
    id: 0,
    ttl: 61,
  });
}

describe('addToa then strip', () => {
  it('gives back the original bytes (IPv4/IPv6, random options and payload)', () => {
    fc.assert(
      fc.property(arbFlow(40), fc.constantFrom<'first' | 'last'>('first', 'last'), (f, placement) => {
        const { buf, len } = clientPacket(f);
        const original = buf.slice(0, len);
        const layout = new PacketLayout();
        expect(parseLayout(buf, 0, len, layout)).toBe('ok');
        const option = f.v6 ? Uint8Array.of(254, 20, 0x9c, 0x40, ...addr(C6)) : Uint8Array.of(254, 8, 0x9c, 0x40, ...addr(C4));
        const error = addToa(buf, layout, option, 65535, placement);
        if (error !== null) {
          expect(error).toBe('NOROOM');
          expect(buf.subarray(0, len)).toEqual(original);
          return;
        }
        expect(layout.captured).toBe(len + option.length);
        // find the inserted option: first at 20, or the last one written
        let at = l4Of(buf) + 20;
        if (placement === 'last') {
          const l4 = l4Of(buf);
          for (let i = l4 + 20; i < l4 + layout.l4HeaderLength; i++) if (buf[i] === 254 && buf[i + 1] === option[1]) at = i;
        }
        expect(Array.from(buf.subarray(at, at + option.length))).toEqual(Array.from(option));
        expect(removeOptionAt(buf, layout, at)).toBe(option.length);
        expect(layout.captured).toBe(len);
        expect(buf.subarray(0, len)).toEqual(original);
      }),
      { numRuns: 400 },
    );
  });
});

describe('checksums after rewrites', () => {
  it('full mode: inbound and outbound results always verify', () => {
    fc.assert(
      fc.property(arbFlow(40), fc.boolean(), (f, toaAck) => {
        const conn = connFor(f, toaAck ? f.ack : (f.ack + 1) >>> 0);
        const { buf, len } = clientPacket(f);
        const r = fnatInbound(conn, buf, 0, len, { mtu: 1500 }, new FnatResult());
        expect(r.status).toBe('ok');
        expect(checksumsOk(buf, 0, r.newLength)).toBe(true);
        // outbound: an RS packet for the same connection
        const rsV4 = !f.v6 || f.nat;
        const rs = buildPacket({ src: rsV4 ? '10.0.0.2' : '2001:db8:2::2', dst: rsV4 ? '10.0.0.100' : '2001:db8:1::100', sport: 8080, dport: 5000, seq: f.seq, ack: f.ack, flags: f.flags, options: f.options, payload: f.payload, window: f.window });
        const o = fnatOutbound(conn, rs.buf, 0, rs.len, {}, new FnatResult());
        expect(o.status).toBe('ok');
        expect(checksumsOk(rs.buf, 0, o.newLength)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('incremental mode on snaplen-cut packets equals a full recompute of the complete packet (TOA, prune, PROXY v1/v2, NAT64)', () => {
    fc.assert(
      fc.property(arbFlow(40), fc.integer({ min: 0, max: 300 }), fc.constantFrom<0 | 1 | 2>(0, 1, 2), fc.boolean(), (f, cut, pp, toaAck) => {
        const fdata = toaAck ? f.ack : (f.ack + 1) >>> 0;
        // PROXY needs seq == c_isn + 1 and a payload
        const flow = pp ? { ...f, seq: (f.clientIsn + 1) >>> 0, flags: 0x18, payload: f.payload.length ? f.payload : Uint8Array.of(7) } : f;
        const full = clientPacket(flow);
        const snap = clientPacket(flow);
        const headerLength = l4Of(full.buf) + 20 + flow.options.length;
        const captured = Math.min(full.len, headerLength + cut);
        fc.pre(captured < full.len);
        const connFull = connFor(flow, fdata);
        connFull.proxyProtocol = pp;
        const connSnap = connFor(flow, fdata);
        connSnap.proxyProtocol = pp;
        const a = fnatInbound(connFull, full.buf, 0, full.len, { mtu: 9000 }, new FnatResult());
        const b = fnatInbound(connSnap, snap.buf, 0, captured, { mtu: 9000 }, new FnatResult());
        expect(b.status).toBe('ok');
        expect(b.checksum.mode).toBe('incremental');
        expect(a.checksum.mode).toBe('full');
        expect(checksumsOk(full.buf, 0, a.newLength)).toBe(true);
        expect(b.newLength).toBe(captured + (a.newLength - full.len));
        // the cut result is exactly the prefix of the full result, checksums included
        expect(snap.buf.subarray(0, b.newLength)).toEqual(full.buf.subarray(0, b.newLength));
      }),
      { numRuns: 500 },
    );
  });
});

describe('inverses', () => {
  it('fnatInbound then fnatInboundInverse gives back the client packet (no prune, non-SYN)', () => {
    fc.assert(
      fc.property(arbFlow(40), fc.boolean(), (f, toaAck) => {
        const conn = connFor(f, toaAck ? f.ack : (f.ack + 1) >>> 0);
        const { buf, len } = clientPacket(f);
        const original = buf.slice(0, len);
        const r = fnatInbound(conn, buf, 0, len, { mtu: 9000 }, new FnatResult());
        fc.pre(r.pruned === 0 && r.toa !== 'failed');
        const back = fnatInboundInverse(conn, buf, 0, r.newLength, {}, new FnatResult());
        expect(back.status).toBe('ok');
        expect(back.carrierFound).toBe(r.toa === 'inserted');
        expect(back.newLength).toBe(len);
        expect(buf.subarray(0, len)).toEqual(original);
      }),
      { numRuns: 400 },
    );
  });

  it('fnatOutbound then fnatOutboundInverse gives back the RS packet (incl. SYN-ACK MSS and NAT46)', () => {
    fc.assert(
      fc.property(arbFlow(40), fc.boolean(), (f, synAck) => {
        const conn = connFor(f, 0);
        const rsV4 = !f.v6 || f.nat;
        const flags = synAck ? 0x12 : f.flags;
        const options = synAck ? [2, 4, 5, 0xb4, ...f.options.slice(0, 36)] : f.options;
        const rs = buildPacket({ src: rsV4 ? '10.0.0.2' : '2001:db8:2::2', dst: rsV4 ? '10.0.0.100' : '2001:db8:1::100', sport: 8080, dport: 5000, seq: f.seq, ack: f.ack, flags, options, payload: f.payload, window: f.window, id: 0, ttl: 60 });
        const original = rs.buf.slice(0, rs.len);
        const o = fnatOutbound(conn, rs.buf, 0, rs.len, {}, new FnatResult());
        expect(o.status).toBe('ok');
        const fdata = conn.fdataSeq;
        conn.fdataSeq = 0;
        const back = fnatOutboundInverse(conn, rs.buf, 0, o.newLength, {}, new FnatResult());
        expect(back.status).toBe('ok');
        expect(back.newLength).toBe(rs.len);
        expect(rs.buf.subarray(0, rs.len)).toEqual(original);
        if (synAck) expect(conn.fdataSeq).toBe(fdata); // the inverse learns fdata_seq as DPVS does
        expect(readU16(rs.buf, l4Of(rs.buf))).toBe(8080);
      }),
      { numRuns: 400 },
    );
  });
});
