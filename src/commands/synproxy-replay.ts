/**
 * `toa synproxy-replay IN -o OUT`: replay the client connections of a capture through the DPVS
 * v1.10.2 SYN-proxy model (spec dpvs.md §5, §10.2) and write both legs; `--check` verifies a
 * capture of both legs against the model.
 */
import type { Command } from 'commander';
import { parseEndpoint, type Endpoint } from '../codec/addr.js';
import { DEFAULT_DESTINATION_MAC, DEFAULT_SOURCE_MAC } from '../codec/build.js';
import { createCaptureWriter, type CaptureWriter } from '../codec/capture-writer.js';
import { CliError } from '../codec/errors.js';
import { LINKTYPE } from '../codec/linktype.js';
import { defaultCookieSecret, parseCookieSecret, type CookieSecret } from '../dpvs/cookie.js';
import { synproxyConfig, type SynproxyConfig } from '../dpvs/synproxy-config.js';
import { MODELLED_RS_DEFAULTS, type ModelledRsOptions } from '../dpvs/synproxy-rs.js';
import { chalkFor } from '../render/color.js';
import { LadderRenderer } from '../render/ladder.js';
import { runSynproxyCheck, type CheckResult } from '../replay/check.js';
import { runSynproxyReplay, type ReplayPacket, type ReplayResult } from '../replay/driver.js';
import { ethernetFrame } from '../replay/packet.js';
import { assertOutputIsNotInput, BufferedOutput } from '../util/output.js';
import { createTextSink, isTerminal, writeReportText, type Io } from '../util/stdio.js';

/** Exit code of `--check` when the capture disagrees with the model. */
export const CHECK_DISAGREEMENT_EXIT = 3;

export interface SynproxyReplayOptions {
  inputs: string[];
  output: string | null;
  split: string | null;
  ladder: boolean;
  report: string | null;
  check: boolean;
  vip: Endpoint | null;
  local: Endpoint | null;
  real: Endpoint | null;
  secret: CookieSecret;
  minute: number;
  fnatIsn: number;
  config: SynproxyConfig;
  rs: Partial<ModelledRsOptions>;
  rsDelayMicros: number;
  keepClientAcks: boolean;
  rsSilent: boolean;
}

interface RawOptions {
  output?: string;
  split?: string;
  ladder?: boolean;
  report?: string;
  check?: boolean;
  vip?: string;
  lip?: string;
  rs?: string;
  cookieSecret?: string;
  minute?: string;
  fnatIsn?: string;
  mss?: string;
  ttl?: string;
  wscale?: string;
  timestamp?: boolean;
  closeClientWindow?: boolean;
  deferRsSyn?: boolean;
  maxAckSaved?: string;
  ackStormThresh?: string;
  rsSynMaxRetry?: string;
  synSentTimeout?: string;
  rsIsn?: string;
  rsMss?: string;
  rsWscale?: string;
  rsWindow?: string;
  rsDelay?: string;
  keepClientAcks?: boolean;
  rsSilent?: boolean;
}

/** A non-negative integer in decimal or 0x-hex, at most `max`. */
function parseInteger(name: string, text: string | undefined, fallback: number, max = 0xffffffff): number {
  if (text === undefined) return fallback;
  const t = text.trim();
  const value = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t.slice(2), 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new CliError(`${name} must be an integer 0..${max} (decimal or 0x hex), got '${text}'`, 2);
  }
  return value;
}

function parseNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new CliError(`${name} must be a positive number of seconds, got '${text}'`, 2);
  return value;
}

function endpoint(name: string, text: string | undefined, requirePort: boolean): Endpoint | null {
  if (text === undefined) return null;
  try {
    return parseEndpoint(text, requirePort);
  } catch (e) {
    throw new CliError(`${name}: ${(e as Error).message}`, 2);
  }
}

