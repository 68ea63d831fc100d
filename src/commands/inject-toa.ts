/**
 * `toa inject-toa IN -o OUT`: put client-address carriers into a capture as a full-NAT load
 * balancer would (DPVS by default), optionally turning a client-leg capture into the backend leg
 * (--fnat). The engine is src/rewrite/ (inject.ts, engine.ts); this file parses options and renders.
 *
 * Exit codes: 0 ok; 1 damaged input (every packet before the damage is processed and counted,
 * the summary is printed, no output file is left) or runtime error; 2 usage.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseEndpoint, type Endpoint } from '../codec/addr.js';
import { CaptureError, CliError } from '../codec/errors.js';
import type { ChecksumMode } from '../dpvs/l4fix.js';
import { chalkWhenColoured } from '../render/color-level.js';
import { PLAIN_SUMMARY_STYLES, renderRewriteSummary } from '../render/rewrite-summary.js';
import { RewriteEngine } from '../rewrite/engine.js';
import { FORMAT_TABLE, INJECT_FORMATS, INJECT_WHEN, InjectRewriter, type InjectFormat, type InjectOptions, type InjectWhen } from '../rewrite/inject.js';
import { flowReport, newSummary, type RewriteSummary } from '../rewrite/summary.js';
import { ReverseRewriter, type ReverseOptions } from '../rewrite/reverse.js';
import { assertOutputIsNotInput, describeFileError } from '../util/output.js';
import { isTerminal, writeReportText, writeStderr, type Io } from '../util/stdio.js';

export interface InjectCommandOptions extends InjectOptions {
  output: string;
  json: boolean;
  report: string | null;
  /** --reverse: backend leg in, client leg out (null otherwise). */
  reverse: ReverseOptions | null;
}

/** Carrier kinds --reverse reads, per --format (IPv4 client 8 bytes, IPv6 client 20 bytes). */
const REVERSE_KINDS: Partial<Record<InjectFormat, [number, number]>> = {
  dpvs: [254, 254],
  lvs: [254, 253],
  tencent: [200, 200],
  ucloud: [200, 200],
  jd: [200, 200],
};

