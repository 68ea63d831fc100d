/** Helpers for the synproxy-replay tests: build client captures, run the CLI in-process, read legs back. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli.js';
import { buildPacket, type PacketSpec } from '../../src/codec/build.js';
import { openCapture } from '../../src/codec/capture.js';
import { createCaptureWriter } from '../../src/codec/capture-writer.js';
import { LINK_RESULT, LinkInfo, parseLinkLayer } from '../../src/codec/link.js';

export const C = '192.0.2.1';
export const V = '198.51.100.10';
export const L = '10.0.0.100';
export const R = '10.0.0.2';
export const T0 = 1_700_000_000;
export const COUNT = 0x12345678;
export const K = 0x4eeb1b3f;
/** A Linux SYN's options: MSS 1460, SACKOK, TS 123456/0, NOP, WS 7. */
export const LINUX_SYN_OPTIONS = Uint8Array.from([2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 1, 0xe2, 0x40, 0, 0, 0, 0, 1, 3, 3, 7]);

export interface TimedSpec {
  /** Seconds after T0 (fractional). */
  at: number;
  spec: PacketSpec;
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'toa-synproxy-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function splitAt(at: number): { seconds: number; nanos: number } {
  const seconds = T0 + Math.floor(at);
  return { seconds, nanos: Math.round((at - Math.floor(at)) * 1e9) };
}

/** Write packets (built with src/codec/build.ts) to a pcap with the writer of src/codec. */
export function writeCapture(path: string, packets: TimedSpec[], linkType = 1): void {
  const w = createCaptureWriter(path, { format: 'pcap', linkType, nanosecond: true });
  for (const p of packets) {
    const data = buildPacket(p.spec);
    const t = splitAt(p.at);
    w.writePacket({ interfaceId: 0, timestampSeconds: t.seconds, timestampNanos: t.nanos, originalLength: data.length }, data);
  }
  w.close();
}

export interface ClientTcp {
  seq: number;
  ack?: number;
  flags: string | number;
  window?: number;
  options?: Uint8Array;
  payload?: Uint8Array;
  tos?: number;
  id?: number;
  ttl?: number;
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  raw?: boolean;
}

/** A client→VIP TCP packet spec (Ethernet unless raw). */
export function clientPacket(p: ClientTcp): PacketSpec {
  const src = p.src ?? C;
  const v6 = src.includes(':');
  return {
    link: p.raw ? { type: 'raw' } : { type: 'ethernet', source: '02:00:00:00:00:01', destination: '02:00:00:00:00:02' },
    ip: v6
      ? { version: 6, source: src, destination: p.dst ?? '2001:db8::80', hopLimit: p.ttl ?? 64 }
      : { version: 4, source: src, destination: p.dst ?? V, tos: p.tos ?? 0, identification: p.id ?? 0, ttl: p.ttl ?? 64, dontFragment: true },
    transport: {
      type: 'tcp',
      sourcePort: p.sport ?? 40000,
      destinationPort: p.dport ?? 80,
      sequenceNumber: p.seq >>> 0,
      acknowledgmentNumber: (p.ack ?? 0) >>> 0,
      flags: p.flags,
      windowSize: p.window ?? 64240,
      options: p.options,
      optionPadding: 'none',
    },
    payload: p.payload,
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export async function runCli(args: string[]): Promise<RunResult> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(args, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export interface LegPacket {
  leg: string;
  interfaceId: number;
  seconds: number;
  nanos: number;
  /** L3 bytes (owned). */
  l3: Uint8Array;
  frame: Uint8Array;
  linkType: number;
}

/** Read a capture back: every packet with its interface name and its L3 bytes. */
export async function readLegs(path: string): Promise<LegPacket[]> {
  const reader = await openCapture(path);
  const out: LegPacket[] = [];
  const link = new LinkInfo();
  await reader.read((rec) => {
    const result = parseLinkLayer(rec.data, 0, rec.data.length, rec.linkType, link);
    if (result !== LINK_RESULT.IPV4 && result !== LINK_RESULT.IPV6) throw new Error(`packet ${rec.index} is not IP`);
    const name = reader.info.interfaces[rec.interfaceId]?.name ?? String(rec.interfaceId);
    out.push({
      leg: name,
      interfaceId: rec.interfaceId,
      seconds: rec.timestampSeconds,
      nanos: rec.timestampNanos,
      l3: rec.data.slice(link.linkHeaderLength),
      frame: rec.data.slice(),
      linkType: rec.linkType,
    });
  });
  return out;
}
