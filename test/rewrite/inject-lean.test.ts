/**
 * inject-toa's lean path (typed-array flow columns, classification in the reader's buffer) against the
 * general path (`lean: false`): the same output bytes, summary and per-flow report on every committed
 * sample, on the shared corpus (skipped visibly when absent) and on fast-check generated TCP
 * conversations (handshakes or none, retransmissions, a reused 4-tuple, options, both families, mixed
 * link layers, cut, fragmented and damaged packets, UDP in between).
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../src/codec/addr.js';
import type { Endpoint } from '../../src/codec/addr.js';
import { writeU16 } from '../../src/codec/bytes.js';
import { buildPacket as buildFrame } from '../../src/codec/build.js';
import { setLargeInputThreshold } from '../../src/codec/capture.js';
import { checksumBufferMark, releaseChecksumBuffers, setSimdChecksum } from '../../src/codec/checksum.js';
import { CaptureError } from '../../src/codec/errors.js';
import { NOT_HANDLED, RewriteEngine } from '../../src/rewrite/engine.js';
import { InjectRewriter, type InjectFormat, type InjectOptions, type InjectWhen } from '../../src/rewrite/inject.js';
import { tcpKernels } from '../../src/rewrite/kernels.js';
import { flowReport, newSummary } from '../../src/rewrite/summary.js';
import { buildPcap } from '../helpers/capture-builder.js';
import { describeCorpus, isCaptureName, listCorpusFiles, repoRoot } from '../helpers/corpus.js';
import { packet, tcpOptionList, tempDir } from './helpers.js';

interface Variant {
  format: InjectFormat;
  when?: InjectWhen;
  server?: string;
  serverPort?: number;
  client?: string;
  clientPort?: number;
  mtu?: number;
  prune?: boolean;
}

function endpoint(address: string | undefined, port: number | undefined): Endpoint | null {
  if (address === undefined) return null;
  return { address: parseIp(address)!, port: port ?? null };
}

function optionsOf(v: Variant, lean: boolean): InjectOptions {
  return {
    format: v.format,
    when: v.when ?? null,
    client: endpoint(v.client, v.clientPort),
    server: endpoint(v.server, v.serverPort),
    mtu: v.mtu ?? 1500,
    prune: v.prune ?? true,
    checksum: 'full',
    vpcId: 0,
    fnat: null,
    lean,
  };
}

interface RunResult {
  error: string | null;
  bytes: Buffer | null;
  summary: string;
  report: string;
  /** Records the lean path answered itself (not NOT_HANDLED). */
  leanRecords: number;
  /** Records the record lane took (large-input runs). */
  laneRecords: number;
}

// The record lane (WebAssembly over runs of records) needs the reader's chunk buffers, the flow table and the lean
// rows in the checksum module's memory, which only a large input gets: the `large` runs count every input as large
// and give the module memory back after each run.
const laneKernels = setSimdChecksum('auto') ? tcpKernels() : null;
if (laneKernels === null) console.warn('inject-lean.test: WebAssembly SIMD is not available here; the record-lane runs are skipped');
const arenaMark = checksumBufferMark();

const quiet = new PassThrough();
quiet.resume();

async function runOnce(input: string, output: string, v: Variant, lean: boolean, large = false): Promise<RunResult> {
  const summary = newSummary('inject-toa', input, 'out.pcap');
  const engine = new RewriteEngine(summary);
  const rewriter = new InjectRewriter(optionsOf(v, lean));
  let leanRecords = 0;
  const inner = rewriter.rewriteRecord;
  if (lean) expect(inner, 'the lean path is on for this variant').toBeDefined();
  else expect(inner).toBeUndefined();
  if (inner !== undefined) {
    (rewriter as { rewriteRecord?: typeof inner }).rewriteRecord = (rec, e) => {
      const n = inner(rec, e);
      if (n !== NOT_HANDLED) leanRecords++;
      return n;
    };
  }
  let error: string | null = null;
  const threshold = large ? setLargeInputThreshold(0) : -1;
  try {
    try {
      await engine.run(input, output, rewriter, { stdout: quiet, stderr: quiet }, 'inject-toa');
    } catch (e) {
      if (!(e instanceof CaptureError)) throw e;
      error = e.message;
    }
    // (the report reads the flow table, which a large-input run keeps in the module memory: before it is given back)
    return {
      error,
      bytes: existsSync(output) ? readFileSync(output) : null,
      summary: JSON.stringify(summary),
      report: JSON.stringify(rewriter.flows.flows.map(flowReport)),
      leanRecords,
      laneRecords: rewriter.laneRecords,
    };
  } finally {
    if (large) {
      setLargeInputThreshold(threshold);
      releaseChecksumBuffers(arenaMark);
    }
  }
}

