/** `toa synproxy-replay` behaviours through the CLI: stored packets, retries, RS RST, recorded backend, ACK storm, reuse, defer, outputs, usage. */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PacketSpec } from '../../src/codec/build.js';
import { readU16, readU32 } from '../../src/codec/bytes.js';
import { COUNT, K, LINUX_SYN_OPTIONS, V, C, clientPacket, readLegs, runCli, tempDir, writeCapture, type LegPacket, type TimedSpec } from '../replay/replay-helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

const tcpOf = (l3: Uint8Array) => (l3[0]! >> 4 === 4 ? (l3[0]! & 0xf) * 4 : 40);
const seqOf = (l3: Uint8Array) => readU32(l3, tcpOf(l3) + 4);
const ackOf = (l3: Uint8Array) => readU32(l3, tcpOf(l3) + 8);
const flagsOf = (l3: Uint8Array) => l3[tcpOf(l3) + 13]!;
const windowOf = (l3: Uint8Array) => readU16(l3, tcpOf(l3) + 14);
const hasToa = (l3: Uint8Array) => l3[tcpOf(l3) + 20] === 0xfe;
const rsSide = (legs: LegPacket[]) => legs.filter((p) => p.leg === 'rs-side');
const clientSide = (legs: LegPacket[]) => legs.filter((p) => p.leg === 'client-side');
const toClient = (legs: LegPacket[]) => clientSide(legs).filter((p) => p.l3[12] === 198);

/** A VIP→client packet (the recorded server's answer). */
function serverPacket(seq: number, ack: number, flags: string, extra: { options?: Uint8Array; payload?: Uint8Array } = {}): PacketSpec {
  return {
    link: { type: 'ethernet', source: '02:00:00:00:00:02', destination: '02:00:00:00:00:01' },
    ip: { version: 4, source: V, destination: C, ttl: 60, identification: 0x4444, dontFragment: true },
    transport: { type: 'tcp', sourcePort: 80, destinationPort: 40000, sequenceNumber: seq >>> 0, acknowledgmentNumber: ack >>> 0, flags, windowSize: 29200, options: extra.options, optionPadding: 'none' },
    payload: extra.payload,
  };
}

async function replay(packets: TimedSpec[], extra: string[] = []) {
  const input = join(dir, 'in.pcap');
  const out = join(dir, 'out.pcapng');
  const report = join(dir, 'report.json');
  writeCapture(input, packets);
  const run = await runCli(['synproxy-replay', input, '-o', out, '--minute', String(COUNT), '--report', report, ...extra]);
  if (run.code !== 0) throw new Error(`exit ${run.code}: ${run.stderr}`);
  return { legs: await readLegs(out), run, json: JSON.parse(readFileSync(report, 'utf8')), out, input };
}

const text = (s: string) => new TextEncoder().encode(s);
const SYN: TimedSpec = { at: 0, spec: clientPacket({ seq: 0x11223344, flags: 'S', options: LINUX_SYN_OPTIONS }) };
const ACK: TimedSpec = { at: 0.05, spec: clientPacket({ seq: 0x11223345, ack: K + 1, flags: 'A' }) };

