import type { ChalkInstance } from 'chalk';

/** A stream, or just the answer to whether it is a terminal (util/stdio.ts isTerminal, without making the stream). */
export type ColourTarget = NodeJS.WritableStream | { readonly isTTY: boolean };

/**
 * The colour level a stream gets, without loading chalk (a plain `toa decode` into a pipe or file
 * needs only this answer: level 0 means the plain styles and no chalk instance).
 */
export function colorLevelFor(stream: ColourTarget): 0 | 1 | 2 | 3 {
  const env = process.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (env.FORCE_COLOR !== undefined) {
    const n = Number(env.FORCE_COLOR);
    if (env.FORCE_COLOR === '' || env.FORCE_COLOR === 'true') return 1;
    if (n >= 0 && n <= 3) return n as 0 | 1 | 2 | 3;
  }
  if (!(stream as { isTTY?: boolean }).isTTY) return 0;
  if (env.TERM === 'dumb') return 0;
  return 1;
}

/** A chalk instance for `stream` when it gets colour (loading chalk then, and only then), else null. */
export async function chalkWhenColoured(stream: ColourTarget): Promise<ChalkInstance | null> {
  return colorLevelFor(stream) === 0 ? null : (await import('./color.js')).chalkFor(stream);
}
