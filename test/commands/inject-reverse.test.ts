/**
 * `inject-toa --reverse`: a backend-leg capture (LIP <-> RS) with carriers in, the client leg
 * (client <-> VIP) out. The reference is the client leg itself: --fnat then --reverse must give it
 * back byte for byte where DPVS's translation is invertible. Where it is not (documented in
 * src/rewrite/reverse.ts), the tests state exactly what differs:
 *   - a SYN's timestamp option, turned into NOPs by DPVS, stays NOPs;
 *   - options pruned to make room for the TOA are gone;
 *   - Δf: with --fnat-isn the client ISN must be given back with --client-isn (one connection).
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checksumsOk, tcp } from '../dpvs/dpvs-packets.js';
import { hexBytes as hex, packet, readPackets, runCli, tempDir, writeRawPcap } from '../rewrite/helpers.js';

const L = '10.0.0.100';
const R = '10.0.0.2';
const C = '192.0.2.1';
const V = '198.51.100.10';

async function run(input: Uint8Array[], args: string[]): Promise<{ out: Uint8Array[]; json: Record<string, any>; code: number; stderr: string }> {
  const dir = tempDir();
  const inPath = join(dir, 'in.pcap');
  const outPath = join(dir, 'out.pcap');
  writeRawPcap(inPath, input);
  const r = await runCli(['inject-toa', inPath, '-o', outPath, '--json', ...args]);
  if (r.code !== 0) return { out: [], json: {}, code: r.code, stderr: r.stderr };
  return { out: (await readPackets(outPath)).map((p) => p.data), json: JSON.parse(r.stdout), code: 0, stderr: r.stderr };
}

/** TV-19's client leg: SYN (with TS), SYN-ACK, 3rd ACK, data, RS data, client ACK. */
function tv19ClientLeg(synOptions: number[]): Uint8Array[] {
  return [
    packet({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223344, flags: 0x02, window: 64240, id: 0x1234, options: synOptions }),
    packet({ src: V, dst: C, sport: 80, dport: 40000, seq: 0x55667788, ack: 0x11223345, flags: 0x12, window: 65160, id: 0, options: hex('02 04 05 ac 01 01 04 02 01 03 03 07') }),
    packet({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223345, ack: 0x55667789, flags: 0x10, window: 502, id: 0x1235 }),
    packet({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x11223345, ack: 0x55667789, flags: 0x18, window: 502, id: 0x1236, payload: Array.from(Buffer.from('ABCDE')) }),
    packet({ src: V, dst: C, sport: 80, dport: 40000, seq: 0x55667789, ack: 0x1122334a, flags: 0x18, payload: [1, 2, 3] }),
    packet({ src: C, dst: V, sport: 40000, dport: 80, seq: 0x1122334a, ack: 0x5566778c, flags: 0x10 }),
  ];
}

const FNAT = ['--fnat', '--lip', `${L}:5000`, '--rs', `${R}:8080`];

