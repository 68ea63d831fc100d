import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { PassThrough } from 'node:stream';
import { commandNamed, registerCommands } from '../../src/commands/index.js';

const io = { stdout: new PassThrough(), stderr: new PassThrough() };
const ALL = ['decode', 'stats', 'inject-toa', 'strip', 'synproxy-replay', 'craft'];

describe('lazy command registration', () => {
  it('commandNamed: the first word that is not an option, none after --', () => {
    expect(commandNamed(['decode', '-c', '1', 'x.pcap'])).toBe('decode');
    expect(commandNamed(['--debug', 'strip', 'in', '-o', 'out'])).toBe('strip');
    expect(commandNamed(['--help'])).toBeUndefined();
    expect(commandNamed(['--', 'decode'])).toBeUndefined();
    expect(commandNamed([])).toBeUndefined();
  });

  it('a named command registers only that command', async () => {
    const program = new Command();
    await registerCommands(program, io, 'strip');
    expect(program.commands.map((c) => c.name())).toEqual(['strip']);
  });

  it('no command, or an unknown one, registers every command in help order', async () => {
    for (const only of [undefined, 'deocde', 'help']) {
      const program = new Command();
      await registerCommands(program, io, only);
      expect(program.commands.map((c) => c.name())).toEqual(ALL);
    }
  });
});
