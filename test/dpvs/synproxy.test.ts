import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultCookieSecret } from '../../src/dpvs/cookie.js';
import { synproxyConfig, type SynproxyConfig } from '../../src/dpvs/synproxy-config.js';
import { SynproxyModel, type SynproxyEvent } from '../../src/dpvs/synproxy.js';
import { bytesOf, expectValidPacket, hex, ip, parse, tcpPacket, type TcpSpec } from './synproxy-fixtures.js';

const COUNT = 0x12345678;
const T0 = 1_700_000_000;
const C = '192.0.2.1';
const V = '198.51.100.10';
const L = '10.0.0.100';
const R = '10.0.0.2';
const LINUX_SYN_OPTIONS = bytesOf('02 04 05 b4 04 02 08 0a 00 01 e2 40 00 00 00 00 01 03 03 07');
const K = 0x4eeb1b3f;

function model(config: Partial<SynproxyConfig> = {}, extra: Partial<ConstructorParameters<typeof SynproxyModel>[0]> = {}): SynproxyModel {
  return new SynproxyModel({
    config: synproxyConfig(config),
    secret: defaultCookieSecret(),
    minute: COUNT,
    localAddress: ip(L),
    localPort: 5000,
    realAddress: ip(R),
    realPort: 8080,
    fnatIsn: 0xa0000000,
    ...extra,
  });
}

function fromClient(m: SynproxyModel, spec: Partial<TcpSpec> & { flags: number; seq: number }, at = 0): SynproxyEvent[] {
  const packet = tcpPacket({ src: C, dst: V, sport: 40000, dport: 80, ...spec });
  const seconds = T0 + Math.floor(at);
  return m.clientPacket(packet, 0, packet.length, seconds, Math.round((at - Math.floor(at)) * 1e9));
}

function fromRs(m: SynproxyModel, spec: Partial<TcpSpec> & { flags: number; seq: number }, at = 0): SynproxyEvent[] {
  const packet = tcpPacket({ src: R, dst: L, sport: 8080, dport: 5000, ...spec });
  const seconds = T0 + Math.floor(at);
  return m.serverPacket(packet, 0, packet.length, seconds, Math.round((at - Math.floor(at)) * 1e9));
}

function kinds(events: SynproxyEvent[]): string[] {
  return events.map((e) => e.decision.kind);
}

function sent(events: SynproxyEvent[]): SynproxyEvent[] {
  const out = events.filter((e) => e.packet !== null);
  for (const e of out) expectValidPacket(e.packet!);
  return out;
}

/** SYN + cookie ACK (TOS 0xb8) of TV-20; returns the model and the events of each step. */
function handshake(config: Partial<SynproxyConfig> = { closeClientWindow: true }, extra: Partial<ConstructorParameters<typeof SynproxyModel>[0]> = {}) {
  const m = model(config, extra);
  const syn = fromClient(m, { flags: 0x02, seq: 0x11223344, id: 0x1234, options: LINUX_SYN_OPTIONS });
  const ack = fromClient(m, { flags: 0x10, seq: 0x11223345, ack: K + 1, tos: 0xb8, window: 502 }, 0.05);
  return { m, syn, ack };
}

const RS_SYN_ACK: Partial<TcpSpec> & { flags: number; seq: number } = {
  flags: 0x12,
  seq: 0x55667788,
  ack: 0xa0000001,
  id: 0x7777,
  window: 0xfe88,
  options: bytesOf('02 04 05 b4 01 01 04 02'),
};

