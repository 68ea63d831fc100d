/**
 * scapy (/usr/bin/python3) reads inject-toa output and reports the same TCP option bytes, IPv4
 * option bytes and opp-shim protocol as toa wrote. Skips with a visible message when scapy is missing.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hexBytes as hex, packet, readPackets, runCli, tempDir, writeRawPcap } from '../rewrite/helpers.js';
import { tcp } from '../dpvs/dpvs-packets.js';

const PYTHON = '/usr/bin/python3';
function hasScapy(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import scapy.all'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const available = hasScapy();
if (!available) console.warn(`SKIPPED: scapy is not importable by ${PYTHON}; the scapy cross-check of inject-toa did not run`);

const SCRIPT = `
import sys
from scapy.all import rdpcap, IP, TCP, raw
for p in rdpcap(sys.argv[1]):
    ip = p[IP]
    ipopts = raw(ip)[20:ip.ihl*4].hex()
    if TCP in p:
        t = raw(p[TCP])
        print(ip.proto, ipopts, t[20:t[12]//16*4].hex())
    else:
        print(ip.proto, ipopts, '-')
`;

describe.skipIf(!available)('scapy reads inject-toa output', () => {
  it('TCP options (dpvs, alibaba-vtoa) and IPv4 options (ttgw) as written', async () => {
    const dir = tempDir();
    const pkts = [
      packet({ src: '192.0.2.1', dst: '198.51.100.10', sport: 40000, dport: 80, seq: 1000, flags: 0x02, options: hex('02 04 05 b4') }),
      packet({ src: '198.51.100.10', dst: '192.0.2.1', sport: 80, dport: 40000, seq: 5000, ack: 1001, flags: 0x12 }),
      packet({ src: '192.0.2.1', dst: '198.51.100.10', sport: 40000, dport: 80, seq: 1001, ack: 5001, flags: 0x10, options: hex('01 01 08 0a 00000002 00000001') }),
    ];
    writeRawPcap(join(dir, 'in.pcap'), pkts.map((p) => Uint8Array.from([...hex('020000000002 020000000001 0800'), ...p])), 1);
    for (const format of ['dpvs', 'alibaba-vtoa', 'ttgw']) {
      const out = join(dir, `${format}.pcap`);
      const r = await runCli(['inject-toa', join(dir, 'in.pcap'), '-o', out, '--format', format]);
      expect(r.code, r.stderr).toBe(0);
      const lines = execFileSync(PYTHON, ['-c', SCRIPT, out], { encoding: 'utf8' }).trim().split('\n');
      const ours = (await readPackets(out)).map((p) => {
        const l3 = p.data.subarray(14);
        const ihl = (l3[0]! & 15) * 4;
        return `6 ${Buffer.from(l3.subarray(20, ihl)).toString('hex')} ${Buffer.from(tcp.options(l3)).toString('hex')}`;
      });
      expect(lines).toEqual(ours);
      if (format === 'dpvs') expect(lines[2]).toBe('6  fe089c40c000020101010' + '80a0000000200000001');
      if (format === 'ttgw') expect(lines[2]!.split(' ')[1]).toBe('1f1000009c400050c0000201c633640a');
    }
  });
});
