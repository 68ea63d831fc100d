/** Test helpers for the rewriting commands: write a capture of raw IP packets, run the CLI in-process, read packets back. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli.js';
import { openCapture } from '../../src/codec/capture.js';
import { buildPcap } from '../helpers/capture-builder.js';
import { buildPacket, type TcpPacketSpec } from '../dpvs/dpvs-packets.js';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'toa-rewrite-'));
}

/** One raw IP packet (valid checksums) as a fresh array of exactly its bytes. */
export function packet(spec: TcpPacketSpec): Uint8Array {
  const { buf, len } = buildPacket(spec, 0);
  return buf.subarray(0, len);
}

/** Write a pcap of raw IP packets (LINKTYPE_RAW 101 unless given), 1 µs apart. */
export function writeRawPcap(path: string, packets: Uint8Array[], linkType = 101, options: { nanosecond?: boolean; byteOrder?: 'le' | 'be'; snapLength?: number; originalLengths?: number[] } = {}): void {
  writeFileSync(
    path,
    buildPcap({
      linkType,
      nanosecond: options.nanosecond,
      byteOrder: options.byteOrder,
      snapLength: options.snapLength,
      packets: packets.map((data, i) => ({ seconds: 1_700_000_000, fraction: i + 1, data, originalLength: options.originalLengths?.[i] })),
    }),
  );
}

export interface ReadBack {
  data: Uint8Array;
  originalLength: number;
  timestampNanos: number;
  interfaceId: number;
}

export async function readPackets(path: string): Promise<ReadBack[]> {
  const reader = await openCapture(path);
  const out: ReadBack[] = [];
  await reader.read((p) => out.push({ data: p.data.slice(), originalLength: p.originalLength, timestampNanos: p.timestampNanos, interfaceId: p.interfaceId }));
  return out;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[]): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await main(args, { stdout, stderr });
  return { code, stdout: out, stderr: err };
}

export function hexBytes(text: string): number[] {
  return text
    .replace(/\s+/g, '')
    .match(/.{2}/g)!
    .map((h) => parseInt(h, 16));
}

import { Dissection, dissect, verifyChecksums } from '../../src/codec/dissect.js';

const dissection = new Dissection();
/** IP and transport checksums of a raw IP packet (any extension headers, opp shim) are right ('none' counts as right). */
export function checksumsValid(data: Uint8Array, linkType = 101): boolean {
  dissect(data, linkType, data.length, dissection);
  verifyChecksums(data, dissection);
  const ok = (v: string) => v === 'ok' || v === 'none';
  return ok(dissection.ipChecksum) && ok(dissection.l4Checksum);
}
