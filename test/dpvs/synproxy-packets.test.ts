import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultCookieSecret, checkCookie, mssTableIndex, MSS_TABLE } from '../../src/dpvs/cookie.js';
import { synproxyConfig } from '../../src/dpvs/synproxy-config.js';
import {
  buildBadCookieRst,
  buildRsSyn,
  buildSynAck,
  buildWindowUpdate,
  locateTcp,
  synproxyTimestampValue,
} from '../../src/dpvs/synproxy-packets.js';
import { isCodecError } from '../../src/codec/errors.js';
import { bytesOf, expectValidPacket, hex, ip, parse, tcpPacket } from './synproxy-fixtures.js';

const COUNT = 0x12345678;
const secret = defaultCookieSecret();
const C = '192.0.2.1';
const V = '198.51.100.10';
/** Linux-style SYN options: MSS 1460, SACK-permitted, TS (val 0x0001e240), NOP, WS 7. */
const LINUX_SYN_OPTIONS = bytesOf('02 04 05 b4 04 02 08 0a 00 01 e2 40 00 00 00 00 01 03 03 07');

function clientSyn(options: number[] = LINUX_SYN_OPTIONS, extra: Partial<Parameters<typeof tcpPacket>[0]> = {}): Uint8Array {
  // Inferred inputs (not stated by TV-20): TTL 64, TOS 0, window 64240; all are overwritten in P2.
  return tcpPacket({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223344, flags: 0x02, id: 0x1234, options, ...extra });
}

function synAck(packet: Uint8Array, overrides: Parameters<typeof synproxyConfig>[0] = {}, tsval = 0) {
  const result = buildSynAck(packet, 0, packet.length, { config: synproxyConfig(overrides), secret, count: COUNT, timestampValue: tsval });
  return { result, out: packet.subarray(0, result.length) };
}

describe('P2 SYN-ACK (TV-20)', () => {
  it('is byte for byte the TV-20 SYN-ACK with close_client_window on', () => {
    const { result, out } = synAck(clientSyn(), { closeClientWindow: true });
    expect(hex(out.subarray(0, 20))).toBe('45 00 00 3c 12 34 40 00 3f 06 3d 49 c6 33 64 0a c0 00 02 01');
    expect(hex(out.subarray(20, 40))).toBe('00 50 9c 40 4e eb 1b 3f 11 22 33 45 a0 12 00 00 15 a4 00 00');
    expect(hex(out.subarray(40))).toBe(`02 04 05 ac 04 02 ${Array(14).fill('01').join(' ')}`);
    expect(result.minted.cookie).toBe(0x4eeb1b3f);
    expect(result.minted.data).toBe(0x207000);
    expectValidPacket(out);
  });

  it('echoes the client window when close_client_window is off, or when defer_rs_syn is on', () => {
    expect(parse(synAck(clientSyn(), {}).out).window).toBe(64240);
    expect(parse(synAck(clientSyn(), { closeClientWindow: true, deferRsSyn: true }).out).window).toBe(64240);
  });

  it('keeps ID, DF, byte 12, urgent pointer, unknown options and SYN payload; clears CWR/ECE/URG/PSH', () => {
    const options = bytesOf('02 04 05 b4 22 06 aa bb cc dd 1e 04 00 81 01 01');
    const packet = clientSyn(options, { payload: Uint8Array.of(9, 8, 7), urgent: 0x0102, id: 0xbeef, flags: 0x02 | 0xc0 | 0x20 | 0x08, tos: 0xb8, ttl: 50 });
    packet[20 + 12] |= 0x01; // AE / reserved bit in byte 12
    const { out } = synAck(packet);
    expect(out[1]).toBe(0); // TOS 0
    expect(out[8]).toBe(63); // synack ttl
    expect(hex(out.subarray(4, 8))).toBe('be ef 40 00');
    expect(out[20 + 12]! & 0x0f).toBe(0x01);
    expect(out[20 + 13]).toBe(0x12);
    expect(hex(out.subarray(38, 40))).toBe('01 02');
    expect(hex(parse(out).options)).toBe('02 04 05 ac 22 06 aa bb cc dd 1e 04 00 81 01 01');
    expect(Array.from(parse(out).payload)).toEqual([9, 8, 7]);
    expectValidPacket(out);
  });

  it('IPv6: addresses swapped, hop limit = synack ttl, TC and flow label unchanged', () => {
    const packet = tcpPacket({ src: '2001:db8::1', dst: '2001:db8::80', sport: 40000, dport: 80, seq: 0x11223344, flags: 0x02, options: LINUX_SYN_OPTIONS, versionClassFlow: 0x6b812345 });
    const { result, out } = synAck(packet);
    expect(result.minted.cookie).toBe(0x233ab2fd);
    expect(hex(out.subarray(0, 4))).toBe('6b 81 23 45');
    expect(out[7]).toBe(63);
    const p = parse(out);
    expect(p.src).toEqual(ip('2001:db8::80'));
    expect(p.dst).toEqual(ip('2001:db8::1'));
    expect([p.sport, p.dport, p.seq, p.ack]).toEqual([80, 40000, 0x233ab2fd, 0x11223345]);
    expectValidPacket(out);
  });

  it('drops link padding after the IP length', () => {
    const syn = clientSyn();
    const padded = new Uint8Array(syn.length + 6);
    padded.set(syn);
    const result = buildSynAck(padded, 0, padded.length, { config: synproxyConfig(), secret, count: COUNT, timestampValue: 0 });
    expect(result.length).toBe(syn.length);
    expectValidPacket(padded.subarray(0, result.length));
  });
});