/** argv options → typed options (CliError exit 2 on a usage error). */
export function parseSynproxyReplayOptions(inputs: string[], raw: RawOptions): SynproxyReplayOptions {
  const check = raw.check === true;
  if (inputs.length === 0) throw new CliError('synproxy-replay needs an input capture', 2);
  if (inputs.length > 2 || (inputs.length === 2 && !check)) {
    throw new CliError('only --check takes a second input (the rs-side leg)', 2, 'toa synproxy-replay IN -o OUT, or toa synproxy-replay --check BOTH-LEGS.pcapng | CLIENT.pcap RS.pcap');
  }
  if (!check && raw.output === undefined && raw.split === undefined) {
    throw new CliError('synproxy-replay needs -o OUT (pcapng) or --split PREFIX', 2);
  }
  if (raw.output !== undefined && raw.split !== undefined) throw new CliError('give either -o or --split, not both', 2);
  if (check && (raw.output !== undefined || raw.split !== undefined || raw.ladder)) {
    throw new CliError('--check writes no capture and no ladder; drop -o/--split/--ladder', 2);
  }
  const stdoutUsers = [raw.output === '-', raw.report === '-', raw.ladder === true].filter((x) => x).length;
  if (stdoutUsers > 1) throw new CliError('only one of -o -, --report - and --ladder can use stdout', 2);
  let secret: CookieSecret;
  try {
    secret = raw.cookieSecret === undefined ? defaultCookieSecret() : parseCookieSecret(raw.cookieSecret);
  } catch (e) {
    throw new CliError(`--cookie-secret: ${(e as Error).message}`, 2);
  }
  let config: SynproxyConfig;
  try {
    config = synproxyConfig({
      mss: parseInteger('--mss', raw.mss, 1452, 0xffff),
      ttl: parseInteger('--ttl', raw.ttl, 63, 0xff),
      wscale: parseInteger('--wscale', raw.wscale, 0, 0xff),
      timestamp: raw.timestamp ?? false,
      closeClientWindow: raw.closeClientWindow ?? true,
      deferRsSyn: raw.deferRsSyn ?? false,
      maxAckSaved: parseInteger('--max-ack-saved', raw.maxAckSaved, 3, 0xffff),
      ackStormThresh: parseInteger('--ack-storm-thresh', raw.ackStormThresh, 10, 0xffff),
      rsSynMaxRetry: parseInteger('--rs-syn-max-retry', raw.rsSynMaxRetry, 3, 0xffff),
      synSentTimeout: parseNumber('--syn-sent-timeout', raw.synSentTimeout, 3),
    });
  } catch (e) {
    if (e instanceof RangeError) throw new CliError(e.message, 2);
    throw e;
  }
  const local = endpoint('--lip', raw.lip, false);
  const real = endpoint('--rs', raw.rs, true);
  if (local && real && local.address.length !== real.address.length) {
    throw new CliError('--lip and --rs must be of the same address family (NAT64 is not modelled)', 2);
  }
  let rsWscale: number | null = MODELLED_RS_DEFAULTS.wscale;
  if (raw.rsWscale !== undefined) rsWscale = raw.rsWscale === 'none' ? null : parseInteger('--rs-wscale', raw.rsWscale, 7, 14);
  return {
    inputs,
    output: raw.output ?? null,
    split: raw.split ?? null,
    ladder: raw.ladder === true,
    report: raw.report ?? null,
    check,
    vip: endpoint('--vip', raw.vip, false),
    local,
    real,
    secret,
    minute: parseInteger('--minute', raw.minute, 0),
    fnatIsn: parseInteger('--fnat-isn', raw.fnatIsn, 0xa0000000),
    config,
    rs: {
      isn: parseInteger('--rs-isn', raw.rsIsn, MODELLED_RS_DEFAULTS.isn),
      mss: parseInteger('--rs-mss', raw.rsMss, MODELLED_RS_DEFAULTS.mss, 0xffff),
      wscale: rsWscale,
      window: parseInteger('--rs-window', raw.rsWindow, MODELLED_RS_DEFAULTS.window, 0xffff),
    },
    rsDelayMicros: parseInteger('--rs-delay', raw.rsDelay, MODELLED_RS_DEFAULTS.delayMicros),
    keepClientAcks: raw.keepClientAcks === true,
    rsSilent: raw.rsSilent === true,
  };
}

