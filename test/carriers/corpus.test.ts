/**
 * Real captures (tcpdump's test corpus): every packet is dissected and every carrier range is
 * scanned. Nothing may throw, every carrier/note must lie inside its range, and the totals are
 * printed so the report can state them. Skips visibly when ../shared/corpus is absent.
 */
import { expect, it } from 'vitest';
import { openCapture } from '../../src/codec/capture.js';
import { dissect, Dissection } from '../../src/codec/dissect.js';
import { TCP_FLAG } from '../../src/codec/tcp.js';
import {
  decodeOpp, scanIpv4Options, scanIpv6DestOpts, scanPayload, scanTcpOptions, type Carrier, type CarrierNote,
} from '../../src/carriers/index.js';
import { describeCorpus, isCaptureName, listCorpusFiles } from '../helpers/corpus.js';

describeCorpus('tcpdump-tests', 'corpus: carrier scanners over tcpdump test captures', () => {
  it('never throw and stay inside their ranges', async () => {
    const files = listCorpusFiles('tcpdump-tests', isCaptureName);
    const d = new Dissection();
    const out: Carrier[] = [];
    const notes: CarrierNote[] = [];
    const formats = new Map<string, number>();
    const codes = new Map<string, number>();
    const lookalikeFiles = new Set<string>();
    let current = '';
    let packets = 0;
    let unreadable = 0;
    const check = (start: number, end: number) => {
      for (const c of out) {
        expect(c.offset).toBeGreaterThanOrEqual(start);
        expect(c.offset).toBeLessThan(end);
        formats.set(c.format, (formats.get(c.format) ?? 0) + 1);
      }
      for (const n of notes) {
        expect(n.offset).toBeGreaterThanOrEqual(start);
        expect(n.offset).toBeLessThan(end);
        codes.set(n.code, (codes.get(n.code) ?? 0) + 1);
        if (n.code === 'tcp-fast-open' || n.code === 'rfc6994-experiment' || n.code === 'host-id') lookalikeFiles.add(current.replace(/.*\//, ''));
      }
      out.length = 0;
      notes.length = 0;
    };
    for (const file of files) {
      let reader;
      current = file;
      try {
        reader = await openCapture(file);
      } catch {
        unreadable++;
        continue;
      }
      await reader
        .read((p) => {
          packets++;
          dissect(p.data, p.linkType, p.originalLength, d);
          const data = p.data;
          for (let layer: Dissection | null = d; layer; layer = layer.outer) {
            if (layer.ipv4OptionsOffset >= 0) {
              scanIpv4Options(data, layer.ipv4OptionsOffset, layer.ipv4OptionsOffset + layer.ipv4OptionsLength, out, notes);
              check(layer.ipv4OptionsOffset, layer.ipv4OptionsOffset + layer.ipv4OptionsLength);
            }
            for (let i = 0; i < layer.extensionCount; i++) {
              if (layer.extensionTypes[i] !== 60) continue;
              const s = layer.extensionOffsets[i]!;
              const e = Math.min(s + layer.extensionLengths[i]!, data.length);
              scanIpv6DestOpts(data, s, e, out, notes);
              check(s, e);
            }
            if (layer.oppOffset >= 0) {
              const e = Math.min(layer.oppOffset + layer.oppLength, data.length);
              decodeOpp(data, layer.oppOffset, e, out, notes);
              check(layer.oppOffset, e);
            }
            if (layer.tcpOptionsOffset >= 0) {
              const e = layer.tcpOptionsOffset + layer.tcpOptionsLength;
              scanTcpOptions(data, layer.tcpOptionsOffset, e, (layer.tcpFlags & TCP_FLAG.SYN) !== 0, out, notes);
              check(layer.tcpOptionsOffset, e);
            }
            if (layer.payloadOffset >= 0 && layer.payloadLength > 0 && (layer.transportProtocol === 6 || layer.transportProtocol === 17)) {
              const e = layer.payloadOffset + layer.payloadLength;
              scanPayload(data, layer.payloadOffset, e, layer.transportProtocol === 6 ? 'tcp' : 'udp', out, notes);
              check(layer.payloadOffset, e);
            }
          }
        })
        .catch(() => {
          unreadable++;
        });
    }
    console.log(
      `[corpus] carriers: ${files.length} files (${unreadable} unreadable/damaged), ${packets} packets; carriers ${JSON.stringify(Object.fromEntries(formats))}; notes ${JSON.stringify(Object.fromEntries(codes))}; look-alikes in ${[...lookalikeFiles].join(', ')}`,
    );
    expect(packets).toBeGreaterThan(1000);
  }, 120_000);

  it('tfo-5c1fa7f9ae91.pcap: kind 254 with ExID 0xF989 is TCP Fast Open, never a client address', async () => {
    const file = listCorpusFiles('tcpdump-tests', (n) => n === 'tfo-5c1fa7f9ae91.pcap')[0];
    if (!file) {
      console.log('[corpus] tfo-5c1fa7f9ae91.pcap absent; skipped');
      return;
    }
    const d = new Dissection();
    const out: Carrier[] = [];
    const notes: CarrierNote[] = [];
    let withOptions = 0;
    const reader = await openCapture(file);
    await reader.read((p) => {
      dissect(p.data, p.linkType, p.originalLength, d);
      if (d.tcpOptionsOffset < 0) return;
      withOptions++;
      scanTcpOptions(p.data, d.tcpOptionsOffset, d.tcpOptionsOffset + d.tcpOptionsLength, (d.tcpFlags & TCP_FLAG.SYN) !== 0, out, notes);
    });
    expect(withOptions).toBeGreaterThan(0);
    expect(out).toEqual([]);
    const tfo = notes.filter((n) => n.code === 'tcp-fast-open');
    expect(tfo.length).toBeGreaterThan(0);
    for (const n of tfo) expect(n).toMatchObject({ kind: 254, exid: 0xf989 });
  });
});
