/**
 * Whole-replay properties: for random 4-tuples (IPv4 and IPv6), ISNs, option sets, knobs and
 * client traffic, both legs have consistent sequence spaces (rs-side = client-side + Δf / − Δs,
 * client-side = rs-side + Δs / − Δf), every packet has valid lengths and checksums, and every
 * input packet is accounted for.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPacket, type PacketSpec } from '../../src/codec/build.js';
import { readU16, readU32 } from '../../src/codec/bytes.js';
import { pseudoHeaderV4, pseudoHeaderV6, verifyIpv4HeaderChecksum, verifyTransportChecksum } from '../../src/codec/checksum.js';
import { defaultCookieSecret } from '../../src/dpvs/cookie.js';
import { synproxyConfig } from '../../src/dpvs/synproxy-config.js';
import { runSynproxyReplay, type ReplayPacket } from '../../src/replay/driver.js';
import { arbIpv4, arbIpv6, arbPort, arbU32 } from '../arbitraries.js';
import { buildPcap } from '../helpers/capture-builder.js';

const T0 = 1_700_000_000;

function valid(l3: Uint8Array): boolean {
  if (l3[0]! >> 4 === 4) {
    const ihl = (l3[0]! & 0xf) * 4;
    return (
      readU16(l3, 2) === l3.length &&
      verifyIpv4HeaderChecksum(l3, 0, ihl) &&
      verifyTransportChecksum(l3, ihl, l3.length - ihl, pseudoHeaderV4(l3, 12, 16, 6, l3.length - ihl))
    );
  }
  return readU16(l3, 4) === l3.length - 40 && verifyTransportChecksum(l3, 40, l3.length - 40, pseudoHeaderV6(l3, 8, 24, 6, l3.length - 40));
}

const tcpAt = (l3: Uint8Array) => (l3[0]! >> 4 === 4 ? (l3[0]! & 0xf) * 4 : 40);
const seq = (l3: Uint8Array) => readU32(l3, tcpAt(l3) + 4);
const ack = (l3: Uint8Array) => readU32(l3, tcpAt(l3) + 8);
const flags = (l3: Uint8Array) => l3[tcpAt(l3) + 13]!;

const arbScenario = fc.record({
  v6: fc.boolean(),
  client4: arbIpv4(),
  vip4: arbIpv4(),
  client6: arbIpv6(),
  vip6: arbIpv6(),
  clientPort: fc.integer({ min: 1, max: 65535 }),
  vipPort: fc.integer({ min: 1, max: 65535 }),
  isn: arbU32(),
  recordedIsn: arbU32(),
  mss: fc.option(fc.integer({ min: 0, max: 9000 })),
  sackOk: fc.boolean(),
  timestamp: fc.boolean(),
  wscale: fc.option(fc.integer({ min: 0, max: 14 })),
  configWscale: fc.constantFrom(0, 7),
  configTimestamp: fc.boolean(),
  closeClientWindow: fc.boolean(),
  fnatIsn: arbU32(),
  rsIsn: arbU32(),
  minute: arbU32(),
  segments: fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 5 }),
  fin: fc.boolean(),
  rsPort: arbPort(),
});

describe('synproxy replay properties', () => {
  it('keeps both sequence spaces consistent, every checksum valid, every input packet accounted for', async () => {
    await fc.assert(
      fc.asyncProperty(arbScenario, async (s) => {
        fc.pre(s.v6 ? Buffer.compare(Buffer.from(s.client6), Buffer.from(s.vip6)) !== 0 : Buffer.compare(Buffer.from(s.client4), Buffer.from(s.vip4)) !== 0);
        const client = s.v6 ? s.client6 : s.client4;
        const vip = s.v6 ? s.vip6 : s.vip4;
        const options: number[] = [];
        if (s.mss !== null) options.push(2, 4, s.mss >> 8, s.mss & 0xff);
        if (s.sackOk) options.push(4, 2);
        if (s.timestamp) options.push(8, 10, 0, 0, 0, 1, 0, 0, 0, 0);
        if (s.wscale !== null) options.push(1, 3, 3, s.wscale);
        while (options.length % 4) options.push(1);
        const packet = (at: number, sq: number, ak: number, fl: string, payload?: Uint8Array, opts?: number[]) => {
          const spec: PacketSpec = {
            link: { type: 'raw' },
            ip: s.v6 ? { version: 6, source: client, destination: vip } : { version: 4, source: client, destination: vip, dontFragment: true },
            transport: { type: 'tcp', sourcePort: s.clientPort, destinationPort: s.vipPort, sequenceNumber: sq >>> 0, acknowledgmentNumber: ak >>> 0, flags: fl, options: opts ? Uint8Array.from(opts) : undefined, optionPadding: 'none' },
            payload,
          };
          return { seconds: T0 + Math.floor(at), fraction: Math.round((at % 1) * 1e6), data: buildPacket(spec) };
        };
        // The recorded client acknowledged its own server (recordedIsn): the replay re-bases onto the cookie.
        const packets = [packet(0, s.isn, 0, 'S', undefined, options), packet(0.01, s.isn + 1, s.recordedIsn + 1, 'A')];
        let next = s.isn + 1;
        s.segments.forEach((size, i) => {
          packets.push(packet(0.02 + i * 0.01, next, s.recordedIsn + 1, 'PA', new Uint8Array(size).fill(i)));
          next += size;
        });
        if (s.fin) packets.push(packet(0.5, next, s.recordedIsn + 1, 'FA'));
        const bytes = buildPcap({ linkType: 101, packets });
        const out: ReplayPacket[] = [];
        const result = await runSynproxyReplay(
          {
            input: { name: 'random', bytes },
            vip: null,
            local: null,
            real: s.v6 ? null : { address: Uint8Array.of(10, 9, 8, 7), port: s.rsPort },
            secret: defaultCookieSecret(),
            minute: s.minute,
            fnatIsn: s.fnatIsn,
            config: synproxyConfig({ closeClientWindow: s.closeClientWindow, wscale: s.configWscale, timestamp: s.configTimestamp }),
            rs: { isn: s.rsIsn },
            rsDelayMicros: 100,
            keepClientAcks: false,
          },
          { packet: (p) => out.push(p), note: () => undefined },
        );
        const c = result.report.finish()[0]!;
        expect(c.outcome).toBe('established');
        expect(result.counts.clientPackets).toBe(packets.length);
        expect(result.counts.outputClientSide + result.counts.outputRsSide).toBe(out.length);
        const deltaF = parseInt(c.deltaF!, 16);
        const deltaS = parseInt(c.deltaS!, 16);
        const cookie = parseInt(c.cookie!.value, 16);
        expect(deltaF).toBe((s.fnatIsn - s.isn) >>> 0);
        expect(deltaS).toBe((cookie - s.rsIsn) >>> 0);
        for (const p of out) expect(valid(p.packet)).toBe(true);
        const pair = (l3: Uint8Array) => `${seq(l3)}/${ack(l3)}`;
        const fromClient = new Set(out.filter((p) => p.direction === 'to-vip').map((p) => pair(p.packet)));
        const fromRs = new Set(out.filter((p) => p.direction === 'from-rs').map((p) => pair(p.packet)));
        for (const p of out) {
          const l3 = p.packet;
          if (p.direction === 'to-rs') {
            if (flags(l3) === 0x02) {
              expect(seq(l3)).toBe(s.fnatIsn >>> 0);
              expect(readU16(l3, tcpAt(l3) + 14)).toBe(5000);
            } else expect(fromClient.has(`${(seq(l3) - deltaF) >>> 0}/${(ack(l3) + deltaS) >>> 0}`)).toBe(true);
          }
          if (p.direction === 'to-client') {
            if (flags(l3) === 0x12) {
              expect(seq(l3)).toBe(cookie);
              expect(ack(l3)).toBe((s.isn + 1) >>> 0);
            } else if (p.decision?.kind === 'window-update') {
              expect([seq(l3), ack(l3)]).toEqual([(cookie + 1) >>> 0, (s.isn + 1) >>> 0]);
            } else expect(fromRs.has(`${(seq(l3) - deltaS) >>> 0}/${(ack(l3) + deltaF) >>> 0}`)).toBe(true);
          }
        }
        // The client's re-based acks sit in the cookie's space: first ACK acks K + 1.
        const firstAck = out.find((p) => p.direction === 'to-vip' && flags(p.packet) === 0x10)!;
        expect(ack(firstAck.packet)).toBe((cookie + 1) >>> 0);
        // Data reached the RS in order, with TOA on every segment while the ack was K + 1.
        const toRsData = out.filter((p) => p.direction === 'to-rs' && flags(p.packet) === 0x18);
        expect(toRsData).toHaveLength(s.segments.length);
        for (const p of toRsData) expect(p.packet[tcpAt(p.packet) + 20]).toBe(0xfe);
      }),
      { numRuns: 80 },
    );
  });
});