function writeText(io: Io, path: string, text: string): void {
  if (path === '-') {
    writeReportText(io, text);
    return;
  }
  const out = BufferedOutput.create(path);
  try {
    out.writeBytes(new TextEncoder().encode(text));
    out.close();
  } catch (e) {
    out.abort();
    throw e;
  }
}

function summaryLines(result: ReplayResult): string[] {
  const c = result.counts;
  const skipped = c.notIp + c.notTcp + c.otherTcp + c.familyNotModelled + c.damaged;
  const lines = [
    `synproxy-replay: ${c.inputPackets} input packets: ${c.clientPackets} client→VIP modelled, ${c.responsesDelivered} VIP→client used as the RS's answers, ` +
      `${c.responsesUndelivered} VIP→client undelivered (no RS SYN for them), ${skipped} skipped ` +
      `(${c.notIp} not IP, ${c.notTcp} not TCP, ${c.otherTcp} TCP not to/from a VIP, ${c.familyNotModelled} of an unmodelled family, ${c.damaged} damaged)`,
    `output: ${c.outputClientSide} client-side and ${c.outputRsSide} rs-side packets; VIPs ${result.vips.length === 0 ? 'none found (no client SYN in the input: give --vip)' : result.vips.length}`,
  ];
  const outcomes = new Map<string, number>();
  for (const s of result.connections) outcomes.set(s.report.outcome, (outcomes.get(s.report.outcome) ?? 0) + 1);
  lines.push(
    `connections: ${result.connections.length}${outcomes.size ? ` (${[...outcomes].map(([k, v]) => `${v} ${k}`).join(', ')})` : ''}`,
  );
  for (const p of result.problems.slice(0, 5)) lines.push(`  packet ${p.packet}: ${p.message}`);
  if (result.problems.length > 5) lines.push(`  … ${result.problems.length - 5} more (see --report)`);
  return lines;
}

