/**
 * `toa decode FILE...`: one tcpdump-style line per packet with client-address carriers decoded
 * in place (`-v` layered view, `-x` hex dump, `--json` NDJSON).
 *
 * Streaming: packets are inspected and rendered synchronously inside the reader's callback, as
 * bytes into one ByteWriter, handed over in ~512 KiB chunks (BufferedOutput on file descriptor 1
 * when the output is the process's stdout, `stream.write` otherwise). A closed stdout (`| head`)
 * stops the run quietly with success. A damaged file: every whole packet before the damage is
 * printed, then the reader's CaptureError goes to cli.ts (one line, exit 1).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { PacketInspector } from '../analysis/inspect.js';
import { parseKindSpec, type KindFilter } from '../carriers/index.js';
import { BufferedRecord, openCapture } from '../codec/capture.js';
import { ENCAPSULATION, verifyChecksums } from '../codec/dissect.js';
import { isSupportedLinkType } from '../codec/link.js';
import { LINKTYPE, linkTypeName } from '../codec/linktype.js';
import { chalkWhenColoured } from '../render/color-level.js';
import { PLAIN_STYLES, stylesFrom, type Styles } from '../render/common.js';
import type { JsonRenderer } from '../render/json.js';
import { TextRenderer } from '../render/text.js';
import { ByteWriter } from '../render/writer.js';
import { BufferedOutput } from '../util/output.js';
import { isTerminal, writesProcessStdout, type Io } from '../util/stdio.js';

export interface DecodeOptions {
  verbose?: boolean;
  hex?: boolean;
  json?: boolean;
  /** `-e`: link-layer header on each line. */
  link?: boolean;
  date?: boolean;
  /** Stop after this many packets (over all files). */
  count?: number;
  /** `--kinds` spec text (parsed with parseKindSpec). */
  kinds?: string;
  /** false = `--no-checksums`. */
  checksums?: boolean;
  /** false = `--no-payload`: do not look for PROXY/SPP headers in payloads. */
  payload?: boolean;
}

export interface DecodeSummary {
  packets: number;
  /** True when the run stopped before the end (-c reached, or the reader of stdout went away). */
  stoppedEarly: boolean;
}

/** Where rendered bytes go, in large chunks. */
export interface ByteSink {
  /** Hand over bytes (copied or written before returning: the caller reuses the array). */
  write(bytes: Uint8Array): void;
  /** Resolve when the output can take more (called between input chunks). */
  drain(): Promise<void> | void;
  /** The reader of the output went away (EPIPE): stop producing. */
  readonly broken: boolean;
  end(): Promise<void>;
}

/** Sink on stdout's file descriptor through BufferedOutput (EPIPE sets `broken`). */
class DescriptorSink implements ByteSink {
  constructor(private readonly out: BufferedOutput) {}
  get broken(): boolean {
    return this.out.brokenPipe;
  }
  write(bytes: Uint8Array): void {
    this.out.writeBytes(bytes);
  }
  drain(): void {}
  async end(): Promise<void> {
    this.out.close();
  }
}

/** Sink on a Node writable stream (tests, or an Io whose stdout is not the process's). */
class StreamSink implements ByteSink {
  private waiting: Promise<void> | null = null;
  broken = false;
  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on('error', (e: unknown) => {
      if ((e as { code?: string }).code === 'EPIPE') this.broken = true;
    });
  }
  write(bytes: Uint8Array): void {
    if (this.broken || bytes.length === 0) return;
    const ok = this.stream.write(Buffer.from(bytes));
    if (!ok && this.waiting === null) {
      this.waiting = new Promise<void>((resolve) => this.stream.once('drain', () => resolve()));
    }
  }
  async drain(): Promise<void> {
    const w = this.waiting;
    if (w !== null) {
      this.waiting = null;
      await w;
    }
  }
  async end(): Promise<void> {
    await this.drain();
  }
}

/** Rendered bytes are handed to the sink when this much has accumulated. */
const FLUSH_BYTES = 512 * 1024;

/**
 * The sink for `io.stdout`: BufferedOutput on fd 1 for the real stdout, a stream sink otherwise.
 * The BufferedOutput's buffer is FLUSH_BYTES long, so runDecode's chunks (at least that long but
 * the last) are written straight from the ByteWriter, not copied into it first.
 */
export function sinkFor(io: Io): ByteSink {
  if (writesProcessStdout(io)) return new DescriptorSink(BufferedOutput.create('-', FLUSH_BYTES));
  return new StreamSink(io.stdout);
}

/**
 * An Ethernet/IPv4/TCP ACK (valid checksums) whose DPVS TOA has port 0xF989, an RFC 6994 ExID: the
 * kind of TOA the plain line still makes a carrier and an exid-collision note for (with random
 * client ports about one TOA in 4,700).
 */
const PRIMING_FRAME_HEX =
  '02000000000202000000000108004500003c000140004006b6b7c0000201c0000202000100020000000100000001a010000119130000fe08f989c00002030101080a0000000100000001';

/** The plain line runs the priming frame once after this many packets of a run (smaller runs never do). */
const PRIMING_PACKET = 500;

