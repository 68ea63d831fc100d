/** `toa decode` in-process through cli.main: exit codes, stdout/stderr, -c, damage, link types, options. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPacket } from '../../src/codec/build.js';
import { buildPcap, buildPcapng } from '../helpers/capture-builder.js';
import { runToa, tcpFrames, tempDir, writePcap } from './decode-helpers.js';

describe('toa decode (in-process)', () => {
  it('prints one line per packet on stdout, nothing on stderr, exit 0', async () => {
    const file = writePcap('five.pcap', tcpFrames(5));
    const r = await runToa(['decode', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('22:13:20.500000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 502, length 0');
    expect(lines[1]).toBe('22:13:21.500000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 1010:1020, ack 7, win 502, length 10');
  });

  it('-c N stops after N packets; --json gives N parseable objects with 1-based indexes', async () => {
    const file = writePcap('ten.pcap', tcpFrames(10));
    const r = await runToa(['decode', '-c', '3', file]);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(3);
    const j = await runToa(['decode', '--json', file]);
    const objects = j.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(objects.map((o) => o.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(objects[3].tcp.seq).toBe(1030);
  });

  it('a damaged file: every whole packet, then one error line naming packet and offset, exit 1', async () => {
    const file = writePcap('damaged.pcap', tcpFrames(4));
    const bytes = readFileSync(file);
    const cut = join(tempDir(), 'cut.pcap');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 5)); // the last record loses 5 bytes
    const r = await runToa(['decode', cut]);
    expect(r.code).toBe(1);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(3);
    const errorLines = r.stderr.trimEnd().split('\n');
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(new RegExp(`^toa: ${cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: packet 4 at byte offset \\d+: .+`));
  });

  it('a malformed packet is printed with a warning and does not stop the run', async () => {
    const frames = tcpFrames(3);
    frames[1] = buildPacket({ ip: { version: 4, source: '10.0.0.1', destination: '10.0.0.2' }, transport: { type: 'tcp', sourcePort: 1, destinationPort: 2, options: Uint8Array.of(2, 9, 0, 0) } });
    const r = await runToa(['decode', writePcap('malformed.pcap', frames)]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('[malformed option at byte 54]');
  });

  it('unknown link types: one line per packet and a single stderr note', async () => {
    const file = writePcap('lt147.pcap', [new Uint8Array(60), new Uint8Array(61)], { linkType: 147 });
    const r = await runToa(['decode', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('22:13:20.500000 unknown link type 147, 60 bytes\n22:13:21.500000 unknown link type 147, 61 bytes\n');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('link type 147');
  });

  it('pcapng with a nanosecond interface prints 9 fraction digits', async () => {
    const frame = tcpFrames(1)[0]!;
    const ns = 1700000000n * 1000000000n + 123456789n;
    const { bytes } = buildPcapng([
      { kind: 'shb', byteOrder: 'le' },
      { kind: 'idb', linkType: 1, options: [{ code: 9, value: [9] }] },
      { kind: 'epb', interfaceId: 0, tsHigh: Number(ns >> 32n), tsLow: Number(ns & 0xffffffffn), data: frame },
    ]);
    const file = join(tempDir(), 'ns.pcapng');
    writeFileSync(file, bytes);
    const r = await runToa(['decode', file]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('22:13:20.123456789 IP ')).toBe(true);
  });

  it('usage errors exit 2: bad -c, bad --kinds, missing file argument', async () => {
    const file = writePcap('one.pcap', tcpFrames(1));
    expect((await runToa(['decode', '-c', '0', file])).code).toBe(2);
    expect((await runToa(['decode', '-c', 'x', file])).code).toBe(2);
    const k = await runToa(['decode', '--kinds', '999', file]);
    expect(k.code).toBe(2);
    expect(k.stderr).toMatch(/^toa: --kinds item '999'/);
    expect((await runToa(['decode'])).code).toBe(2);
  });

  it('a missing file exits 1 with one line', async () => {
    const r = await runToa(['decode', join(tempDir(), 'nope.pcap')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^toa: cannot read .*nope\.pcap: no such file\n$/);
    expect(r.stdout).toBe('');
  });

  it('--kinds changes what is read as TOA; --no-checksums leaves bad checksums unflagged', async () => {
    const frame = buildPacket(
      { ip: { version: 4, source: '10.0.0.1', destination: '10.0.0.2' }, transport: { type: 'tcp', sourcePort: 1, destinationPort: 2, checksum: 0x1111, options: [{ kind: 230, data: [0x9c, 0x40, 192, 0, 2, 1] }] } },
      { computeChecksums: false },
    );
    const file = writePcap('k230.pcap', [frame]);
    const plain = await runToa(['decode', file]);
    expect(plain.stdout).toContain('options [unknown-230 0x9c40c0000201]');
    expect(plain.stdout).toContain('[bad tcp cksum 0x1111 -> ');
    const custom = await runToa(['decode', '--kinds', '230:8', '--no-checksums', file]);
    expect(custom.stdout).toContain('options [custom-v4 192.0.2.1:40000]');
    expect(custom.stdout).not.toContain('cksum');
  });

  it('several files are decoded in order; --json objects carry "file"', async () => {
    const a = writePcap('a.pcap', tcpFrames(2));
    const b = writePcap('b.pcap', tcpFrames(1));
    const r = await runToa(['decode', '--json', a, b]);
    const objects = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(objects.map((o) => [o.file, o.index])).toEqual([[a, 1], [a, 2], [b, 1]]);
  });

  it('--help shows the examples', async () => {
    const r = await runToa(['decode', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('toa decode --json');
  });
});

describe('toa decode: the plain line of a large TOA capture', () => {
  it('equals the summary line of each -v block (plain TOAs written from their bytes, the priming run after packet 500)', async () => {
    const ts = { kind: 8, data: [0, 0, 0, 5, 0, 0, 0, 6] };
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 1200; i++) {
      // every third packet a TOA; every ninth TOA port a known RFC 6994 ExID (carrier + exid-collision note)
      const port = i % 27 === 0 ? 0xf989 : i % 27 === 9 ? 0x0348 : (i * 2654435761) % 65536;
      const toa = { kind: 254, data: [port >>> 8, port & 0xff, 198, 51, 100, i & 0xff] };
      const options = i % 3 === 0 ? [toa, { kind: 1 }, { kind: 1 }, ts] : i % 3 === 1 ? [{ kind: 1 }, { kind: 1 }, ts] : [ts, toa];
      frames.push(
        buildPacket({
          ip: { version: 4, source: '10.0.0.1', destination: '10.0.0.2', identification: i },
          transport: { type: 'tcp', sourcePort: 40000, destinationPort: 80, sequenceNumber: i, acknowledgmentNumber: 7, flags: i % 100 === 0 ? 'S' : '.', windowSize: 502, options },
        }),
      );
    }
    // seconds 0 (the priming frame's) for the first 600 packets, then others
    const file = join(tempDir(), 'toa-1200.pcap');
    writeFileSync(file, buildPcap({ linkType: 1, packets: frames.map((data, i) => ({ seconds: i < 600 ? 0 : 1700000000 + i, fraction: i, data })) }));
    const plain = await runToa(['decode', file]);
    const verbose = await runToa(['decode', '-v', file]);
    const summaries = verbose.stdout.split('\n').filter((l) => /^\d\d:\d\d:\d\d\.\d{6} /.test(l));
    expect(summaries).toHaveLength(1200);
    expect(plain.stdout).toBe(summaries.join('\n') + '\n');
    expect(plain.stdout).toContain('options [toa 198.51.100.27:63881,nop,nop,TS val 5 ecr 6], length 0 [exid-collision at byte 54]');
    for (const n of [499, 500, 501]) {
      expect((await runToa(['decode', '-c', String(n), file])).stdout).toBe(summaries.slice(0, n).join('\n') + '\n');
    }
  });
});
