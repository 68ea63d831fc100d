/**
 * spec/dpvs.md §11 test vectors TV-1..TV-14, TV-19, TV-22..TV-24 through the FNAT library.
 *
 * Inferred inputs (the spec does not state them; each was solved so that ALL stated outputs hold):
 * - IPv4 header of TV-1/2/3/19: DF set, TTL 64 (the only flags/TTL pair that gives the stated IP
 *   checksums with ID 0x1234); TV-19's 3rd ACK and data segment have ID 0x1235 / 0x1236
 *   (0x142e = 0x142f − 1 at the same length).
 * - TV-1/2/3/6/7 share an unstated (ports, seq, ack) in the test driver. Only their 16-bit word sum
 *   matters to the checksums; it was SOLVED from TV-1's TCP checksum as ports 5000→8080, seq 0,
 *   ack 0x2579 (the split is arbitrary). TV-2, TV-3, TV-6 and TV-7 then check that solution
 *   independently (their checksums are not used to solve anything).
 * - TV-3 payload: "ABCDEFGHIJ" (found by trying common fillers; it reproduces 0x3212), flags 0x10.
 * - TV-19: SYN window 64240 and options of TV-9; 3rd ACK window 502; data "ABCDE" with PSH|ACK;
 *   RS SYN-ACK = Linux: length 52, ID 0, DF, TTL 64, window 65160, options
 *   `02 04 05 b4 01 01 04 02 01 03 03 07` (solved from 0x4e85 and 0xd65a).
 */
import { describe, expect, it } from 'vitest';
import { readU32 } from '../../src/codec/bytes.js';
import { createFnatConnection, fnatInbound, fnatOutbound, FnatResult, type FnatConnectionInit } from '../../src/dpvs/fnat.js';
import { addr, buildPacket, checksumsOk, hex, ip, l4Of, tcp } from './dpvs-packets.js';

const L = '10.0.0.100';
const R = '10.0.0.2';
const C = '192.0.2.1';
const V = '198.51.100.10';
const SOLVED = { sport: 5000, dport: 8080, seq: 0, ack: 0x2579, window: 502 };

/** A connection whose translation is the identity for an L→R packet (the unit tests' "already translated"). */
function identityConn(extra: Partial<FnatConnectionInit> = {}) {
  return createFnatConnection({
    client: addr(C),
    clientPort: 40000,
    vip: addr(V),
    vipPort: 80,
    local: addr(L),
    localPort: 5000,
    real: addr(R),
    realPort: 8080,
    fnatIsn: 0,
    clientIsn: 0,
    fdataSeq: SOLVED.ack,
    ...extra,
  });
}

