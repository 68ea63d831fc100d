#!/usr/bin/env node
// Reader-alone benchmark: open a capture with the project's reader and count packets, nothing else.
// Usage: node bench/read-only.mjs FILE [--expect N]
// Exit codes: 0 ok (prints the count), 1 the reader failed or the count differs from --expect,
// 3 the reader module (dist/codec/capture.js, export openCapture) is not built yet: run.sh skips the row.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const modulePath = path.resolve(here, '../dist/codec/capture.js');
const args = process.argv.slice(2);
const file = args[0];
const expectIndex = args.indexOf('--expect');
const expected = expectIndex >= 0 ? Number(args[expectIndex + 1]) : null;
if (!file) {
  process.stderr.write('usage: node bench/read-only.mjs FILE [--expect N]\n');
  process.exit(2);
}
if (!existsSync(modulePath)) {
  process.stderr.write(`read-only: ${modulePath} is missing (reader not built yet)\n`);
  process.exit(3);
}
const capture = await import(pathToFileURL(modulePath).href);
if (typeof capture.openCapture !== 'function') {
  process.stderr.write('read-only: dist/codec/capture.js does not export openCapture\n');
  process.exit(3);
}

let packets = 0;
const reader = await capture.openCapture(file);
await reader.read(() => {
  packets++;
});
if (typeof reader.close === 'function') await reader.close();
process.stdout.write(`${packets}\n`);
if (expected !== null && packets !== expected) {
  process.stderr.write(`read-only: counted ${packets} packets, expected ${expected}\n`);
  process.exit(1);
}
