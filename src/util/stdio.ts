/**
 * The process's standard output and error, without Node's stream objects when a run does not need them.
 *
 * Node makes process.stdout and process.stderr on first access, and making either loads its stream modules
 * (~3 ms and ~95 page faults on the benchmark VM; node:tty, for a terminal, also loads node:net). A run that
 * writes its capture to a file and a summary to stderr (inject-toa, strip) needs neither object: `ProcessIo`
 * makes them only when something asks for them, `isTerminal` answers from the descriptor when it can, and
 * `writeStderr` writes a text to descriptor 2 directly unless the stream already exists.
 */
import { fstatSync, writeSync } from 'node:fs';

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
 * False when descriptor `fd` cannot be a terminal: a regular file, a pipe, a socket, a block device, or on
 * Linux one of the memory devices (/dev/null). True when it may be one (any other character device) or cannot
 * be examined: the caller then asks the stream.
 */
export function descriptorMayBeTerminal(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    // glibc's encoding of dev_t: major in bits 8-19 and 32-43
    const major = (Math.floor(st.rdev / 256) % 4096) + Math.floor(st.rdev / 2 ** 32) * 4096;
    if (process.platform === 'linux' && major === LINUX_MEMORY_DEVICES) return false;
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

/**
 * Write `text` to io's stderr. For the process's own stderr that no one has made yet, straight to descriptor 2
 * (synchronously, as Node writes stderr to a file or a pipe on Linux); a closed stderr (EPIPE) drops the text, and
 * a descriptor that would block (EAGAIN) gets the rest through the stream.
 */
export function writeStderr(io: Io, text: string): void {
  if (!(io instanceof ProcessIo) || io.stderrInUse) {
    io.stderr.write(text);
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  let at = 0;
  while (at < bytes.length) {
    try {
      at += writeSync(2, bytes, at, bytes.length - at);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EPIPE') return;
      if (code === 'EAGAIN') {
        io.stderr.write(bytes.subarray(at));
        return;
      }
      throw e;
    }
  }
}
