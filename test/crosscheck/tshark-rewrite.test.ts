/**
 * tshark (checksum validation on) reads what inject-toa and strip wrote: no bad IP/TCP/UDP checksum
 * anywhere except the one packet whose input checksum was already bad (kept bad on purpose), and
 * tshark's TCP option bytes equal ours. Skips with a visible message when tshark is missing.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hexBytes as hex, packet, readPackets, runCli, tempDir, writeRawPcap } from '../rewrite/helpers.js';
import { tcp } from '../dpvs/dpvs-packets.js';

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const available = hasTshark();
if (!available) console.warn('SKIPPED: tshark is not installed; the tshark cross-check of inject-toa/strip did not run');

const ETH4 = hex('020000000002 020000000001 0800');
const ETH6 = hex('020000000002 020000000001 86dd');

function eth(ip: Uint8Array): Uint8Array {
  return Uint8Array.from([...(ip[0]! >>> 4 === 4 ? ETH4 : ETH6), ...ip]);
}

function flow(c: string, v: string, sport: number): Uint8Array[] {
  const req = Array.from(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  return [
    packet({ src: c, dst: v, sport, dport: 80, seq: 1000, flags: 0x02, options: hex('02 04 05 b4 04 02 08 0a 00 00 00 01 00 00 00 00 01 03 03 07') }),
    packet({ src: v, dst: c, sport: 80, dport: sport, seq: 5000, ack: 1001, flags: 0x12, options: hex('02 04 05 b4 01 01 04 02') }),
    packet({ src: c, dst: v, sport, dport: 80, seq: 1001, ack: 5001, flags: 0x10, options: hex('01 01 08 0a 00000002 00000001') }),
    packet({ src: c, dst: v, sport, dport: 80, seq: 1001, ack: 5001, flags: 0x18, payload: req }),
    packet({ src: v, dst: c, sport: 80, dport: sport, seq: 5001, ack: 1001 + req.length, flags: 0x18, payload: [0x48, 0x54] }),
  ];
}

function tsharkFields(file: string, fields: string[], filter?: string): string[][] {
  const args = ['-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-T', 'fields'];
  for (const f of fields) args.push('-e', f);
  if (filter) args.push('-Y', filter);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

const BAD = 'ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0';

describe.skipIf(!available)('tshark reads inject-toa / strip output', () => {
  const cases: Array<[string, string[], () => Uint8Array[]]> = [
    ['dpvs', [], () => [...flow('192.0.2.1', '198.51.100.10', 40000), ...flow('2001:db8::1', '2001:db8::80', 40001)]],
    ['tencent', ['--format', 'tencent'], () => flow('192.0.2.1', '198.51.100.10', 40000)],
    ['ttgw', ['--format', 'ttgw'], () => [...flow('192.0.2.1', '198.51.100.10', 40000), ...flow('2001:db8::1', '2001:db8::80', 40001)]],
    ['proxy-v1', ['--format', 'proxy-v1'], () => flow('192.0.2.1', '198.51.100.10', 40000)],
    ['uoa-opp', ['--format', 'uoa-opp'], () => [0, 1, 2, 3].map((i) => packet({ src: '2001:db8::1', dst: '2001:db8::80', sport: 5353, dport: 53, udp: true, payload: [i, 2, 3] }))],
    ['uoa-ipo', ['--format', 'uoa-ipo'], () => [0, 1, 2, 3].map((i) => packet({ src: '192.0.2.1', dst: '198.51.100.10', sport: 5353, dport: 53, udp: true, payload: [i, 2, 3] }))],
    ['fnat dpvs', ['--fnat', '--lip', '10.0.0.100:5000', '--rs', '10.0.0.2:8080', '--fnat-isn', '0xA0000000'], () => flow('192.0.2.1', '198.51.100.10', 40000)],
    ['fnat nat64', ['--fnat', '--nat64', '--lip', '10.0.0.100:5000', '--rs', '10.0.0.2:8080'], () => flow('2001:db8::1', '2001:db8::80', 40000)],
  ];
  for (const [name, args, make] of cases) {
    it(`${name}: no bad checksum in the inject output and in the strip output`, async () => {
      const dir = tempDir();
      writeRawPcap(join(dir, 'in.pcap'), make().map(eth), 1);
      const i = await runCli(['inject-toa', join(dir, 'in.pcap'), '-o', join(dir, 'inj.pcap'), '--json', ...args]);
      expect(i.code, i.stderr).toBe(0);
      expect(JSON.parse(i.stdout).carriersInserted).toBeGreaterThan(0);
      expect(tsharkFields(join(dir, 'inj.pcap'), ['frame.number'], BAD)).toEqual([]);
      const s = await runCli(['strip', join(dir, 'inj.pcap'), '-o', join(dir, 'back.pcap')]);
      expect(s.code, s.stderr).toBe(0);
      expect(tsharkFields(join(dir, 'back.pcap'), ['frame.number'], BAD)).toEqual([]);
    });
  }

  it('tshark sees the same TCP option bytes as toa wrote, and only the planted bad packet is bad', async () => {
    const dir = tempDir();
    const packets = flow('192.0.2.1', '198.51.100.10', 40000);
    const bad = packet({ src: '192.0.2.1', dst: '198.51.100.10', sport: 40000, dport: 80, seq: 1001, ack: 5001, flags: 0x10 });
    bad[36] = bad[36]! ^ 0x40;
    packets.splice(3, 0, bad);
    writeRawPcap(join(dir, 'in.pcap'), packets.map(eth), 1);
    const i = await runCli(['inject-toa', join(dir, 'in.pcap'), '-o', join(dir, 'inj.pcap'), '--json']);
    expect(JSON.parse(i.stdout).badChecksumsKept).toBe(1);
    expect(tsharkFields(join(dir, 'inj.pcap'), ['frame.number'], BAD)).toEqual([['4']]);
    const ours = (await readPackets(join(dir, 'inj.pcap'))).map((p) => Buffer.from(tcp.options(p.data.subarray(14))).toString('hex'));
    const theirs = tsharkFields(join(dir, 'inj.pcap'), ['frame.number', 'tcp.options']).map((r) => (r[1] ?? '').replace(/:/g, ''));
    expect(theirs).toEqual(ours);
    expect(theirs[2]!.startsWith('fe08')).toBe(true);
  });
});