describe('stored client packets', () => {
  it('holds max_ack_saved + 1 packets (off by one), drops the next, skips the window update and forwards them in order', async () => {
    const data = [1, 2, 3, 4].map((i) => ({ at: 0.05 + i * 0.01, spec: clientPacket({ seq: 0x11223345 + (i - 1) * 3, ack: K + 1, flags: 'PA', payload: text('abc') }) }));
    const { legs, json } = await replay([SYN, ACK, ...data], ['--rs-delay', '1000000']);
    const c = json.connections[0];
    expect(c.stored).toBe(4);
    expect(c.dropped).toEqual({ 'store-full': 1 });
    expect(c.windowUpdate).toBe(false);
    expect(c.anomalies.map((a: { kind: string }) => a.kind)).toContain('stored-packets-dropped');
    const forwarded = rsSide(legs).filter((p) => (flagsOf(p.l3) & 0x02) === 0 && p.l3[19] === 2);
    expect(forwarded.map((p) => seqOf(p.l3) - 0xa0000000)).toEqual([1, 1, 4, 7]);
    expect(forwarded.every((p) => hasToa(p.l3))).toBe(true);
    // Released together, one second after the RS SYN (the modelled RS's delay).
    expect(new Set(forwarded.map((p) => `${p.seconds}.${p.nanos}`)).size).toBe(1);
  });

  it('--max-ack-saved 1 holds two', async () => {
    const data = [1, 2, 3].map((i) => ({ at: 0.05 + i * 0.01, spec: clientPacket({ seq: 0x11223345 + (i - 1) * 3, ack: K + 1, flags: 'PA', payload: text('abc') }) }));
    const { json } = await replay([SYN, ACK, ...data], ['--rs-delay', '1000000', '--max-ack-saved', '1']);
    expect(json.connections[0].stored).toBe(2);
    expect(json.connections[0].dropped).toEqual({ 'store-full': 2 });
  });
});

describe('the RS side', () => {
  it('retransmits the RS SYN every --syn-sent-timeout seconds, then gives up (--rs-silent)', async () => {
    const { legs, json } = await replay([SYN, ACK], ['--rs-silent']);
    const syns = rsSide(legs);
    expect(syns).toHaveLength(4);
    expect(syns.map((p) => p.seconds - syns[0]!.seconds)).toEqual([0, 3, 6, 9]);
    expect(new Set(syns.map((p) => Buffer.from(p.l3).toString('hex'))).size).toBe(1);
    expect(json.connections[0].outcome).toBe('syn-retries-exhausted');
    expect(json.connections[0].rsSynSent).toBe(4);
    expect(json.connections[0].anomalies.map((a: { kind: string }) => a.kind)).toContain('window-stayed-zero');
  });

  it('forwards an RS RST in SYN_SENT to the client with seq K + 1 (recorded backend)', async () => {
    const { legs, json } = await replay([SYN, { at: 0.001, spec: serverPacket(0, 0x11223345, 'RA') }, ACK]);
    const rst = toClient(legs).find((p) => flagsOf(p.l3) & 0x04)!;
    expect(seqOf(rst.l3)).toBe(K + 1);
    expect(ackOf(rst.l3)).toBe(0x11223345);
    const rsRst = rsSide(legs).find((p) => flagsOf(p.l3) & 0x04)!;
    expect(ackOf(rsRst.l3)).toBe(0xa0000001);
    expect(json.connections[0].outcome).toBe('rst-from-rs');
    expect(json.counts.responsesDelivered).toBe(1);
  });

  it('moves recorded VIP→client answers onto the rs-side leg and re-bases the client acks onto the cookie', async () => {
    const r = 0x55667788;
    const { legs, json } = await replay([
      SYN,
      { at: 0.001, spec: serverPacket(r, 0x11223345, 'SA', { options: Uint8Array.from([2, 4, 5, 0xb4]) }) },
      { at: 0.002, spec: clientPacket({ seq: 0x11223345, ack: r + 1, flags: 'A' }) },
      { at: 0.003, spec: clientPacket({ seq: 0x11223345, ack: r + 1, flags: 'PA', payload: text('hello') }) },
      { at: 0.004, spec: serverPacket(r + 1, 0x1122334a, 'PA', { payload: text('world') }) },
      { at: 0.005, spec: clientPacket({ seq: 0x1122334a, ack: r + 6, flags: 'A' }) },
    ]);
    const c = json.connections[0];
    expect(c.outcome).toBe('established');
    expect(c.rsIsn).toBe('0x55667788');
    expect(c.deltaS).toBe(`0x${((K - r) >>> 0).toString(16).padStart(8, '0')}`);
    expect(json.counts).toMatchObject({ inputPackets: 6, clientPackets: 4, responsesDelivered: 2, responsesUndelivered: 0 });
    const cs = clientSide(legs).filter((p) => p.l3[12] === 192);
    expect(cs.slice(1).map((p) => ackOf(p.l3) - K)).toEqual([1, 1, 6]);
    const rs = rsSide(legs);
    const rsSynAck = rs.find((p) => flagsOf(p.l3) === 0x12)!;
    expect([seqOf(rsSynAck.l3), ackOf(rsSynAck.l3)]).toEqual([r, 0xa0000001]);
    const rsData = rs.find((p) => p.l3[12] === 10 && p.l3[15] === 2 && flagsOf(p.l3) === 0x18)!;
    expect([seqOf(rsData.l3), ackOf(rsData.l3)]).toEqual([r + 1, 0xa0000006]);
    const lastToRs = rs.filter((p) => p.l3[15] === 100).at(-1)!;
    expect([seqOf(lastToRs.l3), ackOf(lastToRs.l3), hasToa(lastToRs.l3)]).toEqual([0xa0000006, r + 6, false]);
    const dataToClient = toClient(legs).find((p) => flagsOf(p.l3) === 0x18)!;
    expect([seqOf(dataToClient.l3), ackOf(dataToClient.l3)]).toEqual([K + 1, 0x1122334a]);
  });

  it('ACK storm: identical RS ACKs beyond ack_storm_thresh leave untranslated', async () => {
    const r = 0x55667788;
    const acks = Array.from({ length: 12 }, (_, i) => ({ at: 0.1 + i * 0.001, spec: serverPacket(r + 1, 0x11223345, 'A') }));
    const { legs, json } = await replay([SYN, { at: 0.001, spec: serverPacket(r, 0x11223345, 'SA') }, { at: 0.002, spec: clientPacket({ seq: 0x11223345, ack: r + 1, flags: 'A' }) }, ...acks]);
    // The window update has the same seq/ack as the RS ACKs: it is the first of 13 identical packets.
    const out = toClient(legs).slice(1);
    expect(out).toHaveLength(13);
    expect(out.map((p) => seqOf(p.l3) === K + 1)).toEqual([...Array(10).fill(true), false, false, false]);
    expect(out.slice(10).every((p) => seqOf(p.l3) === r + 1 && ackOf(p.l3) === 0xa0000001)).toBe(true);
    expect(json.connections[0].ackStormPackets).toBe(3);
  });
});

