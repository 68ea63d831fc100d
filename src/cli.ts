/**
 * Entry point: builds the commander program, runs one command, and is the one place that
 * maps outcomes to exit codes (0 ok, 1 runtime/damaged input, 2 usage).
 */
import { Command, CommanderError } from 'commander';
import { CaptureError, CliError, CodecError } from './codec/errors.js';
import { commandNamed, registerCommands } from './commands/index.js';
import { ProcessIo, type Io } from './util/stdio.js';
import { VERSION } from './version.js';

export type { Io };

/** The program with the command `argv` names registered (every command when it names none). */
export async function buildProgram(io: Io, argv: readonly string[] = []): Promise<Command> {
  const program = new Command();
  program
    .name('toa')
    .description(
      'Inspect, inject, strip and replay the client-address carriers of full-NAT L4 load balancers\n' +
        '(TOA TCP options, UOA / TTGW IP options, the opp shim, PROXY protocol) in pcap and pcapng files.',
    )
    .version(VERSION, '-V, --version')
    .option('--debug', 'print stack traces for errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();
  await registerCommands(program, io, commandNamed(argv));
  program.commands.forEach((c) => c.exitOverride());
  program.addHelpText(
    'after',
    '\nExamples:\n' +
      '  toa decode samples/dpvs-fnat-v4.pcap                      one line per packet, TOA decoded\n' +
      '  toa decode --json capture.pcapng                          NDJSON, one object per packet\n' +
      '  toa stats rs-side.pcap                                    which flows reach the backend without the client address, and why\n' +
      '  toa inject-toa client.pcap -o rs.pcap --fnat --lip 10.0.0.2 --rs 10.0.1.10:8080\n' +
      '                                                            the backend leg DPVS would produce\n' +
      '  toa strip rs.pcap -o clean.pcap                           remove every carrier, fix lengths and checksums\n' +
      '  toa synproxy-replay client.pcap -o legs.pcapng --ladder   the DPVS SYN proxy, both legs\n' +
      '  toa craft -o test.pcap --leg backend --nat64              test traffic without a capture\n' +
      '\nRun `toa <command> --help` for options.\n' +
      'Exit codes: 0 success, 1 damaged input or runtime error, 2 usage error, 3 findings (stats --fail-on-missing, synproxy-replay --check).',
  );
  return program;
}

function isEpipe(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: string }).code === 'EPIPE';
}

/** Run `toa argv`; resolves with the exit code. Without `io`, the process's stdout and stderr, each made only when used (util/stdio.ts). */
export async function main(argv: string[], given?: Io): Promise<number> {
  const debug = argv.includes('--debug');
  // A closed stdout (`toa decode x | head -1`) ends the run quietly.
  const onStdoutError = (e: unknown) => {
    if (isEpipe(e)) process.exit(0);
  };
  const io = given ?? new ProcessIo((stdout) => stdout.on('error', onStdoutError));
  if (given !== undefined && given.stdout === process.stdout) process.stdout.on('error', onStdoutError);
  const program = await buildProgram(io, argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      return 2;
    }
    if (isEpipe(e)) return 0;
    if (e instanceof CliError) {
      io.stderr.write(`toa: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
      if (debug && e.stack) io.stderr.write(e.stack + '\n');
      return e.exitCode;
    }
    if (e instanceof CaptureError || e instanceof CodecError) {
      io.stderr.write(`toa: ${e.message}\n`);
      if (debug && e.stack) io.stderr.write(e.stack + '\n');
      return 1;
    }
    const err = e as Error;
    if (debug) io.stderr.write(`${err?.stack ?? String(e)}\n`);
    else io.stderr.write(`toa: internal error: ${err?.message ?? String(e)} (run again with --debug and report it)\n`);
    return 1;
  }
}
