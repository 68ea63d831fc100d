/**
 * The shared corpus of real captures (../shared/corpus relative to the repository). Tests that use it
 * call `corpusDir()`; when it is absent they skip with a visible message (`describeCorpus`).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const corpusRoot = resolve(repoRoot, '../shared/corpus');

/** Absolute path of a corpus folder, or null when it is not there. */
export function corpusDir(sub = ''): string | null {
  const dir = join(corpusRoot, sub);
  return existsSync(dir) && statSync(dir).isDirectory() ? dir : null;
}

/** All files under a corpus folder (recursive, sorted), filtered by `accept`; [] when absent. */
export function listCorpusFiles(sub: string, accept: (name: string) => boolean = () => true): string[] {
  const dir = corpusDir(sub);
  if (dir === null) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && accept(entry.name)) out.push(full);
    }
  };
  walk(dir);
  return out.sort();
}

/** Capture-looking names: .pcap, .pcapng, .cap, .dmp, .trc (case-insensitive). */
export function isCaptureName(name: string): boolean {
  return /\.(pcap|pcapng|cap|dmp|ntar)$/i.test(name);
}

/**
 * `describe` that runs only when the corpus folder exists; otherwise one skipped test whose name
 * says why, plus a console line, so the skip is visible in the report.
 */
export function describeCorpus(sub: string, name: string, body: (dir: string) => void): void {
  const dir = corpusDir(sub);
  if (dir === null) {
    describe.skip(`${name} (SKIPPED: corpus folder ${join(corpusRoot, sub)} is absent)`, () => {
      body(join(corpusRoot, sub));
    });
    console.log(`[corpus] ${name}: skipped, ${join(corpusRoot, sub)} is absent`);
    return;
  }
  describe(name, () => body(dir));
}
