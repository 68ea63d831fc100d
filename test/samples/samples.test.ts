/**
 * The committed samples are exactly what samples/generate.mjs makes with `toa craft` (so they can
 * be regenerated and cannot drift), they are small, and samples/README.md lists every one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(__dirname, '../..');
const samplesDir = join(repo, 'samples');

describe('samples/', () => {
  let fresh = '';
  let names: string[] = [];
  beforeAll(() => {
    // bin/toa.js runs dist/: build it first (the test must see the current sources)
    execFileSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', join(repo, 'tsconfig.json')], { stdio: 'ignore' });
    fresh = mkdtempSync(join(tmpdir(), 'toa-samples-'));
    execFileSync(process.execPath, [join(samplesDir, 'generate.mjs'), fresh], { stdio: 'ignore' });
    names = readdirSync(fresh).filter((n) => /\.(pcap|pcapng)$/.test(n)).sort();
  }, 120_000);

  it('regenerating gives the committed files byte for byte', () => {
    const committed = readdirSync(samplesDir).filter((n) => /\.(pcap|pcapng)$/.test(n)).sort();
    expect(names).toEqual(committed);
    expect(names.length).toBeGreaterThanOrEqual(20);
    for (const n of names) expect(Buffer.compare(readFileSync(join(fresh, n)), readFileSync(join(samplesDir, n))), n).toBe(0);
  });

  it('each sample is small (under 8 KB)', () => {
    for (const n of names) expect(statSync(join(samplesDir, n)).size, n).toBeLessThan(8192);
  });

  it('samples/README.md lists every sample with its command', () => {
    const readme = readFileSync(join(samplesDir, 'README.md'), 'utf8');
    for (const n of names) {
      expect(readme, n).toContain(`\`${n}\``);
      expect(readme, n).toContain(`-o samples/${n}`);
    }
  });

  it('the quick-start sample exists: dpvs-fnat-v4.pcap', () => {
    expect(names).toContain('dpvs-fnat-v4.pcap');
  });
});
