import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StatsCollector, type ConnectionSummary, type StatsOptions, type StatsReport } from '../../src/analysis/stats.js';
import { parseEndpoint } from '../../src/codec/addr.js';
import { openCapture } from '../../src/codec/capture.js';
import { Conversation, concatBytes, MSS_SACK_TS_WS, tempDir, toa, toa200, writeConversations } from './stats-fixture.js';

const RS = '10.0.0.2';
const LIP = '10.0.0.1';

async function statsOf(paths: string[], options: StatsOptions = {}): Promise<{ report: StatsReport; connections: ConnectionSummary[] }> {
  const connections: ConnectionSummary[] = [];
  const collector = new StatsCollector({ ...options, onConnection: (c) => connections.push(c) });
  for (const path of paths) {
    const reader = await openCapture(path);
    collector.beginFile(reader.info);
    await reader.read((rec) => collector.packet(rec));
    collector.endFile(reader.info);
  }
  return { report: collector.finish(), connections };
}

function verdictOf(connections: ConnectionSummary[], clientPort: number): string | undefined {
  return connections.find((c) => c.client.endsWith(`:${clientPort}`))?.verdict;
}

function count(report: StatsReport, verdict: string): number {
  return report.verdicts.find((v) => v.verdict === verdict)!.flows;
}

function anomaly(report: StatsReport, code: string) {
  return report.anomalies.find((a) => a.code === code)!;
}

/** SACK with three blocks (26 bytes) after NOP NOP TS: 38 bytes of options, padded to 40 (doff 15). */
const FULL_HEADER = concatBytes(
  Uint8Array.of(1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 1),
  Uint8Array.of(5, 26, ...new Array(24).fill(0).map((_, i) => i + 1)),
);

function scenario(): Conversation[] {
  const c: Conversation[] = [];
  // 40001 ok: TOA on the handshake ACK (and the first request, DPVS style)
  c.push(new Conversation(LIP, 40001, RS, 80).handshake({ syn: MSS_SACK_TS_WS, ack: toa('203.0.113.1', 1111) }).exchange({ request: toa('203.0.113.1', 1111) }));
  // 40002 syn-only (LVS legacy): TOA on the SYN only
  c.push(new Conversation(LIP, 40002, RS, 80).handshake({ syn: toa('203.0.113.2', 2222) }).exchange());
  // 40003 data-only: TOA only on the first request
  c.push(new Conversation(LIP, 40003, RS, 80).handshake().exchange({ request: toa('203.0.113.3', 3333) }));
  // 40004 no-room: handshake ACK with 40 bytes of options (TS + 3 SACK blocks), no TOA anywhere
  c.push(new Conversation(LIP, 40004, RS, 80).handshake({ ack: FULL_HEADER }).exchange({ request: FULL_HEADER }));
  // 40005 mtu: the handshake ACK is a 1500-byte packet (20 + 20 + 1460), no TOA
  c.push(new Conversation(LIP, 40005, RS, 80).handshake({ ackPayload: 1460 }).fromServer('.', 5001, 2461));
  // 40006 kind 200 only: dpvs does not read it, tencent/ucloud do
  c.push(new Conversation(LIP, 40006, RS, 80).handshake({ ack: toa200('203.0.113.6', 6666) }).exchange());
  // 40007 handshake missing: data with TOA, no SYN
  c.push(new Conversation(LIP, 40007, RS, 80).exchange({ request: toa('203.0.113.7', 7777) }));
  // 40008 TFO on a 254 SYN (ExID 0xF989), TOA on the ACK: ok + tcp-fast-open anomaly
  c.push(new Conversation(LIP, 40008, RS, 80).handshake({ syn: Uint8Array.of(254, 12, 0xf9, 0x89, 1, 2, 3, 4, 5, 6, 7, 8), ack: toa('203.0.113.8', 8888) }).exchange());
  // 40009 two TOAs in one packet (254/8 then 200/8)
  c.push(new Conversation(LIP, 40009, RS, 80).handshake({ ack: concatBytes(toa('203.0.113.9', 9999), toa200('198.51.100.9', 9)) }).exchange());
  // 40010 carrier on a server→client packet
  c.push(new Conversation(LIP, 40010, RS, 80).handshake({ ack: toa('203.0.113.10', 1010) }).exchange({ response: toa('203.0.113.10', 1010) }));
  // 40011 SYN-ACK window 0, opened 26 ms later (ACK 1 ms after the SYN-ACK, then a window update 25 ms later)
  c.push(
    new Conversation(LIP, 40011, RS, 80)
      .handshake({ synAckWindow: 0, ack: toa('203.0.113.11', 1111) })
      .fromServer('.', 5001, 1001, { window: 29200, gap: 25 })
      .exchange(),
  );
  // 40012 RST with TTL 63 right after the SYN-ACK (DPVS bad cookie), handshake ACK without TOA
  c.push(new Conversation(LIP, 40012, RS, 80).handshake({ ackPayload: 10 }).fromServer('R.', 5001, 1011, { ttl: 63 }));
  // 40013 SYN retransmission (same ISN twice), then an ok handshake
  c.push(new Conversation(LIP, 40013, RS, 80).fromClient('S', 1000, undefined, {}).handshake({ ack: toa('203.0.113.13', 1313) }).exchange());
  // 40014 handshake without data: SYN, SYN-ACK, ACK with TOA, FIN, FIN, ACK
  c.push(
    new Conversation(LIP, 40014, RS, 80)
      .handshake({ ack: toa('203.0.113.14', 1414) })
      .fromClient('F.', 1001, 5001)
      .fromServer('F.', 5001, 1002)
      .fromClient('.', 1002, 5002),
  );
  // 40015 malformed option (length 1) on a request after an ok handshake
  c.push(new Conversation(LIP, 40015, RS, 80).handshake({ ack: toa('203.0.113.15', 1515) }).exchange({ request: Uint8Array.of(8, 1, 0, 0) }));
  // 40016 NAT64: IPv4 packets carrying 254/20 with an IPv6 client
  c.push(new Conversation(LIP, 40016, RS, 80).handshake({ ack: toa('2001:db8::16', 1616) }).exchange());
  return c;
}