async function runReplay(opts: SynproxyReplayOptions, io: Io): Promise<void> {
  const input = opts.inputs[0]!;
  const outputs = opts.output !== null ? [opts.output] : opts.split !== null ? [`${opts.split}-client-side.pcap`, `${opts.split}-rs-side.pcap`] : [];
  if (opts.report !== null) outputs.push(opts.report);
  for (const o of outputs) assertOutputIsNotInput([input], o);

  // The link type is only known after the survey pass, so packets are kept until the replay ends.
  const packets: ReplayPacket[] = [];
  const ladderSink = opts.ladder ? createTextSink(io) : null;
  const ladder = ladderSink ? new LadderRenderer((line) => ladderSink.write(`${line}\n`), chalkFor({ isTTY: isTerminal(io, 'stdout') })) : null;
  ladder?.header();
  let source: string | { name: string; bytes: Uint8Array } = input;
  if (input === '-') source = { name: 'stdin', bytes: await readAll(process.stdin) };
  const result = await runSynproxyReplay(
    {
      input: source,
      vip: opts.vip,
      local: opts.local,
      real: opts.real,
      secret: opts.secret,
      minute: opts.minute,
      fnatIsn: opts.fnatIsn,
      config: opts.config,
      rs: opts.rs,
      rsDelayMicros: opts.rsDelayMicros,
      keepClientAcks: opts.keepClientAcks,
      rsSilent: opts.rsSilent,
    },
    {
      packet: (p) => {
        packets.push(p);
        ladder?.packet(p);
      },
      note: (n) => ladder?.note(n),
    },
  );

  const ethernet = result.linkType === LINKTYPE.ETHERNET;
  const frame = (p: ReplayPacket): Uint8Array => {
    if (!ethernet) return p.packet;
    const macs = p.ethernet ?? { destination: DEFAULT_DESTINATION_MAC, source: DEFAULT_SOURCE_MAC };
    return ethernetFrame(p.packet, macs.destination, macs.source);
  };
  const writers: CaptureWriter[] = [];
  try {
    if (opts.output !== null) {
      const w = createCaptureWriter(opts.output, {
        format: 'pcapng',
        interfaces: [
          { linkType: result.linkType, name: 'client-side', nanosecond: true },
          { linkType: result.linkType, name: 'rs-side', nanosecond: true },
        ],
      });
      writers.push(w);
      for (const p of packets) {
        const data = frame(p);
        w.writePacket({ interfaceId: p.leg === 'client-side' ? 0 : 1, timestampSeconds: p.seconds, timestampNanos: p.nanoseconds, originalLength: data.length }, data);
      }
    } else if (opts.split !== null) {
      const client = createCaptureWriter(`${opts.split}-client-side.pcap`, { format: 'pcap', linkType: result.linkType, nanosecond: true });
      writers.push(client);
      const rs = createCaptureWriter(`${opts.split}-rs-side.pcap`, { format: 'pcap', linkType: result.linkType, nanosecond: true });
      writers.push(rs);
      for (const p of packets) {
        const data = frame(p);
        (p.leg === 'client-side' ? client : rs).writePacket({ interfaceId: 0, timestampSeconds: p.seconds, timestampNanos: p.nanoseconds, originalLength: data.length }, data);
      }
    }
    if (opts.report !== null) {
      const report = {
        input,
        vips: result.vips,
        counts: result.counts,
        problems: result.problems,
        connections: result.report.finish(),
      };
      writeText(io, opts.report, `${JSON.stringify(report, null, 2)}\n`);
    }
    for (const w of writers) w.close();
    ladderSink?.close();
  } catch (e) {
    for (const w of writers) w.abort();
    throw e;
  }
  for (const line of summaryLines(result)) io.stderr.write(`${line}\n`);
}

async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    parts.push(bytes);
    total += bytes.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function formatCheck(result: CheckResult): string {
  const lines: string[] = [];
  const p = result.packets;
  lines.push(`check: ${p.clientSide} client-side and ${p.rsSide} rs-side TCP packets (${p.notTcp} not TCP, ${p.other} not IP, ${p.damaged} damaged); ${result.compared} model packets compared`);
  lines.push(`pairs: ${result.pairs.length} (${result.pairs.filter((x) => x.pairedBy === 'toa').length} by TOA, ${result.pairs.filter((x) => x.pairedBy === 'order').length} by order)`);
  result.pairs.forEach((pair, i) => {
    lines.push(`connection ${i + 1}: ${pair.client} → ${pair.vip} ⇔ ${pair.local} → ${pair.rs}`);
    lines.push(`  c_isn ${pair.clientIsn}  K ${pair.cookie ?? '-'}  F ${pair.fnatIsn}  r_isn ${pair.rsIsn ?? '-'}  Δf ${pair.deltaF ?? '-'}  Δs ${pair.deltaS ?? '-'}`);
    const window = pair.clientWindowNeverOpened ? 'client window stayed 0 (never opened)' : pair.clientWindowZeroSeconds === null ? 'client window not closed' : `client window 0 for ${pair.clientWindowZeroSeconds.toFixed(6)} s`;
    lines.push(`  ${window}; first rs-side ACK carried TOA: ${pair.firstRsAckToa === null ? 'no ACK' : pair.firstRsAckToa ? 'yes' : 'no'}`);
  });
  for (const c of result.unpairedClient) lines.push(`unpaired client connection: ${c}`);
  for (const r of result.unpairedRs) lines.push(`unpaired rs-side connection: ${r}`);
  lines.push(`rejected client ACKs: ${result.rejectedAcks.length}`);
  for (const r of result.rejectedAcks) lines.push(`  ${r.client} packet #${r.captured.index} seq ${r.seq} ack ${r.ack}: ${r.reason}`);
  lines.push(`disagreements: ${result.disagreements.length}`);
  for (const d of result.disagreements) lines.push(`  ${d.kind}: ${d.message}`);
  return `${lines.join('\n')}\n`;
}

