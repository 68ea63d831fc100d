/**
 * `--no-prune` with `--fnat`: a client->VIP segment whose header has no room for the TOA (NOROOM)
 * goes out translated but without a TOA and with its options exactly as the client sent them;
 * without --no-prune the same segment is pruned and retried (TV-3's options).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checksumsOk, ip, tcp } from '../dpvs/dpvs-packets.js';
import { hexBytes as hex, packet, readPackets, runCli, tempDir, writeRawPcap } from '../rewrite/helpers.js';

const L = '10.0.0.100';
const R = '10.0.0.2';
const C = '192.0.2.1';
const V = '198.51.100.10';
const FNAT = ['--fnat', '--lip', `${L}:5000`, '--rs', `${R}:8080`];
// doff 15: NOP NOP TS + NOP NOP SACK(3 blocks): 40 bytes, no room for 8 more
const FULL = hex('01 01 08 0a 00000001 00000002 01 01 05 1a 00000010 00000020 00000030 00000040 00000050 00000060');

async function inject(packets: Uint8Array[], args: string[]): Promise<{ out: Uint8Array[]; json: Record<string, any> }> {
  const dir = tempDir();
  writeRawPcap(join(dir, 'in.pcap'), packets);
  const r = await runCli(['inject-toa', join(dir, 'in.pcap'), '-o', join(dir, 'out.pcap'), '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return { out: (await readPackets(join(dir, 'out.pcap'))).map((p) => p.data), json: JSON.parse(r.stdout) };
}

function clientLeg(): Uint8Array[] {
  return [
    packet({ src: C, dst: V, sport: 40000, dport: 80, seq: 100, flags: 0x02, options: hex('02 04 05 b4') }),
    packet({ src: V, dst: C, sport: 80, dport: 40000, seq: 900, ack: 101, flags: 0x12, options: hex('02 04 05 ac') }),
    packet({ src: C, dst: V, sport: 40000, dport: 80, seq: 101, ack: 901, flags: 0x18, options: FULL, payload: Array.from(Buffer.from('ABCDEFGHIJ')) }),
  ];
}

describe('inject-toa --fnat --no-prune', () => {
  it('a NOROOM segment goes out translated, without TOA and with every option as sent', async () => {
    const input = clientLeg();
    const { out, json } = await inject(input, [...FNAT, '--no-prune']);
    const p = out[2]!;
    expect(tcp.doff(p)).toBe(60);
    expect(ip.length(p)).toBe(input[2]!.length);
    expect(tcp.options(p)).toEqual(FULL);
    expect(Array.from(p.subarray(12, 20))).toEqual([10, 0, 0, 100, 10, 0, 0, 2]);
    expect([tcp.sport(p), tcp.dport(p)]).toEqual([5000, 8080]);
    expect(checksumsOk(p, 0, p.length)).toBe(true);
    expect(json.carriersInserted).toBe(0);
    expect(json.skipped.NOROOM).toBe(1);
    expect(json.prunedPackets).toBe(0);
  });

  it('without --no-prune the same segment is pruned and gets its TOA (DPVS)', async () => {
    const { out, json } = await inject(clientLeg(), FNAT);
    const p = out[2]!;
    expect(tcp.doff(p)).toBe(40);
    expect(tcp.options(p)).toEqual(hex('fe 08 9c 40 c0 00 02 01 08 0a 00 00 00 01 00 00 00 02 00 00'));
    expect(checksumsOk(p, 0, p.length)).toBe(true);
    expect(json.carriersInserted).toBe(1);
    expect(json.prunedPackets).toBe(1);
  });
});