describe('toa stats on crafted captures: one flow per verdict and anomaly', () => {
  const dir = tempDir();
  const path = writeConversations(join(dir, 'scenario.pcap'), scenario());

  it('gives every flow the expected verdict (dpvs module)', async () => {
    const { report, connections } = await statsOf([path]);
    expect(connections).toHaveLength(16);
    const expected: Record<number, string> = {
      40001: 'ok', 40002: 'syn-only', 40003: 'data-only', 40004: 'no-room', 40005: 'mtu', 40006: 'unread-kind', 40007: 'no-handshake',
      40008: 'ok', 40009: 'ok', 40010: 'ok', 40011: 'ok', 40012: 'no-carrier', 40013: 'ok', 40014: 'ok', 40015: 'ok', 40016: 'ok',
    };
    for (const [port, verdict] of Object.entries(expected)) expect([port, verdictOf(connections, Number(port))]).toEqual([port, verdict]);
    expect(count(report, 'ok')).toBe(9);
    expect(count(report, 'syn-only')).toBe(1);
    expect(count(report, 'no-handshake')).toBe(1);
    expect(report.flows).toMatchObject({ tcpConnections: 16, tcpFourTuples: 16, judged: 15, missing: 6 });
    expect(report.verdicts.find((v) => v.verdict === 'ok')!.share).toBeCloseTo(9 / 16, 3);
    const noRoom = report.verdicts.find((v) => v.verdict === 'no-room')!.examples[0]!;
    expect(noRoom.client).toBe('10.0.0.1:40004');
    expect(noRoom.detail).toContain('60 bytes: 0 free < 8');
    expect(report.verdicts.find((v) => v.verdict === 'mtu')!.examples[0]!.detail).toContain('1500 + 8 > MTU 1500');
  });

  it('counts what each backend module would report', async () => {
    const { report } = await statsOf([path]);
    const m = Object.fromEntries(report.modules.map((r) => [r.module, r]));
    // dpvs: the 9 ok flows, 40016 through getsockopt (NAT64); 6 see the LB; 40007 not judged
    expect(m.dpvs).toMatchObject({ client: 8, clientGetsockopt: 1, lb: 6, notJudged: 1 });
    // tencent reads only 200/8: flows 40006 and 40009 (second option)
    expect(m.tencent).toMatchObject({ client: 2, clientGetsockopt: 0, lb: 13 });
    // ucloud: 200/8 + 254/8 on the ACK: the 8 flows with a 254/8 there, plus 40006 (200/8); not the NAT64 254/20
    expect(m.ucloud!.client).toBe(9);
    // alibaba-cdn also reads the SYN: the syn-only flow 40002 is visible to it
    expect(m['alibaba-cdn']!.client).toBe(9);
    expect(m['alibaba-cdn']!.clientGetsockopt).toBe(1);
    expect(m.huawei!.client).toBe(8);
  });

  it('lists per-flow peers for --module tencent and judges verdicts with it', async () => {
    const { report, connections } = await statsOf([path], { module: 'tencent', top: 0 });
    expect(report.options.verdictModule).toBe('tencent');
    expect(verdictOf(connections, 40006)).toBe('ok');
    expect(verdictOf(connections, 40001)).toBe('unread-kind');
    const peers = report.peers!;
    expect(peers.module).toBe('tencent');
    expect(peers.flows).toHaveLength(16);
    const f6 = peers.flows.find((p) => p.client === '10.0.0.1:40006')!;
    expect(f6.peer).toMatchObject({ outcome: 'client', address: '203.0.113.6', port: 6666, format: 'toa-v4-200', packet: 'ack' });
    const f1 = peers.flows.find((p) => p.client === '10.0.0.1:40001')!;
    expect(f1.peer).toMatchObject({ outcome: 'lb', address: LIP, port: 40001 });
  });

  it('reports the anomalies with counts and examples', async () => {
    const { report } = await statsOf([path]);
    expect(anomaly(report, 'tcp-fast-open').count).toBe(1);
    expect(anomaly(report, 'tcp-fast-open').examples[0]!.flow).toBe('10.0.0.1:40008 > 10.0.0.2:80');
    expect(anomaly(report, 'multiple-carriers').count).toBe(1);
    expect(anomaly(report, 'multiple-carriers').examples[0]!.detail).toContain('toa-v4-200 198.51.100.9');
    expect(anomaly(report, 'carrier-server-to-client').count).toBe(1);
    expect(anomaly(report, 'carrier-server-to-client').examples[0]!.flow).toBe('10.0.0.2:80 > 10.0.0.1:40010');
    const zero = anomaly(report, 'synack-window-zero');
    expect(zero.count).toBe(1);
    expect(zero.examples[0]!.detail).toBe('window opened after 26.000 ms');
    expect(anomaly(report, 'rst-ttl-63').count).toBe(1);
    expect(anomaly(report, 'rst-ttl-63').examples[0]!.flow).toBe('10.0.0.1:40012 > 10.0.0.2:80');
    expect(anomaly(report, 'syn-retransmission').count).toBe(1);
    expect(anomaly(report, 'syn-retransmission').examples[0]!.detail).toBe('2 SYNs with sequence 1000');
    expect(anomaly(report, 'handshake-no-data').count).toBe(1);
    expect(anomaly(report, 'handshake-no-data').examples[0]!.flow).toBe('10.0.0.1:40014 > 10.0.0.2:80');
    expect(anomaly(report, 'malformed-option').count).toBe(1);
    expect(anomaly(report, 'carrier-is-source').count).toBe(0);
    expect(anomaly(report, 'carrier-on-client-leg').count).toBe(0);
  });

  it('fills the overview and the carrier tables', async () => {
    const { report } = await statsOf([path]);
    const packets = scenario().reduce((n, c) => n + c.segments.length, 0);
    expect(report.overview.packets).toBe(packets);
    expect(report.overview.files[0]).toMatchObject({ format: 'pcap', interfaces: 1, packets, truncatedPackets: 0, error: null });
    expect(report.overview.files[0]!.linkTypes).toEqual([{ linkType: 1, name: expect.any(String), packets }]);
    expect(report.overview.protocols).toEqual([{ protocol: 'tcp', number: 6, packets }]);
    expect(report.overview.checksums.find((c) => c.layer === 'tcp')).toMatchObject({ ok: packets, bad: 0 });
    expect(report.overview.durationSeconds).toBeGreaterThan(0);
    const v4 = report.carriers.formats.find((f) => f.format === 'toa-v4')!;
    // 254/8 packets: 40001 x2, 40002 SYN, 40003, 40007, 40008, 40009, 40010 x2, 40011, 40013, 40014, 40015
    expect(v4).toMatchObject({ carrier: 'tcp-option', kind: 254, length: 8, family: 'ipv4', packets: 13 });
    expect(report.carriers.formats.find((f) => f.format === 'toa-v4-200')).toMatchObject({ kind: 200, packets: 2 });
    expect(report.carriers.formats.find((f) => f.format === 'toa-v6')).toMatchObject({ kind: 254, length: 20, family: 'ipv6', packets: 1 });
    // every flow except 40004, 40005, 40012 has a carrier
    expect(report.carriers.connectionsWithCarrier).toBe(13);
    expect(report.carriers.distinctClients).toBe(13);
    expect(report.carriers.topClientsByPackets[0]).toEqual({ address: '203.0.113.11', packets: 6, flows: 1 }); // 6 packets: 40011, 40013, 40014; ties by address
  });
});