describe('connection reuse and defer', () => {
  it('a fresh SYN and valid cookie ACK on a TIME_WAIT connection reuse it with a new RS SYN', async () => {
    const { legs, json } = await replay([
      SYN,
      ACK,
      { at: 0.1, spec: clientPacket({ seq: 0x11223345, ack: K + 1, flags: 'FA' }) },
      { at: 1, spec: clientPacket({ seq: 0x22334455, flags: 'S', options: LINUX_SYN_OPTIONS }) },
      { at: 1.05, spec: clientPacket({ seq: 0x22334456, ack: 0x1001, flags: 'A' }) },
    ]);
    expect(json.connections).toHaveLength(2);
    expect(json.connections.map((c: { outcome: string }) => c.outcome)).toEqual(['established', 'established']);
    expect(json.connections[1].clientIsn).toBe('0x22334455');
    const syns = rsSide(legs).filter((p) => flagsOf(p.l3) === 0x02);
    expect(syns).toHaveLength(2);
    expect(readU16(syns[1]!.l3, 20)).toBe(5000);
    // The new cookie ACK (re-based onto the new cookie) is forwarded with TOA after the new RS SYN-ACK.
    const last = rsSide(legs).filter((p) => p.l3[19] === 2).at(-1)!;
    expect(hasToa(last.l3)).toBe(true);
  });

  it('quirk: the final ACK of a FIN exchange (seq c+2, ack K+2) passes the cookie check in TIME_WAIT and reuses the connection', async () => {
    const { json } = await replay([
      SYN,
      ACK,
      { at: 0.1, spec: clientPacket({ seq: 0x11223345, ack: K + 1, flags: 'FA' }) },
      { at: 0.2, spec: clientPacket({ seq: 0x11223346, ack: K + 2, flags: 'A' }) },
    ]);
    expect(json.connections).toHaveLength(2);
    expect(json.connections[1]).toMatchObject({ clientIsn: '0x11223345', outcome: 'established', rsSynSent: 1 });
  });

  it('--defer-rs-syn: the SYN-ACK echoes the window, an ACK without data is dropped, data triggers the RS SYN', async () => {
    const { legs, json } = await replay(
      [SYN, ACK, { at: 0.1, spec: clientPacket({ seq: 0x11223345, ack: K + 1, flags: 'PA', payload: text('GET') }) }],
      ['--defer-rs-syn'],
    );
    expect(windowOf(legs[1]!.l3)).toBe(64240);
    expect(json.connections[0].dropped).toEqual({ 'null-ack (defer-rs-syn)': 1 });
    const syn = rsSide(legs)[0]!;
    expect(syn.seconds + syn.nanos / 1e9).toBeCloseTo(1_700_000_000.1, 6);
    expect(json.connections[0].windowUpdate).toBe(false);
  });
});

