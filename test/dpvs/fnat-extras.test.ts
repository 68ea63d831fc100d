/** UOA standalone / IPv6 opp, legacy TOA policy, expiry RSTs, untouched statuses. */
import { describe, expect, it } from 'vitest';
import { readU16 } from '../../src/codec/bytes.js';
import { createFnatConnection, fnatInbound, buildExpiryRst, FnatResult } from '../../src/dpvs/fnat.js';
import { addr, buildPacket, checksumsOk, hex, tcp } from './dpvs-packets.js';

const base = { client: addr('192.0.2.1'), clientPort: 5353, vip: addr('198.51.100.10'), vipPort: 53, local: addr('10.0.0.100'), localPort: 5000, real: addr('10.0.0.2'), realPort: 8080 };

describe('UOA edge cases', () => {
  it('opp over MTU: a standalone UDP packet (proto 248, UDP len 8, checksum 0) goes first; the original leaves without UOA', () => {
    const conn = createFnatConnection({ ...base, uoaMode: 'opp' });
    const { buf, len } = buildPacket({ src: '192.0.2.1', dst: '198.51.100.10', sport: 5353, dport: 53, udp: true, payload: new Array(1480 - 8).fill(9), tos: 0x10, ttl: 50 });
    const r = fnatInbound(conn, buf, 0, len, { standaloneId: 0x4242 }, new FnatResult());
    expect(r.uoa).toBe('standalone');
    expect(conn.uoaSent).toBe(1);
    const s = r.standalone;
    expect(s.length).toBe(20 + 12 + 8);
    expect([s[1], s[8], s[9]]).toEqual([0x10, 50, 248]);
    expect(readU16(s, 4)).toBe(0x4242);
    expect(Array.from(s.subarray(20, 32))).toEqual(hex('10 11 00 0c 1f 08 14 e9 c0 00 02 01'));
    expect(Array.from(s.subarray(32, 40))).toEqual(hex('13 88 1f 90 00 08 00 00'));
    expect(r.newLength).toBe(len);
    expect(buf[9]).toBe(17);
    expect(checksumsOk(buf, 0, r.newLength)).toBe(true);
  });

  it('IPv6 opp: next header 248, payload +24, version 2 option, UDP checksum over the UDP length with next header 17', () => {
    const conn = createFnatConnection({ client: addr('2001:db8::1'), clientPort: 5353, vip: addr('2001:db8::80'), vipPort: 53, local: addr('2001:db8:1::100'), localPort: 5000, real: addr('2001:db8:2::2'), realPort: 8080 });
    const { buf, len } = buildPacket({ src: '2001:db8::1', dst: '2001:db8::80', sport: 5353, dport: 53, udp: true, payload: [1, 2, 3] });
    const r = fnatInbound(conn, buf, 0, len);
    expect(r.uoa).toBe('inserted');
    expect(buf[6]).toBe(248);
    expect(r.newLength).toBe(len + 24);
    expect(Array.from(buf.subarray(40, 44))).toEqual(hex('20 11 00 18'));
    // verify the UDP checksum after the shim: move the UDP datagram right after the IPv6 header
    const copy = buf.slice(0, r.newLength);
    copy.copyWithin(40, 64, r.newLength);
    copy[6] = 17;
    copy[5] = copy[5]! - 24;
    expect(checksumsOk(copy, 0, r.newLength - 24)).toBe(true);
  });
});

describe('TOA policies', () => {
  it("'dpvs-legacy' puts TOA on the SYN and on failure only NOPs existing TOAs (no prune)", () => {
    const conn = createFnatConnection({ ...base, clientPort: 40000, vipPort: 80, fnatIsn: 0xa0000000, toaWhen: 'dpvs-legacy' });
    const syn = buildPacket({ src: '192.0.2.1', dst: '198.51.100.10', sport: 40000, dport: 80, seq: 1, flags: 0x02, options: hex('02 04 05 b4') });
    const r = fnatInbound(conn, syn.buf, 0, syn.len, {}, new FnatResult());
    expect(r.toa).toBe('inserted');
    expect(tcp.options(syn.buf)).toEqual(hex('fe 08 9c 40 c0 00 02 01 02 04 05 b4'));
    const full = [...hex('fe 08 1f 90 c6 33 64 07'), ...new Array(32).fill(1)];
    const p = buildPacket({ src: '192.0.2.1', dst: '198.51.100.10', sport: 40000, dport: 80, seq: 2, ack: 0, options: full });
    const r2 = fnatInbound(conn, p.buf, 0, p.len, {}, new FnatResult());
    expect(r2.toa).toBe('failed');
    expect(r2.pruned).toBe(0);
    expect(r2.toaNopped).toBe(1);
    expect(tcp.options(p.buf)).toEqual(new Array(40).fill(1));
    expect(checksumsOk(p.buf, 0, r2.newLength)).toBe(true);
  });

  it('fragments and non-IP bytes are left untouched with a status', () => {
    const conn = createFnatConnection({ ...base });
    const { buf, len } = buildPacket({ src: '192.0.2.1', dst: '198.51.100.10', sport: 1, dport: 2, df: false });
    buf[6] = 0x20; // MF
    const before = buf.slice();
    expect(fnatInbound(conn, buf, 0, len).status).toBe('fragment');
    expect(buf).toEqual(before);
    expect(fnatInbound(conn, Uint8Array.of(0x00, 1, 2), 0, 3).status).toBe('not-ip');
    const whole = buildPacket({ src: '192.0.2.1', dst: '198.51.100.10', sport: 1, dport: 2 });
    expect(fnatInbound(conn, whole.buf, 0, 30).status).toBe('truncated-header');
  });
});

describe('expiry RSTs (tcp_send_rst)', () => {
  it('toward the RS: seq rs_end_ack; toward the client: seq rs_end_seq + Δs; RST only, ack 0, win 0, DF, TTL 64', () => {
    const conn = createFnatConnection({ ...base, synproxyDelta: 0x100 });
    conn.rsEndAck = 0xa0000010;
    conn.rsEndSeq = 0x55667790;
    const out = new Uint8Array(60);
    for (const [toward, seq, src] of [
      ['rs', 0xa0000010, '10.0.0.100'],
      ['client', 0x55667890, '198.51.100.10'],
    ] as const) {
      const n = buildExpiryRst(conn, toward, out, 0);
      expect(n).toBe(40);
      expect(Array.from(out.subarray(12, 16))).toEqual(Array.from(addr(src)));
      expect([out[0], out[6], out[8], out[20 + 13]]).toEqual([0x45, 0x40, 64, 0x04]);
      expect(tcp.seq(out)).toBe(seq);
      expect(tcp.ack(out)).toBe(0);
      expect(checksumsOk(out, 0, n)).toBe(true);
    }
  });
});
