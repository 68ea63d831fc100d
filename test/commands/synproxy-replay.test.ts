/**
 * `toa synproxy-replay` through the CLI: TV-15..TV-21 byte for byte on the written legs, options,
 * accounting, ladder, report, output safety and the --split form.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readU16, readU32 } from '../../src/codec/bytes.js';
import { pseudoHeaderV4, pseudoHeaderV6, verifyIpv4HeaderChecksum, verifyTransportChecksum } from '../../src/codec/checksum.js';
import {
  C,
  COUNT,
  K,
  LINUX_SYN_OPTIONS,
  clientPacket,
  readLegs,
  runCli,
  tempDir,
  writeCapture,
  type LegPacket,
  type TimedSpec,
} from '../replay/replay-helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const tcpOf = (l3: Uint8Array) => (l3[0]! >> 4 === 4 ? (l3[0]! & 0xf) * 4 : 40);
const seqOf = (l3: Uint8Array) => readU32(l3, tcpOf(l3) + 4);
const ackOf = (l3: Uint8Array) => readU32(l3, tcpOf(l3) + 8);
const flagsOf = (l3: Uint8Array) => l3[tcpOf(l3) + 13]!;
const windowOf = (l3: Uint8Array) => readU16(l3, tcpOf(l3) + 14);
const doffOf = (l3: Uint8Array) => (l3[tcpOf(l3) + 12]! >> 4) * 4;
const optionsOf = (l3: Uint8Array) => l3.subarray(tcpOf(l3) + 20, tcpOf(l3) + doffOf(l3));
const payloadOf = (l3: Uint8Array) => l3.subarray(tcpOf(l3) + doffOf(l3));

function expectValid(l3: Uint8Array): void {
  if (l3[0]! >> 4 === 4) {
    const ihl = (l3[0]! & 0xf) * 4;
    expect(readU16(l3, 2)).toBe(l3.length);
    expect(verifyIpv4HeaderChecksum(l3, 0, ihl)).toBe(true);
    expect(verifyTransportChecksum(l3, ihl, l3.length - ihl, pseudoHeaderV4(l3, 12, 16, 6, l3.length - ihl))).toBe(true);
  } else {
    expect(readU16(l3, 4)).toBe(l3.length - 40);
    expect(verifyTransportChecksum(l3, 40, l3.length - 40, pseudoHeaderV6(l3, 8, 24, 6, l3.length - 40))).toBe(true);
  }
}

/** TV-20 client: SYN (ID 0x1234, Linux options), cookie ACK (TOS 0xb8, win 502), then 5 bytes of data. */
function tv20Client(): TimedSpec[] {
  return [
    { at: 0, spec: clientPacket({ seq: 0x11223344, flags: 'S', id: 0x1234, options: LINUX_SYN_OPTIONS }) },
    { at: 0.05, spec: clientPacket({ seq: 0x11223345, ack: K + 1, flags: 'A', tos: 0xb8, window: 502 }) },
    { at: 0.1, spec: clientPacket({ seq: 0x11223345, ack: K + 1, flags: 'PA', window: 502, payload: new TextEncoder().encode('hello') }) },
  ];
}

async function replay(packets: TimedSpec[], extra: string[] = []): Promise<{ legs: LegPacket[]; run: Awaited<ReturnType<typeof runCli>>; out: string }> {
  const input = join(dir, 'in.pcap');
  const out = join(dir, 'out.pcapng');
  writeCapture(input, packets);
  const run = await runCli(['synproxy-replay', input, '-o', out, '--minute', String(COUNT), ...extra]);
  if (run.code !== 0) throw new Error(`exit ${run.code}: ${run.stderr}`);
  return { legs: await readLegs(out), run, out };
}

const client = (legs: LegPacket[]) => legs.filter((p) => p.leg === 'client-side');
const rsSide = (legs: LegPacket[]) => legs.filter((p) => p.leg === 'rs-side');
const fromVip = (l3: Uint8Array) => hex(l3.subarray(12, 16)) === 'c6 33 64 0a';

