/**
 * PacketInspector: the shortcuts of its hot path give what the full carrier scan gives.
 */
import { describe, expect, it } from 'vitest';
import { PacketInspector } from '../../src/analysis/inspect.js';
import { encodeCarrier, parseKindSpec, scanTcpOptions, type Carrier, type CarrierNote } from '../../src/carriers/index.js';
import { buildPacket, linkTypeOf } from '../../src/codec/build.js';
import { IP4 } from '../render/packets.js';

const ETH = linkTypeOf(undefined);
const NOP = { kind: 1 };
const TS = { kind: 8, data: [0, 0, 0, 1, 0, 0, 0, 2] };
const opt = (bytes: Uint8Array) => ({ kind: bytes[0]!, data: bytes.subarray(2) });
const tcp = { type: 'tcp' as const, sourcePort: 1, destinationPort: 2, acknowledgmentNumber: 1, windowSize: 2, flags: '.' };

/** The carriers and notes of the packet's options area, from scanTcpOptions itself. */
function scanned(ins: PacketInspector, data: Uint8Array, kinds?: string): { carriers: Carrier[]; notes: CarrierNote[] } {
  const carriers: Carrier[] = [];
  const notes: CarrierNote[] = [];
  const d = ins.d;
  scanTcpOptions(data, d.tcpOptionsOffset, d.tcpOptionsOffset + d.tcpOptionsLength, false, carriers, notes, kinds !== undefined ? parseKindSpec(kinds) : undefined);
  return { carriers, notes };
}

describe('PacketInspector: TCP options', () => {
  const cases: Array<[string, Array<{ kind: number; data?: ArrayLike<number> }> | Uint8Array]> = [
    ['NOP, NOP, timestamp', [NOP, NOP, TS]],
    ['timestamp, NOP, NOP', [TS, NOP, NOP]],
    ['TOA, NOP, NOP, timestamp', [opt(encodeCarrier('toa-v4', { clientAddress: '192.0.2.1', clientPort: 40000 })), NOP, NOP, TS]],
    ['NOP, NOP, a short kind 8', Uint8Array.of(1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0)],
  ];
  for (const [name, options] of cases) {
    for (const kinds of [undefined, '8', '254:8']) {
      it(`${name}${kinds !== undefined ? ` with --kinds ${kinds}` : ''}: what scanTcpOptions finds`, () => {
        const data = buildPacket({ ip: IP4, transport: { ...tcp, options } });
        const ins = new PacketInspector({ kinds: kinds !== undefined ? parseKindSpec(kinds) : undefined });
        ins.inspect(data, ETH, data.length);
        expect(ins.d.tcpOptionsOffset).toBeGreaterThan(0);
        const want = scanned(ins, data, kinds);
        expect(ins.carriers).toEqual(want.carriers);
        expect(ins.notes).toEqual(want.notes);
      });
    }
  }

  it('a TOA whose port is no ExID has exidCollision undefined, not shown by JSON.stringify, and the keys of one that is', () => {
    const plain = buildPacket({ ip: IP4, transport: { ...tcp, options: [opt(encodeCarrier('toa-v4', { clientAddress: '192.0.2.1', clientPort: 40000 }))] } });
    const colliding = buildPacket({ ip: IP4, transport: { ...tcp, options: [opt(encodeCarrier('toa-v4', { clientAddress: '192.0.2.1', clientPort: 0x454e }))] } });
    const a = new PacketInspector();
    a.inspect(plain, ETH, plain.length);
    const b = new PacketInspector();
    b.inspect(colliding, ETH, colliding.length);
    expect(a.carriers[0]!.exidCollision).toBeUndefined();
    expect(JSON.stringify(a.carriers[0])).not.toContain('exidCollision');
    expect(b.carriers[0]!.exidCollision).toBe('TCP-ENO');
    expect(Object.keys(a.carriers[0]!)).toEqual(Object.keys(b.carriers[0]!));
    expect(Object.keys(b.carriers[0]!).at(-1)).toBe('exidCollision');
  });
});
