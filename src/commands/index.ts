/** Registers every command on the program, in the order `toa --help` lists them. Each command module exports register(program, io). */
import type { Command } from 'commander';
import type { Io } from '../cli.js';
import { register as registerDecode } from './decode.js';
import { register as registerStats } from './stats.js';
import { register as registerInjectToa } from './inject-toa.js';
import { register as registerStrip } from './strip.js';
import { register as registerSynproxyReplay } from './synproxy-replay.js';
import { register as registerCraft } from './craft.js';

export function registerCommands(program: Command, io: Io): void {
  registerDecode(program, io);
  registerStats(program, io);
  registerInjectToa(program, io);
  registerStrip(program, io);
  registerSynproxyReplay(program, io);
  registerCraft(program, io);
}