describe('TV-20 through the CLI (client capture, modelled RS)', () => {
  it('writes both legs with the TV-20 bytes', async () => {
    const { legs } = await replay(tv20Client());
    for (const p of legs) expectValid(p.l3);
    expect(legs.map((p) => p.leg)).toEqual([
      'client-side', // SYN
      'client-side', // P2 SYN-ACK
      'client-side', // cookie ACK
      'rs-side', // P4 RS SYN
      'rs-side', // P5 RS SYN-ACK (modelled)
      'client-side', // P6a window update
      'rs-side', // P6b stored ACK with TOA
      'client-side', // data
      'rs-side', // data forwarded
      'rs-side', // RS ACK of the data (modelled)
      'client-side', // RS ACK toward the client
    ]);
    const [syn, p2, ack, p4, p5, p6a, p6b, data, dataRs, rsAck, rsAckClient] = legs as [LegPacket, ...LegPacket[]];
    expect(seqOf(syn.l3)).toBe(0x11223344);
    // P2: TV-20 byte for byte.
    expect(hex(p2!.l3)).toBe(
      '45 00 00 3c 12 34 40 00 3f 06 3d 49 c6 33 64 0a c0 00 02 01 ' +
        '00 50 9c 40 4e eb 1b 3f 11 22 33 45 a0 12 00 00 15 a4 00 00 ' +
        '02 04 05 ac 04 02 01 01 01 01 01 01 01 01 01 01 01 01 01 01',
    );
    expect(p2!.seconds).toBe(syn.seconds);
    expect(ackOf(ack!.l3)).toBe(K + 1);
    // P4: TOS 0xb8 & 0x1e = 0x18, TTL 64, DF, L→R, seq F, doff 7, SYN, window 5000, options.
    const rsSyn = p4!.l3;
    expect(rsSyn[1]).toBe(0x18);
    expect(rsSyn[8]).toBe(64);
    expect(readU16(rsSyn, 6) & 0x4000).toBe(0x4000);
    expect(hex(rsSyn.subarray(12, 20))).toBe('0a 00 00 64 0a 00 00 02');
    expect(readU16(rsSyn, 20)).toBe(5000);
    expect(readU16(rsSyn, 22)).toBe(8080);
    expect(seqOf(rsSyn)).toBe(0xa0000000);
    expect(ackOf(rsSyn)).toBe(0);
    expect(doffOf(rsSyn)).toBe(28);
    expect(flagsOf(rsSyn)).toBe(0x02);
    expect(windowOf(rsSyn)).toBe(0x1388);
    expect(hex(optionsOf(rsSyn))).toBe('02 04 05 ac 01 01 04 02');
    // P5 from the modelled RS.
    expect(seqOf(p5!.l3)).toBe(0x55667788);
    expect(ackOf(p5!.l3)).toBe(0xa0000001);
    // P6a: V→C seq K+1, ack c_isn+1, ACK, win 0xfe88, doff 5, ID of the RS.
    expect(fromVip(p6a!.l3)).toBe(true);
    expect(seqOf(p6a!.l3)).toBe(0x4eeb1b40);
    expect(ackOf(p6a!.l3)).toBe(0x11223345);
    expect(flagsOf(p6a!.l3)).toBe(0x10);
    expect(windowOf(p6a!.l3)).toBe(0xfe88);
    expect(doffOf(p6a!.l3)).toBe(20);
    expect(readU16(p6a!.l3, 4)).toBe(0x7777);
    expect(p6a!.l3[1]).toBe(0);
    // P6b: seq F+1, ack r_isn+1, TOA first, client TOS kept.
    expect(seqOf(p6b!.l3)).toBe(0xa0000001);
    expect(ackOf(p6b!.l3)).toBe(0x55667789);
    expect(hex(optionsOf(p6b!.l3).subarray(0, 8))).toBe('fe 08 9c 40 c0 00 02 01');
    expect(p6b!.l3[1]).toBe(0xb8);
    // Data: TOA again (ack still K+1), seq + Δf.
    expect(seqOf(data!.l3)).toBe(0x11223345);
    expect(seqOf(dataRs!.l3)).toBe(0xa0000001);
    expect(hex(optionsOf(dataRs!.l3).subarray(0, 8))).toBe('fe 08 9c 40 c0 00 02 01');
    expect(new TextDecoder().decode(payloadOf(dataRs!.l3))).toBe('hello');
    // RS seq 55667789 → client seq 4eeb1b40 (+Δs); RS ack a0000006 → client ack 1122334a (−Δf).
    expect(seqOf(rsAck!.l3)).toBe(0x55667789);
    expect(ackOf(rsAck!.l3)).toBe(0xa0000006);
    expect(seqOf(rsAckClient!.l3)).toBe(0x4eeb1b40);
    expect(ackOf(rsAckClient!.l3)).toBe(0x1122334a);
  });

  it('reports the cookie, its bits, Δs and Δf (TV-15, TV-20)', async () => {
    const report = join(dir, 'r.json');
    await replay(tv20Client(), ['--report', report]);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.connections).toHaveLength(1);
    const c = json.connections[0];
    expect(c.cookie).toMatchObject({ value: '0x4eeb1b3f', count: COUNT, data: '0x207000', mss: 1452, mssIndex: 7, sackOk: true, timestampOk: false, wscale: 0, synAckMss: 1452, synAckWindow: 0 });
    expect(c.deltaS).toBe('0xf984a3b7');
    expect(c.deltaF).toBe('0x8eddccbc');
    expect(c.fnatIsn).toBe('0xa0000000');
    expect(c.rsIsn).toBe('0x55667788');
    expect(c.outcome).toBe('established');
    expect(c.windowUpdate).toBe(true);
    expect(c.firstRsAckToa).toBe(true);
    expect(c.toaInserted).toBe(2);
    expect(c.clientWindowZeroSeconds).toBeCloseTo(0.0501, 6);
    const kinds = c.anomalies.map((a: { kind: string }) => a.kind).sort();
    expect(kinds).toEqual(['mss-lowered', 'timestamps-dropped', 'window-scaling-dropped']);
    expect(json.counts).toMatchObject({ inputPackets: 3, clientPackets: 3, outputClientSide: 6, outputRsSide: 5 });
  });
});