let serial = 0;
/** Records the record lane took in the large-input runs of compare(). */
let laneRecords = 0;

/**
 * Run both paths on `input`, and the lean path again with the input taken as large (the record lane, where
 * available); expect the same results from all. Returns how many records the lean path answered.
 */
async function compare(dir: string, input: string, v: Variant): Promise<number> {
  serial++;
  const lean = await runOnce(input, join(dir, `lean-${serial}.pcap`), v, true);
  const general = await runOnce(input, join(dir, `general-${serial}.pcap`), v, false);
  const what = `${input} ${JSON.stringify(v)}`;
  expectSameRun(lean, general, what);
  if (laneKernels !== null) {
    const lane = await runOnce(input, join(dir, `lane-${serial}.pcap`), v, true, true);
    expectSameRun(lane, general, `${what} (record lane)`);
    laneRecords += lane.laneRecords;
  }
  return lean.leanRecords;
}

function expectSameRun(lean: RunResult, general: RunResult, what: string): void {
  expect(lean.error, what).toBe(general.error);
  expect(lean.summary, what).toBe(general.summary);
  expect(lean.report, what).toBe(general.report);
  expect(lean.bytes === null, what).toBe(general.bytes === null);
  if (lean.bytes !== null && !lean.bytes.equals(general.bytes!)) expect.fail(`output bytes differ: ${what}`);
}

const SAMPLE_VARIANTS: Variant[] = [
  { format: 'dpvs' },
  { format: 'dpvs', when: 'every', mtu: 200 },
  { format: 'lvs' },
  { format: 'tencent', when: 'handshake-ack' },
  { format: 'jd', prune: false },
  { format: 'dpvs', when: 'dpvs-legacy', server: '10.0.0.2' },
  { format: 'dpvs', when: 'syn', client: '2001:db8::77', clientPort: 4242 },
  { format: 'ucloud', when: 'lvs', client: '198.51.100.7' },
];

describe('inject-toa lean path == general path', () => {
  it('on every committed sample, for each port+address format and several policies', async () => {
    const dir = tempDir();
    const samples = readdirSync(join(repoRoot, 'samples'))
      .filter((f) => /\.pcap(ng)?$/.test(f))
      .map((f) => join(repoRoot, 'samples', f));
    expect(samples.length).toBeGreaterThan(10);
    let leanRecords = 0;
    for (const file of samples) for (const v of SAMPLE_VARIANTS) leanRecords += await compare(dir, file, v);
    expect(leanRecords, 'the lean path handled records of the samples').toBeGreaterThan(100);
    if (laneKernels !== null) expect(laneRecords, 'the record lane took records of the samples').toBeGreaterThan(100);
  }, 120_000);

  it('is not used where it does not apply (--fnat, other formats, lean: false)', () => {
    expect(new InjectRewriter(optionsOf({ format: 'ttgw' }, true)).rewriteRecord).toBeUndefined();
    expect(new InjectRewriter(optionsOf({ format: 'proxy-v1' }, true)).rewriteRecord).toBeUndefined();
    expect(new InjectRewriter(optionsOf({ format: 'alibaba-vtoa' }, true)).rewriteRecord).toBeUndefined();
    const fnat = { ...optionsOf({ format: 'dpvs' }, true), fnat: { local: parseIp('10.0.0.9')!, localPort: null, real: parseIp('10.0.0.2')!, realPort: 80, fnatIsn: null, nat64: false, wscaleRs: 0, wscaleVs: 0 } };
    expect(new InjectRewriter(fnat).rewriteRecord).toBeUndefined();
    expect(new InjectRewriter(optionsOf({ format: 'dpvs' }, false)).rewriteRecord).toBeUndefined();
    expect(new InjectRewriter(optionsOf({ format: 'dpvs' }, true)).rewriteRecord).toBeDefined();
  });
});

