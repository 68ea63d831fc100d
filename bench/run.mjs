#!/usr/bin/env node
// `npm run bench` (package.json: "node bench/run.mjs") runs the benchmark driver, bench/run.sh, and returns its exit code.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'run.sh');
const result = spawnSync('bash', [script, ...process.argv.slice(2)], { stdio: 'inherit' });
if (result.error) {
  process.stderr.write(`bench: could not start bash: ${result.error.message}\n`);
  process.exitCode = 1;
} else {
  process.exitCode = result.status ?? 1;
}