describe('TV-1..TV-8: TOA insertion (tcp_in_add_toa, prune, retry)', () => {
  it('TV-1: pure ACK, no options: length 40→48, doff 7, IP 0x142f, TCP 0xc494', () => {
    const { buf, len } = buildPacket({ src: L, dst: R, ...SOLVED, flags: 0x10, id: 0x1234 });
    const r = fnatInbound(identityConn(), buf, 0, len);
    expect(r.status).toBe('ok');
    expect(r.toa).toBe('inserted');
    expect(r.newLength).toBe(48);
    expect(ip.length(buf)).toBe(48);
    expect(ip.checksum(buf)).toBe(0x142f);
    expect(buf[20 + 12]).toBe(0x70);
    expect(tcp.options(buf)).toEqual(hex('fe 08 9c 40 c0 00 02 01'));
    expect(tcp.checksum(buf)).toBe(0xc494);
    expect(checksumsOk(buf, 0, r.newLength)).toBe(true);
  });

  it('TV-2: ACK with NOP NOP TS: doff 8→10, length 52→60, TOA first, IP 0x1423, TCP 0x8b7a', () => {
    const { buf, len } = buildPacket({ src: L, dst: R, ...SOLVED, id: 0x1234, options: hex('01 01 08 0a 00000001 00000002') });
    expect(len).toBe(52);
    const r = fnatInbound(identityConn(), buf, 0, len);
    expect(r.toa).toBe('inserted');
    expect(tcp.doff(buf)).toBe(40);
    expect(ip.length(buf)).toBe(60);
    expect(tcp.options(buf)).toEqual(hex('fe 08 9c 40 c0 00 02 01 01 01 08 0a 00 00 00 01 00 00 00 02'));
    expect(ip.checksum(buf)).toBe(0x1423);
    expect(tcp.checksum(buf)).toBe(0x8b7a);
  });

  it('TV-3: doff 15 → NOROOM, prune 28, retry OK: doff 10, length 70, IP 0x1419, TCP 0x3212', () => {
    const sack = hex('01 01 05 1a 00000010 00000020 00000030 00000040 00000050 00000060');
    const payload = Array.from(Buffer.from('ABCDEFGHIJ'));
    const { buf, len } = buildPacket({ src: L, dst: R, ...SOLVED, id: 0x1234, options: [...hex('01 01 08 0a 00000001 00000002'), ...sack], payload });
    expect(len).toBe(90);
    const r = fnatInbound(identityConn(), buf, 0, len);
    expect(r.toaFirstError).toBe('NOROOM');
    expect(r.pruned).toBe(28);
    expect(r.toa).toBe('inserted');
    expect(tcp.doff(buf)).toBe(40);
    expect(ip.length(buf)).toBe(70);
    expect(r.newLength).toBe(70);
    expect(tcp.options(buf)).toEqual(hex('fe 08 9c 40 c0 00 02 01 08 0a 00 00 00 01 00 00 00 02 00 00'));
    expect(tcp.payload(buf, r.newLength)).toEqual(payload);
    expect(ip.checksum(buf)).toBe(0x1419);
    expect(tcp.checksum(buf)).toBe(0x3212);
  });

  it('TV-4: 1496-byte packet with NOP NOP TS → FRAG, prune returns 0 but rewrites options; no TOA', () => {
    const payload = new Array(1496 - 20 - 32).fill(0x61);
    const { buf, len } = buildPacket({ src: L, dst: R, ...SOLVED, id: 0x1234, options: hex('01 01 08 0a 00000001 00000002'), payload });
    expect(len).toBe(1496);
    const r = fnatInbound(identityConn(), buf, 0, len, { mtu: 1500 });
    expect(r.toaFirstError).toBe('FRAG');
    expect(r.pruned).toBe(0);
    expect(r.toa).toBe('failed');
    expect(r.toaError).toBe('FRAG');
    expect(r.newLength).toBe(1496);
    expect(ip.length(buf)).toBe(1496);
    expect(tcp.doff(buf)).toBe(32);
    expect(tcp.options(buf)).toEqual(hex('08 0a 00 00 00 01 00 00 00 02 00 00'));
    expect(checksumsOk(buf, 0, r.newLength)).toBe(true); // still forwarded with valid checksums
  });

  it('TV-5: MTU boundary: 1492 → TOA, 1500; 1493 → FRAG, no change at all', () => {
    const a = buildPacket({ src: L, dst: R, ...SOLVED, payload: new Array(1492 - 40).fill(1) });
    const r1 = fnatInbound(identityConn(), a.buf, 0, a.len);
    expect(r1.toa).toBe('inserted');
    expect(r1.newLength).toBe(1500);
    const b = buildPacket({ src: L, dst: R, ...SOLVED, payload: new Array(1493 - 40).fill(1) });
    const before = b.buf.slice();
    const r2 = fnatInbound(identityConn(), b.buf, 0, b.len);
    expect(r2.toaFirstError).toBe('FRAG');
    expect(r2.pruned).toBe(0);
    expect(r2.newLength).toBe(1493);
    expect(b.buf).toEqual(before);
  });

  it('TV-6: IPv6 TOA: payload length 0x20→0x34, doff 8→13, 20-byte TOA first, TCP 0xa798', () => {
    const conn = createFnatConnection({
      client: addr('2001:db8::1'),
      clientPort: 40000,
      vip: addr('2001:db8::80'),
      vipPort: 80,
      local: addr('2001:db8:1::100'),
      localPort: 5000,
      real: addr('2001:db8:2::2'),
      realPort: 8080,
      fnatIsn: 0,
      clientIsn: 0,
      fdataSeq: SOLVED.ack,
    });
    const { buf, len } = buildPacket({ src: '2001:db8:1::100', dst: '2001:db8:2::2', ...SOLVED, options: hex('01 01 08 0a 00000001 00000002') });
    expect(buf[5]).toBe(0x20);
    const r = fnatInbound(conn, buf, 0, len);
    expect(r.toa).toBe('inserted');
    expect(buf[5]).toBe(0x34);
    expect(buf[40 + 12]).toBe(0xd0);
    expect(tcp.options(buf)).toEqual(hex('fe 14 9c 40 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 01 01 08 0a 00 00 00 01 00 00 00 02'));
    expect(tcp.checksum(buf)).toBe(0xa798);
  });

  it('TV-7: NAT64 TOA: IPv4 length 40→60, doff 10, 254/20, IP 0x2657 (ID 0, DF, TTL 64), TCP 0x28c4', () => {
    const conn = createFnatConnection({
      client: addr('2001:db8::1'),
      clientPort: 40000,
      vip: addr('2001:db8::80'),
      vipPort: 80,
      local: addr(L),
      localPort: 5000,
      real: addr(R),
      realPort: 8080,
      fnatIsn: 0,
      clientIsn: 0,
      fdataSeq: SOLVED.ack,
    });
    // client-leg IPv6 packet; 6to4 turns it into the IPv4 L→R packet (hop limit 64 → TTL 64)
    const { buf, len } = buildPacket({ src: '2001:db8::1', dst: '2001:db8::80', ...SOLVED, ttl: 64 });
    const r = fnatInbound(conn, buf, 0, len);
    expect(r.status).toBe('ok');
    expect(r.toa).toBe('inserted');
    expect(buf[0]).toBe(0x45);
    expect(ip.length(buf)).toBe(60);
    expect(tcp.doff(buf)).toBe(40);
    expect(tcp.options(buf)).toEqual(hex('fe 14 9c 40 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01'));
    expect(ip.checksum(buf)).toBe(0x2657);
    expect(tcp.checksum(buf)).toBe(0x28c4);
  });

  it('TV-8: an upstream TOA is removed by prune (12 bytes, no second pass); only the new TOA remains', () => {
    const old = hex('fe 08 1f 90 c6 33 64 07');
    const ts = hex('01 01 08 0a 00000001 00000002');
    const sack = hex('01 01 05 12 00000010 00000020 00000030 00000040');
    const { buf, len } = buildPacket({ src: L, dst: R, ...SOLVED, options: [...old, ...ts, ...sack] });
    const r = fnatInbound(identityConn(), buf, 0, len);
    expect(r.toaFirstError).toBe('NOROOM');
    expect(r.pruned).toBe(12);
    expect(r.toa).toBe('inserted');
    expect(tcp.doff(buf)).toBe(56);
    expect(tcp.options(buf)).toEqual([...hex('fe 08 9c 40 c0 00 02 01'), ...ts.slice(2), ...sack.slice(2)]);
    expect(checksumsOk(buf, 0, r.newLength)).toBe(true);
  });
});

