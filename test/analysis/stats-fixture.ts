/**
 * Crafted TCP conversations for the `toa stats` tests, built with the production packet builder
 * (src/codec/build.ts) and written with the production pcap writer (src/codec/capture-writer.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTcpCarrier } from '../../src/carriers/index.js';
import { buildPacket, type TcpSpec } from '../../src/codec/build.js';
import { createCaptureWriter } from '../../src/codec/capture-writer.js';

export interface Segment {
  source: string;
  sourcePort: number;
  destination: string;
  destinationPort: number;
  flags: string;
  seq: number;
  ack?: number;
  options?: Uint8Array;
  payload?: Uint8Array | number;
  window?: number;
  ttl?: number;
  /** Milliseconds after the previous segment (default 1). */
  gap?: number;
}

export class Conversation {
  readonly segments: Segment[] = [];
  constructor(
    readonly client: string,
    readonly clientPort: number,
    readonly server: string,
    readonly serverPort: number,
  ) {}

  fromClient(flags: string, seq: number, ack: number | undefined, extra: Partial<Segment> = {}): this {
    this.segments.push({ source: this.client, sourcePort: this.clientPort, destination: this.server, destinationPort: this.serverPort, flags, seq, ack, ...extra });
    return this;
  }

  fromServer(flags: string, seq: number, ack: number | undefined, extra: Partial<Segment> = {}): this {
    this.segments.push({ source: this.server, sourcePort: this.serverPort, destination: this.client, destinationPort: this.clientPort, flags, seq, ack, ...extra });
    return this;
  }

  /** SYN, SYN-ACK, ACK (client ISN 1000, server ISN 5000) with optional options per packet. */
  handshake(o: { syn?: Uint8Array; synAck?: Uint8Array; ack?: Uint8Array; synAckWindow?: number; ackPayload?: number; synAckTtl?: number } = {}): this {
    this.fromClient('S', 1000, undefined, { options: o.syn });
    this.fromServer('S.', 5000, 1001, { options: o.synAck, window: o.synAckWindow, ttl: o.synAckTtl });
    this.fromClient('.', 1001, 5001, { options: o.ack, payload: o.ackPayload });
    return this;
  }

  /** One request (3 bytes unless given) and one response (5 bytes). */
  exchange(o: { request?: Uint8Array; response?: Uint8Array; requestBytes?: number } = {}): this {
    const bytes = o.requestBytes ?? 3;
    this.fromClient('P.', 1001, 5001, { payload: bytes, options: o.request });
    this.fromServer('P.', 5001, 1001 + bytes, { payload: 5, options: o.response });
    return this;
  }
}

export const MSS_SACK_TS_WS = Uint8Array.of(2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7);

export function toa(address: string, port: number): Uint8Array {
  return encodeTcpCarrier(address.includes(':') ? 'toa-v6' : 'toa-v4', { clientAddress: address, clientPort: port });
}

export function toa200(address: string, port: number): Uint8Array {
  return encodeTcpCarrier('toa-v4-200', { clientAddress: address, clientPort: port });
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function frame(s: Segment): Uint8Array {
  const v6 = s.source.includes(':');
  const payload = typeof s.payload === 'number' ? new Uint8Array(s.payload).fill(0x61) : s.payload;
  const transport: TcpSpec = {
    type: 'tcp', sourcePort: s.sourcePort, destinationPort: s.destinationPort, flags: s.flags,
    sequenceNumber: s.seq, acknowledgmentNumber: s.ack ?? 0, windowSize: s.window ?? 29200, options: s.options,
  };
  return buildPacket({
    ip: v6 ? { version: 6, source: s.source, destination: s.destination, hopLimit: s.ttl ?? 64 } : { version: 4, source: s.source, destination: s.destination, ttl: s.ttl ?? 64 },
    transport,
    payload,
  });
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'toa-stats-'));
}

/**
 * Write conversations to a pcap, one after the other (or interleaved when `interleave`), 1 ms
 * apart unless a segment says otherwise, starting at 1,700,000,000 s. Returns the path.
 */
export function writeConversations(path: string, conversations: Conversation[], interleave = false): string {
  const writer = createCaptureWriter(path, { format: 'pcap', linkType: 1 });
  let ms = 0;
  const order: Segment[] = [];
  if (interleave) {
    const longest = Math.max(...conversations.map((c) => c.segments.length));
    for (let i = 0; i < longest; i++) for (const c of conversations) if (c.segments[i]) order.push(c.segments[i]!);
  } else {
    for (const c of conversations) order.push(...c.segments);
  }
  for (const s of order) {
    ms += s.gap ?? 1;
    const data = frame(s);
    const seconds = 1_700_000_000 + Math.floor(ms / 1000);
    const nanos = Math.round((ms % 1000) * 1e6);
    writer.writePacket({ interfaceId: 0, timestampSeconds: seconds, timestampNanos: nanos, originalLength: data.length }, data);
  }
  writer.close();
  return path;
}