function endpointParser(requirePort: boolean) {
  return (text: string): Endpoint => {
    try {
      return parseEndpoint(text, requirePort);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

function integerParser(name: string, min: number, max: number) {
  return (text: string): number => {
    const t = text.trim();
    const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^\d+$/.test(t) ? Number(t) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer ${min}..${max} (decimal or 0x hex)`);
    return n;
  };
}

function wscaleParser(text: string): [number, number] {
  const m = /^(\d{1,2}):(\d{1,2})$/.exec(text.trim());
  if (!m || Number(m[1]) > 14 || Number(m[2]) > 14) throw new InvalidArgumentError('--wscale is RS:VS, two window scales 0..14');
  return [Number(m[1]), Number(m[2])];
}

export const CHECKSUM_MODES = ['full', 'incremental', 'keep'] as const;

/** argv options (commander's object) -> typed options; throws CliError(2) on inconsistent combinations. */
export function parseInjectOptions(raw: Record<string, unknown>): InjectCommandOptions {
  const format = (raw.format as InjectFormat | undefined) ?? 'dpvs';
  const fnatOn = raw.fnat === true;
  const lip = (raw.lip as Endpoint | undefined) ?? null;
  const rs = (raw.rs as Endpoint | undefined) ?? null;
  const nat64 = raw.nat64 === true;
  const reverseOn = raw.reverse === true;
  if (reverseOn && (fnatOn || lip !== null || rs !== null || nat64 || raw.fnatIsn !== undefined)) {
    throw new CliError('--reverse takes --vip (and --client-isn, --wscale), not --fnat, --lip, --rs, --nat64 or --fnat-isn', 2);
  }
  if (!reverseOn && (raw.vip !== undefined || raw.clientIsn !== undefined)) throw new CliError('--vip and --client-isn need --reverse', 2);
  if (!fnatOn && !reverseOn && (lip !== null || rs !== null || nat64 || raw.fnatIsn !== undefined || raw.wscale !== undefined)) {
    throw new CliError('--lip, --rs, --fnat-isn, --nat64 and --wscale need --fnat', 2);
  }
  let reverse: ReverseOptions | null = null;
  if (reverseOn) {
    const vip = (raw.vip as Endpoint | undefined) ?? null;
    if (vip === null || vip.port === null) throw new CliError('--reverse needs --vip IP:PORT (the virtual service of the client leg)', 2);
    const kinds = REVERSE_KINDS[format];
    if (kinds === undefined) throw new CliError(`--reverse reads TCP option carriers: --format ${Object.keys(REVERSE_KINDS).join(', ')}`, 2);
    if (raw.input === '-') throw new CliError('--reverse reads its input twice: give a file, not -', 2);
    if (raw.client !== undefined) throw new CliError('--reverse takes the client from the carriers; --client is not used', 2);
    const wscale = (raw.wscale as [number, number] | undefined) ?? [0, 0];
    reverse = {
      vip: { address: vip.address, port: vip.port },
      kindV4: kinds[0],
      kindV6: kinds[1],
      clientIsn: (raw.clientIsn as number | undefined) ?? null,
      wscaleRs: wscale[0],
      wscaleVs: wscale[1],
      checksum: ((raw.checksum as string | undefined) ?? 'full') as ChecksumMode,
      server: (raw.server as Endpoint | undefined) ?? null,
    };
  }
  let fnat: InjectOptions['fnat'] = null;
  if (fnatOn) {
    if (lip === null || rs === null) throw new CliError('--fnat needs --lip IP[:PORT] and --rs IP:PORT', 2);
    if (lip.address.length !== rs.address.length) throw new CliError('--lip and --rs must be the same address family', 2);
    if (nat64 && lip.address.length !== 4) throw new CliError('--nat64 takes an IPv4 --lip and --rs (IPv6 client leg to an IPv4 backend)', 2);
    const wscale = (raw.wscale as [number, number] | undefined) ?? [0, 0];
    fnat = {
      local: lip.address,
      localPort: lip.port,
      real: rs.address,
      realPort: rs.port!,
      fnatIsn: (raw.fnatIsn as number | undefined) ?? null,
      nat64,
      wscaleRs: wscale[0],
      wscaleVs: wscale[1],
    };
  }
  const report = (raw.report as string | undefined) ?? null;
  const json = raw.json === true;
  if (json && report === '-') throw new CliError('--report - and --json both write to stdout; give --report a file', 2);
  if (raw.output === '-' && (json || report === '-')) throw new CliError('-o - writes the capture to stdout; --json and --report - cannot share it', 2);
  return {
    output: raw.output as string,
    json,
    report,
    format,
    when: (raw.when as InjectWhen | undefined) ?? null,
    client: (raw.client as Endpoint | undefined) ?? null,
    server: (raw.server as Endpoint | undefined) ?? null,
    mtu: (raw.mtu as number | undefined) ?? 1500,
    prune: raw.prune !== false,
    checksum: ((raw.checksum as string | undefined) ?? 'full') as ChecksumMode,
    vpcId: (raw.vpcId as number | undefined) ?? 0,
    fnat,
    reverse,
  };
}

export function register(program: Command, io: Io): void {
  program
    .command('inject-toa')
    .summary('insert client-address carriers (TOA, UOA, TTGW, PROXY) as a full-NAT load balancer would')
    .description(
      'Rewrite a capture so that client->server packets carry the client address the way a load balancer\n' +
        'inserts it (DPVS by default: TOA 254/8 or 254/20 on the handshake ACK and pre-data segments, with\n' +
        "DPVS's MTU/room checks, option pruning and retry). Everything not rewritten passes through byte-identical.\n" +
        'With --fnat, a client-leg capture (client <-> VIP) becomes the backend leg (LIP <-> RS) through the DPVS\n' +
        'full-NAT model.',
    )
    .argument('<input>', 'pcap or pcapng file')
    .requiredOption('-o, --output <file>', 'output capture (same format; written to a temporary file and renamed)')
    .addOption(new Option('--format <name>', 'carrier format').choices(INJECT_FORMATS).default('dpvs'))
    .addOption(new Option('--when <policy>', "which client->server segments get a TCP carrier (default: the format's)").choices(INJECT_WHEN as string[]))
    .option('--client <ip[:port]>', 'carry this client address (and port) instead of the one in the capture', endpointParser(false))
    .option('--server <ip[:port]>', 'the server side of connections whose SYN is not in the capture', endpointParser(false))
    .option('--mtu <bytes>', 'MTU toward the backend: FRAG when a carrier would exceed it', integerParser('--mtu', 68, 65535), 1500)
    .option('--no-prune', "do not run DPVS's option pruning and retry when the header is full")
    .addOption(new Option('--checksum <mode>', 'full (incremental when the snap length cut the packet), incremental, keep').choices(CHECKSUM_MODES as unknown as string[]).default('full'))
    .option('--vpc-id <n>', 'VPC id for --format alibaba-vtoa-vpc', integerParser('--vpc-id', 0, 0xffffffff))
    .option('--fnat', 'translate a client-leg capture into the backend leg (DPVS full-NAT)')
    .option('--lip <ip[:port]>', 'DPVS local address (and first local port; default: the client port)', endpointParser(false))
    .option('--rs <ip:port>', 'real server', endpointParser(true))
    .option('--fnat-isn <n>', 'the FNAT ISN F toward the RS (default: the client ISN, so sequence numbers stay)', integerParser('--fnat-isn', 0, 0xffffffff))
    .option('--nat64', 'IPv6 client leg to an IPv4 backend (--lip and --rs IPv4)')
    .option('--reverse', 'the other way: a backend-leg capture with carriers in, the client leg out (needs --vip)')
    .option('--vip <ip:port>', '--reverse: the virtual service the clients connected to', endpointParser(true))
    .option('--client-isn <n>', '--reverse: the client ISN (default: the LIP ISN, i.e. Δf = 0)', integerParser('--client-isn', 0, 0xffffffff))
    .option('--wscale <rs:vs>', 'window scales of the RS and of the SYN proxy (window rescaling, default 0:0)', wscaleParser)
    .option('--report <file>', 'per-flow JSON report (packets given a carrier, skipped and why); - for stdout')
    .option('--json', 'print the summary as JSON on stdout instead of the table on stderr', false)
    .addHelpText(
      'after',
      '\nFormats:\n' +
        INJECT_FORMATS.map((f) => `  ${f.padEnd(18)}${FORMAT_TABLE[f].description}`).join('\n') +
        '\n\nPolicies (--when): dpvs (DPVS >= 1.9.6: not SYN/RST, ack == server ISN+1), dpvs-legacy (<= 1.9.4: also SYNs),\n' +
        '  lvs (SYN and pre-data, not FIN), handshake-ack, every, syn.\n' +
        'Exit codes: 0 ok, 1 damaged input (no output written) or runtime error, 2 usage.\n' +
        '\nExamples:\n' +
        '  toa inject-toa rs-leg.pcap -o with-toa.pcap\n' +
        '  toa inject-toa rs-leg.pcap -o out.pcap --format tencent --client 203.0.113.7:51234\n' +
        '  toa inject-toa client-leg.pcap -o rs-leg.pcap --fnat --lip 10.0.0.100 --rs 10.0.0.2:8080 --report -\n' +
        '  toa inject-toa rs-leg.pcap -o client-leg.pcap --reverse --vip 198.51.100.1:80\n' +
        '\n--reverse undoes --fnat where DPVS is invertible: pruned options, SYN timestamps turned into NOPs and\n' +
        'PROXY headers stay as they are, and the client ISN is the LIP ISN unless --client-isn names it.',
    )
    .action(async (input: string, raw: Record<string, unknown>) => {
      await runInject(input, parseInjectOptions({ ...raw, input }), io);
    });
}

export async function writeSummary(summary: RewriteSummary, json: boolean, io: Io): Promise<void> {
  if (json) {
    writeReportText(io, JSON.stringify(summary, null, 2) + '\n');
    return;
  }
  writeStderr(io, renderRewriteSummary(summary, (await chalkWhenColoured({ isTTY: isTerminal(io, 'stderr') })) ?? PLAIN_SUMMARY_STYLES));
}

export async function runInject(input: string, options: InjectCommandOptions, io: Io): Promise<RewriteSummary> {
  if (options.report !== null && options.report !== '-') {
    // The report must overwrite neither the capture being read nor the one being written.
    assertOutputIsNotInput([input], options.report);
    if (resolve(options.report) === resolve(options.output)) throw new CliError(`--report ${options.report} and -o name the same file`, 2);
  }
  const summary = newSummary('inject-toa', input, options.output);
  const engine = new RewriteEngine(summary);
  let rewriter: InjectRewriter | ReverseRewriter;
  if (options.reverse !== null) {
    const reverse = new ReverseRewriter(options.reverse);
    assertOutputIsNotInput([input], options.output);
    await reverse.prescan(input);
    rewriter = reverse;
  } else rewriter = new InjectRewriter(options);
  let failure: unknown = null;
  try {
    await engine.run(input, options.output, rewriter, io, 'inject-toa');
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    failure = e;
  }
  await writeSummary(summary, options.json, io);
  if (options.report !== null) {
    const text = JSON.stringify({ summary, flows: rewriter.flows.flows.map(flowReport) }, null, 2) + '\n';
    if (options.report === '-') writeReportText(io, text);
    else {
      try {
        writeFileSync(options.report, text);
      } catch (e) {
        throw describeFileError(e, options.report, 'write');
      }
    }
  }
  if (failure !== null) throw failure;
  return summary;
}