describe('TV-9..TV-14: SYN timestamps, MSS, SACK, deltas, ACK storm, window', () => {
  it('TV-9: the first TS on a SYN becomes ten NOPs', () => {
    const conn = identityConn({ fnatIsn: 0xa0000000, clientIsn: undefined });
    const { buf, len } = buildPacket({ src: L, dst: R, sport: 5000, dport: 8080, seq: 0x11223344, flags: 0x02, options: hex('02 04 05 b4 04 02 08 0a 00 01 e2 40 00 00 00 00 01 03 03 07') });
    const r = fnatInbound(conn, buf, 0, len);
    expect(r.timestampRemoved).toBe(true);
    expect(tcp.options(buf)).toEqual(hex('02 04 05 b4 04 02 01 01 01 01 01 01 01 01 01 01 01 03 03 07'));
    expect(r.toa).toBe('not-eligible');
  });

  it('TV-10: RS SYN-ACK MSS 1460 → 1452 (IPv4 client), 1440 (IPv6 client / NAT64)', () => {
    const v4 = identityConn();
    const a = buildPacket({ src: R, dst: L, sport: 8080, dport: 5000, flags: 0x12, options: hex('02 04 05 b4 01 01 04 02') });
    fnatOutbound(v4, a.buf, 0, a.len);
    expect(tcp.options(a.buf).slice(0, 4)).toEqual(hex('02 04 05 ac'));
    const nat64 = createFnatConnection({ client: addr('2001:db8::1'), clientPort: 40000, vip: addr('2001:db8::80'), vipPort: 80, local: addr(L), localPort: 5000, real: addr(R), realPort: 8080 });
    const b = buildPacket({ src: R, dst: L, sport: 8080, dport: 5000, flags: 0x12, options: hex('02 04 05 b4 01 01 04 02') });
    const r = fnatOutbound(nat64, b.buf, 0, b.len);
    expect(r.status).toBe('ok');
    expect(b.buf[0]! >>> 4).toBe(6);
    expect(tcp.options(b.buf).slice(0, 4)).toEqual(hex('02 04 05 a0'));
    expect(checksumsOk(b.buf, 0, r.newLength)).toBe(true);
  });

  it('TV-11: outbound SACK: ack and first SACK edges −Δf; seq unchanged', () => {
    const conn = identityConn({ fnatIsn: 0x10000000, clientIsn: 0 });
    const { buf, len } = buildPacket({ src: R, dst: L, sport: 8080, dport: 5000, seq: 0x55667789, ack: 0x21223346, options: hex('01 01 05 0a 21223346 21224346') });
    fnatOutbound(conn, buf, 0, len);
    expect(tcp.seq(buf)).toBe(0x55667789);
    expect(tcp.ack(buf)).toBe(0x11223346);
    expect(tcp.options(buf)).toEqual(hex('01 01 05 0a 11223346 11224346'));
  });

  it('TV-12: synproxy deltas both ways', () => {
    const conn = identityConn({ fnatIsn: 0x10000000, clientIsn: 0, synproxyDelta: 0x01000000, fdataSeq: 1 });
    const out = buildPacket({ src: R, dst: L, sport: 8080, dport: 5000, seq: 0x55667789, ack: 0x21223346 });
    fnatOutbound(conn, out.buf, 0, out.len);
    expect(tcp.seq(out.buf)).toBe(0x56667789);
    expect(tcp.ack(out.buf)).toBe(0x11223346);
    const inb = buildPacket({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223346, ack: 0x5667789a, options: hex('01 01 05 0a 5667789a 5667889a') });
    fnatInbound(conn, inb.buf, 0, inb.len);
    expect(tcp.seq(inb.buf)).toBe(0x21223346);
    expect(tcp.ack(inb.buf)).toBe(0x5567789a);
    expect(tcp.options(inb.buf)).toEqual(hex('01 01 05 0a 5567789a 5567889a'));
  });

  it('TV-13: ACK storm: of 12 identical outbound ACKs, 1-10 are translated and 11, 12 leave raw', () => {
    const conn = identityConn({ fnatIsn: 0x10000000, clientIsn: 0, synproxyDelta: 0x01000000, synproxy: true });
    const result = new FnatResult();
    for (let i = 1; i <= 12; i++) {
      const { buf, len } = buildPacket({ src: R, dst: L, sport: 8080, dport: 5000, seq: 0x55667789, ack: 0x21223346 });
      fnatOutbound(conn, buf, 0, len, {}, result);
      if (i <= 10) {
        expect(result.ackStorm, `packet ${i}`).toBe(false);
        expect(tcp.seq(buf)).toBe(0x56667789);
        expect(tcp.ack(buf)).toBe(0x11223346);
      } else {
        expect(result.ackStorm, `packet ${i}`).toBe(true);
        expect(tcp.seq(buf)).toBe(0x55667789);
        expect(tcp.ack(buf)).toBe(0x21223346);
      }
      expect(checksumsOk(buf, 0, result.newLength)).toBe(true);
    }
  });

  it('TV-14: window scaling 1000: rs 7 / vs 9 → 250; rs 9 / vs 7 → 4000; cap 65535', () => {
    for (const [rs, vs, win, expected] of [
      [7, 9, 1000, 250],
      [9, 7, 1000, 4000],
      [9, 7, 60000, 65535],
    ] as const) {
      const conn = identityConn({ wscaleRs: rs, wscaleVs: vs });
      const { buf, len } = buildPacket({ src: R, dst: L, sport: 8080, dport: 5000, window: win });
      fnatOutbound(conn, buf, 0, len);
      expect(tcp.window(buf)).toBe(expected);
    }
  });
});

