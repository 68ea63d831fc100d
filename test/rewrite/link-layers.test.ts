/**
 * inject-toa and strip over every link layer and file flavour: the link header bytes are kept, the
 * link trailer (Ethernet padding) is kept after the grown IP packet, pcapng sections/interfaces are
 * mirrored (two interfaces), ns precision and big-endian pcap stay as they were, and strip gives
 * back the input byte for byte.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPcapng } from '../helpers/capture-builder.js';
import { tcp } from '../dpvs/dpvs-packets.js';
import { hexBytes as hex, packet, readPackets, runCli, tempDir, writeRawPcap } from './helpers.js';

const ACK = () => packet({ src: '10.0.0.100', dst: '10.0.0.2', sport: 40000, dport: 80, seq: 1, ack: 0x1000, flags: 0x10, window: 502 });
const ACK6 = () => packet({ src: '2001:db8::100', dst: '2001:db8::2', sport: 40000, dport: 80, seq: 1, ack: 0x1000, flags: 0x10, window: 502 });

const ETH4 = hex('020000000002 020000000001 0800');
const ETH6 = hex('020000000002 020000000001 86dd');
const LINKS: Array<[string, number, number[], () => Uint8Array, number[]]> = [
  ['Ethernet (with 6 bytes of padding)', 1, ETH4, ACK, [0, 0, 0, 0, 0, 0]],
  ['VLAN', 1, hex('020000000002 020000000001 8100 0064 0800'), ACK, []],
  ['QinQ', 1, hex('020000000002 020000000001 88a8 00c8 8100 0064 0800'), ACK, []],
  ['SLL', 113, hex('0000 0001 0006 020000000001 0000 0800'), ACK, []],
  ['SLL2', 276, hex('0800 0000 00000002 0001 00 06 020000000001 0000'), ACK, []],
  ['raw', 101, [], ACK, []],
  ['NULL (little-endian AF_INET)', 0, hex('02000000'), ACK, []],
  ['Ethernet IPv6', 1, ETH6, ACK6, []],
];

describe('link layers: header kept, trailer kept, carrier inserted, strip restores', () => {
  for (const [name, linkType, header, make, trailer] of LINKS) {
    it(name, async () => {
      const dir = tempDir();
      const ip = make();
      const frame = Uint8Array.from([...header, ...ip, ...trailer]);
      writeRawPcap(join(dir, 'in.pcap'), [frame], linkType);
      const r = await runCli(['inject-toa', join(dir, 'in.pcap'), '-o', join(dir, 'out.pcap'), '--json']);
      expect(r.code, r.stderr).toBe(0);
      const [out] = await readPackets(join(dir, 'out.pcap'));
      const grow = ip[0]! >>> 4 === 4 ? 8 : 20;
      expect(out!.data.length).toBe(frame.length + grow);
      expect(out!.originalLength).toBe(frame.length + grow);
      expect(Array.from(out!.data.subarray(0, header.length))).toEqual(header);
      expect(Array.from(out!.data.subarray(out!.data.length - trailer.length))).toEqual(trailer.length ? trailer : []);
      const l3 = out!.data.subarray(header.length, out!.data.length - trailer.length);
      expect(tcp.options(l3)[0]).toBe(254);
      const s = await runCli(['strip', join(dir, 'out.pcap'), '-o', join(dir, 'back.pcap')]);
      expect(s.code, s.stderr).toBe(0);
      expect(readFileSync(join(dir, 'back.pcap'))).toEqual(readFileSync(join(dir, 'in.pcap')));
    });
  }
});

describe('file flavours', () => {
  it('ns-precision big-endian pcap stays ns and big-endian; timestamps kept', async () => {
    const dir = tempDir();
    writeRawPcap(join(dir, 'in.pcap'), [Uint8Array.from([...ETH4, ...ACK()])], 1, { nanosecond: true, byteOrder: 'be' });
    const r = await runCli(['inject-toa', join(dir, 'in.pcap'), '-o', join(dir, 'out.pcap')]);
    expect(r.code, r.stderr).toBe(0);
    const bytes = readFileSync(join(dir, 'out.pcap'));
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0xa1, 0xb2, 0x3c, 0x4d]);
    const [p] = await readPackets(join(dir, 'out.pcap'));
    expect(p!.timestampNanos).toBe(1);
    await runCli(['strip', join(dir, 'out.pcap'), '-o', join(dir, 'back.pcap')]);
    expect(readFileSync(join(dir, 'back.pcap'))).toEqual(readFileSync(join(dir, 'in.pcap')));
  });

  it('pcapng with two interfaces (Ethernet and raw), an extra block and EPB options: mirrored, round trip exact', async () => {
    const dir = tempDir();
    const { bytes } = buildPcapng([
      { kind: 'shb', byteOrder: 'le' },
      { kind: 'idb', linkType: 1, snapLength: 65535 },
      { kind: 'idb', linkType: 101, snapLength: 65535, options: [{ code: 9, value: [9] }] },
      { kind: 'epb', interfaceId: 1, tsHigh: 1, tsLow: 2, data: ACK(), options: [{ code: 1, value: Array.from(Buffer.from('hello')) }] },
      { kind: 'other', type: 0x40000bad, body: Uint8Array.of(1, 2, 3, 4) },
      { kind: 'epb', interfaceId: 0, tsHigh: 1, tsLow: 3, data: Uint8Array.from([...ETH4, ...ACK()]) },
    ]);
    writeFileSync(join(dir, 'in.pcapng'), bytes);
    const r = await runCli(['inject-toa', join(dir, 'in.pcapng'), '-o', join(dir, 'out.pcapng'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).carriersInserted).toBe(2);
    const out = await readPackets(join(dir, 'out.pcapng'));
    expect(out.map((p) => p.interfaceId)).toEqual([1, 0]);
    const s = await runCli(['strip', join(dir, 'out.pcapng'), '-o', join(dir, 'back.pcapng')]);
    expect(s.code, s.stderr).toBe(0);
    expect(readFileSync(join(dir, 'back.pcapng'))).toEqual(readFileSync(join(dir, 'in.pcapng')));
  });
});
