/**
 * The process's standard output and error, without Node's stream objects when a run does not need them.
 *
 * Node makes process.stdout and process.stderr on first access, and making either loads its stream modules
 * (~3 ms and ~95 page faults on the benchmark VM; node:tty, for a terminal, also loads node:net). A run that
 * writes its capture to a file and a summary to stderr (inject-toa, strip) needs neither object: `ProcessIo`
 * makes them only when something asks for them, `isTerminal` answers from the descriptor when it can, and
 * `writeStderr` writes a text to descriptor 2 directly unless the stream already exists. The writers of whole
 * texts to stdout (`writeReportText`, `createTextSink`) write the process's stdout through descriptor 1 too.
 */
import { fstatSync } from 'node:fs';
import { BufferedOutput } from './output.js';

/** Where a command's output and messages go; tests pass their own streams. */
export interface Io {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/**
 * process.stdout and process.stderr, each made on first use through this object; `onStdoutMade` runs once,
 * with process.stdout, when it is made (cli.ts listens for EPIPE there).
 */
export class ProcessIo implements Io {
  private stdoutMade = false;
  private stderrMade = false;

  constructor(private readonly onStdoutMade: (stdout: NodeJS.WriteStream) => void = () => undefined) {}

  get stdout(): NodeJS.WritableStream {
    if (!this.stdoutMade) {
      this.stdoutMade = true;
      this.onStdoutMade(process.stdout);
    }
    return process.stdout;
  }

  get stderr(): NodeJS.WritableStream {
    this.stderrMade = true;
    return process.stderr;
  }

  /** True once `stderr` was asked for (from then on its text goes through the stream, in order). */
  get stderrInUse(): boolean {
    return this.stderrMade;
  }
}

/** Linux character devices of major 1: /dev/null, /dev/zero, /dev/full, /dev/random, ... (never a terminal). */
const LINUX_MEMORY_DEVICES = 1;

/**
 * The major number of a Linux device number as fstat gives it (glibc's encoding of dev_t: major bits 0-11 in
 * bits 8-19, the rest from bit 44; minor bits 0-7 in bits 0-7, the rest from bit 20).
 */
export function linuxDeviceMajor(rdev: number): number {
  return (Math.floor(rdev / 2 ** 8) % 2 ** 12) + (Math.floor(rdev / 2 ** 44) % 2 ** 20) * 2 ** 12;
}

/**
 * False when descriptor `fd` cannot be a terminal: a regular file, a pipe, a socket, a block device, or on
 * Linux one of the memory devices (/dev/null). True when it may be one (any other character device) or cannot
 * be examined: the caller then asks the stream.
 */
export function descriptorMayBeTerminal(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    if (process.platform === 'linux' && linuxDeviceMajor(st.rdev) === LINUX_MEMORY_DEVICES) return false;
  } catch {
    // a closed descriptor: the stream answers (as it would without this function)
  }
  return true;
}

/** Whether io's stdout or stderr is a terminal (colour, progress), without making the process's stream when the descriptor tells. */
export function isTerminal(io: Io, which: 'stdout' | 'stderr'): boolean {
  if (io instanceof ProcessIo && !descriptorMayBeTerminal(which === 'stdout' ? 1 : 2)) return false;
  return Boolean((io[which] as { isTTY?: boolean }).isTTY);
}

/** True when io's stdout is the process's own (descriptor 1), without making process.stdout for a ProcessIo. */
export function writesProcessStdout(io: Io): boolean {
  return io instanceof ProcessIo || io.stdout === process.stdout;
}

/** `text` to descriptor `fd` in synchronous writes (BufferedOutput's: a full non-blocking pipe is waited for, EPIPE ends quietly). */
function writeToDescriptor(fd: number, name: string, text: string): void {
  const out = BufferedOutput.forDescriptor(fd, name, 64 * 1024);
  out.writeBytes(new TextEncoder().encode(text));
  out.close();
}

/**
 * Write `text` to io's stderr: for the process's own stderr that no one has made yet, straight to descriptor 2
 * (synchronously, as Node writes stderr to a file or a pipe on Linux); else through the stream, after what it has.
 */
export function writeStderr(io: Io, text: string): void {
  if (io instanceof ProcessIo && !io.stderrInUse) writeToDescriptor(2, 'stderr', text);
  else io.stderr.write(text);
}

/**
 * Write a whole text (a report, a JSON summary) to io's stdout. The process's own stdout gets it on descriptor 1
 * synchronously, so a full disk is a CliError (exit 1) and a closed pipe ends quietly, instead of an 'error' event
 * after the command has already reported success.
 */
export function writeReportText(io: Io, text: string): void {
  if (writesProcessStdout(io)) writeToDescriptor(1, '-', text);
  else io.stdout.write(text);
}

/**
 * A text line sink for long streamed reports (the synproxy ladder): buffered synchronous writes on the process's
 * stdout, so a full disk or a closed pipe surfaces as it does for captures (a CliError, or a quiet end on EPIPE);
 * plain stream writes elsewhere (tests pass their own streams).
 */
export function createTextSink(io: Io): { write(text: string): void; close(): void } {
  if (!writesProcessStdout(io)) {
    const stream = io.stdout;
    return { write: (text) => void stream.write(text), close: () => undefined };
  }
  const out = BufferedOutput.create('-', 64 * 1024);
  const encoder = new TextEncoder();
  return { write: (text) => out.writeBytes(encoder.encode(text)), close: () => out.close() };
}