describe('TV-20: full synproxy flow with the RS packets supplied', () => {
  it('P2 is the TV-20 SYN-ACK and the decision carries the cookie', () => {
    const { syn } = handshake();
    expect(kinds(syn)).toEqual(['syn-ack']);
    const p2 = syn[0]!;
    expect([p2.leg, p2.direction]).toEqual(['client-side', 'to-client']);
    expect(hex(p2.packet!.subarray(0, 40))).toBe(
      '45 00 00 3c 12 34 40 00 3f 06 3d 49 c6 33 64 0a c0 00 02 01 00 50 9c 40 4e eb 1b 3f 11 22 33 45 a0 12 00 00 15 a4 00 00',
    );
    expect(p2.decision).toMatchObject({ kind: 'syn-ack', cookie: K, data: 0x207000, count: COUNT, mss: 1452, sackOk: true, window: 0 });
  });

  it('P3 → cookie ok, stored #1, P4 RS SYN through FNAT (TOS 0x18, TTL 64, DF, seq F, win 5000)', () => {
    const { ack } = handshake();
    expect(kinds(ack)).toEqual(['cookie-ok', 'stored', 'rs-syn']);
    const rsSyn = sent(ack)[0]!;
    expect([rsSyn.leg, rsSyn.direction]).toEqual(['rs-side', 'to-rs']);
    const packet = rsSyn.packet!;
    expect(hex(packet.subarray(0, 2))).toBe('45 18');
    expect(hex(packet.subarray(6, 10))).toBe('40 00 40 06');
    const p = parse(packet);
    expect(p.src).toEqual(ip(L));
    expect(p.dst).toEqual(ip(R));
    expect([p.sport, p.dport, p.seq, p.ack, p.dataOffset, p.flags, p.window]).toEqual([5000, 8080, 0xa0000000, 0, 28, 0x02, 0x1388]);
    expect(hex(p.options)).toBe('02 04 05 ac 01 01 04 02');
    expect(rsSyn.decision).toMatchObject({ kind: 'rs-syn', retry: 0, fnatIsn: 0xa0000000, deltaF: (0xa0000000 - 0x11223344) >>> 0 });
  });

  it('P5 consumed (Δs = 0xf984a3b7), then P6a window update, then P6b stored ACK with TOA', () => {
    const { m } = handshake();
    const events = fromRs(m, RS_SYN_ACK, 0.06);
    expect(kinds(events)).toEqual(['rs-syn-ack-consumed', 'window-update', 'forward']);
    expect(events[0]!.decision).toMatchObject({ rsIsn: 0x55667788, deltaS: 0xf984a3b7 });
    const [update, p6b] = sent(events);
    const u = parse(update!.packet!);
    expect(update!.direction).toBe('to-client');
    expect(u.src).toEqual(ip(V));
    expect(u.dst).toEqual(ip(C));
    expect([u.sport, u.dport, u.seq, u.ack, u.flags, u.window, u.dataOffset]).toEqual([80, 40000, 0x4eeb1b40, 0x11223345, 0x10, 0xfe88, 20]);
    expect(hex(update!.packet!.subarray(0, 10))).toBe('45 00 00 28 77 77 40 00 40 06');
    const b = parse(p6b!.packet!);
    expect([b.seq, b.ack, b.flags]).toEqual([0xa0000001, 0x55667789, 0x10]);
    expect(hex(b.options)).toBe('fe 08 9c 40 c0 00 02 01');
    expect(p6b!.packet![1]).toBe(0xb8);
    expect(p6b!.decision).toMatchObject({ kind: 'forward', toa: 'inserted', stored: 1 });
  });

  it('P7/P8: RS data seq 55667789 → 4eeb1b40; client data keeps TOA while ack == K+1; acks of RS data lose it', () => {
    const { m } = handshake();
    fromRs(m, RS_SYN_ACK, 0.06);
    const request = sent(fromClient(m, { flags: 0x18, seq: 0x11223345, ack: K + 1, payload: new Uint8Array(5).fill(0x47) }, 0.07))[0]!;
    const q = parse(request.packet!);
    expect([q.seq, q.ack]).toEqual([0xa0000001, 0x55667789]);
    expect(hex(q.options)).toBe('fe 08 9c 40 c0 00 02 01');
    const response = sent(fromRs(m, { flags: 0x18, seq: 0x55667789, ack: 0xa0000006, payload: new Uint8Array(3).fill(0x48) }, 0.08))[0]!;
    const r = parse(response.packet!);
    expect([r.seq, r.ack]).toEqual([0x4eeb1b40, 0x1122334a]);
    expect(response.decision).toEqual({ kind: 'outbound', storm: false });
    const ackOfData = sent(fromClient(m, { flags: 0x10, seq: 0x1122334a, ack: 0x4eeb1b43 }, 0.09))[0]!;
    const a = parse(ackOfData.packet!);
    expect([a.seq, a.ack, a.dataOffset]).toEqual([0xa0000006, 0x5566778c, 20]);
    expect(ackOfData.decision).toMatchObject({ kind: 'forward', toa: 'not-eligible', stored: 0 });
  });

  it('TV-12 style SACK translation in both directions', () => {
    const { m } = handshake();
    fromRs(m, RS_SYN_ACK, 0.06);
    // client SACKs RS data K+1+10..K+1+20 → edges − Δs on the rs side
    const inbound = sent(fromClient(m, { flags: 0x10, seq: 0x11223345, ack: K + 1, options: bytesOf('01 01 05 0a 4e eb 1b 4a 4e eb 1b 54') }, 0.07))[0]!;
    expect(hex(parse(inbound.packet!).options.subarray(8))).toBe('01 01 05 0a 55 66 77 93 55 66 77 9d');
    const outbound = sent(fromRs(m, { flags: 0x10, seq: 0x55667789, ack: 0xa0000001, options: bytesOf('01 01 05 0a a0 00 00 10 a0 00 00 20') }, 0.08))[0]!;
    expect(hex(parse(outbound.packet!).options)).toBe('01 01 05 0a 11 22 33 54 11 22 33 64');
  });
});

