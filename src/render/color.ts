/**
 * Colour policy: chalk instances that are off when the stream is not a TTY, when NO_COLOR is set
 * (any value, https://no-color.org) or TERM=dumb; FORCE_COLOR=1..3 forces a level.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { colorLevelFor, type ColourTarget } from './color-level.js';

export { colorLevelFor };

export function chalkFor(stream: ColourTarget): ChalkInstance {
  return new Chalk({ level: colorLevelFor(stream) });
}