describe('TV-17: wscale 7 and timestamps on', () => {
  const options = bytesOf('02 04 23 28 04 02 08 0a 00 01 e2 40 00 00 00 00 01 03 03 08');
  const tsval = synproxyTimestampValue(1_700_000_042, 123_456_789);
  it('TSval = (seconds mod 100)·10^6 + microseconds', () => {
    expect(tsval).toBe(42_123_456);
  });
  it('SYN-ACK options, K and data', () => {
    const { result, out } = synAck(clientSyn(options), { wscale: 7, timestamp: true }, tsval);
    const tsHex = hex(Uint8Array.of(tsval >>> 24, (tsval >>> 16) & 0xff, (tsval >>> 8) & 0xff, tsval & 0xff));
    expect(hex(parse(out).options)).toBe(`02 04 05 ac 04 02 08 0a ${tsHex} 00 01 e2 40 01 03 03 07`);
    expect(result.minted.cookie).toBe(0x4f031b3f);
    expect(result.minted.data).toBe(0x387000);
    expectValidPacket(out);
  });
  it('RS SYN options before FNAT', () => {
    const ack = tcpPacket({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223345, ack: 0x4f031b40, flags: 0x10 });
    const check = checkCookie({ clientAddress: ip(C), virtualAddress: ip(V), clientPort: 40000, virtualPort: 80, secret, sequenceNumber: 0x11223345, acknowledgmentNumber: 0x4f031b40 }, COUNT);
    expect(check.valid).toBe(true);
    const syn = buildRsSyn(ack, 0, ack.length, check, tsval);
    const tsHex = hex(Uint8Array.of(tsval >>> 24, (tsval >>> 16) & 0xff, (tsval >>> 8) & 0xff, tsval & 0xff));
    expect(hex(parse(syn).options)).toBe(`02 04 05 ac 04 02 08 0a ${tsHex} 00 00 00 00 01 03 03 08`);
    expectValidPacket(syn);
  });
});

describe('TV-18: MSS in the synproxy SYN-ACK', () => {
  function run(options: number[]) {
    const { result, out } = synAck(clientSyn(options));
    return { result, options: hex(parse(out).options) };
  }
  it('client MSS 1400 → SYN-ACK 1400, cookie 1280', () => {
    const r = run(bytesOf('02 04 05 78 04 02 01 01'));
    expect(r.options).toBe('02 04 05 78 04 02 01 01');
    expect(MSS_TABLE[r.result.options.cookie.mssIndex]).toBe(1280);
  });
  it('client MSS 0 → SYN-ACK 536', () => {
    const r = run(bytesOf('02 04 00 00 04 02 01 01'));
    expect(r.options).toBe('02 04 02 18 04 02 01 01');
    expect(MSS_TABLE[r.result.options.cookie.mssIndex]).toBe(536);
  });
  it('no MSS option → none added, cookie (and RS SYN) MSS 536', () => {
    const r = run(bytesOf('04 02 01 01'));
    expect(r.options).toBe('04 02 01 01');
    expect(r.result.options.synAckMss).toBe(null);
    expect(r.result.options.mssClamp).toBe(536);
    expect(r.result.options.cookie.mssIndex).toBe(mssTableIndex(536));
    const syn = buildRsSyn(clientSyn(), 0, 60, { mss: 536, sackOk: true, timestampOk: false, wscaleOk: false, wscale: 0 }, 0);
    expect(hex(parse(syn).options)).toBe('02 04 02 18 01 01 04 02');
  });
});

describe('P4 RS SYN before FNAT (TV-20)', () => {
  const ack = tcpPacket({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223345, ack: 0x4eeb1b40, flags: 0x10, tos: 0xb8, id: 0x4321, ttl: 57, window: 502 });
  const check = checkCookie({ clientAddress: ip(C), virtualAddress: ip(V), clientPort: 40000, virtualPort: 80, secret, sequenceNumber: 0x11223345, acknowledgmentNumber: 0x4eeb1b40 }, COUNT);
  it('has TOS & 0x1E, TTL 64, DF, ID 0, seq c_isn, ack 0, SYN, window 5000, doff 7, options MSS 1452 + NOP NOP SACKP', () => {
    const syn = buildRsSyn(ack, 0, ack.length, check, 0);
    expect(hex(syn.subarray(0, 10))).toBe('45 18 00 30 00 00 40 00 40 06');
    const p = parse(syn);
    expect(p.src).toEqual(ip(C));
    expect(p.dst).toEqual(ip(V));
    expect([p.sport, p.dport, p.seq, p.ack, p.dataOffset, p.flags, p.window]).toEqual([40000, 80, 0x11223344, 0, 28, 0x02, 0x1388]);
    expect(hex(p.options)).toBe('02 04 05 ac 01 01 04 02');
    expect(hex(syn.subarray(38, 40))).toBe('00 00');
    expectValidPacket(syn);
  });
  it('IPv6: version 6, TC/flow 0, hop limit 64', () => {
    const ack6 = tcpPacket({ src: '2001:db8::1', dst: '2001:db8::80', sport: 40000, dport: 80, seq: 0x11223345, ack: 0x233ab2fe, flags: 0x10, versionClassFlow: 0x6fffffff });
    const syn = buildRsSyn(ack6, 0, ack6.length, { mss: 1452, sackOk: false, timestampOk: true, wscaleOk: true, wscale: 9 }, 0x01020304);
    expect(hex(syn.subarray(0, 8))).toBe('60 00 00 00 00 28 06 40');
    expect(hex(parse(syn).options)).toBe('02 04 05 ac 01 01 08 0a 01 02 03 04 00 00 00 00 01 03 03 09');
    expectValidPacket(syn);
  });
});