/**
 * Inspect and render PRIMING_FRAME once, into a scratch writer, so that the carrier and note paths
 * of the plain line have type feedback before its hot functions are optimized. Without it the first
 * such packet of a large capture came after optimization and deoptimized inspectAt, scanTcpOptions,
 * writeFrame, writeTcp, writeNetwork and writeOptions at once (node --trace-deopt on
 * bench/out/big.pcap: all six at its packet 71,434, then four large recompiles). Run after
 * PRIMING_PACKET packets, when V8 has given those functions their feedback vectors (not at the start:
 * a function's first calls record no feedback). Leaves nothing behind that the next packet reads:
 * inspectAt refills the inspector, the timestamp cache is keyed by the second it holds.
 */
function primeLine(inspector: PacketInspector, text: TextRenderer): void {
  const frame = Uint8Array.from(PRIMING_FRAME_HEX.match(/../g)!, (h) => parseInt(h, 16));
  const p = new BufferedRecord();
  p.capturedLength = p.originalLength = frame.length;
  p.linkType = LINKTYPE.ETHERNET;
  p.setFrame(frame, 0);
  inspector.inspectAt(frame, 0, frame.length, p.linkType, p.originalLength);
  text.writeFrame(new ByteWriter(256), p, frame, 0, frame.length, inspector, false);
}

/** Thrown from the packet callback to end reading early (never escapes runDecode). */
const STOP = Symbol('stop decoding');

/**
 * Decode `files` (`-` = stdin) to `io.stdout`. Resolves with a summary; rejects with the
 * reader's CaptureError (after printing every packet before the damage) or a CliError.
 */
export async function runDecode(files: readonly string[], options: DecodeOptions, io: Io, styles?: Styles): Promise<DecodeSummary> {
  const kinds: KindFilter | undefined = options.kinds !== undefined ? parseKindSpec(options.kinds) : undefined;
  const checksums = options.checksums !== false;
  let st = styles ?? PLAIN_STYLES;
  if (styles === undefined && !options.json) {
    const chalk = await chalkWhenColoured({ isTTY: isTerminal(io, 'stdout') });
    if (chalk !== null) st = stylesFrom(chalk);
  }
  // the plain line only (no -v, -x, --json): packets go to onLine below, which writes plain DPVS TOAs
  // from their option bytes (no carrier objects for them)
  const lineOnly = !options.json && !options.verbose && options.hex !== true;
  const inspector = new PacketInspector({ checksums, kinds, payload: options.payload !== false, skipPlainToa: lineOnly });
  const text = new TextRenderer({ link: options.link, date: options.date, styles: st });
  // the renderers a run does not use are not loaded
  const verbose = options.verbose ? new (await import('../render/verbose.js')).VerboseRenderer({ styles: st }) : null;
  const hex = options.hex === true;
  const hexDump = hex && !options.json ? (await import('../render/hex.js')).hexDump : null;
  const Json = options.json ? (await import('../render/json.js')).JsonRenderer : null;
  const sink = sinkFor(io);
  const w = new ByteWriter(FLUSH_BYTES * 2);
  const flush = (): void => {
    if (w.position > 0) sink.write(w.buffer.subarray(0, w.position));
    w.position = 0;
  };
  let remaining = options.count ?? Infinity;
  let packets = 0;
  let stoppedEarly = false;
  try {
    for (const file of files) {
      if (remaining <= 0 || sink.broken) {
        stoppedEarly = true;
        break;
      }
      const reader = await openCapture(file);
      const json: JsonRenderer | null = Json !== null ? new Json({ hex, file: files.length > 1 ? file : undefined }) : null;
      const interfaces = reader.info.interfaces;
      const warnedLinkTypes = new Set<number>();
      const warnLinkType = (linkType: number): void => {
        if (!isSupportedLinkType(linkType) && !warnedLinkTypes.has(linkType)) {
          warnedLinkTypes.add(linkType);
          io.stderr.write(`toa: ${file}: link type ${linkType} (${linkTypeName(linkType)}) is not decoded; its packets are listed with their lengths only\n`);
        }
      };
      // The link type of the previous packet (warnLinkType has seen it: a repeat needs no call).
      let lastLinkType = -1;
      // The plain line (also -e, --date) reads each packet in place in the reader's buffer: no view per packet.
      const onLine = (p: BufferedRecord): void => {
        const data = p.buffer;
        const start = p.dataStart;
        const end = start + p.capturedLength;
        const linkType = p.linkType;
        inspector.inspectAt(data, start, end, linkType, p.originalLength);
        const d = inspector.d;
        if (checksums && d.encapsulation !== ENCAPSULATION.NONE && d.outer !== null) verifyChecksums(data, d.outer, end);
        if (linkType !== lastLinkType) {
          lastLinkType = linkType;
          warnLinkType(linkType);
        }
        const iface = interfaces[p.interfaceId];
        text.writeFrame(w, p, data, start, end, inspector, iface !== undefined && iface.unitsPerSecond > 1e6);
        if (w.position >= FLUSH_BYTES) flush();
        packets++;
        if (packets === PRIMING_PACKET) primeLine(inspector, text);
        if (--remaining <= 0 || sink.broken) throw STOP;
      };
      const onPacket = (p: BufferedRecord): void => {
        inspector.inspect(p.data, p.linkType, p.originalLength);
        const d = inspector.d;
        if (checksums && d.encapsulation !== ENCAPSULATION.NONE && d.outer !== null) verifyChecksums(p.data, d.outer);
        warnLinkType(p.linkType);
        if (json !== null) {
          json.write(w, p, inspector);
        } else {
          const iface = interfaces[p.interfaceId];
          const nanoseconds = iface !== undefined && iface.unitsPerSecond > 1e6;
          text.write(w, p, inspector, nanoseconds);
          if (verbose !== null) w.text(verbose.lines(p, inspector, nanoseconds));
          if (hexDump !== null) w.text(hexDump(p.data, inspector.carriers, st));
        }
        if (w.position >= FLUSH_BYTES) flush();
        packets++;
        if (--remaining <= 0 || sink.broken) throw STOP;
      };
      try {
        await reader.read(lineOnly ? onLine : onPacket, {
          onWarning: (message, packet) => {
            io.stderr.write(`toa: ${file}: warning${packet > 0 ? ` at packet ${packet}` : ''}: ${message}\n`);
          },
          betweenChunks: () => {
            if (sink.broken) throw STOP;
            return sink.drain();
          },
        });
      } catch (e) {
        if (e !== STOP) throw e;
        stoppedEarly = true;
      }
    }
  } catch (e) {
    // Everything decoded before the damage is shown before the error line.
    try {
      flush();
      await sink.end();
    } catch {
      // the output itself failed: the input error is the one to report
    }
    throw e;
  }
  flush();
  await sink.end();
  return { packets, stoppedEarly };
}

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a whole number of packets, at least 1');
  }
  return Number(value);
}