describeCorpus('', 'inject-toa lean path == general path on the shared corpus', () => {
  it('every capture of the corpus, default format and --format lvs --when every', async () => {
    const dir = tempDir();
    const files = listCorpusFiles('', isCaptureName);
    expect(files.length).toBeGreaterThan(0);
    let leanRecords = 0;
    for (const file of files) {
      leanRecords += await compare(dir, file, { format: 'dpvs' });
      leanRecords += await compare(dir, file, { format: 'lvs', when: 'every' });
    }
    console.log(`[corpus] inject lean == general on ${files.length} captures (${leanRecords} records on the lean path)`);
    expect(leanRecords).toBeGreaterThan(0);
  }, 600_000);
});

// ------------------------------------------------------------------ generated conversations

const optionList = tcpOptionList({ maxOptions: 10, unknownData: 10, withToa: true });

interface Step {
  kind: string;
  payload: number;
  options: number[];
  odd: string;
}

interface Conversation {
  v6: boolean;
  client: number;
  server: number;
  clientPort: number;
  serverPort: number;
  handshake: string;
  clientIsn: number;
  serverIsn: number;
  synOptions: number[];
  steps: Step[];
}

/** One step of a conversation: who sends what. */
const step: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom('client-data', 'client-data', 'client-ack', 'server-data', 'server-ack', 'fin', 'rst', 'retransmit', 'new-syn', 'server-syn'),
  payload: fc.integer({ min: 0, max: 300 }),
  options: optionList,
  odd: fc.constantFrom('none', 'none', 'none', 'none', 'none', 'none', 'cut', 'fragment', 'bad-checksum', 'hop-by-hop', 'padding', 'udp'),
});

const conversation: fc.Arbitrary<Conversation> = fc.record({
  v6: fc.boolean(),
  client: fc.integer({ min: 1, max: 3 }),
  server: fc.integer({ min: 1, max: 2 }),
  clientPort: fc.constantFrom(40000, 40001, 8080, 443, 1023),
  serverPort: fc.constantFrom(80, 443, 8080, 40000),
  handshake: fc.constantFrom('full', 'full', 'no-syn', 'no-synack', 'none'),
  clientIsn: fc.integer({ min: 0, max: 0xffffffff }),
  serverIsn: fc.integer({ min: 0, max: 0xffffffff }),
  synOptions: optionList,
  steps: fc.array(step, { maxLength: 12 }),
});

interface Pkt {
  ip: Uint8Array;
  odd: string;
}

function addressOf(v6: boolean, side: 'c' | 's', n: number): string {
  return v6 ? `2001:db8::${side === 'c' ? 100 + n : n}` : side === 'c' ? `10.1.0.${n}` : `10.0.0.${n}`;
}