async function runCheck(opts: SynproxyReplayOptions, io: Io): Promise<void> {
  if (opts.report !== null) assertOutputIsNotInput(opts.inputs, opts.report);
  const result = await runSynproxyCheck({
    inputs: opts.inputs,
    vip: opts.vip,
    secret: opts.secret,
    minute: opts.minute,
    fnatIsn: opts.fnatIsn,
    config: opts.config,
  });
  if (opts.report !== null) writeText(io, opts.report, `${JSON.stringify(result, null, 2)}\n`);
  if (opts.report !== '-') writeReportText(io, formatCheck(result));
  if (result.disagreements.length > 0) {
    throw new CliError(`${result.disagreements.length} packet(s) disagree with the model`, CHECK_DISAGREEMENT_EXIT);
  }
}

export async function runSynproxyReplayCommand(opts: SynproxyReplayOptions, io: Io): Promise<void> {
  if (opts.check) await runCheck(opts, io);
  else await runReplay(opts, io);
}

const HELP = `
The model (DPVS v1.10.2, spec dpvs.md §5): the SYN-ACK built in place from the client SYN (MSS
clamp, WS/TS rewrite, window 0 with --close-client-window, TTL --ttl, TOS 0), the syn-cookie
(MD5, IPv4 and IPv6), the ACK check and the RST for a bad cookie, the RS SYN (window 5000, TTL 64,
DF), stored client packets (max_ack_saved is off by one: --max-ack-saved 3 holds 4), the window
update, the stored ACK forwarded with TOA, Δs/Δf on seq, ack and SACK, the ACK storm, an RS RST
in SYN_SENT, connection reuse and RS SYN retries. NAT64 in the SYN proxy is not modelled.

Input: client→VIP packets (VIP = --vip or the SYNs' destinations) go through the model at their
capture time. When the input also holds a connection's VIP→client packets, they become the RS's
answers (moved onto the rs-side leg); otherwise a modelled RS answers (--rs-isn, --rs-mss,
--rs-wscale, --rs-window) and acknowledges the client's data. The recorded client acknowledged
its own server, so its acks (and SACK) are re-based onto the model's cookie (--keep-client-acks
feeds them unchanged, e.g. to replay bad cookies). Timers (RS SYN retries) run past the last
packet until they are spent. The model's clock is the capture time: a SYN-ACK timestamp is
(seconds mod 100)·10^6 + microseconds of the SYN's capture time.

Output: a pcapng with interfaces client-side (client↔VIP) and rs-side (LIP↔RS) in time order, or
with --split PREFIX the files PREFIX-client-side.pcap and PREFIX-rs-side.pcap. The link layer is
Ethernet when the input's first packet is Ethernet (frames DPVS sends carry the client frame's
MACs swapped, as DPVS does; VLAN tags are not kept), raw IP (LINKTYPE_RAW) otherwise.
Defaults: --close-client-window is ON (as in every sample dpvs.conf; DPVS's code default is off).
--cookie-secret is 256 hex digits: secret[0][0..15] then secret[1][0..15], each 32-bit word as 8
big-endian hex digits; the default is the TV-15 pattern secret[c][i] = 0x01020304·(c+1) + i.
--lip/--rs default to 10.0.0.100:5000 / 10.0.0.2:8080 (IPv6: [2001:db8:1::100]:5000 /
[2001:db8:2::2]:8080); connection n uses local port PORT + n − 1.

--check IN | --check CLIENT RS: IN holds both legs (a pcapng with interfaces client-side and
rs-side, or with two interfaces, client side first; or two files, client side first). The legs
are paired (by the TOA of the first rs-side ACK, else in order), Δf and Δs recovered, the model
run on the captured inputs with the same options, and every packet whose translation disagrees
is listed, with every rejected client ACK, how long the client window stayed 0 and whether the
first rs-side ACK carried TOA. The RS SYN's IPv4 ID (never set by DPVS) is not compared.

Exit codes: 0 success (and --check without disagreement), 1 damaged input or runtime error,
2 usage error, 3 --check found disagreements.

Examples:
  toa synproxy-replay client.pcap -o replay.pcapng --ladder
  toa synproxy-replay client.pcap --split out/replay --report replay.json
  toa synproxy-replay --check replay.pcapng
`;