export const DECODE_HELP = `
Output (one line per packet, in the style of tcpdump -nn -S):
  22:13:20.123456 IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [.], ack 200, win 502, options [toa 192.0.2.1:40000,nop,nop,TS val 1 ecr 2], length 0
  - times are UTC time of day (tcpdump prints local time); 6 digits, 9 for nanosecond captures; --date adds the date
  - sequence numbers are absolute (like tcpdump -S)
  - TCP-option carriers appear in the options list: "toa ADDR:PORT" for DPVS TOA (254/8, 254/20),
    the registry format name otherwise (e.g. "toa-v4-200 192.0.2.1:40000"); TCP Fast Open on kind 254 shows as "tfo"
  - IP-option, IPv6 destination-option and opp carriers appear in parentheses after IP/IP6
  - PROXY v1/v2 and SPP headers appear after the length
  - problems are tags at the end: [bad tcp cksum 0x1234 -> 0x5678], [truncated], [malformed option at byte 54]
  - link layer (MACs, VLAN tags, SLL direction) only with -e; VXLAN and IP-in-IP show outer then inner
  - unknown link types are listed as "unknown link type N, LEN bytes" (one note on stderr per file)

Examples:
  toa decode capture.pcap                 one line per packet
  toa decode -c 10 -v capture.pcapng      layered view of the first 10 packets
  toa decode -x capture.pcap              with a hex dump of each frame (carriers highlighted on a TTY)
  toa decode --json capture.pcap | jq .toa    NDJSON, one object per packet (schema: docs/json-schema.md)
  toa decode --kinds 254:8,200:8 capture.pcap read only these kind:length pairs as TOA
  tcpdump -w - -i eth0 | toa decode -       read a capture from stdin

Exit codes: 0 success (also when the reader of stdout goes away), 1 damaged or unreadable input
(every packet before the damage is printed first), 2 usage error.`;

/** Register `toa decode` on the program. */
export function register(program: Command, io: Io): void {
  program
    .command('decode')
    .description('print each packet of a capture with its client-address carriers decoded (tcpdump-style, -v, -x or --json)')
    .argument('<file...>', 'pcap or pcapng files; - reads stdin')
    .option('-v, --verbose', 'layered view: every field, option, carrier, checksum and warning')
    .option('-x, --hex', 'hex dump of each captured frame (with --json: a "hex" field)')
    .option('-e, --link', 'show the link-layer header (MAC addresses, VLAN tags, SLL direction)')
    .option('-c, --count <n>', 'stop after N packets', positiveInteger)
    .option('--json', 'NDJSON: one JSON object per packet (schema in docs/json-schema.md)')
    .option('--kinds <spec>', 'TCP kind[:length] pairs read as TOA, e.g. 254:8,254:20,200 (replaces the built-in table)')
    .option('--date', 'print the UTC date before the time of day')
    .option('--no-checksums', 'do not verify IP and transport checksums')
    .option('--no-payload', 'do not look for PROXY/SPP headers at the start of payloads')
    .addHelpText('after', DECODE_HELP)
    .action(async (files: string[], opts: DecodeOptions) => {
      await runDecode(files, opts, io);
    });
}