describe('TV-19: full FNAT flow (F = 0xA0000000, c_isn = 0x11223344, r_isn = 0x55667788)', () => {
  it('translates SYN, SYN-ACK, 3rd ACK, data, RS data and a later client ACK', () => {
    const conn = createFnatConnection({
      client: addr(C),
      clientPort: 40000,
      vip: addr(V),
      vipPort: 80,
      local: addr(L),
      localPort: 5000,
      real: addr(R),
      realPort: 8080,
      fnatIsn: 0xa0000000,
    });
    const result = new FnatResult();
    // SYN
    const syn = buildPacket({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223344, flags: 0x02, window: 64240, id: 0x1234, options: hex('02 04 05 b4 04 02 08 0a 00 01 e2 40 00 00 00 00 01 03 03 07') });
    fnatInbound(conn, syn.buf, 0, syn.len, {}, result);
    expect(conn.fnatDelta).toBe(0x8eddccbc);
    expect([tcp.sport(syn.buf), tcp.dport(syn.buf)]).toEqual([5000, 8080]);
    expect(tcp.seq(syn.buf)).toBe(0xa0000000);
    expect(tcp.options(syn.buf)).toEqual(hex('02 04 05 b4 04 02 01 01 01 01 01 01 01 01 01 01 01 03 03 07'));
    expect(ip.checksum(syn.buf)).toBe(0x1423);
    expect(tcp.checksum(syn.buf)).toBe(0x6896);
    expect(result.toa).toBe('not-eligible');
    // SYN-ACK
    const sa = buildPacket({ src: R, dst: L, sport: 8080, dport: 5000, seq: 0x55667788, ack: 0xa0000001, flags: 0x12, window: 65160, id: 0, options: hex('02 04 05 b4 01 01 04 02 01 03 03 07') });
    fnatOutbound(conn, sa.buf, 0, sa.len, {}, result);
    expect(Array.from(sa.buf.subarray(12, 20))).toEqual([...addr(V), ...addr(C)]);
    expect([tcp.sport(sa.buf), tcp.dport(sa.buf)]).toEqual([80, 40000]);
    expect(tcp.seq(sa.buf)).toBe(0x55667788);
    expect(tcp.ack(sa.buf)).toBe(0x11223345);
    expect(tcp.options(sa.buf).slice(2, 4)).toEqual([0x05, 0xac]);
    expect(ip.checksum(sa.buf)).toBe(0x4e85);
    expect(tcp.checksum(sa.buf)).toBe(0xd65a);
    expect(conn.fdataSeq).toBe(0x55667789);
    // 3rd ACK
    const a3 = buildPacket({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223345, ack: 0x55667789, flags: 0x10, window: 502, id: 0x1235 });
    fnatInbound(conn, a3.buf, 0, a3.len, {}, result);
    expect(result.toa).toBe('inserted');
    expect(result.newLength).toBe(48);
    expect(tcp.seq(a3.buf)).toBe(0xa0000001);
    expect(tcp.ack(a3.buf)).toBe(0x55667789);
    expect(tcp.options(a3.buf)).toEqual(hex('fe 08 9c 40 c0 00 02 01'));
    expect(ip.checksum(a3.buf)).toBe(0x142e);
    expect(tcp.checksum(a3.buf)).toBe(0x7d1c);
    // 5-byte data, ack unchanged: TOA again
    const d = buildPacket({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223345, ack: 0x55667789, flags: 0x18, window: 502, id: 0x1236, payload: Array.from(Buffer.from('ABCDE')) });
    fnatInbound(conn, d.buf, 0, d.len, {}, result);
    expect(result.toa).toBe('inserted');
    expect(result.newLength).toBe(53);
    expect(tcp.checksum(d.buf)).toBe(0xb388);
    // RS data
    const rd = buildPacket({ src: R, dst: L, sport: 8080, dport: 5000, seq: 0x55667789, ack: 0xa0000006, flags: 0x18, payload: [1, 2, 3] });
    fnatOutbound(conn, rd.buf, 0, rd.len, {}, result);
    expect(tcp.seq(rd.buf)).toBe(0x55667789);
    expect(tcp.ack(rd.buf)).toBe(0x1122334a);
    // client ACK of RS data: no TOA
    const ca = buildPacket({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x1122334a, ack: 0x5566778c, flags: 0x10 });
    fnatInbound(conn, ca.buf, 0, ca.len, {}, result);
    expect(result.toa).toBe('not-eligible');
    expect(tcp.seq(ca.buf)).toBe(0xa0000006);
    expect(tcp.options(ca.buf)).toEqual([]);
    expect(checksumsOk(ca.buf, 0, result.newLength)).toBe(true);
  });
});

