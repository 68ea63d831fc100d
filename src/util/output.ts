/**
 * Output files and stdout.
 *
 * - Files are written to a temporary file next to the target (`.<name>.toa-<pid>-<random>.tmp`) with
 *   large synchronous writes, and renamed into place by close(); abort() deletes the temporary file,
 *   so a failed run never leaves a partial output (nor clobbers an existing file).
 * - `asyncWrites` (regular files only): a full buffer is handed to fs.write (libuv thread pool) at its
 *   file position and encoding goes on in the next of a few pooled buffers, so the kernel's write time
 *   overlaps the caller's work. Each write starts at once, at its own position, also while earlier
 *   ones still run: the pool goes from one to the next without waiting for the main thread. The caller
 *   awaits `drain()` now and then (bounded buffers in flight, constant memory) and ends with
 *   `closeAsync()`. A failed write is reported (CliError) by the next writeBytes/flush/drain/closeAsync,
 *   which removes the temporary file first; while other writes still run, only by drain/closeAsync,
 *   once they have returned (nothing more is written meanwhile).
 * - `borrow(bytes)` hands bytes over by reference (no copy): they go out in order with the buffered
 *   bytes around them (one writev per batch). The caller keeps them unchanged until `commit()` wrote
 *   them (synchronous outputs) or the promise of `released()` settles (asyncWrites).
 * - `-` is stdout: same buffering, no temporary file; EPIPE (the reader went away, e.g. `| head`)
 *   ends output quietly and sets `brokenPipe`, so a command can stop early and still succeed.
 * - assertOutputIsNotInput refuses to overwrite an input (same path, symlink or hard link).
 * - describeFileError turns fs errors into one-line CliErrors that name the path.
 */
import { closeSync, existsSync, fstatSync, openSync, renameSync, statSync, unlinkSync, write, writeSync, writev, writevSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError } from '../codec/errors.js';

export const DEFAULT_OUTPUT_BUFFER_BYTES = 1024 * 1024;
/** asyncWrites: buffers of one output (the one being filled included); more are never allocated. */
const ASYNC_POOL_BUFFERS = 4;
/** asyncWrites: drain() waits while more than this many buffers are queued or being written. */
const ASYNC_DRAIN_BUSY = 2;

export interface OutputOptions {
  /** Regular files: write full buffers asynchronously (see the module comment); ignored for stdout and devices. */
  asyncWrites?: boolean;
}