describe('outputs, accounting and usage', () => {
  it('--split writes two pcap files; a raw-IP input gives LINKTYPE_RAW', async () => {
    const input = join(dir, 'in.pcap');
    writeCapture(
      input,
      [
        { at: 0, spec: clientPacket({ seq: 0x11223344, flags: 'S', options: LINUX_SYN_OPTIONS, raw: true }) },
        { at: 0.05, spec: clientPacket({ seq: 0x11223345, ack: K + 1, flags: 'A', raw: true }) },
      ],
      101,
    );
    const run = await runCli(['synproxy-replay', input, '--split', join(dir, 'leg'), '--minute', String(COUNT)]);
    expect(run.code).toBe(0);
    const client = await readLegs(join(dir, 'leg-client-side.pcap'));
    const rs = await readLegs(join(dir, 'leg-rs-side.pcap'));
    expect(client.map((p) => p.linkType)).toEqual([101, 101, 101, 101]);
    expect(rs).toHaveLength(3);
    expect(readdirSync(dir).sort()).toEqual(['in.pcap', 'leg-client-side.pcap', 'leg-rs-side.pcap']);
  });

  it('Ethernet output: DPVS-sent frames carry the client frame MACs swapped', async () => {
    const { legs } = await replay([SYN, ACK]);
    const mac = (f: Uint8Array, at: number) => Buffer.from(f.subarray(at, at + 6)).toString('hex');
    expect([mac(legs[0]!.frame, 0), mac(legs[0]!.frame, 6)]).toEqual(['020000000002', '020000000001']);
    expect([mac(legs[1]!.frame, 0), mac(legs[1]!.frame, 6)]).toEqual(['020000000001', '020000000002']);
  });

  it('accounts for every input packet: not TCP, not to a VIP, damaged', async () => {
    const udp: PacketSpec = { ip: { version: 4, source: C, destination: V }, transport: { type: 'udp', sourcePort: 1, destinationPort: 53 }, payload: text('x') };
    const other = clientPacket({ seq: 1, flags: 'A', dst: '203.0.113.9' });
    const input = join(dir, 'in.pcap');
    writeCapture(input, [SYN, { at: 0.01, spec: udp }, { at: 0.02, spec: other }, ACK]);
    // A damaged copy: the last frame's TCP header cut short (IP total length kept).
    const bytes = readFileSync(input);
    const damaged = join(dir, 'damaged.pcap');
    const cut = Buffer.concat([bytes, Buffer.from(recordOf(bytes.subarray(bytes.length - 54 - 16), 30))]);
    writeFileSync(damaged, cut);
    const report = join(dir, 'r.json');
    const run = await runCli(['synproxy-replay', damaged, '-o', join(dir, 'o.pcapng'), '--minute', String(COUNT), '--report', report]);
    expect(run.code).toBe(0);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.counts).toMatchObject({ inputPackets: 5, clientPackets: 2, notTcp: 1, otherTcp: 1, damaged: 1 });
    expect(json.problems).toHaveLength(1);
    expect(json.problems[0].packet).toBe(5);
    expect(run.stderr).toMatch(/5 input packets: 2 client→VIP modelled.*3 skipped \(0 not IP, 1 not TCP, 1 TCP not to\/from a VIP, 0 of an unmodelled family, 1 damaged\)/);
  });

  it('refuses to overwrite the input and leaves it intact (exit 2)', async () => {
    const input = join(dir, 'in.pcap');
    writeCapture(input, [SYN]);
    const before = readFileSync(input);
    const run = await runCli(['synproxy-replay', input, '-o', input]);
    expect(run.code).toBe(2);
    expect(readFileSync(input).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['in.pcap']);
  });

  it.each([
    [['--mss', '0'], /mss must be an integer in 1..65535/],
    [['--wscale', '15'], /wscale/],
    [['--max-ack-saved', '64'], /max_ack_saved/],
    [['--cookie-secret', 'abcd'], /256 hex digits/],
    [['--lip', '10.0.0.1', '--rs', '[2001:db8::2]:80'], /same address family/],
    [['--minute', 'x'], /--minute must be an integer/],
  ])('usage error %j → exit 2', async (args, message) => {
    const input = join(dir, 'in.pcap');
    writeCapture(input, [SYN]);
    const run = await runCli(['synproxy-replay', input, '-o', join(dir, 'o.pcapng'), ...(args as string[])]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message as RegExp);
    expect(existsSync(join(dir, 'o.pcapng'))).toBe(false);
  });

  it('needs -o or --split', async () => {
    const input = join(dir, 'in.pcap');
    writeCapture(input, [SYN]);
    expect((await runCli(['synproxy-replay', input])).code).toBe(2);
  });

  it('--ladder prints one arrow per packet and the decisions, plain without a TTY', async () => {
    const input = join(dir, 'in.pcap');
    writeCapture(input, [SYN, ACK]);
    const run = await runCli(['synproxy-replay', input, '-o', join(dir, 'o.pcapng'), '--minute', String(COUNT), '--ladder']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/\x1b\[/);
    const lines = run.stdout.split('\n');
    expect(lines.filter((l) => l.includes('▶') || l.includes('◀'))).toHaveLength(7);
    expect(run.stdout).toContain('cookie 0x4eeb1b3f minted');
    expect(run.stdout).toContain('cookie ok');
    expect(run.stdout).toContain('stored #1');
    expect(run.stdout).toContain('TOA inserted');
    expect(run.stdout).toContain('[toa 192.0.2.1:40000]');
    expect(run.stdout).toMatch(/seq 1 \(0xa0000001\) ack 1 \(0x55667789\)/);
  });

  it('--help documents the defaults, NAT64 and exit code 3', async () => {
    const run = await runCli(['synproxy-replay', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--close-client-window is ON');
    expect(run.stdout).toContain('NAT64 in the SYN proxy is not modelled');
    expect(run.stdout).toContain('3 --check found disagreements');
  });
});

/** A pcap record (ns header as written by writeCapture) whose data is the first `keep` bytes of the given record's frame. */
function recordOf(record: Uint8Array, keep: number): Uint8Array {
  const out = new Uint8Array(16 + keep);
  out.set(record.subarray(0, 8), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, keep, true);
  view.setUint32(12, keep, true);
  out.set(record.subarray(16, 16 + keep), 16);
  return out;
}