describe('TV-22: UOA for UDP', () => {
  const udpConn = (mode: 'opp' | 'ipo') =>
    createFnatConnection({ client: addr(C), clientPort: 5353, vip: addr(V), vipPort: 53, local: addr(L), localPort: 5000, real: addr(R), realPort: 8080, uoaMode: mode });

  it('opp: protocol 248, length 44, shim+option, UDP lport→rport length 12 checksum 0', () => {
    const { buf, len } = buildPacket({ src: C, dst: V, sport: 5353, dport: 53, udp: true, payload: [1, 2, 3, 4] });
    expect(len).toBe(32);
    const r = fnatInbound(udpConn('opp'), buf, 0, len);
    expect(r.uoa).toBe('inserted');
    expect(buf[9]).toBe(248);
    expect(ip.length(buf)).toBe(44);
    expect(r.newLength).toBe(44);
    expect(Array.from(buf.subarray(20, 32))).toEqual(hex('10 11 00 0c 1f 08 14 e9 c0 00 02 01'));
    expect(Array.from(buf.subarray(32, 40))).toEqual(hex('13 88 1f 90 00 0c 00 00'));
    expect(Array.from(buf.subarray(40, 44))).toEqual([1, 2, 3, 4]);
    expect(Array.from(buf.subarray(12, 20))).toEqual([...addr(L), ...addr(R)]);
  });

  it('ipo: IHL 7 (0x47), length 40, protocol 17, option after the fixed header, valid UDP checksum', () => {
    const { buf, len } = buildPacket({ src: C, dst: V, sport: 5353, dport: 53, udp: true, payload: [1, 2, 3, 4] });
    const conn = udpConn('ipo');
    const r = fnatInbound(conn, buf, 0, len);
    expect(r.uoa).toBe('inserted');
    expect(buf[0]).toBe(0x47);
    expect(ip.length(buf)).toBe(40);
    expect(buf[9]).toBe(17);
    expect(Array.from(buf.subarray(20, 28))).toEqual(hex('1f 08 14 e9 c0 00 02 01'));
    expect(checksumsOk(buf, 0, r.newLength)).toBe(true);
    // only the first 3 packets carry UOA
    for (let i = 2; i <= 4; i++) {
      const p = buildPacket({ src: C, dst: V, sport: 5353, dport: 53, udp: true, payload: [i] });
      const ri = fnatInbound(conn, p.buf, 0, p.len);
      expect(ri.uoa).toBe(i <= 3 ? 'inserted' : 'none');
    }
  });
});

