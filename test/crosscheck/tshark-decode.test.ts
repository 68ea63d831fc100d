/**
 * Cross-check `toa decode --json` against tshark 4.x field output, frame by frame, on
 * (1) a generated capture of varied IPv4/IPv6 TCP/UDP packets (options incl. TOA, random flags,
 *     VLAN tags, bad checksums, VXLAN) and
 * (2) the TCP/UDP captures of ../shared/corpus/tcpdump-tests merged into one pcapng with mergecap
 *     (one tshark run per capture keeps this test to a few seconds).
 * Compared for every IPv4/IPv6 TCP/UDP packet both decode: addresses, ports, seq/ack, flags, TCP
 * option kinds, checksum status. Deliberate differences (each skipped by a named rule below):
 * - FRAGMENTS: tshark reassembles IP fragments and shows the transport on the last fragment; we
 *   decode the transport of the first fragment only (no reassembly).
 * - ICMP: tshark dissects the packet quoted inside ICMP errors; we do not.
 * - TUNNELS: for VXLAN and IP-in-IP we report the inner packet at top level and the outer under
 *   "outer"; tshark lists every layer's values in order. Tunnels we do not open (GRE, Teredo, GTP,
 *   ...) give tshark extra layers: only the first (outer) values are compared then.
 * - DAMAGE: packets with a dissector warning or cut by the snap length are skipped for option kinds
 *   and checksums (tshark's verdicts on partial data differ by design); tunnels with length warnings
 *   (BIG TCP captures with IP length 0 inside VXLAN) are skipped whole: we follow the frame length
 *   and open the tunnel, tshark marks them malformed.
 * - OPP: the UOA opp shim (IP protocol 248) is opened by us and not by tshark.
 * - CHECKSUM STATUS: compared only where both verified (ours ok/bad/null, tshark 0/1/3/4).
 * - EOL PADDING: tshark lists every byte after End-of-Option-List as one more kind 0 option; we
 *   stop at the first EOL (RFC 9293: the rest is padding), so tshark's trailing 0s collapse to one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { encodeCarrier } from '../../src/carriers/index.js';
import { buildPacket, vxlanPayload, type PacketSpec, type TcpOptionSpec } from '../../src/codec/build.js';
import { runDecode } from '../../src/commands/decode.js';
import { PLAIN_STYLES } from '../../src/render/common.js';
import { captureIo } from '../commands/decode-helpers.js';
import { buildPcap } from '../helpers/capture-builder.js';
import { corpusDir } from '../helpers/corpus.js';
import { describeWithTool, hasTool } from '../helpers/tools.js';

const FIELDS = [
  'frame.number', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport',
  'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.option_kind', 'ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status',
] as const;
type Field = (typeof FIELDS)[number];
type Row = Record<Field, string[]>;

function tshark(file: string): Map<number, Row> {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of FIELDS) args.push('-e', f);
  args.push('-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE');
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  const out = new Map<number, Row>();
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const cells = line.split('\t');
    const row = {} as Row;
    FIELDS.forEach((f, i) => (row[f] = (cells[i] ?? '') === '' ? [] : cells[i]!.split(',')));
    out.set(Number(row['frame.number'][0]), row);
  }
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

async function ours(file: string): Promise<Obj[]> {
  const c = captureIo();
  await runDecode([file], { json: true }, c.io, PLAIN_STYLES);
  return c.stdout().trimEnd().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

interface Tally {
  compared: number;
  checksums: number;
  options: number;
  skipped: Record<string, number>;
  mismatches: string[];
}

/** tshark checksum status → our JSON verdict. */
const TSHARK_STATUS: Record<string, string | null> = { '0': 'bad', '1': 'ok', '3': null, '4': 'bad' };

