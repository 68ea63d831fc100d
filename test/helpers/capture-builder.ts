/**
 * Test-only builders for small pcap and pcapng files, written independently of the production
 * encoders (so a round trip through the real reader and writer is checked against another hand).
 */

export interface PcapPacketSpec {
  seconds: number;
  fraction: number; // µs or ns as stored
  data: Uint8Array;
  originalLength?: number;
}

export interface PcapSpec {
  byteOrder?: 'le' | 'be';
  nanosecond?: boolean;
  snapLength?: number;
  linkType?: number;
  packets: PcapPacketSpec[];
}

class ByteList {
  private readonly parts: number[] = [];
  constructor(readonly le: boolean) {}
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    const a = v & 0xff;
    const b = (v >>> 8) & 0xff;
    if (this.le) this.parts.push(a, b);
    else this.parts.push(b, a);
    return this;
  }
  u32(v: number): this {
    const bytes = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    if (!this.le) bytes.reverse();
    this.parts.push(...bytes);
    return this;
  }
  u64(v: bigint): this {
    const lowHalf = Number(BigInt.asUintN(64, v) & 0xffffffffn);
    const highHalf = Number((BigInt.asUintN(64, v) >> 32n) & 0xffffffffn);
    return this.le ? this.u32(lowHalf).u32(highHalf) : this.u32(highHalf).u32(lowHalf);
  }
  bytes(b: Uint8Array | number[]): this {
    for (const x of b) this.parts.push(x & 0xff);
    return this;
  }
  padTo4(): this {
    while (this.parts.length % 4 !== 0) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  toBytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export function buildPcap(spec: PcapSpec): Uint8Array {
  const w = new ByteList((spec.byteOrder ?? 'le') === 'le');
  w.u32(spec.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(spec.snapLength ?? 65535).u32(spec.linkType ?? 1);
  for (const p of spec.packets) {
    w.u32(p.seconds).u32(p.fraction).u32(p.data.length).u32(p.originalLength ?? p.data.length).bytes(p.data);
  }
  return w.toBytes();
}

/** Record header offsets of each packet in a file built by buildPcap. */
export function pcapRecordOffsets(spec: PcapSpec): number[] {
  const out: number[] = [];
  let pos = 24;
  for (const p of spec.packets) {
    out.push(pos);
    pos += 16 + p.data.length;
  }
  return out;
}

export interface OptionSpec {
  code: number;
  value: Uint8Array | number[];
}

export type BlockSpec =
  | { kind: 'shb'; byteOrder: 'le' | 'be'; sectionLength?: bigint; options?: OptionSpec[]; versionMajor?: number }
  | { kind: 'idb'; linkType: number; snapLength?: number; options?: OptionSpec[] }
  | { kind: 'epb'; interfaceId: number; tsHigh: number; tsLow: number; data: Uint8Array; originalLength?: number; options?: OptionSpec[] }
  | { kind: 'spb'; data: Uint8Array; originalLength?: number }
  | { kind: 'pb'; interfaceId: number; drops: number; tsHigh: number; tsLow: number; data: Uint8Array; originalLength?: number; options?: OptionSpec[] }
  | { kind: 'other'; type: number; body: Uint8Array };

function options(w: ByteList, list: OptionSpec[] | undefined): void {
  if (list === undefined || list.length === 0) return;
  for (const o of list) {
    w.u16(o.code).u16(o.value.length).bytes(o.value).padTo4();
  }
  w.u16(0).u16(0);
}

/** Encode one block in the given byte order. */
export function buildBlock(b: BlockSpec, le: boolean): Uint8Array {
  const body = new ByteList(le);
  let type: number;
  switch (b.kind) {
    case 'shb':
      type = 0x0a0d0d0a;
      body.u32(0x1a2b3c4d).u16(b.versionMajor ?? 1).u16(0).u64(b.sectionLength ?? -1n);
      options(body, b.options);
      break;
    case 'idb':
      type = 1;
      body.u16(b.linkType).u16(0).u32(b.snapLength ?? 0);
      options(body, b.options);
      break;
    case 'epb':
      type = 6;
      body.u32(b.interfaceId).u32(b.tsHigh).u32(b.tsLow).u32(b.data.length).u32(b.originalLength ?? b.data.length).bytes(b.data).padTo4();
      options(body, b.options);
      break;
    case 'spb':
      type = 3;
      body.u32(b.originalLength ?? b.data.length).bytes(b.data).padTo4();
      break;
    case 'pb':
      type = 2;
      body.u16(b.interfaceId).u16(b.drops).u32(b.tsHigh).u32(b.tsLow).u32(b.data.length).u32(b.originalLength ?? b.data.length).bytes(b.data).padTo4();
      options(body, b.options);
      break;
    case 'other':
      type = b.type;
      body.bytes(b.body).padTo4();
      break;
  }
  const total = 12 + body.length;
  return new ByteList(le).u32(type).u32(total).bytes(body.toBytes()).u32(total).toBytes();
}

/** Encode a block sequence; each SHB sets the byte order of the blocks after it. Returns the bytes and each block's offset. */
export function buildPcapng(blocks: BlockSpec[]): { bytes: Uint8Array; offsets: number[] } {
  const parts: Uint8Array[] = [];
  const offsets: number[] = [];
  let le = true;
  let pos = 0;
  for (const b of blocks) {
    if (b.kind === 'shb') le = b.byteOrder === 'le';
    const bytes = buildBlock(b, le);
    offsets.push(pos);
    parts.push(bytes);
    pos += bytes.length;
  }
  const out = new Uint8Array(pos);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { bytes: out, offsets };
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function text(s: string): number[] {
  return Array.from(new TextEncoder().encode(s));
}