describe('stored ACKs and max_ack_saved (off by one)', () => {
  it('holds max_ack_saved + 1 packets, drops the rest and packets without ACK; no window update when > 1 stored', () => {
    const { m, ack } = handshake();
    expect(kinds(ack)).toContain('stored');
    const decisions: string[] = [];
    for (let i = 0; i < 5; i++) {
      for (const e of fromClient(m, { flags: 0x18, seq: 0x11223345 + i, ack: K + 1, payload: Uint8Array.of(i) }, 0.1 + i / 100)) {
        decisions.push(e.decision.kind === 'stored' ? `stored#${e.decision.number}` : e.decision.kind === 'dropped' ? `dropped:${e.decision.reason}` : e.decision.kind);
      }
    }
    expect(decisions).toEqual(['stored#2', 'stored#3', 'stored#4', 'dropped:store-full', 'dropped:store-full']);
    expect(fromClient(m, { flags: 0x08, seq: 0x11223346, ack: K + 1 }, 0.2).map((e) => e.decision)).toEqual([{ kind: 'dropped', reason: 'no-ack-flag' }]);
    const released = fromRs(m, RS_SYN_ACK, 0.3);
    expect(kinds(released)).toEqual(['rs-syn-ack-consumed', 'forward', 'forward', 'forward', 'forward']);
    const forwarded = sent(released).map((e) => parse(e.packet!));
    expect(forwarded.map((p) => p.seq)).toEqual([0xa0000001, 0xa0000001, 0xa0000002, 0xa0000003]);
    expect(forwarded.every((p) => p.options[0] === 0xfe)).toBe(true);
    expect(released.filter((e) => e.decision.kind === 'forward').map((e) => (e.decision as { stored: number }).stored)).toEqual([1, 2, 3, 4]);
  });
});

describe('defer_rs_syn', () => {
  it('drops the pure ACK silently, starts on the first data ACK, echoes the SYN window and sends no window update', () => {
    const m = model({ deferRsSyn: true, closeClientWindow: true });
    const synAck = sent(fromClient(m, { flags: 0x02, seq: 0x11223344, options: LINUX_SYN_OPTIONS, window: 29200 }))[0]!;
    expect(parse(synAck.packet!).window).toBe(29200);
    expect(kinds(fromClient(m, { flags: 0x10, seq: 0x11223345, ack: K + 1 }, 0.05))).toEqual(['null-ack-dropped']);
    expect(kinds(fromClient(m, { flags: 0x18, seq: 0x11223345, ack: K + 1, payload: new Uint8Array(4) }, 0.06))).toEqual(['cookie-ok', 'stored', 'rs-syn']);
    expect(kinds(fromRs(m, RS_SYN_ACK, 0.07))).toEqual(['rs-syn-ack-consumed', 'forward']);
  });
});

