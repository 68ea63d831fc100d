/**
 * The WebAssembly kernels (src/rewrite/kernels.ts) against their JavaScript references, on generated TCP
 * packets: IPv4 and IPv6, Ethernet (with VLAN tags) or raw, any mix of options, payloads of every length (odd
 * ones included), link trailers, and checksums that are right or wrong in the IPv4 header or in TCP. The two
 * must return the same length (or both decline) and write the same bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPacket, type LinkSpec, type PacketSpec, type TcpOptionSpec } from '../../src/codec/build.js';
import { checksumBuffer, setSimdChecksum } from '../../src/codec/checksum.js';
import { LINKTYPE } from '../../src/codec/linktype.js';
import { FrameLayout, locateIp } from '../../src/rewrite/link.js';
import { cutOptionJs, insertAtHeadJs, KERNEL_DECLINED, kernelModuleBytes, tcpKernels } from '../../src/rewrite/kernels.js';
import { arbTcpOptions } from '../arbitraries.js';
import { repoRoot } from '../helpers/corpus.js';

const available = setSimdChecksum('auto');
const kernels = available ? tcpKernels() : null;
if (kernels === null) console.warn('kernels.test: WebAssembly SIMD is not available here; the kernel comparisons are skipped');

/** Module-memory buffers: the source frame sits at BASE in SRC; DST receives the result. */
const SRC = checksumBuffer(4096);
const DST = checksumBuffer(4096);
const BASE = 100;

interface Case {
  frame: Uint8Array;
  linkType: number;
}

const arbAddress = (v: 4 | 6): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: v === 4 ? 4 : 16, maxLength: v === 4 ? 4 : 16 });

const arbCase = (options: fc.Arbitrary<TcpOptionSpec[]>): fc.Arbitrary<Case> =>
  fc
    .record({
      v: fc.constantFrom(4 as const, 6 as const),
      link: fc.oneof(
        fc.constant<LinkSpec>({ type: 'ethernet' }),
        fc.constant<LinkSpec>({ type: 'ethernet', vlans: [{ id: 7 }] }),
        fc.constant<LinkSpec>({ type: 'raw' }),
      ),
      src4: arbAddress(4),
      dst4: arbAddress(4),
      src6: arbAddress(6),
      dst6: arbAddress(6),
      ports: fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 })),
      seq: fc.integer({ min: 0, max: 0xffffffff }),
      ack: fc.integer({ min: 0, max: 0xffffffff }),
      flags: fc.integer({ min: 0, max: 255 }),
      reserved: fc.integer({ min: 0, max: 15 }),
      options,
      padding: fc.constantFrom('eol' as const, 'nop' as const),
      payload: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 100, maxLength: 1500 })),
      trailer: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 1, maxLength: 8 })),
      damage: fc.constantFrom('none', 'none', 'none', 'ip', 'tcp'),
      ttl: fc.integer({ min: 0, max: 255 }),
    })
    .map((r) => {
      const spec: PacketSpec = {
        link: r.link,
        ip:
          r.v === 4
            ? { version: 4, source: r.src4, destination: r.dst4, ttl: r.ttl, identification: r.seq & 0xffff }
            : { version: 6, source: r.src6, destination: r.dst6, hopLimit: r.ttl },
        transport: {
          type: 'tcp',
          sourcePort: r.ports[0],
          destinationPort: r.ports[1],
          sequenceNumber: r.seq,
          acknowledgmentNumber: r.ack,
          flags: r.flags,
          reserved: r.reserved,
          options: r.options,
          optionPadding: r.padding,
        },
        payload: r.payload,
        trailer: r.trailer,
      };
      const frame = buildPacket(spec);
      const located = new FrameLayout();
      if (!locateIp(frame, r.link.type === 'raw' ? LINKTYPE.RAW : LINKTYPE.ETHERNET, located)) throw new Error('test packet not located');
      if (r.damage === 'ip' && r.v === 4) frame[located.l3 + 10]! ^= 0x01;
      if (r.damage === 'tcp') frame[located.l3 + (r.v === 4 ? 20 : 40) + 16]! ^= 0x20;
      return { frame, linkType: r.link.type === 'raw' ? LINKTYPE.RAW : LINKTYPE.ETHERNET };
    });

/** The fields the fast paths pass: offsets relative to the frame. */
function fieldsOf(c: Case): { l3: number; l4: number; doff: number; ipLength: number; captured: number; af: 4 | 6 } {
  const f = new FrameLayout();
  locateIp(c.frame, c.linkType, f);
  const l3 = f.l3;
  const af = f.af;
  const l4 = l3 + (af === 4 ? 20 : 40);
  const ipLength = af === 4 ? (c.frame[l3 + 2]! << 8) | c.frame[l3 + 3]! : 40 + ((c.frame[l3 + 4]! << 8) | c.frame[l3 + 5]!);
  return { l3, l4, doff: (c.frame[l4 + 12]! >>> 4) * 4, ipLength, captured: f.ipCaptured, af };
}

/** Offsets (relative to the frame) of the options that are not NOP or EOL. */
function optionOffsets(frame: Uint8Array, l4: number, doff: number): number[] {
  const out: number[] = [];
  let i = l4 + 20;
  const end = l4 + doff;
  while (i < end) {
    const kind = frame[i]!;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= end || frame[i + 1]! < 2 || i + frame[i + 1]! > end) break;
    out.push(i);
    i += frame[i + 1]!;
  }
  return out;
}

