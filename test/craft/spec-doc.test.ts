import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError } from '../../src/codec/errors.js';
import { craft, validateSpec } from '../../src/craft/generate.js';
import { LINKTYPE } from '../../src/codec/linktype.js';

describe('docs/craft-spec.md', () => {
  it('its example is a valid spec that builds', () => {
    const text = readFileSync(resolve(__dirname, '../../docs/craft-spec.md'), 'utf8');
    const json = /```json\n([\s\S]*?)```/.exec(text)![1]!;
    const spec = validateSpec(JSON.parse(json));
    const c = craft(spec, 'x.pcapng');
    expect(c.format).toBe('pcapng');
    expect(c.interfaces.map((i) => i.linkType)).toEqual([LINKTYPE.ETHERNET, LINKTYPE.LINUX_SLL2]);
    expect(c.packets.filter((p) => p.interfaceId === 1).length).toBeGreaterThan(c.packets.filter((p) => p.interfaceId === 0).length);
  });

  it('unknown keys are refused with exit 2', () => {
    for (const bad of [{ conections: [] }, { connections: [{ clinet: '1.2.3.4:5' }] }, { packets: [{ ipp: {} }] }, { overrides: [{ packet: 1, flag: 'S' }] }, [], 'x']) {
      try {
        validateSpec(bad);
        throw new Error('accepted');
      } catch (e) {
        expect(e).toBeInstanceOf(CliError);
        expect((e as CliError).exitCode).toBe(2);
      }
    }
  });

  it("README's example is a valid spec: two legs on VLAN 100, a TCP and three UDP connections", () => {
    const text = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
    const json = /```json\n([\s\S]*?)```/.exec(text)![1]!;
    const spec = validateSpec(JSON.parse(json));
    const c = craft(spec, 'x.pcapng');
    expect(c.interfaces.map((i) => i.linkType)).toEqual([LINKTYPE.ETHERNET, LINKTYPE.ETHERNET]);
    expect(c.packets.length).toBeGreaterThan(20);
  });
});
