/**
 * fast-check properties through the CLI: random valid TCP packets (random option lists, flags,
 * payloads, IPv4 and IPv6) through inject-toa and strip keep every checksum valid, and
 * strip(inject-toa(x)) == x byte for byte whenever inject-toa pruned nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checksumsValid, packet, readPackets, runCli, tcpOptionList, tempDir, writeRawPcap } from './helpers.js';

/** Options that are never a carrier (MSS, WS, SACK-permitted, TS, SACK, an unknown kind 30..99). */
const optionList = tcpOptionList({ maxOptions: 8, unknownData: 6, withToa: false });

const tcpPacket = fc.record({
  v6: fc.boolean(),
  sport: fc.integer({ min: 1024, max: 65535 }),
  seq: fc.integer({ min: 0, max: 0xffffffff }),
  ack: fc.integer({ min: 0, max: 0xffffffff }),
  flags: fc.constantFrom(0x10, 0x18, 0x11, 0x19),
  options: optionList,
  payload: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 120 }),
});

describe('properties', () => {
  it('checksums valid after inject and strip; strip(inject(x)) == x when nothing was pruned', async () => {
    const dir = tempDir();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(tcpPacket, { minLength: 1, maxLength: 6 }), fc.constantFrom('dpvs', 'lvs', 'alibaba-vtoa', 'ttgw', 'proxy-v2'), async (specs, format) => {
        run++;
        const packets = specs.map((s, i) =>
          packet({
            src: s.v6 ? '2001:db8::100' : '10.0.0.100',
            dst: s.v6 ? '2001:db8::2' : '10.0.0.2',
            sport: s.sport,
            dport: 80 + i,
            seq: s.seq,
            ack: s.ack,
            flags: s.flags,
            options: s.options,
            payload: s.payload,
          }),
        );
        const input = join(dir, `in-${run}.pcap`);
        writeRawPcap(input, packets);
        const i = await runCli(['inject-toa', input, '-o', join(dir, `inj-${run}.pcap`), '--json', '--format', format, '--when', 'every']);
        expect(i.code, i.stderr).toBe(0);
        const injected = await readPackets(join(dir, `inj-${run}.pcap`));
        for (const p of injected) expect(checksumsValid(p.data)).toBe(true);
        const s = await runCli(['strip', join(dir, `inj-${run}.pcap`), '-o', join(dir, `back-${run}.pcap`)]);
        expect(s.code, s.stderr).toBe(0);
        for (const p of await readPackets(join(dir, `back-${run}.pcap`))) expect(checksumsValid(p.data)).toBe(true);
        const summary = JSON.parse(i.stdout);
        if (summary.prunedPackets === 0) expect(readFileSync(join(dir, `back-${run}.pcap`))).toEqual(readFileSync(input));
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
