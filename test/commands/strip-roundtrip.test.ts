/**
 * strip(inject-toa(x)) == x for every format (plain mode, nothing pruned), strip options
 * (--nop, --kinds), bad checksums kept bad, snaplen-cut packets, fragments, damaged input and
 * usage errors of both commands.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readU16 } from '../../src/codec/bytes.js';
import { checksumsOk, tcp } from '../dpvs/dpvs-packets.js';
import { checksumsValid, hexBytes as hex, packet, readPackets, runCli, tempDir, writeRawPcap } from '../rewrite/helpers.js';

const C = '192.0.2.1';
const V = '198.51.100.10';
const C6 = '2001:db8::1';
const V6 = '2001:db8::80';

function tcpFlow(c: string, v: string, sport = 40000) {
  const req = Array.from(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
  return [
    packet({ src: c, dst: v, sport, dport: 80, seq: 0x11223344, flags: 0x02, options: hex('02 04 05 b4 04 02 08 0a 00 01 e2 40 00 00 00 00 01 03 03 07') }),
    packet({ src: v, dst: c, sport: 80, dport: sport, seq: 0x55667788, ack: 0x11223345, flags: 0x12, options: hex('02 04 05 b4 01 01 04 02') }),
    packet({ src: c, dst: v, sport, dport: 80, seq: 0x11223345, ack: 0x55667789, flags: 0x10, options: hex('01 01 08 0a 00000001 00000002') }),
    packet({ src: c, dst: v, sport, dport: 80, seq: 0x11223345, ack: 0x55667789, flags: 0x18, payload: req }),
    packet({ src: v, dst: c, sport: 80, dport: sport, seq: 0x55667789, ack: 0x11223345 + req.length, flags: 0x18, payload: [1, 2, 3], options: hex('01 01 05 0a 11223345 11223350') }),
    packet({ src: c, dst: v, sport, dport: 80, seq: 0x11223345 + req.length, ack: 0x5566778c, flags: 0x11 }),
  ];
}
function udpFlow(c: string, v: string) {
  return [0, 1, 2, 3, 4].map((i) => packet({ src: c, dst: v, sport: 5353, dport: 53, udp: true, payload: [i, 1, 2, 3] }));
}

async function roundTrip(packets: Uint8Array[], args: string[]) {
  const dir = tempDir();
  writeRawPcap(join(dir, 'in.pcap'), packets);
  const i = await runCli(['inject-toa', join(dir, 'in.pcap'), '-o', join(dir, 'inj.pcap'), '--json', ...args]);
  expect(i.code, i.stderr).toBe(0);
  const s = await runCli(['strip', join(dir, 'inj.pcap'), '-o', join(dir, 'back.pcap'), '--json']);
  expect(s.code, s.stderr).toBe(0);
  return {
    dir,
    inject: JSON.parse(i.stdout),
    strip: JSON.parse(s.stdout),
    injected: (await readPackets(join(dir, 'inj.pcap'))).map((p) => p.data),
    same: Buffer.compare(readFileSync(join(dir, 'back.pcap')), readFileSync(join(dir, 'in.pcap'))) === 0,
  };
}

describe('strip(inject-toa(x)) == x, every format', () => {
  const cases: Array<[string, Uint8Array[], string[], number]> = [
    ['dpvs IPv4', tcpFlow(C, V), [], 2],
    ['dpvs IPv6', tcpFlow(C6, V6), [], 2],
    ['lvs IPv6 (253/20, SYN too)', tcpFlow(C6, V6), ['--format', 'lvs'], 3],
    ['tencent 200/8', tcpFlow(C, V), ['--format', 'tencent'], 2],
    ['ucloud 200/8 every segment', tcpFlow(C, V), ['--format', 'ucloud', '--when', 'every'], 4],
    ['jd 200/8 after the options (ACK3 and the data segment at c_isn+1)', tcpFlow(C, V), ['--format', 'jd'], 2],
    ['alibaba-vtoa 254/8 + 250/8', tcpFlow(C, V), ['--format', 'alibaba-vtoa'], 2],
    ['alibaba-vtoa-vpc 252/20', tcpFlow(C, V), ['--format', 'alibaba-vtoa-vpc', '--vpc-id', '0x12345678'], 2],
    ['alibaba-cdn 28/7 on the SYN', tcpFlow(C, V), ['--format', 'alibaba-cdn'], 1],
    ['dpvs-legacy (SYN too)', tcpFlow(C, V), ['--when', 'dpvs-legacy'], 3],
    ['ttgw IPv4 option', tcpFlow(C, V), ['--format', 'ttgw'], 4],
    ['ttgw IPv6 destination option', tcpFlow(C6, V6), ['--format', 'ttgw'], 4],
    ['ttgw on UDP', udpFlow(C, V), ['--format', 'ttgw'], 5],
    ['proxy-v1 with sequence shift', tcpFlow(C, V), ['--format', 'proxy-v1'], 1],
    ['proxy-v2 IPv6 with sequence shift', tcpFlow(C6, V6), ['--format', 'proxy-v2'], 1],
    ['proxy-v2 UDP (first datagram)', udpFlow(C, V), ['--format', 'proxy-v2'], 1],
    ['uoa-opp IPv4 (first 3)', udpFlow(C, V), ['--format', 'uoa-opp'], 3],
    ['uoa-opp IPv6', udpFlow(C6, V6), ['--format', 'uoa-opp'], 3],
    ['uoa-ipo', udpFlow(C, V), ['--format', 'uoa-ipo'], 3],
  ];
  for (const [name, packets, args, inserted] of cases) {
    it(name, async () => {
      const r = await roundTrip(packets, args);
      expect(r.inject.carriersInserted).toBe(inserted);
      expect(r.inject.prunedPackets).toBe(0);
      expect(r.strip.carriersRemoved).toBe(args.includes('alibaba-vtoa') ? 2 * inserted : inserted);
      for (const p of r.injected) expect(checksumsValid(p)).toBe(true);
      expect(r.same).toBe(true);
    });
  }
});

describe('strip options', () => {
  it('--nop overwrites the TOA with NOPs (length kept, checksum valid)', async () => {
    const dir = tempDir();
    writeRawPcap(join(dir, 'in.pcap'), [packet({ src: C, dst: V, sport: 40000, dport: 80, ack: 5, options: hex('fe 08 9c 40 c0 00 02 01') })]);
    const r = await runCli(['strip', '--nop', join(dir, 'in.pcap'), '-o', join(dir, 'out.pcap'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [p] = await readPackets(join(dir, 'out.pcap'));
    expect(p!.data.length).toBe(48);
    expect(tcp.options(p!.data)).toEqual(new Array(8).fill(1));
    expect(checksumsOk(p!.data, 0, 48)).toBe(true);
    expect(JSON.parse(r.stdout).carriersNopped).toBe(1);
  });

  it('--kinds 200 removes 200/8 and leaves 254/8', async () => {
    const dir = tempDir();
    writeRawPcap(join(dir, 'in.pcap'), [packet({ src: C, dst: V, sport: 40000, dport: 80, ack: 5, options: hex('fe 08 9c 40 c0 00 02 01 c8 08 9c 40 c0 00 02 02') })]);
    const r = await runCli(['strip', '--kinds', '200', join(dir, 'in.pcap'), '-o', join(dir, 'out.pcap')]);
    expect(r.code, r.stderr).toBe(0);
    const [p] = await readPackets(join(dir, 'out.pcap'));
    expect(tcp.options(p!.data)).toEqual(hex('fe 08 9c 40 c0 00 02 01'));
    expect(checksumsOk(p!.data, 0, p!.data.length)).toBe(true);
  });

  it('--kinds with nonsense is a usage error (exit 2)', async () => {
    const dir = tempDir();
    writeRawPcap(join(dir, 'in.pcap'), [packet({ src: C, dst: V, sport: 40000, dport: 80 })]);
    expect((await runCli(['strip', '--kinds', '999:99', join(dir, 'in.pcap'), '-o', join(dir, 'out.pcap')])).code).toBe(2);
  });
});

describe('checksums, truncation, fragments', () => {
  it('a bad TCP checksum stays bad by the same amount; a bad IPv4 header checksum too (counted)', async () => {
    const dir = tempDir();
    const good = packet({ src: C, dst: V, sport: 40000, dport: 80, ack: 5, id: 7 });
    const bad = good.slice();
    bad[36] = bad[36]! ^ 0x12; // TCP checksum off
    bad[10] = bad[10]! ^ 0x01; // IPv4 header checksum off
    writeRawPcap(join(dir, 'good.pcap'), [good]);
    writeRawPcap(join(dir, 'bad.pcap'), [bad]);
    await runCli(['inject-toa', join(dir, 'good.pcap'), '-o', join(dir, 'good-out.pcap')]);
    const r = await runCli(['inject-toa', join(dir, 'bad.pcap'), '-o', join(dir, 'bad-out.pcap'), '--json']);
    expect(JSON.parse(r.stdout).badChecksumsKept).toBe(1);
    const [g] = await readPackets(join(dir, 'good-out.pcap'));
    const [b] = await readPackets(join(dir, 'bad-out.pcap'));
    expect(checksumsOk(g!.data, 0, g!.data.length)).toBe(true);
    expect(checksumsOk(b!.data, 0, b!.data.length)).toBe(false);
    expect(tcp.options(b!.data)[0]).toBe(254);
    // same error as the input: good value XOR the same bits is not guaranteed, but the ones' complement difference is
    const diff = (x: number, y: number) => (x - y + 0xffff) % 0xffff;
    expect(diff(readU16(b!.data, 36), readU16(g!.data, 36))).toBe(diff(readU16(bad, 36), readU16(good, 36)));
    expect(diff(readU16(b!.data, 10), readU16(g!.data, 10))).toBe(diff(readU16(bad, 10), readU16(good, 10)));
    // strip gives the bad input back exactly
    await runCli(['strip', join(dir, 'bad-out.pcap'), '-o', join(dir, 'bad-back.pcap')]);
    expect(readFileSync(join(dir, 'bad-back.pcap'))).toEqual(readFileSync(join(dir, 'bad.pcap')));
  });

  it('a snaplen-cut packet gets the same TCP checksum as the full packet (RFC 1624 incremental)', async () => {
    const dir = tempDir();
    const full = packet({ src: C, dst: V, sport: 40000, dport: 80, ack: 5, flags: 0x18, payload: Array.from({ length: 301 }, (_, i) => (i * 7) & 0xff) });
    writeRawPcap(join(dir, 'full.pcap'), [full]);
    writeRawPcap(join(dir, 'cut.pcap'), [full.subarray(0, 96)], 101, { snapLength: 96, originalLengths: [full.length] });
    await runCli(['inject-toa', join(dir, 'full.pcap'), '-o', join(dir, 'full-out.pcap')]);
    const r = await runCli(['inject-toa', join(dir, 'cut.pcap'), '-o', join(dir, 'cut-out.pcap'), '--json']);
    expect(JSON.parse(r.stdout).truncatedIncremental).toBe(1);
    const [f] = await readPackets(join(dir, 'full-out.pcap'));
    const [c] = await readPackets(join(dir, 'cut-out.pcap'));
    expect(c!.data.length).toBe(104);
    expect(c!.originalLength).toBe(full.length + 8);
    expect(Array.from(c!.data)).toEqual(Array.from(f!.data.subarray(0, 104)));
  });

  it('IP fragments pass unchanged and are counted', async () => {
    const dir = tempDir();
    const frag = packet({ src: C, dst: V, sport: 40000, dport: 80, ack: 5, df: false });
    frag[6] = 0x20; // MF
    frag[10] = 0;
    frag[11] = 0;
    const { fillIpv4HeaderChecksum } = await import('../../src/codec/checksum.js');
    fillIpv4HeaderChecksum(frag, 0, 20);
    writeRawPcap(join(dir, 'in.pcap'), [frag]);
    const r = await runCli(['inject-toa', join(dir, 'in.pcap'), '-o', join(dir, 'out.pcap'), '--json']);
    expect(JSON.parse(r.stdout).fragmentsPassed).toBe(1);
    expect(readFileSync(join(dir, 'out.pcap'))).toEqual(readFileSync(join(dir, 'in.pcap')));
  });
});

describe('errors and exit codes', () => {
  it('damaged input: the packets before the damage are counted, exit 1, no output file left', async () => {
    const dir = tempDir();
    writeRawPcap(join(dir, 'in.pcap'), tcpFlow(C, V));
    const bytes = readFileSync(join(dir, 'in.pcap'));
    writeFileSync(join(dir, 'cut.pcap'), bytes.subarray(0, bytes.length - 10));
    for (const command of ['inject-toa', 'strip']) {
      const r = await runCli([command, join(dir, 'cut.pcap'), '-o', join(dir, `${command}.pcap`), '--json']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/packet 6/);
      const summary = JSON.parse(r.stdout);
      expect(summary.packetsIn).toBe(5);
      expect(summary.error).toMatch(/packet 6/);
      expect(existsSync(join(dir, `${command}.pcap`))).toBe(false);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('output = input is refused (exit 2); --fnat without --rs is a usage error (exit 2)', async () => {
    const dir = tempDir();
    writeRawPcap(join(dir, 'in.pcap'), tcpFlow(C, V));
    expect((await runCli(['inject-toa', join(dir, 'in.pcap'), '-o', join(dir, 'in.pcap')])).code).toBe(2);
    expect((await runCli(['strip', join(dir, 'in.pcap'), '-o', join(dir, 'in.pcap')])).code).toBe(2);
    expect((await runCli(['inject-toa', join(dir, 'in.pcap'), '-o', join(dir, 'o.pcap'), '--fnat', '--lip', '10.0.0.1'])).code).toBe(2);
    expect((await runCli(['inject-toa', join(dir, 'in.pcap'), '-o', join(dir, 'o.pcap'), '--format', 'nope'])).code).toBe(2);
  });

  it('--report writes per-flow counts', async () => {
    const dir = tempDir();
    writeRawPcap(join(dir, 'in.pcap'), [...tcpFlow(C, V, 40000), ...tcpFlow(C, V, 40001)]);
    const r = await runCli(['inject-toa', join(dir, 'in.pcap'), '-o', join(dir, 'o.pcap'), '--report', '-']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.flows).toHaveLength(2);
    expect(report.flows[0]).toMatchObject({ client: C, clientPort: 40000, server: V, serverPort: 80, clientSide: 'syn', carriersInserted: 2, packetsClientToServer: 4 });
    expect(report.flows[0].skipped['not-eligible']).toBe(2);
    expect(r.stderr).toMatch(/carriers inserted/);
  });
});