function compare(o: Obj, t: Row | undefined, tally: Tally): void {
  const skip = (why: string): void => {
    tally.skipped[why] = (tally.skipped[why] ?? 0) + 1;
  };
  if (o.ip === undefined) return skip('not IP');
  if (t === undefined) return skip('tshark printed no row');
  if (o.ip.fragment === true) return skip('FRAGMENTS');
  if (o.tcp === undefined && o.udp === undefined) return skip(o.icmp !== undefined ? 'ICMP' : 'not TCP/UDP');
  if (o.opp !== undefined) return skip('OPP');
  const bad = (what: string, mine: unknown, theirs: unknown): void => {
    tally.mismatches.push(`frame ${o.index}: ${what}: ours ${JSON.stringify(mine)} tshark ${JSON.stringify(theirs)}`);
  };
  const encapsulated = o.outer !== undefined;
  // BIG TCP captures (IP length 0) inside VXLAN: we follow the frame length, tshark calls them malformed
  if (encapsulated && o.warnings.length > 0) return skip('DAMAGE (tunnel with length warnings)');
  const outerIp = encapsulated ? o.outer.ip : o.ip;
  const src = outerIp.version === 4 ? t['ip.src'] : t['ipv6.src'];
  const dst = outerIp.version === 4 ? t['ip.dst'] : t['ipv6.dst'];
  if (src[0] !== outerIp.src) bad('source address', outerIp.src, src);
  if (dst[0] !== outerIp.dst) bad('destination address', outerIp.dst, dst);
  if (encapsulated) {
    const innerSrc = o.ip.version === 4 ? t['ip.src'] : t['ipv6.src'];
    if (innerSrc[innerSrc.length - 1] !== o.ip.src) bad('inner source address', o.ip.src, innerSrc);
    if (o.outer.udp !== undefined && t['udp.srcport'][0] !== String(o.outer.udp.srcPort)) bad('outer udp source port', o.outer.udp.srcPort, t['udp.srcport']);
  }
  const extraLayers = t['tcp.srcport'].length + t['udp.srcport'].length > (encapsulated ? 2 : 1);
  const pick = (values: string[]): string | undefined => (encapsulated ? values[values.length - 1] : values[0]);
  tally.compared++;
  const clean = o.warnings.length === 0 && o.truncated !== true;
  if (o.tcp !== undefined) {
    if (t['tcp.srcport'].length === 0) return skip('TUNNELS (tshark decoded no TCP)');
    const tcp = o.tcp;
    if (pick(t['tcp.srcport']) !== String(tcp.srcPort)) bad('tcp source port', tcp.srcPort, t['tcp.srcport']);
    if (pick(t['tcp.dstport']) !== String(tcp.dstPort)) bad('tcp destination port', tcp.dstPort, t['tcp.dstport']);
    if (pick(t['tcp.seq_raw']) !== String(tcp.seq)) bad('seq', tcp.seq, t['tcp.seq_raw']);
    if ((tcp.flagBits & 0x10) !== 0 && t['tcp.ack_raw'].length > 0 && pick(t['tcp.ack_raw']) !== String(tcp.ack)) bad('ack', tcp.ack, t['tcp.ack_raw']);
    const flags = pick(t['tcp.flags']);
    if (flags !== undefined && (parseInt(flags, 16) & 0xff) !== tcp.flagBits) bad('flags', tcp.flagBits, flags);
    if (clean && !extraLayers && !tcp.options.some((x: Obj) => x.malformed)) {
      tally.options++;
      const mine = tcp.options.map((x: Obj) => String(x.kind));
      const theirs = [...t['tcp.option_kind']];
      const firstEol = theirs.indexOf('0');
      if (firstEol >= 0 && theirs.slice(firstEol).every((k) => k === '0')) theirs.length = firstEol + 1; // EOL PADDING
      if (mine.join(',') !== theirs.join(',')) bad('option kinds', mine, t['tcp.option_kind']);
    }
    if (clean && !extraLayers) checkStatus('tcp checksum', o.checksums.l4, t['tcp.checksum.status']);
  } else if (o.udp !== undefined) {
    if (t['udp.srcport'].length === 0) return skip('TUNNELS (tshark decoded no UDP)');
    if (pick(t['udp.srcport']) !== String(o.udp.srcPort)) bad('udp source port', o.udp.srcPort, t['udp.srcport']);
    if (pick(t['udp.dstport']) !== String(o.udp.dstPort)) bad('udp destination port', o.udp.dstPort, t['udp.dstport']);
    if (clean && !extraLayers) checkStatus('udp checksum', o.checksums.l4, t['udp.checksum.status']);
  }
  if (clean && outerIp.version === 4 && !encapsulated) checkStatus('ip checksum', o.checksums.ip, t['ip.checksum.status'].slice(0, 1));

  function checkStatus(what: string, mine: string | null, theirs: string[]): void {
    if (theirs.length !== 1 || !(theirs[0]! in TSHARK_STATUS) || mine === 'unverified') return;
    tally.checksums++;
    if (TSHARK_STATUS[theirs[0]!] !== mine) bad(what, mine, theirs[0]);
  }
}

async function crossCheck(file: string): Promise<Tally> {
  const [mine, theirs] = [await ours(file), tshark(file)];
  const tally: Tally = { compared: 0, checksums: 0, options: 0, skipped: {}, mismatches: [] };
  for (const o of mine) compare(o, theirs.get(o.index), tally);
  return tally;
}