describe('TV-23: PROXY protocol', () => {
  const ppConn = (version: 1 | 2) =>
    createFnatConnection({
      client: addr(C),
      clientPort: 40000,
      vip: addr(V),
      vipPort: 80,
      local: addr(L),
      localPort: 5000,
      real: addr(R),
      realPort: 8080,
      fnatIsn: 0xa0000000,
      clientIsn: 0x11223344,
      fdataSeq: 0x55667789,
      proxyProtocol: version,
    });

  for (const [version, header] of [
    [2, hex('0d 0a 0d 0a 00 0d 0a 51 55 49 54 0a 21 11 00 0c c0 00 02 01 c6 33 64 0a 9c 40 00 50')],
    [1, Array.from(Buffer.from('PROXY TCP4 192.0.2.1 198.51.100.10 40000 80\r\n'))],
  ] as const) {
    it(`v${version}: header at payload start, first seq kept, later inbound seq and outbound ack shifted by ${header.length}`, () => {
      const conn = ppConn(version);
      const deltaBefore = conn.fnatDelta;
      const payload = Array.from(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
      // pure 3rd ACK: no PP, no TOA
      const a3 = buildPacket({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223345, ack: 0x55667789 });
      const r0 = fnatInbound(conn, a3.buf, 0, a3.len);
      expect(r0.proxyProtocol).toBe('none');
      expect(tcp.options(a3.buf)).toEqual([]);
      const d = buildPacket({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223345, ack: 0x55667789, flags: 0x18, payload });
      const r = fnatInbound(conn, d.buf, 0, d.len);
      expect(r.proxyProtocol).toBe('inserted');
      expect(r.newLength).toBe(d.len + header.length);
      expect(tcp.payload(d.buf, r.newLength)).toEqual([...header, ...payload]);
      expect(tcp.seq(d.buf)).toBe((0x11223345 + deltaBefore) >>> 0);
      expect(conn.fnatDelta).toBe((deltaBefore + header.length) >>> 0);
      expect(checksumsOk(d.buf, 0, r.newLength)).toBe(true);
      // retransmission of the first segment: no second header
      const again = buildPacket({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223345, ack: 0x55667789, flags: 0x18, payload });
      expect(fnatInbound(conn, again.buf, 0, again.len).proxyProtocol).toBe('none');
      // next client segment and an RS ack
      const next = buildPacket({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223345 + payload.length, ack: 0x55667789, flags: 0x10 });
      fnatInbound(conn, next.buf, 0, next.len);
      expect(tcp.seq(next.buf)).toBe((0x11223345 + payload.length + deltaBefore + header.length) >>> 0);
      const rs = buildPacket({ src: R, dst: L, sport: 8080, dport: 5000, seq: 0x55667789, ack: (0xa0000001 + header.length + payload.length) >>> 0 });
      fnatOutbound(conn, rs.buf, 0, rs.len);
      expect(tcp.ack(rs.buf)).toBe((0x11223345 + payload.length) >>> 0);
    });
  }
});

describe('TV-24: TOA condition matrix (fdata = r_isn + 1)', () => {
  const fdata = 0x55667789;
  const cases: Array<[string, number, number, boolean]> = [
    ['ACK', 0x10, fdata, true],
    ['PSH|ACK', 0x18, fdata, true],
    ['FIN|ACK', 0x11, fdata, true],
    ['RST|ACK', 0x14, fdata, false],
    ['SYN', 0x02, 0, false],
    ['ACK, ack = fdata + 100', 0x10, fdata + 100, false],
  ];
  for (const [name, flags, ack, inserted] of cases) {
    it(`${name}: ${inserted ? 'inserted' : 'not inserted'}`, () => {
      const conn = identityConn({ fnatIsn: 0xa0000000, clientIsn: 0x11223344, fdataSeq: fdata });
      const { buf, len } = buildPacket({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223345, ack, flags, payload: flags & 0x08 ? [0x41] : [] });
      const r = fnatInbound(conn, buf, 0, len);
      expect(r.toa === 'inserted').toBe(inserted);
      // Δf is already set, so even the SYN keeps it (retransmitted-SYN rule): seq + Δf
      expect(readU32(buf, l4Of(buf) + 4)).toBe(0xa0000001);
      expect(checksumsOk(buf, 0, r.newLength)).toBe(true);
    });
  }
});