describe('TV-21: the bad-cookie RST through the CLI', () => {
  it('answers an ACK with a bad cookie with RST+ACK, seq = its ack, options echoed, payload stripped', async () => {
    const ts = Uint8Array.from([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
    const report = join(dir, 'r.json');
    const { legs, run } = await replay(
      [
        { at: 0, spec: clientPacket({ seq: 0x11223345, ack: 0xdeadbeef, flags: 'A', window: 502, ttl: 64, options: ts }) },
        { at: 1, spec: clientPacket({ seq: 0x11223345, ack: 0xdeadbeef, flags: 'A', window: 502, ttl: 64, payload: new Uint8Array(10).fill(0x61) }) },
      ],
      ['--report', report, '--vip', '198.51.100.10:80'],
    );
    expect(run.stderr).toContain('2 client→VIP modelled');
    expect(legs.map((p) => p.leg)).toEqual(['client-side', 'client-side', 'client-side', 'client-side']);
    const rst = legs[1]!.l3;
    expectValid(rst);
    expect(fromVip(rst)).toBe(true);
    expect(seqOf(rst)).toBe(0xdeadbeef);
    expect(ackOf(rst)).toBe(0x11223345);
    expect(flagsOf(rst)).toBe(0x14);
    expect(windowOf(rst)).toBe(0);
    expect(rst[8]).toBe(63);
    expect(rst[1]).toBe(0);
    expect(hex(optionsOf(rst))).toBe(hex(ts));
    const withData = legs[3]!.l3;
    expectValid(withData);
    expect(ackOf(withData)).toBe(0x1122334f);
    expect(payloadOf(withData).length).toBe(0);
    expect(readU16(withData, 2)).toBe(legs[2]!.l3.length - 10);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.connections).toHaveLength(1);
    expect(json.connections[0].outcome).toBe('bad-cookie');
    expect(json.connections[0].rejectedAcks.map((r: { seq: string; ack: string }) => [r.seq, r.ack])).toEqual([
      ['0x11223345', '0xdeadbeef'],
      ['0x11223345', '0xdeadbeef'],
    ]);
  });
});

describe('TV-15..TV-18 through the CLI', () => {
  it('TV-15: K = 0x4eeb1b3f; the ACK passes 3 ticks later and fails 4 ticks later', async () => {
    const syn = { at: 0, spec: clientPacket({ seq: 0x11223344, flags: 'S', options: LINUX_SYN_OPTIONS }) };
    const ok = await replay([syn, { at: 3 * 60 + 59, spec: clientPacket({ seq: 0x11223345, ack: K + 1, flags: 'A' }) }], ['--keep-client-acks']);
    expect(seqOf(ok.legs[1]!.l3)).toBe(K);
    expect(rsSide(ok.legs).length).toBeGreaterThan(0);
    expect(flagsOf(rsSide(ok.legs)[0]!.l3)).toBe(0x02);
    cleanup();
    ({ dir, cleanup } = tempDir());
    const late = await replay([syn, { at: 4 * 60, spec: clientPacket({ seq: 0x11223345, ack: K + 1, flags: 'A' }) }], ['--keep-client-acks']);
    expect(rsSide(late.legs)).toHaveLength(0);
    expect(flagsOf(late.legs[3]!.l3)).toBe(0x14);
    cleanup();
    ({ dir, cleanup } = tempDir());
    const wrong = await replay([syn, { at: 1, spec: clientPacket({ seq: 0x11223345, ack: K + 2, flags: 'A' }) }], ['--keep-client-acks']);
    expect(rsSide(wrong.legs)).toHaveLength(0);
  });

  it('TV-16: the IPv6 cookie is 0x233ab2fd', async () => {
    const { legs } = await replay([
      { at: 0, spec: clientPacket({ src: '2001:db8::1', dst: '2001:db8::80', seq: 0x11223344, flags: 'S', options: LINUX_SYN_OPTIONS }) },
      { at: 0.01, spec: clientPacket({ src: '2001:db8::1', dst: '2001:db8::80', seq: 0x11223345, ack: 0x233ab2fe, flags: 'A' }) },
    ]);
    for (const p of legs) expectValid(p.l3);
    expect(seqOf(legs[1]!.l3)).toBe(0x233ab2fd);
    const rsSyn = rsSide(legs)[0]!.l3;
    expect(rsSyn[0]! >> 4).toBe(6);
    expect(rsSyn[7]).toBe(64);
    expect(hex(optionsOf(rsSyn))).toBe('02 04 05 ac 01 01 04 02');
    // The stored ACK carries the 20-byte IPv6 TOA.
    const stored = rsSide(legs).find((p) => flagsOf(p.l3) === 0x10)!;
    expect(hex(optionsOf(stored.l3).subarray(0, 4))).toBe('fe 14 9c 40');
  });

  it('TV-17: --wscale 7 --timestamp: SYN-ACK and RS SYN options, K = 0x4f031b3f, TSval from the capture time', async () => {
    const options = Uint8Array.from([2, 4, 0x23, 0x28, 4, 2, 8, 10, 0, 1, 0xe2, 0x40, 0, 0, 0, 0, 1, 3, 3, 8]);
    const { legs } = await replay(
      [
        { at: 0.25, spec: clientPacket({ seq: 0x11223344, flags: 'S', options }) },
        { at: 0.3, spec: clientPacket({ seq: 0x11223345, ack: 0x4f031b40, flags: 'A' }) },
      ],
      ['--wscale', '7', '--timestamp'],
    );
    const synAck = legs[1]!.l3;
    expect(seqOf(synAck)).toBe(0x4f031b3f);
    // TSval = (seconds mod 100)·10^6 + µs = 0·10^6 + 250000 = 0x0003d090.
    expect(hex(optionsOf(synAck))).toBe('02 04 05 ac 04 02 08 0a 00 03 d0 90 00 01 e2 40 01 03 03 07');
    const rsSyn = rsSide(legs)[0]!.l3;
    expect(hex(optionsOf(rsSyn))).toBe('02 04 05 ac 04 02 01 01 01 01 01 01 01 01 01 01 01 03 03 08');
  });

  it('TV-18: MSS 1400 → SYN-ACK 1400, RS SYN 1280; MSS 0 → 536; no MSS → none, RS SYN 536', async () => {
    const cases: Array<[number[], string, string]> = [
      [[2, 4, 0x05, 0x78, 4, 2, 1, 1], '02 04 05 78 04 02 01 01', '02 04 05 00'],
      [[2, 4, 0, 0, 4, 2, 1, 1], '02 04 02 18 04 02 01 01', '02 04 02 18'],
      [[4, 2, 1, 1], '04 02 01 01', '02 04 02 18'],
    ];
    for (const [options, synAckOptions, rsSynMss] of cases) {
      cleanup();
      ({ dir, cleanup } = tempDir());
      const first = await replay([{ at: 0, spec: clientPacket({ seq: 0x11223344, flags: 'S', options: Uint8Array.from(options) }) }]);
      const synAck = first.legs[1]!.l3;
      expect(hex(optionsOf(synAck))).toBe(synAckOptions);
      const cookie = seqOf(synAck);
      cleanup();
      ({ dir, cleanup } = tempDir());
      const { legs } = await replay([
        { at: 0, spec: clientPacket({ seq: 0x11223344, flags: 'S', options: Uint8Array.from(options) }) },
        { at: 0.01, spec: clientPacket({ seq: 0x11223345, ack: cookie + 1, flags: 'A' }) },
      ]);
      expect(hex(optionsOf(rsSide(legs)[0]!.l3).subarray(0, 4))).toBe(rsSynMss);
    }
  });
});
