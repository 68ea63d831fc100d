/** Shared helpers for the renderer tests: build a frame, wrap it in a PacketRecord, inspect it. */
import { PacketInspector, type InspectOptions } from '../../src/analysis/inspect.js';
import { verifyChecksums, ENCAPSULATION } from '../../src/codec/dissect.js';
import { buildPacket, linkTypeOf, type BuildOptions, type PacketSpec } from '../../src/codec/build.js';
import type { PacketRecord } from '../../src/codec/capture-types.js';

export function record(data: Uint8Array, linkType: number, extra: Partial<PacketRecord> = {}): PacketRecord {
  return {
    index: 1,
    interfaceId: 0,
    linkType,
    timestampSeconds: 1,
    timestampNanos: 2000,
    capturedLength: data.length,
    originalLength: data.length,
    data,
    fileOffset: 24,
    blockType: 0,
    options: null,
    rawTsHigh: 0,
    rawTsLow: 0,
    ...extra,
  };
}

/** Inspect `p` the way `toa decode` does (outer checksums of tunnels verified too). */
export function inspectRecord(p: PacketRecord, options: InspectOptions = {}): PacketInspector {
  const ins = new PacketInspector(options);
  ins.inspect(p.data, p.linkType, p.originalLength);
  if (options.checksums !== false && ins.d.encapsulation !== ENCAPSULATION.NONE && ins.d.outer !== null) verifyChecksums(p.data, ins.d.outer);
  return ins;
}

export function built(spec: PacketSpec, build: BuildOptions = {}, extra: Partial<PacketRecord> = {}): { p: PacketRecord; ins: PacketInspector } {
  const data = buildPacket(spec, build);
  const p = record(data, linkTypeOf(spec.link), extra);
  return { p, ins: inspectRecord(p) };
}

export const IP4 = { version: 4 as const, source: '10.0.0.1', destination: '10.0.0.2', identification: 1, dontFragment: true };
export const IP6 = { version: 6 as const, source: '2001:db8::1', destination: '2001:db8::2' };
export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