/** The packets of one conversation (raw IP), in order. */
function conversationPackets(c: Conversation): Pkt[] {
  const out: Pkt[] = [];
  const caddr = addressOf(c.v6, 'c', c.client);
  const saddr = addressOf(c.v6, 's', c.server);
  let cseq = c.clientIsn;
  let sseq = c.serverIsn;
  const fromClient = (flags: number, payload: number, options: number[], odd = 'none'): void => {
    out.push({ ip: packet({ src: caddr, dst: saddr, sport: c.clientPort, dport: c.serverPort, seq: cseq, ack: sseq, flags, options, payload: new Array<number>(payload).fill(0x61) }), odd });
    cseq = (cseq + payload + (flags & 0x03 ? 1 : 0)) >>> 0;
  };
  const fromServer = (flags: number, payload: number, options: number[], odd = 'none'): void => {
    out.push({ ip: packet({ src: saddr, dst: caddr, sport: c.serverPort, dport: c.clientPort, seq: sseq, ack: cseq, flags, options, payload: new Array<number>(payload).fill(0x62) }), odd });
    sseq = (sseq + payload + (flags & 0x03 ? 1 : 0)) >>> 0;
  };
  if (c.handshake === 'full' || c.handshake === 'no-synack') fromClient(0x02, 0, c.synOptions);
  if (c.handshake === 'full' || c.handshake === 'no-syn') fromServer(0x12, 0, c.synOptions);
  if (c.handshake !== 'none') fromClient(0x10, 0, []);
  for (const s of c.steps) {
    switch (s.kind) {
      case 'client-data':
        fromClient(0x18, s.payload, s.options, s.odd);
        break;
      case 'client-ack':
        fromClient(0x10, 0, s.options, s.odd);
        break;
      case 'server-data':
        fromServer(0x18, s.payload, s.options, s.odd);
        break;
      case 'server-ack':
        fromServer(0x10, 0, s.options, s.odd);
        break;
      case 'fin':
        fromClient(0x11, 0, s.options, s.odd);
        break;
      case 'rst':
        fromServer(0x04, 0, [], s.odd);
        break;
      case 'retransmit':
        if (out.length > 0) out.push({ ip: out[s.payload % out.length]!.ip, odd: s.odd });
        break;
      case 'new-syn':
        cseq = (cseq + 100_000 + s.payload) >>> 0;
        fromClient(0x02, 0, s.options, s.odd);
        fromServer(0x12, 0, [], 'none');
        break;
      case 'server-syn':
        // the other side opens (a SYN from the server's address: the sides flip)
        fromServer(0x02, 0, s.options, s.odd);
        break;
    }
  }
  return out;
}

/** A frame for `link` around the IP packet, with the packet's oddity applied. Returns the frame and its original length. */
function frameOf(p: Pkt, link: number, vlan: number): { data: Uint8Array; originalLength: number } {
  let ip = p.ip.slice();
  const v4 = ip[0]! >>> 4 === 4;
  if (p.odd === 'fragment' && v4) writeU16(ip, 6, 0x2000);
  if (p.odd === 'bad-checksum') ip[v4 ? 36 : 56]! ^= 0x5a;
  if (p.odd === 'udp') ip[v4 ? 9 : 6] = 17;
  if (p.odd === 'hop-by-hop' && !v4) {
    const withExt = new Uint8Array(ip.length + 8);
    withExt.set(ip.subarray(0, 40));
    withExt[6] = 0; // hop-by-hop first
    writeU16(withExt, 4, ip.length - 40 + 8);
    withExt.set([ip[6]!, 0, 1, 4, 0, 0, 0, 0], 40); // next header, length 0, PadN
    withExt.set(ip.subarray(40), 48);
    ip = withExt;
  }
  let header: number[];
  switch (link) {
    case 1: {
      const type = v4 ? [0x08, 0x00] : [0x86, 0xdd];
      const mac = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
      header = vlan === 0 ? [...mac, ...type] : vlan === 1 ? [...mac, 0x81, 0x00, 0, 7, ...type] : [...mac, 0x88, 0xa8, 0, 5, 0x81, 0x00, 0, 7, ...type];
      break;
    }
    case 113:
      header = [0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, ...(v4 ? [0x08, 0x00] : [0x86, 0xdd])];
      break;
    case 0:
      header = v4 ? [2, 0, 0, 0] : [30, 0, 0, 0];
      break;
    default:
      header = [];
  }
  const trailer = p.odd === 'padding' ? 6 : 0;
  const data = new Uint8Array(header.length + ip.length + trailer);
  data.set(header, 0);
  data.set(ip, header.length);
  if (p.odd === 'cut') {
    const keep = Math.max(header.length + 1, data.length - 1 - (ip.length % 61));
    return { data: data.subarray(0, keep), originalLength: data.length };
  }
  return { data, originalLength: data.length };
}