describe('bad cookies (TV-21) and cookie age', () => {
  it('a wrong ack gets the TV-21 RST', () => {
    const m = model();
    const events = fromClient(m, { flags: 0x10, seq: 0x11223345, ack: 0xdeadbeef, window: 502 });
    expect(kinds(events)).toEqual(['cookie-bad']);
    const p = parse(events[0]!.packet!);
    expect([p.seq, p.ack, p.flags, p.window]).toEqual([0xdeadbeef, 0x11223345, 0x14, 0]);
    expect(events[0]!.packet![8]).toBe(63);
  });
  it('the counter follows capture time: ok 239 s after the SYN (diff 3), expired at 240 s (diff 4)', () => {
    const early = model();
    fromClient(early, { flags: 0x02, seq: 0x11223344, options: LINUX_SYN_OPTIONS });
    const ok = fromClient(early, { flags: 0x10, seq: 0x11223345, ack: K + 1 }, 239.999);
    expect(ok[0]!.decision).toMatchObject({ kind: 'cookie-ok', diff: 3 });
    const late = model();
    fromClient(late, { flags: 0x02, seq: 0x11223344, options: LINUX_SYN_OPTIONS });
    const bad = fromClient(late, { flags: 0x10, seq: 0x11223345, ack: K + 1 }, 240);
    expect(bad[0]!.decision).toMatchObject({ kind: 'cookie-bad', reason: 'expired', diff: 4 });
  });
});

describe('RS RST in SYN_SENT', () => {
  it('is forwarded with seq K+1 and ack c_isn+1; the connection closes', () => {
    const { m } = handshake();
    const events = fromRs(m, { flags: 0x14, seq: 0x33333333, ack: 0xa0000001, window: 0 }, 0.1);
    expect(kinds(events)).toEqual(['rs-rst']);
    const p = parse(events[0]!.packet!);
    expect([p.seq, p.ack, p.flags]).toEqual([K + 1, 0x11223345, 0x14]);
    expect(events[0]!.decision).toEqual({ kind: 'rs-rst', deltaS: (K - 0x33333333) >>> 0 });
    expect(m.connectionList[0]!.state).toBe('CLOSE');
  });
});

describe('connection reuse', () => {
  it('a new valid cookie ACK on a CLOSE connection stores it, takes a new F and sends a new RS SYN; Δs kept until the new SYN-ACK', () => {
    let next = 0xa0000000;
    const { m } = handshake({ closeClientWindow: true }, { fnatIsn: () => (next += 0x01000000) });
    fromRs(m, RS_SYN_ACK, 0.06);
    fromClient(m, { flags: 0x14, seq: 0x11223345, ack: K + 1 }, 0.1);
    const conn = m.connectionList[0]!;
    expect(conn.state).toBe('CLOSE');
    const deltaS = conn.fnat.synproxyDelta;
    const synAgain = fromClient(m, { flags: 0x02, seq: 0x77777777, options: LINUX_SYN_OPTIONS }, 1);
    expect(synAgain[0]!.decision).toMatchObject({ kind: 'syn-ack', existingConnection: true });
    const newK = (synAgain[0]!.decision as { cookie: number }).cookie;
    const events = fromClient(m, { flags: 0x10, seq: 0x77777778, ack: newK + 1 }, 1.05);
    expect(kinds(events)).toEqual(['reuse', 'stored', 'rs-syn']);
    const syn = parse(sent(events)[0]!.packet!);
    expect(syn.seq).toBe(0xa2000000);
    expect(conn.state).toBe('SYN_SENT');
    expect(conn.fnat.synproxyDelta).toBe(deltaS);
    expect(conn.fnat.fdataSeq).toBe((newK + 1) >>> 0);
    const done = fromRs(m, { ...RS_SYN_ACK, seq: 0x12121212, ack: 0xa2000001 }, 1.1);
    expect(kinds(done)).toEqual(['rs-syn-ack-consumed', 'window-update', 'forward']);
    expect(conn.fnat.synproxyDelta).toBe((newK - 0x12121212) >>> 0);
    const forwarded = parse(sent(done)[1]!.packet!);
    expect([forwarded.seq, forwarded.ack]).toEqual([0xa2000001, 0x12121213]);
  });
  it('quirk found by the property test: the final ACK in TIME_WAIT passes the cookie check when request and response lengths are equal', () => {
    const { m } = handshake();
    fromRs(m, RS_SYN_ACK, 0.06);
    fromClient(m, { flags: 0x18, seq: 0x11223345, ack: K + 1, payload: new Uint8Array(7) }, 0.07);
    fromRs(m, { flags: 0x18, seq: 0x55667789, ack: 0xa0000008, payload: new Uint8Array(7) }, 0.08);
    fromClient(m, { flags: 0x11, seq: 0x1122334c, ack: K + 8 }, 0.09);
    fromRs(m, { flags: 0x11, seq: 0x55667790, ack: 0xa0000009 }, 0.1);
    expect(m.connectionList[0]!.state).toBe('TIME_WAIT');
    // seq and ack both advanced by 8, so ack − 1 − (seq − 1) still equals K − c_isn
    expect(kinds(fromClient(m, { flags: 0x10, seq: 0x1122334d, ack: K + 9 }, 0.11))).toEqual(['reuse', 'stored', 'rs-syn']);
  });
  it('… and is forwarded normally when the lengths differ', () => {
    const { m } = handshake();
    fromRs(m, RS_SYN_ACK, 0.06);
    fromClient(m, { flags: 0x18, seq: 0x11223345, ack: K + 1, payload: new Uint8Array(7) }, 0.07);
    fromRs(m, { flags: 0x18, seq: 0x55667789, ack: 0xa0000008, payload: new Uint8Array(6) }, 0.08);
    fromClient(m, { flags: 0x11, seq: 0x1122334c, ack: K + 7 }, 0.09);
    fromRs(m, { flags: 0x11, seq: 0x5566778f, ack: 0xa0000009 }, 0.1);
    expect(kinds(fromClient(m, { flags: 0x10, seq: 0x1122334d, ack: K + 8 }, 0.11))).toEqual(['forward']);
  });
  it('a failing cookie on a CLOSE connection is forwarded without an RST', () => {
    const { m } = handshake();
    fromRs(m, RS_SYN_ACK, 0.06);
    fromClient(m, { flags: 0x14, seq: 0x11223345, ack: K + 1 }, 0.1);
    expect(kinds(fromClient(m, { flags: 0x10, seq: 0x1, ack: 0x12345 }, 0.2))).toEqual(['forward']);
  });
});