function place(frame: Uint8Array): void {
  SRC.fill(0xee);
  DST.fill(0xdd);
  SRC.set(frame, BASE);
}

describe.runIf(kernels !== null)('WebAssembly TCP kernels against the JavaScript paths', () => {
  it('insertAtHead: same result and bytes as insertAtHeadJs', () => {
    const seen = { inserted: 0, declined: 0 };
    fc.assert(
      fc.property(arbCase(arbTcpOptions()), fc.constantFrom(8, 12, 20), fc.uint8Array({ minLength: 20, maxLength: 20 }), (c, optionLength, optionBytes) => {
        const f = fieldsOf(c);
        if (f.captured !== f.ipLength || f.doff + optionLength > 60) return;
        const option = optionBytes.subarray(0, optionLength);
        place(c.frame);
        const n = kernels!.insertAtHead(SRC, BASE, c.frame.length, f.l3, f.l4, f.doff, f.ipLength, f.captured, f.af, option, DST);
        const expected = new Uint8Array(4096);
        const m = insertAtHeadJs(c.frame.slice(), 0, c.frame.length, f.l3, f.l4, f.doff, f.ipLength, f.captured, f.af, option, expected);
        expect(n).toBe(m);
        if (m >= 0) seen.inserted++;
        else seen.declined++;
        if (m >= 0) expect(Buffer.from(DST.subarray(0, n)).toString('hex')).toBe(Buffer.from(expected.subarray(0, m)).toString('hex'));
        else expect(DST.every((b) => b === 0xdd)).toBe(true);
      }),
      { numRuns: 1500 },
    );
    // both outcomes were compared many times (the generator is not stuck on one)
    expect(seen.inserted).toBeGreaterThan(300);
    expect(seen.declined).toBeGreaterThan(100);
  });

  it('cutOption: same result and bytes as cutOptionJs, removing or NOP-filling any option', () => {
    const seen = { removed: 0, nopped: 0, declined: 0 };
    fc.assert(
      fc.property(arbCase(arbTcpOptions()), fc.nat(), fc.boolean(), (c, pick, nop) => {
        const f = fieldsOf(c);
        if (f.captured !== f.ipLength) return;
        const offsets = optionOffsets(c.frame, f.l4, f.doff);
        if (offsets.length === 0) return;
        const at = offsets[pick % offsets.length]!;
        place(c.frame);
        const n = kernels!.cutOption(SRC, BASE, c.frame.length, f.l3, f.l4, f.doff, f.ipLength, f.captured, f.af, at, nop, DST);
        const expected = new Uint8Array(4096);
        const m = cutOptionJs(c.frame.slice(), 0, c.frame.length, f.l3, f.l4, f.doff, f.ipLength, f.captured, f.af, at, nop, expected);
        expect(n).toBe(m);
        if (m < 0) seen.declined++;
        else if (m === c.frame.length) seen.nopped++;
        else seen.removed++;
        if (m >= 0) expect(Buffer.from(DST.subarray(0, n)).toString('hex')).toBe(Buffer.from(expected.subarray(0, m)).toString('hex'));
        else expect(DST.every((b) => b === 0xdd)).toBe(true);
      }),
      { numRuns: 1500 },
    );
    expect(seen.removed).toBeGreaterThan(200);
    expect(seen.nopped).toBeGreaterThan(100);
    expect(seen.declined).toBeGreaterThan(50);
  });

  it('declines (and writes nothing) on a wrong IPv4 header checksum or TCP checksum; accepts the right ones', () => {
    const spec = (options: TcpOptionSpec[]): PacketSpec => ({
      ip: { version: 4, source: '10.0.0.1', destination: '10.0.0.2' },
      transport: { type: 'tcp', sourcePort: 40000, destinationPort: 80, flags: 'A', options },
      payload: new Uint8Array(300).fill(7),
    });
    const frame = buildPacket(spec([{ kind: 254, data: [0x9c, 0x40, 10, 0, 0, 9] }]));
    const c = { frame, linkType: LINKTYPE.ETHERNET };
    const f = fieldsOf(c);
    const run = (bytes: Uint8Array): number => {
      place(bytes);
      return kernels!.cutOption(SRC, BASE, bytes.length, f.l3, f.l4, f.doff, f.ipLength, f.captured, f.af, f.l4 + 20, false, DST);
    };
    expect(run(frame)).toBe(frame.length - 8);
    for (const at of [f.l3 + 10, f.l4 + 16, f.l4 + 17]) {
      const bad = frame.slice();
      bad[at]! ^= 0x40;
      expect(run(bad)).toBe(KERNEL_DECLINED);
      expect(DST.every((b) => b === 0xdd)).toBe(true);
    }
  });

  it('the module validates; the bundles carry the bytes kernelModuleBytes emits now (scripts/bundle.mjs)', () => {
    const wasm = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
    const bytes = kernelModuleBytes();
    expect(wasm.validate(bytes)).toBe(true);
    const base64 = Buffer.from(bytes).toString('base64');
    for (const bundle of ['toa-inject-toa.cjs', 'toa-strip.cjs']) {
      const text = readFileSync(join(repoRoot, 'dist', 'bundle', bundle), 'utf8');
      expect(text.includes(JSON.stringify(base64)), `${bundle} carries the current kernel module`).toBe(true);
    }
  });
});
