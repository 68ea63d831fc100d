/** Helpers for the decode command tests: in-memory Io, temporary capture files. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Io } from '../../src/cli.js';
import { main } from '../../src/cli.js';
import { buildPacket, type PacketSpec } from '../../src/codec/build.js';
import { buildPcap, type PcapSpec } from '../helpers/capture-builder.js';

export interface Captured {
  io: Io;
  stdout(): string;
  stderr(): string;
}

class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    callback();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export function captureIo(): Captured {
  const out = new Collector();
  const err = new Collector();
  return { io: { stdout: out, stderr: err }, stdout: () => out.text(), stderr: () => err.text() };
}

/** Run `toa ...args` in-process; returns the exit code and both outputs. */
export async function runToa(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = captureIo();
  const code = await main(args, c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

let dir: string | null = null;
export function tempDir(): string {
  if (dir === null) dir = mkdtempSync(join(tmpdir(), 'toa-decode-test-'));
  return dir;
}

/** Write a pcap (µs, Ethernet unless given) of the given frames; returns its path. */
export function writePcap(name: string, frames: Uint8Array[], spec: Partial<PcapSpec> = {}): string {
  const path = join(tempDir(), name);
  writeFileSync(path, buildPcap({ linkType: 1, ...spec, packets: frames.map((data, i) => ({ seconds: 1700000000 + i, fraction: 500000, data })) }));
  return path;
}

/** N ordinary TCP packets of one flow (SYN, then ACKs with data). */
export function tcpFrames(n: number, base: Partial<PacketSpec> = {}): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      buildPacket({
        ip: { version: 4, source: '10.0.0.1', destination: '10.0.0.2', identification: i },
        transport: { type: 'tcp', sourcePort: 40000, destinationPort: 80, sequenceNumber: 1000 + i * 10, acknowledgmentNumber: 7, flags: i === 0 ? 'S' : 'P.', windowSize: 502 },
        payload: i === 0 ? undefined : new Uint8Array(10),
        ...base,
      }),
    );
  }
  return out;
}