describe('TV-13 ACK storm', () => {
  it('the 11th and 12th identical outbound ACKs leave untranslated', () => {
    const { m } = handshake();
    fromRs(m, RS_SYN_ACK, 0.06);
    const results = [];
    for (let i = 0; i < 12; i++) results.push(sent(fromRs(m, { flags: 0x10, seq: 0x55667789, ack: 0x21223346 }, 0.1 + i / 1000))[0]!);
    expect(results.map((e) => (e.decision as { storm: boolean }).storm)).toEqual([...Array(10).fill(false), true, true]);
    const raw = parse(results[11]!.packet!);
    expect([raw.seq, raw.ack]).toEqual([0x55667789, 0x21223346]);
    const translated = parse(results[9]!.packet!);
    expect([translated.seq, translated.ack]).toEqual([0x4eeb1b40, (0x21223346 - ((0xa0000000 - 0x11223344) >>> 0)) >>> 0]);
  });
});

describe('RS SYN retransmission', () => {
  it('re-sends the same SYN (same F) every syn_sent timeout, rs_syn_max_retry times, then gives up', () => {
    const { m, ack } = handshake();
    const first = sent(ack)[0]!.packet!;
    const retries = m.advance(T0 + 20, 0);
    expect(kinds(retries)).toEqual(['rs-syn', 'rs-syn', 'rs-syn', 'rs-syn-exhausted']);
    expect(retries.slice(0, 3).map((e) => (e.decision as { retry: number }).retry)).toEqual([1, 2, 3]);
    expect(retries.slice(0, 3).map((e) => e.seconds + e.nanoseconds / 1e9)).toEqual([T0 + 3.05, T0 + 6.05, T0 + 9.05].map((t) => expect.closeTo(t, 6)));
    for (const e of retries.slice(0, 3)) expect(hex(e.packet!)).toBe(hex(first));
  });
});

describe('window scaling (TV-14 through the model)', () => {
  it('wscale 7 configured, client WS 8, RS WS 9: RS window 1000 reaches the client as 4000', () => {
    const m = model({ wscale: 7 });
    const options = bytesOf('02 04 05 b4 04 02 01 01 01 03 03 08');
    const synAck = fromClient(m, { flags: 0x02, seq: 0x11223344, options });
    const cookie = (synAck[0]!.decision as { cookie: number }).cookie;
    const ack = fromClient(m, { flags: 0x10, seq: 0x11223345, ack: cookie + 1 }, 0.01);
    expect(hex(parse(sent(ack)[0]!.packet!).options)).toBe('02 04 05 ac 01 01 04 02 01 03 03 08');
    fromRs(m, { ...RS_SYN_ACK, options: bytesOf('02 04 05 b4 01 01 04 02 01 03 03 09') }, 0.02);
    const data = sent(fromRs(m, { flags: 0x10, seq: 0x55667789, ack: 0xa0000001, window: 1000 }, 0.03))[0]!;
    expect(parse(data.packet!).window).toBe(4000);
  });
});

