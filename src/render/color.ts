/**
 * Colour policy: chalk instances that are off when the stream is not a TTY, when NO_COLOR is set
 * (any value, https://no-color.org) or TERM=dumb; FORCE_COLOR=1..3 forces a level.
 */
import { Chalk, type ChalkInstance } from 'chalk';

export function colorLevelFor(stream: NodeJS.WritableStream): 0 | 1 | 2 | 3 {
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

export function chalkFor(stream: NodeJS.WritableStream): ChalkInstance {
  return new Chalk({ level: colorLevelFor(stream) });
}
