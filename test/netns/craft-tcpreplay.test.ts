/**
 * The crafted backend leg on a real (namespaced) wire: two network namespaces made by the test,
 * joined by a veth pair; tcpreplay sends the crafted LIP↔RS packets from one end, tcpdump
 * captures them on the other end, where the RS address is assigned and a kernel socket listens
 * on RS:PORT. Checks: every crafted frame arrives byte for byte, and the kernel answers the
 * crafted SYN with a SYN-ACK acknowledging the full-NAT ISN + 1.
 *
 * Only private test addresses inside the two namespaces; nothing leaves them. Skips visibly when
 * namespaces cannot be made (not root, no ip/tcpreplay/tcpdump). Namespaces are deleted in afterAll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCaptureBytes } from '../../src/codec/capture.js';
import { craft, writeCrafted } from '../../src/craft/generate.js';

const have = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const missing = [
  !isRoot && 'root',
  !have('ip', ['-V']) && 'ip',
  !have('tcpreplay', ['-V']) && 'tcpreplay',
  !have('tcpdump', ['--version']) && 'tcpdump',
].filter(Boolean);
const tag = `${process.pid % 100000}`;
const nsSend = `toacraft-s${tag}`;
const nsRecv = `toacraft-r${tag}`;
let canRun = missing.length === 0;
if (canRun) {
  // a namespace may still be refused (containers without CAP_SYS_ADMIN)
  const probe = spawnSync('ip', ['netns', 'add', `toacraft-p${tag}`], { stdio: 'ignore' });
  if (probe.status !== 0) {
    canRun = false;
    missing.push('permission to create network namespaces');
  } else spawnSync('ip', ['netns', 'del', `toacraft-p${tag}`], { stdio: 'ignore' });
}
if (!canRun) console.warn(`SKIPPED: netns tcpreplay test needs ${missing.join(', ')}`);

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe', timeout: 10_000 });
const inNs = (ns: string, ...args: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...args], { stdio: 'pipe', timeout: 10_000 });

function waitFor(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, ms: number): Promise<void> {
  return new Promise((resolveWait, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} (got: ${text})`)), ms);
    child[stream]!.on('data', (c) => {
      text += String(c);
      if (pattern.test(text)) {
        clearTimeout(timer);
        resolveWait();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern} (got: ${text})`));
    });
  });
}

function exited(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolveExit) => {
    if (child.exitCode !== null) return resolveExit();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolveExit();
    }, ms);
    child.on('exit', () => {
      clearTimeout(timer);
      resolveExit();
    });
  });
}

describe.skipIf(!canRun)('crafted backend leg through tcpreplay on a veth pair', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toa-netns-'));
  const crafted = join(dir, 'backend.pcap');
  const captured = join(dir, 'captured.pcap');
  const fnatIsn = 0x11223344;
  let listener: ChildProcess | null = null;

  beforeAll(() => {
    ip('netns', 'add', nsSend);
    ip('netns', 'add', nsRecv);
    ip('link', 'add', 'vtoaS', 'netns', nsSend, 'type', 'veth', 'peer', 'name', 'vtoaR', 'netns', nsRecv);
    inNs(nsSend, 'ip', 'link', 'set', 'vtoaS', 'address', '02:00:00:00:00:01');
    inNs(nsRecv, 'ip', 'link', 'set', 'vtoaR', 'address', '02:00:00:00:00:02');
    for (const [ns, dev] of [[nsSend, 'vtoaS'], [nsRecv, 'vtoaR']] as const) {
      inNs(ns, 'sysctl', '-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`);
      inNs(ns, 'ip', 'link', 'set', dev, 'up');
      inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    }
    inNs(nsRecv, 'ip', 'addr', 'add', '10.0.1.10/24', 'dev', 'vtoaR');
    inNs(nsRecv, 'ip', 'route', 'add', '10.0.0.0/24', 'dev', 'vtoaR');
    inNs(nsRecv, 'ip', 'neigh', 'replace', '10.0.0.2', 'lladdr', '02:00:00:00:00:01', 'dev', 'vtoaR');
    inNs(nsRecv, 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0');
    inNs(nsRecv, 'sysctl', '-qw', 'net.ipv4.conf.vtoaR.rp_filter=0');
    writeCrafted(craft({ leg: 'backend', fnatIsn, clientIsn: 1000, serverIsn: 5000 }, crafted), crafted);
  }, 30_000);

  afterAll(async () => {
    if (listener) {
      listener.kill('SIGKILL');
      await exited(listener, 2000);
    }
    spawnSync('ip', ['netns', 'del', nsSend], { stdio: 'ignore', timeout: 10_000 });
    spawnSync('ip', ['netns', 'del', nsRecv], { stdio: 'ignore', timeout: 10_000 });
  });

  it('arrives byte for byte and the listening kernel answers the SYN with a SYN-ACK', async () => {
    listener = spawn('ip', ['netns', 'exec', nsRecv, 'python3', '-c',
      "import socket,time,sys\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('10.0.1.10',8080))\ns.listen(8)\nprint('ready',flush=True)\ntime.sleep(20)\n"], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitFor(listener, 'stdout', /ready/, 10_000);
    const dump = spawn('ip', ['netns', 'exec', nsRecv, 'tcpdump', '-i', 'vtoaR', '-s', '0', '-U', '-n', '-w', captured, 'tcp'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitFor(dump, 'stderr', /listening on/, 10_000);
    const replay = spawnSync('ip', ['netns', 'exec', nsSend, 'tcpreplay', '-i', 'vtoaS', '--pps', '200', crafted], { encoding: 'utf8', timeout: 20_000 });
    expect(replay.status, replay.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    dump.kill('SIGINT');
    await exited(dump, 5000);

    const frames = async (path: string): Promise<Buffer[]> => {
      const out: Buffer[] = [];
      const reader = await openCaptureBytes(readFileSync(path), path);
      await reader.read((p) => out.push(Buffer.from(p.data)));
      return out;
    };
    const sent = await frames(crafted);
    const got = await frames(captured);
    // every crafted frame, in order, among what the far end captured
    let j = 0;
    for (const f of got) if (j < sent.length && f.equals(sent[j]!)) j++;
    expect(j).toBe(sent.length);
    // the kernel's own SYN-ACK (not one of ours): 10.0.1.10:8080 -> 10.0.0.2:40000, ack = F + 1
    const synAcks = got.filter((f) => {
      if (sent.some((s) => s.equals(f))) return false;
      const l4 = 14 + (f[14]! & 15) * 4;
      return f.readUInt32BE(26) === 0x0a00010a && f.readUInt16BE(l4) === 8080 && f.readUInt16BE(l4 + 2) === 40000 && (f[l4 + 13]! & 0x12) === 0x12;
    });
    expect(synAcks.length).toBeGreaterThanOrEqual(1);
    const l4 = 14 + (synAcks[0]![14]! & 15) * 4;
    expect(synAcks[0]!.readUInt32BE(l4 + 8)).toBe(fnatIsn + 1);
  }, 60_000);
});
