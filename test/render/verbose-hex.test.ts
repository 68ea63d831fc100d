/** -v layered view and -x hex dump. */
import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { encodeCarrier } from '../../src/carriers/index.js';
import { hexDump } from '../../src/render/hex.js';
import { stylesFrom } from '../../src/render/common.js';
import { VerboseRenderer } from '../../src/render/verbose.js';
import { IP4, built } from './packets.js';

const toa = encodeCarrier('toa-v4', { clientAddress: '192.0.2.1', clientPort: 40000 });

describe('-x hex dump', () => {
  it('tcpdump -x layout over the whole frame: tab, 0x%04x, 8 groups of 2 bytes', () => {
    const data = Uint8Array.from({ length: 18 }, (_, i) => i);
    expect(hexDump(data)).toBe('\t0x0000:  0001 0203 0405 0607 0809 0a0b 0c0d 0e0f\n\t0x0010:  1011\n');
    expect(hexDump(new Uint8Array(3).fill(0xab))).toBe('\t0x0000:  abab ab\n');
  });

  it('highlights exactly the carrier bytes when colour is on', () => {
    const x = built({ ip: IP4, transport: { type: 'tcp', sourcePort: 1, destinationPort: 2, options: [{ kind: 254, data: toa.subarray(2) }] } });
    const styles = stylesFrom(new Chalk({ level: 1 }));
    const dump = hexDump(x.p.data, x.ins.carriers, styles);
    // the option sits at bytes 54..61: 0x0030 line, groups 4..7 hold bytes 0x36..0x3d
    const marked = [...dump.matchAll(/\u001b\[[0-9;]*m([0-9a-f]{2})\u001b\[[0-9;]*m/g)].map((m) => m[1]);
    expect(marked).toEqual(['fe', '08', '9c', '40', 'c0', '00', '02', '01']);
    expect(dump.replace(/\u001b\[[0-9;]*m/g, '')).toBe(hexDump(x.p.data));
  });
});

describe('-v layered view', () => {
  it('lists the layers with offsets, every option, the carrier with its vendors, and checksums', () => {
    const x = built({ ip: IP4, transport: { type: 'tcp', sourcePort: 1234, destinationPort: 80, acknowledgmentNumber: 9, flags: '.', options: [{ kind: 254, data: toa.subarray(2) }, { kind: 1 }, { kind: 1 }, { kind: 8, data: [0, 0, 0, 1, 0, 0, 0, 2] }] } });
    const out = new VerboseRenderer().lines(x.p, x.ins, false);
    const lines = out.split('\n');
    expect(lines[0]).toBe(`packet 1 at 1970-01-01 00:00:01.000002 UTC (1.000002000), ${x.p.data.length} bytes captured, ${x.p.data.length} on the wire, link type 1 (EN10MB)`);
    expect(out).toContain('  ethernet at byte 0: 02:00:00:00:00:01 > 02:00:00:00:00:02\n');
    expect(out).toMatch(/ {2}ipv4 at byte 14: 10\.0\.0\.1 > 10\.0\.0\.2, header 20 bytes, .*ttl 64, protocol TCP \(6\), checksum 0x[0-9a-f]{4} \(ok\)\n/);
    expect(out).toMatch(/ {2}tcp at byte 34: 1234 > 80, seq 0, ack 9, flags \[\.\] \(0x10\), header 40 bytes, .*checksum 0x[0-9a-f]{4} \(ok\)\n/);
    expect(out).toContain('    option at byte 54: kind 254 length 8: toa 192.0.2.1:40000 (carrier toa-v4)\n');
    expect(out).toContain('    option at byte 62: kind 1: nop\n');
    expect(out).toContain('    option at byte 64: kind 8 length 10: TS val 1 ecr 2\n');
    expect(out).toContain('  carrier toa-v4 at byte 54 (tcp-option kind 254, length 8, row T1): toa 192.0.2.1:40000\n');
    expect(out).toMatch(/ {4}vendors: .*DPVS/);
  });

  it('a bad checksum shows the expected value; warnings and notes get their own lines', () => {
    const x = built({ ip: IP4, transport: { type: 'tcp', sourcePort: 1, destinationPort: 2, flags: 'S', checksum: 0x1234, options: Uint8Array.of(254, 4, 0xf9, 0x89, 2, 1, 0, 0) } }, { computeChecksums: false });
    const out = new VerboseRenderer().lines(x.p, x.ins, false);
    expect(out).toMatch(/checksum 0x1234 \(bad, expected 0x[0-9a-f]{4}\)/);
    expect(out).toContain('note tcp-fast-open at byte 54 (info)');
    expect(out).toContain('option at byte 58: kind 2 is malformed');
    expect(out).toMatch(/warning tcp-option-bad-length: tcp-option at byte 58/);
  });
});