export function register(program: Command, io: Io): void {
  program
    .command('synproxy-replay')
    .description('replay client connections through the DPVS SYN-proxy model and write both legs; --check verifies a two-leg capture')
    .argument('<input...>', 'capture file (`-` = stdin); with --check: one two-leg capture, or the client-side and rs-side files')
    .option('-o, --output <file>', 'pcapng with interfaces client-side and rs-side (`-` = stdout)')
    .option('--split <prefix>', 'write PREFIX-client-side.pcap and PREFIX-rs-side.pcap instead')
    .option('--ladder', 'print a ladder diagram (client | DPVS | RS) on stdout')
    .option('--report <file>', 'JSON report per connection (`-` = stdout)')
    .option('--check', 'check a capture of both legs against the model (exit 3 on disagreement)')
    .option('--vip <ip:port>', 'the VIP (default: the destination of the input SYNs)')
    .option('--lip <ip[:port]>', 'DPVS local address and first port (default 10.0.0.100:5000)')
    .option('--rs <ip:port>', 'real server (default 10.0.0.2:8080)')
    .option('--cookie-secret <hex>', 'g_net_secret as 256 hex digits (default: the TV-15 pattern)')
    .option('--minute <n>', 'cookie minute counter at the first SYN (+1 per 60 s of capture time)', '0')
    .option('--fnat-isn <n>', 'F, the ISN of the RS SYN', '0xa0000000')
    .option('--mss <n>', 'synack_options.mss', '1452')
    .option('--ttl <n>', 'synack_options.ttl', '63')
    .option('--wscale <n>', 'synack_options.wscale (0 = off)', '0')
    .option('--timestamp', 'synack_options.timestamp (default off)')
    .option('--no-timestamp', 'timestamps off')
    .option('--close-client-window', 'close_client_window (default ON, as in the sample dpvs.conf)')
    .option('--no-close-client-window', 'echo the client window in the SYN-ACK (DPVS code default)')
    .option('--defer-rs-syn', 'defer_rs_syn (default off)')
    .option('--no-defer-rs-syn', 'send the RS SYN on the cookie ACK')
    .option('--max-ack-saved <n>', 'max_ack_saved', '3')
    .option('--ack-storm-thresh <n>', 'ack_storm_thresh', '10')
    .option('--rs-syn-max-retry <n>', 'rs_syn_max_retry', '3')
    .option('--syn-sent-timeout <seconds>', 'RS SYN retransmission interval (TCP syn_sent timeout)', '3')
    .option('--rs-isn <n>', 'modelled RS: ISN', '0x55667788')
    .option('--rs-mss <n>', 'modelled RS: MSS', '1460')
    .option('--rs-wscale <n|none>', 'modelled RS: window scale (when the SYN offers one)', '7')
    .option('--rs-window <n>', 'modelled RS: window field', String(MODELLED_RS_DEFAULTS.window))
    .option('--rs-delay <microseconds>', 'modelled RS: answer delay', String(MODELLED_RS_DEFAULTS.delayMicros))
    .option('--rs-silent', 'modelled RS: never answer (a dead backend; the RS SYN retries run out)')
    .option('--keep-client-acks', 'feed the client acks as recorded (no re-basing onto the cookie)')
    .addHelpText('after', HELP)
    .action(async (inputs: string[], raw: RawOptions) => {
      const opts = parseSynproxyReplayOptions(inputs, raw);
      await runSynproxyReplayCommand(opts, io);
    });
}