describe('inject-toa --reverse through the CLI', () => {
  it('TV-19 flow: --fnat --fnat-isn then --reverse --client-isn gives the client leg back; only the SYN timestamp stays NOPs', async () => {
    const synOptions = hex('02 04 05 b4 04 02 08 0a 00 01 e2 40 00 00 00 00 01 03 03 07');
    const clientLeg = tv19ClientLeg(synOptions);
    const backend = await run(clientLeg, [...FNAT, '--fnat-isn', '0xA0000000']);
    expect(backend.code, backend.stderr).toBe(0);
    expect(backend.json.carriersInserted).toBe(2);
    const back = await run(backend.out, ['--reverse', '--vip', `${V}:80`, '--client-isn', '0x11223344']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.json.carriersRemoved).toBe(2);
    expect(back.json.packetsIn).toBe(6);
    expect(back.json.packetsOut).toBe(6);
    expect(back.out.length).toBe(6);
    for (let i = 1; i < 6; i++) expect(Array.from(back.out[i]!), `packet ${i}`).toEqual(Array.from(clientLeg[i]!));
    // the SYN: DPVS NOP'd its timestamp (TV-9); everything else is the client's SYN
    const syn = back.out[0]!;
    expect(tcp.options(syn)).toEqual(hex('02 04 05 b4 04 02 01 01 01 01 01 01 01 01 01 01 01 03 03 07'));
    expect(tcp.seq(syn)).toBe(0x11223344);
    expect(Array.from(syn.subarray(12, 20))).toEqual([192, 0, 2, 1, 198, 51, 100, 10]);
    expect([tcp.sport(syn), tcp.dport(syn)]).toEqual([40000, 80]);
    expect(checksumsOk(syn, 0, syn.length)).toBe(true);
  });

  it('without --client-isn after --fnat-isn, Δf is taken as 0: client-side seq is the LIP seq (documented)', async () => {
    const clientLeg = tv19ClientLeg(hex('02 04 05 b4 01 03 03 07'));
    const backend = await run(clientLeg, [...FNAT, '--fnat-isn', '0xA0000000']);
    const back = await run(backend.out, ['--reverse', '--vip', `${V}:80`]);
    expect(back.code).toBe(0);
    expect(tcp.seq(back.out[2]!)).toBe(0xa0000001);
    expect(Array.from(back.out[2]!.subarray(12, 20))).toEqual([192, 0, 2, 1, 198, 51, 100, 10]);
    expect(checksumsOk(back.out[2]!, 0, back.out[2]!.length)).toBe(true);
  });

  it('NAT64: IPv6 client leg --fnat --nat64 then --reverse (254/20 in IPv4, --vip IPv6) gives it back', async () => {
    const c6 = '2001:db8::1';
    const v6 = '2001:db8::80';
    const clientLeg = [
      packet({ src: c6, dst: v6, sport: 40000, dport: 80, seq: 1000, flags: 0x02, options: hex('02 04 05 a0 01 03 03 07') }),
      packet({ src: v6, dst: c6, sport: 80, dport: 40000, seq: 5000, ack: 1001, flags: 0x12, options: hex('02 04 05 a0 01 01 04 02') }),
      packet({ src: c6, dst: v6, sport: 40000, dport: 80, seq: 1001, ack: 5001, flags: 0x18, payload: [1, 2, 3, 4] }),
      packet({ src: v6, dst: c6, sport: 80, dport: 40000, seq: 5001, ack: 1005, flags: 0x10 }),
    ];
    const backend = await run(clientLeg, ['--fnat', '--nat64', '--lip', `${L}:5000`, '--rs', `${R}:8080`]);
    expect(backend.code, backend.stderr).toBe(0);
    expect(backend.out[2]![0]! >>> 4).toBe(4);
    const back = await run(backend.out, ['--reverse', '--vip', `[${v6}]:80`]);
    expect(back.code, back.stderr).toBe(0);
    // NAT46 cannot give back the IPv6 flow label / traffic class it never had; they are 0 here too
    for (let i = 0; i < 4; i++) expect(Array.from(back.out[i]!), `packet ${i}`).toEqual(Array.from(clientLeg[i]!));
  });

  it('a flow with no carrier passes unchanged and is counted (no-carrier); --format tencent reads 200/8', async () => {
    const plain = [
      packet({ src: L, dst: R, sport: 5000, dport: 8080, seq: 1, flags: 0x02 }),
      packet({ src: L, dst: R, sport: 5000, dport: 8080, seq: 2, ack: 7, flags: 0x10 }),
    ];
    const r = await run(plain, ['--reverse', '--vip', `${V}:80`]);
    expect(r.code).toBe(0);
    expect(r.out.map((p) => Array.from(p))).toEqual(plain.map((p) => Array.from(p)));
    expect(r.json.skipped['no-carrier']).toBe(2);
    const withTencent = [
      packet({ src: L, dst: R, sport: 5000, dport: 8080, seq: 1, flags: 0x02 }),
      packet({ src: L, dst: R, sport: 5000, dport: 8080, seq: 2, ack: 7, flags: 0x10, options: hex('c8 08 9c 40 c0 00 02 01') }),
    ];
    const t = await run(withTencent, ['--reverse', '--vip', `${V}:80`, '--format', 'tencent']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.json.carriersRemoved).toBe(1);
    expect(Array.from(t.out[0]!.subarray(12, 20))).toEqual([192, 0, 2, 1, 198, 51, 100, 10]);
    expect(tcp.sport(t.out[0]!)).toBe(40000);
    expect(tcp.options(t.out[1]!)).toEqual([]);
  });

  it('usage: --reverse needs --vip IP:PORT, refuses --fnat / --lip, a non-TCP-option format and --client', async () => {
    const p = [packet({ src: L, dst: R, sport: 5000, dport: 8080, flags: 0x10 })];
    expect((await run(p, ['--reverse'])).code).toBe(2);
    expect((await run(p, ['--reverse', '--vip', V])).code).toBe(2);
    expect((await run(p, ['--reverse', '--vip', `${V}:80`, ...FNAT])).code).toBe(2);
    expect((await run(p, ['--reverse', '--vip', `${V}:80`, '--format', 'ttgw'])).code).toBe(2);
    expect((await run(p, ['--reverse', '--vip', `${V}:80`, '--client', C])).code).toBe(2);
    expect((await run(p, ['--vip', `${V}:80`])).code).toBe(2);
  });
});

