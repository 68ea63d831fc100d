/**
 * tshark and scapy read what `toa craft` writes: checksums correct, no unexpected TCP analysis
 * flags (retransmission, lost segment, …) except the one retransmission asked for, and scapy's
 * view of the layers and options agrees with ours. Skips visibly when a tool is missing.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { craft, writeCrafted } from '../../src/craft/generate.js';
import type { CraftSpec } from '../../src/craft/model.js';

const repo = resolve(__dirname, '../..');
const hasTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
const scapyPython = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import scapy.all'], { stdio: 'ignore' }).status === 0);
if (!hasTshark) console.warn('SKIPPED: tshark not installed: crafted captures not cross-checked with tshark');
if (!scapyPython) console.warn('SKIPPED: no python with scapy: crafted captures not cross-checked with scapy');

const dir = mkdtempSync(join(tmpdir(), 'toa-craft-x-'));
const cases: [string, CraftSpec][] = [
  ['client-v4.pcap', { timestamps: true, sack: true, wscale: 7, exchanges: [{ request: 3000, response: 5000 }, { request: 'again', response: 'ok' }] }],
  ['backend-v4.pcap', { leg: 'backend', timestamps: true, sack: true, wscale: 7, exchanges: [{ request: 3000, response: 5000 }] }],
  ['backend-v6.pcap', { leg: 'backend', ipv6: true, exchanges: [{ request: 2000, response: 100 }] }],
  ['nat64.pcapng', { leg: 'both', nat64: true, exchanges: [{ request: 2000, response: 3000 }] }],
  ['rst.pcap', { leg: 'backend', close: 'rst', count: 3 }],
  ['udp.pcap', { leg: 'backend', protocol: 'udp', format: 'uoa-opp' }],
  ['proxy.pcap', { leg: 'backend', format: 'proxy-v2', exchanges: [{ request: 2000, response: 3000 }] }],
];
for (const [name, spec] of cases) {
  const path = join(dir, name);
  writeCrafted(craft(spec, path), path);
}
const samples = readdirSync(join(repo, 'samples'))
  .filter((n) => /\.(pcap|pcapng)$/.test(n))
  .map((n) => join(repo, 'samples', n));
const crafted = cases.map(([n]) => join(dir, n));

function tshark(file: string, filter: string, fields: string[] = []): string[] {
  const args = ['-r', file, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-Y', filter];
  if (fields.length) args.push('-T', 'fields', ...fields.flatMap((f) => ['-e', f]));
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter((l) => l.length > 0);
}

describe.skipIf(!hasTshark)('tshark reads crafted captures', () => {
  it.each([...crafted, ...samples])('%s: every packet read, no bad checksum', (file) => {
    expect(tshark(file, 'frame').length).toBeGreaterThan(0);
    expect(tshark(file, 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad"')).toEqual([]);
    expect(tshark(file, '_ws.malformed')).toEqual(file.endsWith('malformed-options.pcap') || file.endsWith('vendor-tcp-options.pcap') ? expect.anything() : []);
  });

  it.each([...crafted, ...samples.filter((f) => !f.endsWith('dpvs-retransmit.pcap'))])('%s: tcp.analysis flags nothing', (file) => {
    expect(tshark(file, 'tcp.analysis.flags && !tcp.analysis.window_update')).toEqual([]);
  });

  it('the retransmission sample has exactly the one retransmission asked for', () => {
    const lines = tshark(join(repo, 'samples/dpvs-retransmit.pcap'), 'tcp.analysis.flags', ['frame.number', 'tcp.analysis.retransmission']);
    expect(lines.length).toBe(1);
  });

  it('tshark sees the TOA of the backend leg as a kind-254 option whose ExID is the client port', () => {
    const rows = tshark(join(dir, 'backend-v4.pcap'), 'tcp.options.experimental', ['tcp.options.experimental.exid', 'tcp.options.experimental.data']);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const r of rows) expect(r.split('\t')).toEqual(['0x9c40', 'c633640a']); // 40000, 198.51.100.10
  });
});

describe.skipIf(!scapyPython)('scapy reads crafted captures', () => {
  const script = `
import sys, json
from scapy.all import rdpcap, IP, IPv6, TCP, UDP, raw
out = []
for p in rdpcap(sys.argv[1]):
    ip = p.getlayer(IP) or p.getlayer(IPv6)
    t = p.getlayer(TCP)
    row = {"ip": ip.version if ip is not None else None}
    if t is not None:
        row["sport"], row["dport"], row["seq"], row["ack"] = t.sport, t.dport, t.seq, t.ack
        row["flags"] = int(t.flags)
        row["options"] = [o[0] if isinstance(o[0], int) else o[0] for o in t.options]
        q = p.copy()
        del q[TCP].chksum
        row["tcp_ok"] = q.__class__(raw(q))[TCP].chksum == t.chksum
    out.append(row)
print(json.dumps(out))
`;
  it.each(crafted.filter((f) => f.endsWith('.pcap')))('%s: ports, seq/ack, flags match ours', (file) => {
    const rows = JSON.parse(execFileSync(scapyPython!, ['-c', script, file], { encoding: 'utf8' })) as { ip: number; sport?: number; dport?: number; seq?: number; ack?: number; flags?: number; tcp_ok?: boolean }[];
    const ours = craft(cases.find(([n]) => file.endsWith(n))![1], file).packets;
    expect(rows.length).toBe(ours.length);
    rows.forEach((r, i) => {
      const d = ours[i]!.data;
      const l3 = 14;
      const v = d[l3]! >> 4;
      expect(r.ip).toBe(v);
      if (r.sport === undefined) return;
      const l4 = l3 + (v === 4 ? (d[l3]! & 15) * 4 : 40);
      const view = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
      expect(r.tcp_ok).toBe(true);
      expect([r.sport, r.dport, r.seq, r.ack, r.flags]).toEqual([view.readUInt16BE(l4), view.readUInt16BE(l4 + 2), view.readUInt32BE(l4 + 4), view.readUInt32BE(l4 + 8), d[l4 + 13]]);
    });
  });

  it('scapy finds TOA (kind 254, 6 data bytes) on the backend handshake ACK and the timestamp option elsewhere', () => {
    const rows = JSON.parse(execFileSync(scapyPython!, ['-c', script, join(dir, 'backend-v4.pcap')], { encoding: 'utf8' })) as { options: (string | number)[]; flags: number }[];
    expect(rows[0]!.options).toEqual(['MSS', 'SAckOK', 'NOP', 'NOP', 'NOP', 'NOP', 'NOP', 'NOP', 'NOP', 'NOP', 'NOP', 'NOP', 'NOP', 'WScale']);
    expect(rows[2]!.options[0]).toBe(254);
    expect(rows[2]!.options).toContain('Timestamp');
  });
});

it('the crafted files exist', () => {
  for (const f of crafted) expect(existsSync(f)).toBe(true);
});
