/**
 * External tools for cross-check tests: whether a command is installed, and a python that can
 * `import scapy`. Tests that need one skip with a visible message when it is missing
 * (`describeWithTool`).
 */
import { spawnSync } from 'node:child_process';
import { describe } from 'vitest';

const cache = new Map<string, boolean>();

/** True when `name` runs (`name --version` exits without a spawn error). */
export function hasTool(name: string): boolean {
  const known = cache.get(name);
  if (known !== undefined) return known;
  const r = spawnSync(name, ['--version'], { stdio: 'ignore', timeout: 20_000 });
  const ok = r.error === undefined;
  cache.set(name, ok);
  return ok;
}

let scapyCache: string | null | undefined;

/**
 * Path of a python interpreter that can `import scapy`, or null. The `python3` first on PATH may
 * be a pyenv build without scapy; Debian's /usr/bin/python3 has it when python3-scapy is installed.
 */
export function scapyPython(): string | null {
  if (scapyCache !== undefined) return scapyCache;
  scapyCache = null;
  for (const candidate of ['python3', '/usr/bin/python3', 'python']) {
    const r = spawnSync(candidate, ['-c', 'import scapy'], { stdio: 'ignore', timeout: 30_000 });
    if (r.error === undefined && r.status === 0) {
      scapyCache = candidate;
      break;
    }
  }
  return scapyCache;
}

/** `describe` that runs when `available`; otherwise a skipped suite whose name says why, plus a console warning. */
export function describeWithTool(available: boolean, tool: string, name: string, body: () => void): void {
  if (!available) {
    console.warn(`SKIPPED: ${tool} not installed; "${name}" did not run`);
    describe.skip(`${name} (SKIPPED: ${tool} not installed)`, body);
    return;
  }
  describe(name, body);
}