/** Refuse (CliError, exit 2) when `output` is the same file as one of `inputs` (`-` is never compared). */
export function assertOutputIsNotInput(inputs: readonly string[], output: string): void {
  if (output === '-') return;
  const outResolved = resolve(output);
  let outStat: { dev: number; ino: number } | null = null;
  try {
    const st = statSync(output);
    outStat = { dev: st.dev, ino: st.ino };
  } catch {
    outStat = null; // does not exist (yet): only the path comparison applies
  }
  for (const input of inputs) {
    if (input === '-') continue;
    let same = resolve(input) === outResolved;
    if (!same && outStat !== null) {
      try {
        const st = statSync(input);
        same = st.dev === outStat.dev && st.ino === outStat.ino;
      } catch {
        same = false;
      }
    }
    if (same) {
      throw new CliError(
        `output ${output} is the same file as input ${input}; write to a different file (it would be overwritten while being read)`,
        2,
      );
    }
  }
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** A one-line CliError (exit 1) for a failed read or write of `path`. */
export function describeFileError(err: unknown, path: string, action: 'read' | 'write'): CliError {
  const code = errorCode(err);
  const verb = action === 'read' ? 'cannot read' : 'cannot write';
  switch (code) {
    case 'ENOENT':
      return action === 'read'
        ? new CliError(`${verb} ${path}: no such file`, 1)
        : existsSync(dirname(resolve(path)))
          ? new CliError(`${verb} ${path}: directory ${dirname(resolve(path))} does not accept new files`, 1)
          : new CliError(`${verb} ${path}: directory ${dirname(resolve(path))} does not exist`, 1);
    case 'EACCES':
    case 'EPERM':
      return new CliError(`${verb} ${path}: permission denied`, 1);
    case 'ENOSPC':
      return new CliError(`${verb} ${path}: no space left on device`, 1);
    case 'EDQUOT':
      return new CliError(`${verb} ${path}: disk quota exceeded`, 1);
    case 'EROFS':
      return new CliError(`${verb} ${path}: read-only file system`, 1);
    case 'EISDIR':
      return new CliError(`${verb} ${path}: it is a directory`, 1);
    case 'ENOTDIR':
      return new CliError(`${verb} ${path}: a component of the path is not a directory`, 1);
    case 'EMFILE':
    case 'ENFILE':
      return new CliError(`${verb} ${path}: too many open files`, 1);
    default: {
      const message = err instanceof Error ? err.message : String(err);
      return new CliError(`${verb} ${path}: ${message}`, 1);
    }
  }
}

/** The temporary name used while writing `path`. */
export function temporaryPathFor(path: string): string {
  const abs = resolve(path);
  // Math.random, not a cryptographic source: the name only has to differ from other runs' (the pid already
  // does for runs at the same time), and create() opens it with O_EXCL ('wx'), so an existing file or symlink
  // of that name is never written through. Web Crypto cost every file-writing run ~5 ms at start to load.
  const random = Math.floor(Math.random() * 0x100000000);
  return join(dirname(abs), `.${basename(abs)}.toa-${process.pid}-${random.toString(16).padStart(8, '0')}.tmp`);
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * A buffered, synchronous byte sink. Encoders write straight into `buffer` at `position` after
 * `ensure(n)`, or hand whole arrays to `writeBytes`.
 */
export class BufferedOutput {
  buffer: Uint8Array;
  view: DataView;
  position = 0;
  /** Bytes handed to the operating system so far (excluding what is still buffered). */
  written = 0;
  /** Set when stdout's reader went away; further writes are discarded. */
  brokenPipe = false;
  private fd: number;
  private finished = false;
  /** A device or FIFO opened by create(): closed by close()/abort() although there is no temporary file. */
  private ownsDescriptor = false;
  /** asyncWrites state (null: synchronous writes). */
  private async: AsyncWrites | null = null;
  /**
   * Output not written yet that precedes buffer[sealStart, position): borrowed arrays and the
   * buffered spans between them (views of `buffer`), in order. Empty while nothing is borrowed.
   */
  private parts: Uint8Array[] = [];
  private partsLength = 0;
  /** Start of the buffered bytes not in `parts` yet (0 while nothing is borrowed). */
  private sealStart = 0;

  private constructor(
    /** The path as the user gave it (`-` for stdout). */
    readonly path: string,
    fd: number,
    /** The temporary file, or null for stdout / a caller-owned descriptor. */
    readonly temporaryPath: string | null,
    bufferBytes: number,
  ) {
    this.fd = fd;
    this.buffer = new Uint8Array(bufferBytes);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  /** `-` = stdout; anything else = a temporary file next to it, renamed into place by close(). */
  static create(path: string, bufferBytes = DEFAULT_OUTPUT_BUFFER_BYTES, options: OutputOptions = {}): BufferedOutput {
    if (path === '-') return new BufferedOutput('-', 1, null, bufferBytes);
    let special = false;
    try {
      const st = statSync(path);
      if (st.isDirectory()) throw new CliError(`cannot write ${path}: it is a directory`, 1);
      // A device, FIFO or socket (/dev/null, /dev/stdout, a named pipe): write into it directly;
      // renaming a temporary file over it would replace the device node with a regular file.
      special = !st.isFile();
    } catch (err) {
      if (err instanceof CliError) throw err;
    }
    if (special) {
      let direct: number;
      try {
        direct = openSync(path, 'w');
      } catch (err) {
        throw describeFileError(err, path, 'write');
      }
      const out = new BufferedOutput(path, direct, null, bufferBytes);
      out.ownsDescriptor = true;
      return out;
    }
    const temporary = temporaryPathFor(path);
    let fd: number;
    try {
      fd = openSync(temporary, 'wx', 0o666);
    } catch (err) {
      throw describeFileError(err, path, 'write');
    }
    const out = new BufferedOutput(path, fd, temporary, bufferBytes);
    if (options.asyncWrites === true) out.async = new AsyncWrites(bufferBytes);
    return out;
  }

  /** Write to an already open descriptor (not closed by close()); EPIPE handling as for stdout. */
  static forDescriptor(fd: number, name: string, bufferBytes = DEFAULT_OUTPUT_BUFFER_BYTES): BufferedOutput {
    fstatSync(fd);
    return new BufferedOutput(name, fd, null, bufferBytes);
  }

  /** Make room for n contiguous bytes at `position` (flushing, or growing the buffer for a big item). */
  ensure(n: number): void {
    if (this.buffer.length - this.position >= n) return;
    this.flush();
    if (this.buffer.length < n) {
      this.buffer = new Uint8Array(n);
      this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    }
  }

  writeBytes(bytes: Uint8Array): void {
    if (this.buffer.length - this.position >= bytes.length) {
      this.buffer.set(bytes, this.position);
      this.position += bytes.length;
      return;
    }
    if (this.async !== null) {
      // the caller may reuse `bytes` at once: copied through the pooled buffers
      let at = 0;
      while (at < bytes.length) {
        if (this.position === this.buffer.length) this.flush();
        const n = Math.min(bytes.length - at, this.buffer.length - this.position);
        this.buffer.set(bytes.subarray(at, at + n), this.position);
        this.position += n;
        at += n;
      }
      return;
    }
    this.flush();
    if (bytes.length >= this.buffer.length) {
      this.writeFully([bytes]);
    } else {
      this.buffer.set(bytes, 0);
      this.position = bytes.length;
    }
  }

  flush(): void {
    if (this.async !== null) {
      this.flushAsync(this.async);
      return;
    }
    if (this.parts.length > 0) {
      this.writeFully(this.takeParts());
      return;
    }
    if (this.position === 0) return;
    const pending = this.buffer.subarray(0, this.position);
    this.position = 0;
    this.writeFully([pending]);
  }

  /**
   * Output `bytes` without copying them: after what is buffered, before what comes next. They must
   * stay unchanged until commit() (synchronous outputs) or until released() settles (asyncWrites).
   */
  borrow(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.finished) throw new Error(`output ${this.path} is already closed`);
    this.sealOwned();
    this.parts.push(bytes);
    this.partsLength += bytes.length;
  }

  /**
   * When something was borrowed: hand everything buffered so far to the system now (synchronous
   * outputs) or to the write queue (asyncWrites), so that the borrowed bytes can be released.
   */
  commit(): void {
    if (this.parts.length > 0) this.flush();
  }

  /**
   * asyncWrites: a promise that settles when every write queued so far has finished (or failed: the
   * failure is reported by the next write, drain or close), so that the arrays they borrowed may be
   * changed; undefined when no write is queued or running.
   */
  released(): Promise<void> | undefined {
    const a = this.async;
    if (a === null || a.inFlight === 0) return undefined;
    const seq = a.startedItems;
    return new Promise<void>((resolvePromise) => a.releaseWaiters.push({ seq, resolve: resolvePromise }));
  }

  /** Move buffer[sealStart, position) to `parts`. */
  private sealOwned(): void {
    if (this.position > this.sealStart) {
      this.parts.push(this.buffer.subarray(this.sealStart, this.position));
      this.partsLength += this.position - this.sealStart;
      this.sealStart = this.position;
    }
  }

  /** Everything not written yet as parts (the buffer is then free from its start). */
  private takeParts(): Uint8Array[] {
    this.sealOwned();
    const parts = this.parts;
    this.parts = [];
    this.partsLength = 0;
    this.sealStart = 0;
    this.position = 0;
    return parts;
  }

  /** asyncWrites: queue the filled buffer at its file position and go on in a free one. */
  private flushAsync(a: AsyncWrites): void {
    if (a.failure !== null && a.inFlight > 0) {
      // a write failed while others still run: nothing more is written, and the failure is reported by
      // drain() or closeAsync() once those have returned (the descriptor is closed by then)
      this.takeParts();
      return;
    }
    this.throwIfFailed(a);
    if (this.finished) throw new Error(`output ${this.path} is already closed`);
    const length = this.partsLength + this.position - this.sealStart;
    if (length === 0) return;
    const buffer = this.buffer;
    const parts = this.takeParts();
    const position = a.filePosition;
    a.filePosition += length;
    let next = a.free.pop();
    if (next === undefined && a.allocated < ASYNC_POOL_BUFFERS) {
      next = new Uint8Array(a.bufferBytes);
      a.allocated++;
    }
    if (next === undefined) {
      // every pooled buffer is queued: write this one here (at its own position) and keep it
      this.writeAt(parts, length, position);
      return;
    }
    this.setBuffer(next);
    this.startWrite(a, parts, buffer, length, position);
  }

  private setBuffer(buffer: Uint8Array): void {
    this.buffer = buffer;
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

  /** Synchronous positional write of `parts` (`length` bytes in all) (asyncWrites fallback). */
  private writeAt(parts: Uint8Array[], length: number, position: number): void {
    let done = 0;
    while (done < length) {
      try {
        const rest = done === 0 ? parts : partsAfter(parts, done);
        done += rest.length === 1 ? writeSync(this.fd, rest[0]!, 0, rest[0]!.length, position + done) : writevSync(this.fd, rest, position + done);
      } catch (err) {
        this.abort();
        throw describeFileError(err, this.path, 'write');
      }
    }
    this.written += length;
  }

  /**
   * Hand `parts` (`length` bytes, views of the pooled `buffer` and borrowed arrays) to the thread pool
   * at file offset `position`, going on where a partial write stopped. `buffer` is free again when the
   * write has finished; drain() and released() waiters are woken then.
   */
  private startWrite(a: AsyncWrites, parts: Uint8Array[], buffer: Uint8Array, length: number, position: number): void {
    const seq = ++a.startedItems;
    a.inFlight++;
    let done = 0;
    const step = (): void => {
      const rest = done === 0 ? parts : partsAfter(parts, done);
      if (rest.length === 1) write(this.fd, rest[0]!, 0, rest[0]!.length, position + done, after);
      else writev(this.fd, rest, position + done, after);
    };
    const after = (err: NodeJS.ErrnoException | null, n: number): void => {
      if (err === null && n > 0 && done + n < length && !this.finished) {
        done += n;
        step();
        return;
      }
      a.inFlight--;
      a.markFinished(seq);
      if (err !== null || n <= 0) a.failure ??= err ?? new Error('write returned 0 bytes');
      else if (!this.finished) this.written += length;
      if (a.free.length < ASYNC_POOL_BUFFERS) a.free.push(buffer);
      if (this.finished && a.closeWhenIdle && a.inFlight === 0) {
        // aborted while writes were running: the descriptor is released now that none uses it
        a.closeWhenIdle = false;
        closeQuietly(this.fd);
      }
      this.settleDrain(a);
      this.settleReleased(a);
    };
    step();
  }

  /** Settle the released() promises whose writes have all finished (all of them once none runs). */
  private settleReleased(a: AsyncWrites): void {
    const waiters = a.releaseWaiters;
    if (waiters.length === 0) return;
    const idle = a.inFlight === 0;
    let kept = 0;
    for (const w of waiters) {
      if (idle || a.finishedInOrder >= w.seq) w.resolve();
      else waiters[kept++] = w;
    }
    waiters.length = kept;
  }

  private settleDrain(a: AsyncWrites): void {
    const waiter = a.waiter;
    if (waiter === null) return;
    if (a.failure === null && a.busy() > a.drainBusy && !this.finished) return;
    a.waiter = null;
    a.drainBusy = ASYNC_DRAIN_BUSY;
    waiter();
  }

  private throwIfFailed(a: AsyncWrites): void {
    if (a.failure === null) return;
    const err = a.failure;
    this.abort();
    throw describeFileError(err, this.path, 'write');
  }

  /**
   * asyncWrites: a promise that settles once at most a couple of buffers are queued or being written
   * (rejects with the CliError of a failed write); undefined when there is nothing to wait for.
   */
  drain(): Promise<void> | undefined {
    const a = this.async;
    if (a === null) return undefined;
    if (a.failure !== null && a.inFlight > 0) return this.waitUntilBusyAtMost(a, 0);
    this.throwIfFailed(a);
    if (a.busy() <= ASYNC_DRAIN_BUSY || this.finished) return undefined;
    return this.waitUntilBusyAtMost(a, ASYNC_DRAIN_BUSY);
  }

  private waitUntilBusyAtMost(a: AsyncWrites, busy: number): Promise<void> {
    return new Promise<void>((resolvePromise, reject) => {
      a.drainBusy = busy;
      const waiter = (): void => {
        if (a.failure !== null && a.inFlight > 0) {
          // report the failure once every write in flight has returned
          a.drainBusy = 0;
          a.waiter = waiter;
          return;
        }
        if (a.failure !== null) {
          try {
            this.throwIfFailed(a);
          } catch (err) {
            reject(err);
            return;
          }
        }
        resolvePromise();
      };
      a.waiter = waiter;
      this.settleDrain(a);
    });
  }

  /** close() for any output: with asyncWrites, waits for every queued write first. */
  async closeAsync(): Promise<void> {
    const a = this.async;
    if (a !== null && !this.finished) {
      this.flush();
      if (a.busy() > 0) await this.waitUntilBusyAtMost(a, 0);
      this.throwIfFailed(a);
    }
    this.close();
  }

  /**
   * Write `parts` in order (several: one writev), going on where a partial write stopped. A full
   * non-blocking pipe is waited for; EPIPE on stdout ends output quietly (`brokenPipe`).
   */
  private writeFully(parts: readonly Uint8Array[]): void {
    if (this.finished) throw new Error(`output ${this.path} is already closed`);
    if (this.brokenPipe) return;
    let total = 0;
    for (const p of parts) total += p.length;
    let done = 0;
    while (done < total) {
      try {
        if (parts.length === 1) done += writeSync(this.fd, parts[0]!, done, total - done);
        else done += writevSync(this.fd, done === 0 ? parts : partsAfter(parts, done));
      } catch (err) {
        const code = errorCode(err);
        if (code === 'EAGAIN') {
          Atomics.wait(sleepCell, 0, 0, 2); // non-blocking pipe is full: wait for the reader
          continue;
        }
        if (code === 'EPIPE' && this.temporaryPath === null) {
          this.brokenPipe = true;
          return;
        }
        this.abort();
        throw describeFileError(err, this.path, 'write');
      }
    }
    this.written += total;
  }

  /** Flush; for a file, close it and rename the temporary file into place. */
  close(): void {
    if (this.finished) return;
    const a = this.async;
    if (a !== null) {
      // what is still buffered is written here, at its position, before the rename
      this.throwIfFailed(a);
      if (a.inFlight > 0) throw new Error(`output ${this.path}: close() while a write is in flight; use closeAsync()`);
      const length = this.partsLength + this.position - this.sealStart;
      if (length > 0) this.writeAt(this.takeParts(), length, a.filePosition);
      a.filePosition += length;
    } else {
      this.flush();
    }
    this.finished = true;
    if (this.temporaryPath === null) {
      if (this.ownsDescriptor) {
        try {
          closeSync(this.fd);
        } catch (err) {
          throw describeFileError(err, this.path, 'write');
        }
      }
      return;
    }
    try {
      closeSync(this.fd);
    } catch (err) {
      this.removeTemporary();
      throw describeFileError(err, this.path, 'write');
    }
    try {
      renameSync(this.temporaryPath, this.path);
    } catch (err) {
      this.removeTemporary();
      throw describeFileError(err, this.path, 'write');
    }
  }

  /** Give up: close and delete the temporary file (stdout: just stop). Safe to call more than once. */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    this.position = 0;
    this.parts = [];
    this.partsLength = 0;
    this.sealStart = 0;
    if (this.temporaryPath === null) {
      if (this.ownsDescriptor) closeQuietly(this.fd);
      return;
    }
    const a = this.async;
    if (a !== null && a.inFlight > 0) {
      // thread-pool writes still use the descriptor: it is closed when the last of them returns
      a.closeWhenIdle = true;
      this.settleDrain(a);
      // released() waiters settle when those writes return
    } else {
      closeQuietly(this.fd);
    }
    this.removeTemporary();
  }

  get closed(): boolean {
    return this.finished;
  }

  private removeTemporary(): void {
    if (this.temporaryPath === null) return;
    try {
      unlinkSync(this.temporaryPath);
    } catch {
      // already gone
    }
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed or never usable: nothing more to release
  }
}

/** The arrays after the first `skip` bytes of `parts` (a partial write goes on from there). */
function partsAfter(parts: readonly Uint8Array[], skip: number): Uint8Array[] {
  let i = 0;
  while (skip >= parts[i]!.length) skip -= parts[i++]!.length;
  const rest = parts.slice(i);
  rest[0] = rest[0]!.subarray(skip);
  return rest;
}

/** The state of an output with asyncWrites: writes in flight side by side, each at its own file offset. */
class AsyncWrites {
  /** File offset of the next buffer handed over. */
  filePosition = 0;
  /** Buffers of the pool that are neither being filled nor being written. */
  readonly free: Uint8Array[] = [];
  /** Buffers allocated so far (the first is the output's own). */
  allocated = 1;
  /** Writes handed to the thread pool and not finished. */
  inFlight = 0;
  failure: unknown = null;
  /** Called when busy() falls to drainBusy or a write fails. */
  waiter: (() => void) | null = null;
  drainBusy = ASYNC_DRAIN_BUSY;
  /** abort() came while writes were running: close the descriptor when the last returns. */
  closeWhenIdle = false;
  /** Writes started so far (numbered from 1), and the released() promises waiting on them. */
  startedItems = 0;
  readonly releaseWaiters: Array<{ seq: number; resolve: () => void }> = [];
  /** Writes 1..finishedInOrder have all finished (or failed); later ones that finished before an earlier one. */
  finishedInOrder = 0;
  private readonly finishedAhead = new Set<number>();
  constructor(readonly bufferBytes: number) {}
  busy(): number {
    return this.inFlight;
  }
  /** Write `seq` finished (or failed). */
  markFinished(seq: number): void {
    if (seq !== this.finishedInOrder + 1) {
      this.finishedAhead.add(seq);
      return;
    }
    this.finishedInOrder = seq;
    while (this.finishedAhead.delete(this.finishedInOrder + 1)) this.finishedInOrder++;
  }
}