/** A deterministic mix of packets (a small LCG instead of Math.random). */
function generatedCapture(path: string): number {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const toa4 = encodeCarrier('toa-v4', { clientAddress: '192.0.2.1', clientPort: 40000 });
  const toa6 = encodeCarrier('toa-v6', { clientAddress: '2001:db8::7', clientPort: 443 });
  const toa200 = encodeCarrier('toa-v4-200', { clientAddress: '198.51.100.4', clientPort: 1 });
  const optionChoices: TcpOptionSpec[][] = [
    [],
    [{ kind: 2, data: [5, 0xb4] }, { kind: 4 }, { kind: 8, data: [0, 0, 0, 1, 0, 0, 0, 0] }, { kind: 1 }, { kind: 3, data: [7] }],
    [{ kind: 254, data: toa4.subarray(2) }, { kind: 1 }, { kind: 1 }, { kind: 8, data: [0, 1, 0, 1, 0, 0, 2, 0] }],
    [{ kind: 254, data: toa6.subarray(2) }],
    [{ kind: 200, data: toa200.subarray(2) }, { kind: 5, data: [0, 0, 0, 1, 0, 0, 0, 9] }],
    [{ kind: 1 }, { kind: 1 }, { kind: 5, data: [0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0] }],
    [{ kind: 30, data: [0x00, 0x81, 1, 2, 3, 4, 5, 6, 7, 8] }],
  ];
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 600; i++) {
    const v6 = rand(3) === 0;
    const ip = v6
      ? { version: 6 as const, source: `2001:db8::${1 + rand(50)}`, destination: `2001:db8:1::${1 + rand(50)}`, hopLimit: 1 + rand(255) }
      : { version: 4 as const, source: `10.${rand(256)}.${rand(256)}.${1 + rand(254)}`, destination: `192.0.2.${1 + rand(254)}`, identification: rand(65536), ttl: 1 + rand(255), dontFragment: rand(2) === 0 };
    const badChecksum = rand(10) === 0;
    const payload = new Uint8Array(rand(3) === 0 ? 0 : rand(60));
    for (let j = 0; j < payload.length; j++) payload[j] = rand(256);
    const link: PacketSpec['link'] = rand(4) === 0 ? { type: 'ethernet', vlans: [{ id: 1 + rand(4000) }] } : undefined;
    let spec: PacketSpec;
    if (rand(3) === 0) {
      spec = { link, ip, transport: { type: 'udp', sourcePort: 1024 + rand(60000), destinationPort: [53, 123, 5000, 33333][rand(4)]!, checksum: rand(65536) }, payload };
    } else {
      spec = {
        link, ip, payload,
        transport: {
          type: 'tcp', sourcePort: 1024 + rand(60000), destinationPort: [80, 443, 8080, 22][rand(4)]!, sequenceNumber: rand(0x7fffffff) * 2 + rand(2),
          acknowledgmentNumber: rand(0x7fffffff) * 2, flags: rand(256), windowSize: rand(65536), options: optionChoices[rand(optionChoices.length)]!, checksum: rand(65536),
        },
      };
    }
    if (i % 50 === 7) {
      // VXLAN around an IPv4 TCP packet with a TOA
      const inner = buildPacket({ ip: { version: 4, source: '172.16.0.1', destination: '172.16.0.2' }, transport: { type: 'tcp', sourcePort: 1000 + i, destinationPort: 80, flags: 'A', options: optionChoices[2]! } });
      spec = { ip: { version: 4, source: '198.51.100.1', destination: '198.51.100.2' }, transport: { type: 'udp', sourcePort: 49152 + i, destinationPort: 4789 }, payload: vxlanPayload(100 + i, inner) };
    }
    frames.push(buildPacket(spec, { computeChecksums: !badChecksum }));
  }
  writeFileSync(path, buildPcap({ linkType: 1, packets: frames.map((data, i) => ({ seconds: 1700000000 + i, fraction: 0, data })) }));
  return frames.length;
}

function report(name: string, t: Tally): void {
  console.log(`[tshark] ${name}: ${t.compared} packets compared (${t.options} option lists, ${t.checksums} checksum verdicts); skipped ${JSON.stringify(t.skipped)}`);
}

describeWithTool(hasTool('tshark'), 'tshark', 'toa decode --json agrees with tshark', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toa-tshark-'));

  it('generated capture: every TCP/UDP packet agrees', async () => {
    const file = join(dir, 'generated.pcap');
    const n = generatedCapture(file);
    const t = await crossCheck(file);
    report('generated', t);
    expect(t.mismatches).toEqual([]);
    expect(t.compared).toBeGreaterThan(n * 0.9);
    expect(t.checksums).toBeGreaterThan(n * 0.9);
    expect(t.options).toBeGreaterThan(300);
  }, 120_000);

  const corpus = corpusDir('tcpdump-tests');
  it.skipIf(corpus === null || !hasTool('mergecap'))('tcpdump corpus TCP/UDP captures (merged with mergecap): every packet agrees', async () => {
    const names = listTcpUdpCaptures(corpus!);
    const merged = join(dir, 'corpus.pcapng');
    const r = spawnSync('mergecap', ['-a', '-F', 'pcapng', '-w', merged, ...names.map((x) => join(corpus!, x))], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const t = await crossCheck(merged);
    report(`corpus (${names.length} files)`, t);
    expect(t.mismatches).toEqual([]);
    expect(t.compared).toBeGreaterThan(200);
  }, 120_000);
});

/** Corpus captures whose names say TCP/UDP traffic, without the fuzzer-made damaged ones. */
function listTcpUdpCaptures(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => /\.(pcap|pcapng)$/i.test(n))
    .filter((n) => /tcp|udp|ipv6|mptcp|tfo|http|dns|ntp|vxlan|sack|ecn|syn/i.test(n))
    .filter((n) => !/oobr|asan|hoobr|crash|bad|fuzz|overflow|segv|trunc|invalid|malformed|lsan|ubsan|mem/i.test(n))
    .sort();
}