describe('whole modelled connections (property)', () => {
  const v4Pair = fc.constant({ client: C, vip: V, local: L, real: R });
  const v6Pair = fc.constant({ client: '2001:db8::1', vip: '2001:db8::80', local: '2001:db8:1::100', real: '2001:db8:2::2' });
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const optionSet = fc.record({
    mss: fc.option(fc.integer({ min: 0, max: 9000 }), { nil: null }),
    sack: fc.boolean(),
    timestamp: fc.boolean(),
    wscale: fc.option(fc.integer({ min: 0, max: 15 }), { nil: null }),
  });

  function synOptions(o: { mss: number | null; sack: boolean; timestamp: boolean; wscale: number | null }): number[] {
    const out: number[] = [];
    if (o.mss !== null) out.push(2, 4, o.mss >> 8, o.mss & 0xff);
    if (o.sack) out.push(1, 1, 4, 2);
    if (o.timestamp) out.push(1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0);
    if (o.wscale !== null) out.push(1, 3, 3, o.wscale);
    return out;
  }

  it('rs-side seq = client seq + Δf, rs-side ack = client ack − Δs, client sees K-space acks, all checksums valid', () => {
    fc.assert(
      fc.property(
        fc.oneof(v4Pair, v6Pair),
        fc.integer({ min: 1024, max: 65535 }),
        u32,
        u32,
        u32,
        optionSet,
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 300 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 14 }),
        (addresses, clientPort, clientIsn, fnatIsn, rsIsn, options, requestLength, responseLength, closeClientWindow, wscale) => {
          const m = new SynproxyModel({
            config: synproxyConfig({ closeClientWindow, wscale }),
            secret: defaultCookieSecret(),
            minute: COUNT,
            localAddress: ip(addresses.local),
            realAddress: ip(addresses.real),
            fnatIsn,
            modelledRs: { isn: rsIsn, response: new Uint8Array(responseLength).fill(0x52), delayMicros: 50 },
          });
          const emitted: SynproxyEvent[] = [];
          let clock = 0;
          const client = (spec: Partial<TcpSpec> & { flags: number; seq: number }) => {
            clock += 0.01;
            const packet = tcpPacket({ src: addresses.client, dst: addresses.vip, sport: clientPort, dport: 80, ...spec });
            const events = m.clientPacket(packet, 0, packet.length, T0 + Math.floor(clock), Math.round((clock % 1) * 1e9));
            emitted.push(...events);
            return { packet, events };
          };
          const synEvents = client({ flags: 0x02, seq: clientIsn, options: synOptions(options) }).events;
          const cookie = (synEvents[0]!.decision as { cookie: number }).cookie;
          const isn1 = (clientIsn + 1) >>> 0;
          const ackSpace = (cookie + 1) >>> 0;
          const inputs: Array<{ packet: Uint8Array; events: SynproxyEvent[] }> = [];
          inputs.push(client({ flags: 0x10, seq: isn1, ack: ackSpace }));
          const request = new Uint8Array(requestLength).fill(0x51);
          inputs.push(client({ flags: 0x18, seq: isn1, ack: ackSpace, payload: request }));
          const afterRequest = (isn1 + requestLength) >>> 0;
          const afterResponse = (ackSpace + responseLength) >>> 0;
          inputs.push(client({ flags: 0x11, seq: afterRequest, ack: afterResponse }));

          const conn = m.connectionList[0]!;
          const deltaF = (fnatIsn - clientIsn) >>> 0;
          const deltaS = (cookie - rsIsn) >>> 0;
          expect(conn.fnat.fnatDelta).toBe(deltaF);
          expect(conn.fnat.synproxyDelta).toBe(deltaS);
          expect(conn.state).toBe('TIME_WAIT');

          // The last ACK in TIME_WAIT goes through the reuse check. Its seq and ack have both moved
          // on by (request + 1) and (response + 1), so t = ack − 1 − H0 − (seq − 1) is the
          // original cookie's exactly when request == response: the model then reuses the connection.
          const last = client({ flags: 0x10, seq: (afterRequest + 1) >>> 0, ack: (afterResponse + 1) >>> 0 });
          if (requestLength === responseLength) {
            expect(last.events[0]!.decision.kind).toBe('reuse');
          } else {
            expect(kinds(last.events)).toEqual(['forward']);
            inputs.push(last);
          }

          for (const e of emitted) if (e.packet) expectValidPacket(e.packet);
          const reuseAt = emitted.findIndex((e) => e.decision.kind === 'reuse');
          const firstLife = reuseAt < 0 ? emitted : emitted.slice(0, reuseAt);
          // every client packet forwarded to the RS: seq + Δf, ack − Δs, TOA exactly while ack == K + 1
          const forwards = firstLife.filter((e) => e.decision.kind === 'forward');
          expect(forwards.length).toBe(inputs.length);
          const clientInputs = inputs.map((i) => parse(i.packet));
          forwards.forEach((e, index) => {
            const rs = parse(e.packet!);
            const original = clientInputs[index]!;
            expect(rs.seq).toBe((original.seq + deltaF) >>> 0);
            expect(rs.ack).toBe((original.ack - deltaS) >>> 0);
            expect(rs.src).toEqual(ip(addresses.local));
            expect(rs.dst).toEqual(ip(addresses.real));
            expect(Array.from(rs.payload)).toEqual(Array.from(original.payload));
            const toa = original.ack === ackSpace;
            expect(rs.options[0] === 0xfe).toBe(toa);
          });
          // RS → client: seq + Δs, ack − Δf; the client sees its own sequence space acknowledged
          const modelled = firstLife.filter((e) => e.direction === 'from-rs').map((e) => parse(e.packet!));
          const toClient = firstLife.filter((e) => e.decision.kind === 'outbound').map((e) => parse(e.packet!));
          expect(toClient.length).toBe(modelled.length - 1); // the RS SYN-ACK is consumed
          toClient.forEach((p, index) => {
            const rs = modelled[index + 1]!;
            expect(p.seq).toBe((rs.seq + deltaS) >>> 0);
            expect(p.ack).toBe((rs.ack - deltaF) >>> 0);
            expect(p.src).toEqual(ip(addresses.vip));
            expect(p.dst).toEqual(ip(addresses.client));
          });
          const lastToClient = toClient[toClient.length - 1]!;
          expect(lastToClient.ack).toBe((afterRequest + 1) >>> 0);
          expect(lastToClient.flags & 0x01).toBe(1);
          expect(lastToClient.seq).toBe(afterResponse);
          if (responseLength > 0) {
            const dataPacket = toClient.find((p) => p.payload.length > 0)!;
            expect(dataPacket.seq).toBe(ackSpace);
            expect(dataPacket.ack).toBe(afterRequest);
          }
          const windowUpdates = firstLife.filter((e) => e.decision.kind === 'window-update');
          expect(windowUpdates.length).toBe(closeClientWindow ? 1 : 0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('timestamps through the model', () => {
  it('the SYN-ACK TSval is (capture seconds mod 100)·10^6 + microseconds, TSecr the client TSval', () => {
    const m = model({ timestamp: true });
    const packet = tcpPacket({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223344, flags: 0x02, options: LINUX_SYN_OPTIONS });
    const events = m.clientPacket(packet, 0, packet.length, 1_700_000_042, 987_654_321);
    const options = parse(events[0]!.packet!).options;
    // 42 s, 987654 µs → 42987654 = 0x028ff086
    expect(hex(options.subarray(6, 16))).toBe('08 0a 02 8f f0 86 00 01 e2 40');
    expect(42_987_654).toBe(0x028ff086);
  });
});

describe('bad input', () => {
  it('arbitrary bytes raise only CodecErrors from the model', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 90 }), fc.boolean(), fc.boolean(), (raw, v6, server) => {
        if (raw.length > 0) raw[0] = (raw[0]! & 0x0f) | (v6 ? 0x60 : 0x40);
        const m = model({}, { modelledRs: {} });
        try {
          if (server) m.serverPacket(raw, 0, raw.length, T0, 0);
          else m.clientPacket(raw, 0, raw.length, T0, 0);
        } catch (error) {
          expect((error as { name?: string }).name).toMatch(/TruncatedError|MalformedError/);
        }
      }),
      { numRuns: 500 },
    );
  });
});
