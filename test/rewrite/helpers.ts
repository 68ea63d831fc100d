/** Test helpers for the rewriting commands: write a capture of raw IP packets, run the CLI in-process, read packets back. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
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

/**
 * Random TCP option bytes (NOP-padded to a multiple of 4, at most 40): NOP, MSS, WS, SACK-permitted,
 * TS, SACK and an unknown kind 30..99 with up to `unknownData` data bytes; with `withToa` also a
 * TOA 254/8 already in the header.
 */
export function tcpOptionList(o: { maxOptions: number; unknownData: number; withToa: boolean }): fc.Arbitrary<number[]> {
  const bytes = (n: number) => fc.array(fc.integer({ min: 0, max: 255 }), { minLength: n, maxLength: n });
  const kinds: Array<fc.Arbitrary<number[]>> = [
    fc.constant([1]),
    fc.integer({ min: 0, max: 0xffff }).map((m) => [2, 4, m >> 8, m & 0xff]),
    fc.integer({ min: 0, max: 14 }).map((w) => [3, 3, w]),
    fc.constant([4, 2]),
    bytes(8).map((b) => [8, 10, ...b]),
    bytes(8).map((b) => [5, 10, ...b]),
    fc.tuple(fc.integer({ min: 30, max: 99 }), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: o.unknownData })).map(([k, b]) => [k, 2 + b.length, ...b]),
  ];
  if (o.withToa) kinds.push(bytes(6).map((b) => [254, 8, ...b]));
  return fc.array(fc.oneof(...kinds), { maxLength: o.maxOptions }).map((list) => {
    const out: number[] = [];
    for (const option of list) if (out.length + option.length <= 40) out.push(...option);
    while (out.length % 4 !== 0) out.push(1);
    return out;
  });
}