// ------------------------------------------------------------------ property

const addressV4 = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 })).map((a) => a.join('.'));
const addressV6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((g) => `2001:${g.slice(1).map((x) => x.toString(16)).join(':')}`);

/** Options a SYN / data segment may carry that DPVS leaves alone when there is room (no timestamp on the SYN). */
const synOptions = fc.subarray([hex('02 04 05 b4'), hex('01 03 03 07'), hex('01 01 04 02')]).map((l) => l.flat());
const dataOptions = fc.oneof(fc.constant([] as number[]), fc.constant(hex('01 01 08 0a 00 00 00 01 00 00 00 02')));

const flowSpec = fc.record({
  v6: fc.boolean(),
  clientV4: addressV4,
  clientV6: addressV6,
  vipV4: addressV4,
  vipV6: addressV6,
  cport: fc.integer({ min: 1024, max: 65535 }),
  vport: fc.integer({ min: 1, max: 1023 }),
  cisn: fc.integer({ min: 0, max: 0xffffffff }),
  sisn: fc.integer({ min: 0, max: 0xffffffff }),
  synOptions,
  dataOptions,
  requests: fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 })), { minLength: 1, maxLength: 4 }),
  nat64: fc.boolean(),
});

type FlowSpec = typeof flowSpec extends fc.Arbitrary<infer T> ? T : never;

function clientLegOf(f: FlowSpec): { packets: Uint8Array[]; client: string; vip: string } {
  const client = f.v6 ? f.clientV6 : f.clientV4;
  const vip = f.v6 ? f.vipV6 : f.vipV4;
  const c2v = { src: client, dst: vip, sport: f.cport, dport: f.vport };
  const v2c = { src: vip, dst: client, sport: f.vport, dport: f.cport };
  const out: Uint8Array[] = [];
  let cs = f.cisn >>> 0;
  let ss = f.sisn >>> 0;
  out.push(packet({ ...c2v, seq: cs, flags: 0x02, options: f.synOptions }));
  cs = (cs + 1) >>> 0;
  out.push(packet({ ...v2c, seq: ss, ack: cs, flags: 0x12, options: hex('02 04 05 ac') }));
  ss = (ss + 1) >>> 0;
  out.push(packet({ ...c2v, seq: cs, ack: ss, flags: 0x10 }));
  for (const [q, a] of f.requests) {
    out.push(packet({ ...c2v, seq: cs, ack: ss, flags: 0x18, options: f.dataOptions, payload: Array.from({ length: q }, (_, i) => i & 0xff) }));
    cs = (cs + q) >>> 0;
    out.push(packet({ ...v2c, seq: ss, ack: cs, flags: 0x18, options: f.dataOptions, payload: Array.from({ length: a }, (_, i) => (i * 7) & 0xff) }));
    ss = (ss + a) >>> 0;
  }
  out.push(packet({ ...c2v, seq: cs, ack: ss, flags: 0x11 }));
  return { packets: out, client, vip };
}

describe('property: --fnat then --reverse', () => {
  it('gives the client-leg capture back byte for byte (no SYN timestamp, room for the TOA, Δf = 0), checksums valid', async () => {
    await fc.assert(
      fc.asyncProperty(flowSpec, async (f) => {
        const { packets, vip } = clientLegOf(f);
        const nat64 = f.v6 && f.nat64;
        const lip = f.v6 && !nat64 ? '2001:db8:ffff::100' : L;
        const rs = f.v6 && !nat64 ? '[2001:db8:ffff::2]:8080' : `${R}:8080`;
        const backend = await run(packets, ['--fnat', '--lip', lip, '--rs', rs, ...(nat64 ? ['--nat64'] : [])]);
        expect(backend.code, backend.stderr).toBe(0);
        expect(backend.json.carriersInserted).toBeGreaterThan(0);
        const vipArg = f.v6 ? `[${vip}]:${f.vport}` : `${vip}:${f.vport}`;
        const back = await run(backend.out, ['--reverse', '--vip', vipArg]);
        expect(back.code, back.stderr).toBe(0);
        expect(back.json.carriersRemoved).toBe(backend.json.carriersInserted);
        expect(back.out.length).toBe(packets.length);
        for (let i = 0; i < packets.length; i++) {
          expect(Array.from(back.out[i]!), `packet ${i}`).toEqual(Array.from(packets[i]!));
          expect(checksumsOk(back.out[i]!, 0, back.out[i]!.length)).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