describe('client→VIP leg and spoofing heuristics', () => {
  const dir = tempDir();
  const VIP = '192.0.2.10';
  const conversations = [
    // client leg: the real client talks to the VIP and (forged) puts a TOA in its own ACK
    new Conversation('203.0.113.50', 5555, VIP, 80).handshake({ ack: toa('198.51.100.99', 1) }).exchange(),
    // backend leg of the same session: LB local address → RS, TOA names 203.0.113.50:5555
    new Conversation(LIP, 41000, RS, 80).handshake({ ack: toa('203.0.113.50', 5555) }).exchange(),
    // another client leg without a carrier: no twin, judged as no-carrier unless --vip names the VIP
    new Conversation('203.0.113.60', 6000, VIP, 80).handshake().exchange(),
    // a carrier naming the packet's own source address (another port, so not a twin)
    new Conversation('203.0.113.70', 7000, RS, 80).handshake({ ack: toa('203.0.113.70', 7001) }).exchange(),
  ];
  const path = writeConversations(join(dir, 'legs.pcap'), conversations, true);

  it('recognises the client leg from the backend twin, and the carrier equal to the source', async () => {
    const { report, connections } = await statsOf([path]);
    expect(verdictOf(connections, 5555)).toBe('client-leg');
    expect(verdictOf(connections, 41000)).toBe('ok');
    expect(verdictOf(connections, 6000)).toBe('no-carrier');
    expect(verdictOf(connections, 7000)).toBe('ok');
    const leg = anomaly(report, 'carrier-on-client-leg');
    expect(leg.count).toBe(1);
    expect(leg.examples[0]!.flow).toBe('203.0.113.50:5555 > 192.0.2.10:80');
    expect(anomaly(report, 'carrier-is-source').count).toBe(1); // the handshake ACK of 7000
  });

  it('carrier-is-source on IPv6 packets: the same text, or the IPv4 form of an IPv4-mapped source', async () => {
    const v6 = [
      new Conversation('::ffff:203.0.113.71', 7100, '::ffff:10.0.0.2', 80).handshake({ ack: toa('203.0.113.71', 7101) }).exchange(),
      new Conversation('2001:db8::72', 7200, '2001:db8::2', 80).handshake({ ack: toa('2001:db8::72', 7201) }).exchange(),
      new Conversation('::ffff:203.0.113.74', 7400, '::ffff:10.0.0.2', 80).handshake({ ack: toa('::ffff:203.0.113.74', 7401) }).exchange(),
      // not the source: another IPv4 address behind a mapped source, an IPv4 carrier on a plain IPv6 source
      new Conversation('::ffff:203.0.113.75', 7500, '::ffff:10.0.0.2', 80).handshake({ ack: toa('203.0.113.76', 7501) }).exchange(),
      new Conversation('2001:db8::77', 7700, '2001:db8::2', 80).handshake({ ack: toa('0.0.0.0', 7701) }).exchange(),
    ];
    const { report } = await statsOf([writeConversations(join(dir, 'source-v6.pcap'), v6)]);
    const source = anomaly(report, 'carrier-is-source');
    expect(source.count).toBe(3);
    expect(source.examples.map((e) => e.flow)).toEqual([
      '[::ffff:203.0.113.71]:7100 > [::ffff:10.0.0.2]:80', '[2001:db8::72]:7200 > [2001:db8::2]:80', '[::ffff:203.0.113.74]:7400 > [::ffff:10.0.0.2]:80',
    ]);
  });

  it('connection anomalies past --top examples are still counted', async () => {
    const conversations = [5555, 5556, 5557].flatMap((port, i) => [
      // the client leg (forged TOA of its own) and its backend twin naming the client endpoint
      new Conversation('203.0.113.50', port, VIP, 80).handshake({ ack: toa('198.51.100.99', i + 1) }).exchange(),
      new Conversation(LIP, 41000 + i, RS, 80).handshake({ ack: toa('203.0.113.50', port) }).exchange(),
      // a retransmitted SYN
      new Conversation(LIP, 42000 + i, RS, 80).fromClient('S', 1000, undefined).handshake({ ack: toa('203.0.113.13', 1313) }).exchange(),
    ]);
    const path = writeConversations(join(dir, 'anomalies-top.pcap'), conversations);
    for (const top of [1, 0]) {
      const { report } = await statsOf([path], { top });
      for (const code of ['carrier-on-client-leg', 'syn-retransmission']) {
        expect(anomaly(report, code).count).toBe(3);
        expect(anomaly(report, code).examples).toHaveLength(top === 0 ? 3 : top);
      }
      expect(anomaly(report, 'syn-retransmission').examples[0]!.detail).toBe('2 SYNs with sequence 1000');
    }
  });

  it('--vip names the VIP side explicitly', async () => {
    const { connections } = await statsOf([path], { vips: [parseEndpoint(`${VIP}:80`)] });
    expect(verdictOf(connections, 6000)).toBe('client-leg');
    expect(verdictOf(connections, 5555)).toBe('client-leg');
    const other = await statsOf([path], { vips: [parseEndpoint(`${VIP}:443`)] });
    expect(verdictOf(other.connections, 6000)).toBe('no-carrier');
  });
});

