// Bundle the compiled CLI (dist/cli.js, written by tsc) and its dependencies into dist/bundle/, which
// bin/toa.js loads. Why: loading ~55 separate ES modules (ours plus commander and cli-table3) costs
// Node more start-up time than one file with a few lazily loaded chunks; every command pays it.
// The modules tsc writes under dist/ stay as they are (library use, bench/read-only.mjs, tests).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// chunk names carry a content hash: without this, every rebuild would leave the previous chunks beside
// the new ones (and `npm pack` would ship them)
rmSync('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: { toa: 'dist/cli.js' },
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
