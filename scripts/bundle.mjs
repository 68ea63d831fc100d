// Bundle the compiled CLI (dist/cli.js, written by tsc) and its dependencies into dist/bundle/, which
// bin/toa.js loads. Why: loading ~55 separate ES modules (ours plus commander and cli-table3) costs
// Node more start-up time than one file with a few lazily loaded chunks; every command pays it.
// The modules tsc writes under dist/ stay as they are (library use, bench/read-only.mjs, tests).
//
// Entry points keep their file names flat in dist/bundle/: a module that starts a worker by a URL
// relative to itself (new URL('./decode-worker.js', import.meta.url)) finds it next to the chunk.
import { existsSync } from 'node:fs';
import { build } from 'esbuild';

const entryPoints = { toa: 'dist/cli.js' };
// worker modules are loaded by URL, not imported: each is an entry point of its own
for (const [name, file] of [['decode-worker', 'dist/commands/decode-worker.js']]) {
  if (existsSync(file)) entryPoints[name] = file;
}

await build({
  entryPoints,
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // commander and cli-table3 are CommonJS and require() Node's built-in modules
  banner: { js: "import { createRequire as __toaCreateRequire } from 'node:module'; const require = __toaCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