describe('port reuse, several files, --mtu', () => {
  const dir = tempDir();

  it('counts a reused 4-tuple (new ISN) as two connections', async () => {
    const first = new Conversation(LIP, 42000, RS, 80).handshake({ ack: toa('203.0.113.1', 1) }).exchange().fromClient('F.', 1004, 5006).fromServer('F.', 5006, 1005);
    const second = new Conversation(LIP, 42000, RS, 80);
    second.fromClient('S', 90000, undefined).fromServer('S.', 70000, 90001).fromClient('.', 90001, 70001).fromClient('P.', 90001, 70001, { payload: 4 });
    const path = writeConversations(join(dir, 'reuse.pcap'), [first, second]);
    const { report, connections } = await statsOf([path]);
    expect(report.flows).toMatchObject({ tcpConnections: 2, tcpFourTuples: 1, reusedFourTuples: 1 });
    expect(connections.map((c) => [c.packets, c.verdict])).toEqual([[7, 'ok'], [4, 'no-carrier']]);
  });

  it('joins a connection split over two files', async () => {
    const whole = new Conversation(LIP, 43000, RS, 80).handshake({ ack: toa('203.0.113.4', 4) }).exchange();
    const head = new Conversation(LIP, 43000, RS, 80);
    head.segments.push(...whole.segments.slice(0, 2));
    const tail = new Conversation(LIP, 43000, RS, 80);
    tail.segments.push(...whole.segments.slice(2));
    const a = writeConversations(join(dir, 'part1.pcap'), [head]);
    const b = writeConversations(join(dir, 'part2.pcap'), [tail]);
    const { report, connections } = await statsOf([a, b]);
    expect(report.overview.files.map((f) => f.packets)).toEqual([2, 3]);
    expect(connections).toHaveLength(1);
    expect(connections[0]).toMatchObject({ verdict: 'ok', packets: 5, synPacket: 1, ackPacket: 1 });
  });

  it('--mtu moves the mtu threshold', async () => {
    const c = new Conversation(LIP, 44000, RS, 80).handshake({ ackPayload: 1000 }).exchange();
    const path = writeConversations(join(dir, 'mtu.pcap'), [c]);
    expect((await statsOf([path])).connections[0]!.verdict).toBe('no-carrier');
    // the ACK is 1040 bytes: it fits while 1040 <= MTU - 8
    expect((await statsOf([path], { mtu: 1048 })).connections[0]!.verdict).toBe('no-carrier');
    expect((await statsOf([path], { mtu: 1047 })).connections[0]!.verdict).toBe('mtu');
  });

  it('IPv6 flows: 254/8 reaches an IPv6 socket as ::ffff:', async () => {
    const c = new Conversation('2001:db8::1', 45000, '2001:db8::2', 80).handshake({ ack: toa('203.0.113.45', 4545) }).exchange();
    const path = writeConversations(join(dir, 'v6.pcap'), [c]);
    const { connections } = await statsOf([path], { module: 'dpvs' });
    expect(connections[0]!.peer).toMatchObject({ outcome: 'client', address: '::ffff:203.0.113.45', port: 4545 });
    expect(connections[0]!.client).toBe('[2001:db8::1]:45000');
    const huawei = await statsOf([path], { module: 'huawei' });
    expect(huawei.connections[0]!.verdict).toBe('unread-kind');
  });

  it('top clients: the first --top rows of the full order (packets, flows, then address text), IPv4 and IPv6 mixed', async () => {
    // 40 clients with equal counts: the address text alone orders them ("10.x" < "9.x", IPv6 texts by text too)
    const clients = [
      ...Array.from({ length: 36 }, (_, i) => `${[9, 10, 100, 2][i % 4]}.${(i * 37) % 256}.${i % 3 === 0 ? 1 : 200}.${i}`),
      '2001:db8::9', '2001:db8::10', '1.2.3.4', '255.255.255.255',
    ];
    const conversations = clients.map((client, i) =>
      new Conversation(LIP, 46000 + i, RS, 80).handshake({ ack: toa(client, 1000 + i) }).exchange());
    // one client with more flows and packets: first in both lists
    conversations.push(new Conversation(LIP, 46100, RS, 80).handshake({ ack: toa('9.9.9.9', 1) }).exchange().exchange());
    conversations.push(new Conversation(LIP, 46101, RS, 80).handshake({ ack: toa('9.9.9.9', 2) }).exchange());
    const path = writeConversations(join(dir, 'clients.pcap'), conversations, true);
    const all = (await statsOf([path], { top: 0 })).report.carriers;
    expect(all.distinctClients).toBe(clients.length + 1);
    const expected = [...clients].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(all.topClientsByPackets.map((r) => r.address)).toEqual(['9.9.9.9', ...expected]);
    expect(all.topClientsByFlows.map((r) => r.address)).toEqual(['9.9.9.9', ...expected]);
    expect(all.topClientsByPackets[0]).toEqual({ address: '9.9.9.9', packets: 12, flows: 2 });
    for (const top of [1, 5, 17]) {
      const { carriers } = (await statsOf([path], { top })).report;
      expect(carriers.topClientsByPackets).toEqual(all.topClientsByPackets.slice(0, top));
      expect(carriers.topClientsByFlows).toEqual(all.topClientsByFlows.slice(0, top));
    }
  });

  it('a 4-tuple reused for many connections keeps one row; carriers and counts belong to each connection', async () => {
    const conversations: Conversation[] = [];
    for (let k = 0; k < 5; k++) {
      const c = new Conversation(LIP, 47000, RS, 80);
      const isn = 1000 + k * 100000;
      c.fromClient('S', isn, undefined);
      c.fromServer('S.', 5000, isn + 1);
      // connections 0, 2, 4 carry a TOA on the handshake ACK (another client each time), 1 and 3 none
      c.fromClient('.', isn + 1, 5001, { options: k % 2 === 0 ? toa(`203.0.113.${k}`, 100 + k) : undefined });
      c.fromClient('F.', isn + 1, 5001);
      conversations.push(c);
    }
    const path = writeConversations(join(dir, 'reuse-many.pcap'), conversations);
    const { report, connections } = await statsOf([path], { top: 0 });
    expect(report.flows).toMatchObject({ tcpConnections: 5, tcpFourTuples: 1, reusedFourTuples: 1 });
    expect(connections.map((c) => c.verdict)).toEqual(['ok', 'no-carrier', 'ok', 'no-carrier', 'ok']);
    expect(connections.map((c) => c.carrierClient)).toEqual(['203.0.113.0:100', null, '203.0.113.2:102', null, '203.0.113.4:104']);
    expect(connections.map((c) => c.packets)).toEqual([4, 4, 4, 4, 4]);
    expect(report.carriers.topClientsByFlows.map((r) => [r.address, r.flows, r.packets])).toEqual([
      ['203.0.113.0', 1, 4], ['203.0.113.2', 1, 4], ['203.0.113.4', 1, 4],
    ]);
  });
});
