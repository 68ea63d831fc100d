/**
 * Registers the commands on the program, in the order `toa --help` lists them. Each command module
 * exports register(program, io). Modules are imported on demand: a run of one command loads only
 * that command's module (and what it imports), so `toa decode` does not pay for loading the SYN
 * proxy model or the table renderer; `toa --help` and unknown commands load them all.
 */
import type { Command } from 'commander';
import type { Io } from '../util/stdio.js';

type Register = (program: Command, io: Io) => void;

/** Command name → loader of its module, in help order. */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<{ register: Register }>]> = [
  ['decode', () => import('./decode.js')],
  ['stats', () => import('./stats.js')],
  ['inject-toa', () => import('./inject-toa.js')],
  ['strip', () => import('./strip.js')],
  ['synproxy-replay', () => import('./synproxy-replay.js')],
  ['craft', () => import('./craft.js')],
];

/** The command a command line names: its first word that is not an option (the program's own options take no value). */
export function commandNamed(argv: readonly string[]): string | undefined {
  for (const arg of argv) {
    if (arg === '--') return undefined;
    if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** Register `only` when it names a command, else every command (for the program's help and for suggestions). */
export async function registerCommands(program: Command, io: Io, only?: string): Promise<void> {
  const wanted = COMMANDS.filter(([name]) => name === only);
  const modules = await Promise.all((wanted.length > 0 ? wanted : COMMANDS).map(([, load]) => load()));
  for (const m of modules) m.register(program, io);
}
