/**
 * `toa strip IN -o OUT`: remove client-address carriers (TCP options, IPv4 options, IPv6
 * destination options, the opp shim, PROXY headers with the sequence shift undone). The engine is
 * src/rewrite/strip.ts; this file parses options and renders.
 *
 * Exit codes: 0 ok; 1 damaged input (summary printed, no output file) or runtime error; 2 usage.
 */
import { Option, type Command } from 'commander';
import { CaptureError, CliError } from '../codec/errors.js';
import type { Io } from '../util/stdio.js';
import type { ChecksumMode } from '../dpvs/l4fix.js';
import { RewriteEngine } from '../rewrite/engine.js';
import { StripRewriter, parseStripKinds, type StripOptions } from '../rewrite/strip.js';
import { newSummary, type RewriteSummary } from '../rewrite/summary.js';
import { CHECKSUM_MODES, writeSummary } from './inject-toa.js';

export interface StripCommandOptions extends StripOptions {
  output: string;
  json: boolean;
}

export function parseStripOptions(raw: Record<string, unknown>): StripCommandOptions {
  const kinds = (raw.kinds as string | undefined) ?? null;
  parseStripKinds(kinds); // usage errors now, before any file is opened
  if (raw.output === '-' && raw.json === true) throw new CliError('-o - writes the capture to stdout; --json cannot share it', 2);
  return {
    output: raw.output as string,
    json: raw.json === true,
    kinds,
    nop: raw.nop === true,
    checksum: ((raw.checksum as string | undefined) ?? 'full') as ChecksumMode,
  };
}

export function register(program: Command, io: Io): void {
  program
    .command('strip')
    .summary('remove client-address carriers (TOA options, IP options, opp shim, PROXY headers)')
    .description(
      'Rewrite a capture without its client-address carriers. TCP options are cut with their NOP padding\n' +
        '(--nop overwrites them with NOPs, as DPVS does to client-supplied TOA); PROXY headers are cut and the\n' +
        'sequence shift they caused is undone for the rest of the connection. Lengths and checksums are fixed;\n' +
        'a checksum that was wrong stays wrong. Everything else passes through byte-identical.',
    )
    .argument('<input>', 'pcap or pcapng file')
    .requiredOption('-o, --output <file>', 'output capture (same format; written to a temporary file and renamed)')
    .option('--kinds <spec>', 'only these: tcp, ipv4-option, ipv6-dstopt, opp, uoa, proxy, proxy-v1, proxy-v2, spp, format names, TCP KIND[:LEN]')
    .option('--nop', 'overwrite TCP carriers with NOPs instead of shrinking the header', false)
    .addOption(new Option('--checksum <mode>', 'full (incremental when the snap length cut the packet), incremental, keep').choices(CHECKSUM_MODES as unknown as string[]).default('full'))
    .option('--json', 'print the summary as JSON on stdout instead of the table on stderr', false)
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 damaged input (no output written) or runtime error, 2 usage.\n' +
        '\nExamples:\n' +
        '  toa strip with-toa.pcap -o clean.pcap\n' +
        '  toa strip --kinds 254:8 --nop in.pcapng -o out.pcapng',
    )
    .action(async (input: string, raw: Record<string, unknown>) => {
      await runStrip(input, parseStripOptions(raw), io);
    });
}

export async function runStrip(input: string, options: StripCommandOptions, io: Io): Promise<RewriteSummary> {
  const summary = newSummary('strip', input, options.output);
  const engine = new RewriteEngine(summary);
  let failure: unknown = null;
  try {
    await engine.run(input, options.output, new StripRewriter(options), io, 'strip');
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    failure = e;
  }
  await writeSummary(summary, options.json, io);
  if (failure !== null) throw failure;
  return summary;
}
