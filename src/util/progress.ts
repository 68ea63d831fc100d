import { isTerminal, type Io } from './stdio.js';

/**
 * A progress line on stderr for long runs, only when stderr is a TTY. Updated at most every
 * 200 ms from the per-packet loop (the caller calls tick() cheaply; the clock is read every 65,536 calls).
 */
export class Progress {
  private readonly enabled: boolean;
  private readonly stream: NodeJS.WriteStream | null;
  private readonly label: string;
  private readonly totalBytes: number;
  private calls = 0;
  private last = 0;
  private shown = false;
  private readonly started = Date.now();

  /** On io's stderr (asked for only when it may be a terminal: see util/stdio.ts). */
  constructor(label: string, totalBytes: number, io: Io) {
    this.enabled = totalBytes > 0 && process.env.CI === undefined && isTerminal(io, 'stderr');
    this.stream = this.enabled ? (io.stderr as NodeJS.WriteStream) : null;
    this.label = label;
    this.totalBytes = totalBytes;
  }

  /** Call per packet with the file offset reached and the packets so far. */
  tick(offset: number, packets: number): void {
    if (!this.enabled || (++this.calls & 0xffff) !== 0) return;
    this.show(offset, packets);
  }

  /** Call after a run of packets handled at once (a few times per input chunk): the clock is read every time. */
  tickRun(offset: number, packets: number): void {
    if (this.enabled) this.show(offset, packets);
  }

  private show(offset: number, packets: number): void {
    const now = Date.now();
    if (now - this.last < 200 || now - this.started < 500) return;
    this.last = now;
    const frac = Math.min(1, offset / this.totalBytes);
    const width = 30;
    const filled = Math.round(frac * width);
    const rate = packets / Math.max(0.001, (now - this.started) / 1000);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${packets.toLocaleString('en-US')} packets  ${Math.round(rate).toLocaleString('en-US')}/s`;
    this.stream!.write(`\r${line}\x1b[K`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.stream!.write('\r\x1b[K');
    this.shown = false;
  }
}
