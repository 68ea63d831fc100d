/**
 * `toa stats FILE...`: the one-screen incident report over one or more captures (`-` = stdin):
 * overview, carriers, a verdict per TCP connection seen from the backend, what each backend TOA
 * module would report, anomalies. `--json` prints the same content (docs/stats-json.md).
 *
 * Exit codes: 0; 1 when a capture is damaged (the report covers the packets before the damage and
 * is still printed); 2 usage; 3 with --fail-on-missing when a judged connection's handshake ACK
 * lacks a client address the module reads.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { StatsCollector, type StatsReport } from '../analysis/stats.js';
import { MODULE_NAMES, type ModuleName } from '../analysis/modules.js';
import { parseKindSpec } from '../carriers/kinds.js';
import { parseEndpoint, type Endpoint } from '../codec/addr.js';
import { openCapture } from '../codec/capture.js';
import { CaptureError, CliError } from '../codec/errors.js';
import { chalkFor } from '../render/color.js';
import { renderStatsText } from '../render/stats.js';
import { Progress } from '../util/progress.js';
import { isTerminal, writeReportText, type Io } from '../util/stdio.js';

export interface StatsCommandOptions {
  json: boolean;
  top: number;
  mtu: number;
  module: ModuleName | null;
  vip: Endpoint[];
  kinds: string | null;
  checksums: boolean;
  failOnMissing: boolean;
}

function parseCount(name: string, min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer ${min}..${max}`);
    return n;
  };
}

function parseModule(text: string): ModuleName {
  const name = text.toLowerCase();
  if (!(MODULE_NAMES as readonly string[]).includes(name)) throw new InvalidArgumentError(`unknown module (known: ${MODULE_NAMES.join(', ')})`);
  return name as ModuleName;
}

function parseVip(text: string, previous: Endpoint[] = []): Endpoint[] {
  try {
    return [...previous, parseEndpoint(text)];
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export function register(program: Command, io: Io): void {
  program
    .command('stats')
    .summary('one-screen report: carriers, per-flow verdict seen from the backend, modules, anomalies')
    .description(
      'Read one or more captures (- for stdin) and report: overview, client-address carriers, a verdict per TCP\n' +
        'connection (does the handshake-completing ACK carry a client address the backend module reads; if not, why),\n' +
        'what each backend TOA module would return as peer address, and anomalies. Memory grows with the number of\n' +
        'TCP 4-tuples, not with packets.',
    )
    .argument('<files...>', 'pcap or pcapng files; - reads stdin')
    .option('--json', 'print the report as one JSON document (schema: docs/stats-json.md)', false)
    .option('--top <n>', 'rows in top lists and examples per verdict/anomaly (0 = all)', parseCount('--top', 0, 1_000_000), 10)
    .option('--mtu <bytes>', 'MTU of the load balancer → backend link, for the "mtu" verdict', parseCount('--mtu', 68, 65535), 1500)
    .option('--module <name>', `backend module for verdicts and the per-flow peer list: ${MODULE_NAMES.join(', ')} (default: verdicts with dpvs, all modules side by side)`, parseModule)
    .option('--vip <ip[:port]>', 'a VIP: connections to it are the client→VIP leg (repeatable)', parseVip, [] as Endpoint[])
    .option('--kinds <spec>', 'TCP kind[:length] pairs read as carriers, e.g. 254:8,200 (default: the registry)')
    .option('--no-checksums', 'skip checksum verification (faster)')
    .option('--fail-on-missing', 'exit 3 when a judged connection lacks a client address in its handshake ACK (for CI)', false)
    .addHelpText(
      'after',
      '\nVerdicts: ok, unread-kind, mtu, no-room, syn-only, data-only, proxy-protocol, no-carrier, no-handshake, client-leg.\n' +
        'Exit codes: 0 ok, 1 damaged capture (report still printed), 2 usage, 3 --fail-on-missing tripped.\n' +
        '\nExamples:\n' +
        '  toa stats rs-side.pcap                      verdicts with the DPVS module, all modules side by side\n' +
        '  toa stats --module tencent --top 50 a.pcap  the peer address Tencent toa would report, first 50 flows\n' +
        '  toa stats --vip 192.0.2.10:443 lb.pcapng    name the VIP side of a capture taken on the load balancer\n' +
        '  toa stats --json --fail-on-missing x.pcap   CI: JSON report, exit 3 if any flow misses the client address',
    )
    .action(async (files: string[], raw: Record<string, unknown>) => {
      const options: StatsCommandOptions = {
        json: raw.json === true,
        top: (raw.top as number | undefined) ?? 10,
        mtu: (raw.mtu as number | undefined) ?? 1500,
        module: (raw.module as ModuleName | undefined) ?? null,
        vip: (raw.vip as Endpoint[] | undefined) ?? [],
        kinds: (raw.kinds as string | undefined) ?? null,
        checksums: raw.checksums !== false,
        failOnMissing: raw.failOnMissing === true,
      };
      await runStats(files, options, io);
    });
}

/** Read every file and build the report (no output). Errors: CliError for usage, CaptureError text kept per file. */
export async function collectStats(files: string[], options: StatsCommandOptions, io: Io): Promise<{ report: StatsReport; errors: string[] }> {
  if (files.filter((f) => f === '-').length > 1) throw new CliError('stdin (-) can be read only once', 2);
  let kinds;
  try {
    kinds = options.kinds === null ? undefined : parseKindSpec(options.kinds);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`--kinds: ${(e as Error).message}`, 2);
  }
  const collector = new StatsCollector({ mtu: options.mtu, top: options.top, module: options.module, vips: options.vip, kinds, checksums: options.checksums });
  const errors: string[] = [];
  for (const file of files) {
    const reader = await openCapture(file);
    collector.beginFile(reader.info);
    const progress = new Progress(`stats ${file}`, reader.fileSize ?? 0, io);
    let error: string | null = null;
    try {
      await reader.read((rec) => {
        collector.packet(rec);
        progress.tick(rec.fileOffset, rec.index);
      });
    } catch (e) {
      if (!(e instanceof CaptureError)) throw e;
      error = e.message;
      errors.push(e.message);
    } finally {
      progress.done();
    }
    collector.endFile(reader.info, error);
  }
  return { report: collector.finish(), errors };
}

export async function runStats(files: string[], options: StatsCommandOptions, io: Io): Promise<StatsReport> {
  const { report, errors } = await collectStats(files, options, io);
  if (options.json) writeReportText(io, JSON.stringify(report, null, 2) + '\n');
  else writeReportText(io, renderStatsText(report, { chalk: chalkFor({ isTTY: isTerminal(io, 'stdout') }) }));
  if (errors.length > 0) throw new CliError(`${errors.join('; ')} (the report covers the packets before the damage)`, 1);
  if (options.failOnMissing && report.flows.missing > 0) {
    throw new CliError(`${report.flows.missing} of ${report.flows.judged} judged connections lack a client address in the handshake ACK (--fail-on-missing)`, 3);
  }
  return report;
}