describe('P6a window update before FNAT', () => {
  it('copies the RS SYN-ACK header: SYN cleared, seq+1, doff 5, TOS 0, DF, length 40, RS ID and TTL', () => {
    const rsSynAck = tcpPacket({
      src: '10.0.0.2',
      dst: '10.0.0.100',
      sport: 8080,
      dport: 5000,
      seq: 0x55667788,
      ack: 0xa0000001,
      flags: 0x12 | 0x40,
      window: 0xfe88,
      id: 0x7777,
      ttl: 61,
      tos: 0x10,
      fragWord: 0,
      options: bytesOf('02 04 05 b4 01 01 04 02'),
    });
    const update = buildWindowUpdate(rsSynAck, 0, rsSynAck.length);
    expect(update.length).toBe(40);
    expect(hex(update.subarray(0, 10))).toBe('45 00 00 28 77 77 40 00 3d 06');
    const p = parse(update);
    expect([p.sport, p.dport, p.seq, p.ack, p.dataOffset, p.flags, p.window]).toEqual([8080, 5000, 0x55667789, 0xa0000001, 20, 0x50, 0xfe88]);
    expectValidPacket(update);
  });
});

describe('TV-21 bad-cookie RST', () => {
  const options = bytesOf('01 01 08 0a 00 00 00 01 00 00 00 02');
  it('without payload', () => {
    const ack = tcpPacket({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223345, ack: 0xdeadbeef, flags: 0x10, window: 502, ttl: 64, tos: 0x28, options });
    const length = buildBadCookieRst(ack, 0, ack.length);
    const out = ack.subarray(0, length);
    const p = parse(out);
    expect([p.seq, p.ack, p.flags, p.window, p.sport, p.dport]).toEqual([0xdeadbeef, 0x11223345, 0x14, 0, 80, 40000]);
    expect(p.src).toEqual(ip(V));
    expect(p.dst).toEqual(ip(C));
    expect(out[8]).toBe(63);
    expect(out[1]).toBe(0);
    expect(hex(p.options)).toBe(hex(Uint8Array.from(options)));
    expectValidPacket(out);
  });
  it('with 10 bytes of payload: ack + 10, payload cut, IP length − 10; PSH/FIN cleared, URG kept', () => {
    const ack = tcpPacket({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223345, ack: 0xdeadbeef, flags: 0x10 | 0x08 | 0x20, window: 502, payload: new Uint8Array(10).fill(0x61) });
    const before = ack.length;
    const length = buildBadCookieRst(ack, 0, ack.length);
    expect(length).toBe(before - 10);
    const out = ack.subarray(0, length);
    const p = parse(out);
    expect([p.seq, p.ack, p.flags]).toEqual([0xdeadbeef, 0x1122334f, 0x14 | 0x20]);
    expect(p.payload.length).toBe(0);
    expectValidPacket(out);
  });
  it('IPv6: hop limit 63, payload length reduced', () => {
    const ack = tcpPacket({ src: '2001:db8::1', dst: '2001:db8::80', sport: 40000, dport: 80, seq: 1, ack: 2, flags: 0x18, payload: new Uint8Array(7) });
    const length = buildBadCookieRst(ack, 0, ack.length);
    const out = ack.subarray(0, length);
    expect(out[7]).toBe(63);
    expect(parse(out).ack).toBe(8);
    expectValidPacket(out);
  });
});

describe('structured errors on bad input', () => {
  it('only CodecErrors escape from the builders on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), fc.boolean(), (raw, v6) => {
        if (raw.length > 0) raw[0] = (raw[0]! & 0x0f) | (v6 ? 0x60 : 0x40);
        for (const run of [
          () => buildSynAck(raw.slice(), 0, raw.length, { config: synproxyConfig(), secret, count: 0, timestampValue: 0 }),
          () => buildBadCookieRst(raw.slice(), 0, raw.length),
          () => buildWindowUpdate(raw, 0, raw.length),
          () => locateTcp(raw, 0, raw.length),
        ]) {
          try {
            run();
          } catch (error) {
            expect(isCodecError(error)).toBe(true);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