const variant: fc.Arbitrary<Variant> = fc.record({
  format: fc.constantFrom<InjectFormat>('dpvs', 'dpvs', 'lvs', 'tencent', 'jd'),
  when: fc.constantFrom<InjectWhen | undefined>(undefined, undefined, 'dpvs', 'dpvs-legacy', 'lvs', 'handshake-ack', 'every', 'syn'),
  server: fc.constantFrom(undefined, undefined, '10.0.0.1', '2001:db8::1'),
  serverPort: fc.constantFrom(undefined, 80, 443),
  client: fc.constantFrom(undefined, undefined, '198.51.100.7', '2001:db8::77'),
  mtu: fc.constantFrom(1500, 1500, 120),
  prune: fc.boolean(),
});

describe('inject-toa record lane when the flow table outgrows the module memory', () => {
  it.runIf(laneKernels !== null)('70,000 flows in a 5 MB capture: the table grows in the module memory, then out of it, the lane gives way, the output is the same', async () => {
    const dir = tempDir();
    const flowCount = 70_000;
    const frames: Array<{ seconds: number; fraction: number; data: Uint8Array }> = [];
    // one SYN per flow, then the handshake ACK of every 997th flow (a TOA goes into it), all with right checksums
    const frame = (i: number, ack: boolean): Uint8Array =>
      buildFrame({
        ip: { version: 4, source: `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`, destination: '10.0.1.10' },
        transport: { type: 'tcp', sourcePort: 40000, destinationPort: 80, flags: ack ? 'A' : 'S', sequenceNumber: ack ? 1001 : 1000, acknowledgmentNumber: ack ? 5001 : 0 },
      });
    for (let i = 0; i < flowCount; i++) frames.push({ seconds: 1_700_000_000, fraction: i % 1_000_000, data: frame(i, false) });
    for (let i = 0; i < flowCount; i += 997) frames.push({ seconds: 1_700_000_001, fraction: i % 1_000_000, data: frame(i, true) });
    const input = join(dir, 'many-flows.pcap');
    writeFileSync(input, buildPcap({ linkType: 1, packets: frames }));
    const before = laneRecords;
    await compare(dir, input, { format: 'dpvs' });
    // the lane made flows while the table grew in the module memory (the estimate from a 5 MB file is ~600), and
    // left the rest to leanRecord once the table had to grow where the lane cannot read it
    const taken = laneRecords - before;
    expect(taken).toBeGreaterThan(10_000);
    expect(taken).toBeLessThan(frames.length);
  }, 120_000);
});

describe('inject-toa lean path == general path on generated conversations', () => {
  it('random TCP conversations (both families, link layers, retransmissions, reused 4-tuples, odd packets)', async () => {
    const dir = tempDir();
    let run = 0;
    let leanRecords = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(conversation, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 80 }),
        fc.constantFrom(1, 1, 1, 101, 113, 0),
        fc.constantFrom(0, 0, 1, 2),
        variant,
        async (conversations, order, link, vlan, v) => {
          run++;
          // interleave the conversations' packets in a random order (each conversation's own order kept)
          const queues = conversations.map(conversationPackets);
          const frames: Array<{ data: Uint8Array; originalLength: number }> = [];
          let k = 0;
          while (queues.some((q) => q.length > 0)) {
            const live = queues.filter((q) => q.length > 0);
            const q = live[(order[k++ % Math.max(1, order.length)] ?? 0) % live.length]!;
            frames.push(frameOf(q.shift()!, link, vlan));
          }
          const input = join(dir, `conv-${run}.pcap`);
          writeFileSync(
            input,
            buildPcap({
              linkType: link,
              snapLength: 65535,
              packets: frames.map((f, i) => ({ seconds: 1_700_000_000, fraction: i, data: f.data, originalLength: f.originalLength })),
            }),
          );
          leanRecords += await compare(dir, input, v);
        },
      ),
      { numRuns: 250 },
    );
    expect(leanRecords, 'the lean path handled generated records').toBeGreaterThan(500);
    if (laneKernels !== null) expect(laneRecords, 'the record lane took generated records').toBeGreaterThan(500);
  }, 300_000);
});
