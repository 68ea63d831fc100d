#!/usr/bin/env node
// The `toa` command. CommonJS (bin/package.json) so that Node starts it without its ES module loader.
//
// It runs one of the scripts scripts/bundle.mjs writes under dist/bundle/ (the CLI bundled with its dependencies:
// toa-<command>.cjs, with only that command, when the command line names one; toa.cjs, with all, otherwise), with
// the V8 code cache that scripts/code-cache.mjs made for it at build time: V8 then takes the bytecode of the top
// level and of the functions a typical run calls from the cache instead of parsing and compiling them at every start.
// The cache is only an optimisation. It is used when it belongs to this very script (its file name carries the
// build id written on the script's last line) and V8 accepts it (same V8 version and flags); otherwise, or when it
// is missing, the script is compiled as usual, silently. V8 itself only checks that the source has the length the
// cache was made for: after editing a script under dist/bundle/ by hand, delete its .cache file (or rebuild).
'use strict';
// libuv's thread pool, which runs toa's file reads and writes, has 4 threads unless UV_THREADPOOL_SIZE says
// otherwise; it starts at the first call that uses it, so this must come before any. The reader and the writers
// queue a few reads and writes, each a fraction of the time the main thread spends on a chunk, and the pool runs
// them in the order queued: one thread does that without the wake-ups and lock traffic of four. Measured on
// 2 vCPUs: inject-toa of bench/out/big-notoa.pcap (1M packets), 15 alternating runs each, medians: 504 ms with
// 4 threads and 466 ms with 1 (one run); with the reads and writes of the next commit, in a slower hour, 645 ms
// with 4, 623 ms with 2 and 574 ms with 1. A value in the environment is kept.
if (process.env.UV_THREADPOOL_SIZE === undefined) process.env.UV_THREADPOOL_SIZE = '1';
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

const BUNDLE_DIR = join(__dirname, '..', 'dist', 'bundle');
/** The start of Node's CommonJS module wrapper, which scripts/bundle.mjs writes the scripts in (it takes this constant). */
const WRAPPER_OPEN = '(function (exports, require, module, __filename, __dirname) {';

/**
 * The bundle for a command line: the command's own when the first word that is not an option names a command
 * (the rule of commandNamed() in src/commands/index.ts, by which main() registers only that command), else the one
 * with every command. Returns the path and the source.
 */
function bundleFor(argv) {
  for (const arg of argv) {
    if (arg === '--') break;
    if (arg.startsWith('-')) continue;
    if (/^[a-z][a-z0-9-]*$/.test(arg)) {
      const file = join(BUNDLE_DIR, `toa-${arg}.cjs`);
      try {
        return { file, source: readFileSync(file, 'utf8') };
      } catch {
        // not a command (or the build made no bundle for it): the bundle with every command
      }
    }
    break;
  }
  const file = join(BUNDLE_DIR, 'toa.cjs');
  return { file, source: readFileSync(file, 'utf8') };
}

/** The code cache file made for the bundle `file` whose source is `source`, or undefined when it names no build. */
function cacheFileFor(file, source) {
  const m = /\n\/\/ toa-build ([0-9a-f]{16,64})\n$/.exec(source.slice(-100));
  return m ? `${file.slice(0, -'.cjs'.length)}.${m[1]}.cache` : undefined;
}

/**
 * Compile and run the bundle for `argv` as a CommonJS module. Returns its exports, the compiled script and the
 * file of its code cache (for scripts/code-cache.mjs), and whether the cache was used. `useCache` false: compile
 * without the cache.
 */
function loadBundle(argv, useCache = true) {
  const { file, source } = bundleFor(argv);
  let cachedData;
  const cacheFile = cacheFileFor(file, source);
  if (useCache && cacheFile !== undefined) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // no cache: compile as usual
    }
  }
  // scripts/bundle.mjs writes the script inside the same wrapper as Node's CommonJS loader (a script without it
  // gets it here); the cache was made for exactly this text
  const wrapped = source.startsWith(WRAPPER_OPEN) ? source : `${WRAPPER_OPEN}${source}\n})`;
  const script = new Script(wrapped, {
    filename: file,
    cachedData,
  });
  const bundleModule = { exports: {} };
  script.runInThisContext().call(bundleModule.exports, bundleModule.exports, createRequire(file), bundleModule, file, BUNDLE_DIR);
  return { exports: bundleModule.exports, file, script, cacheFile, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  let finished = false;
  loadBundle(argv)
    .exports.main(argv)
    .then((code) => {
      finished = true;
      process.exitCode = code;
    });
  // Nothing left to run but main() never finished: a bug, which must not look like success. Exit code 13, as
  // Node gives an ES module entry point (the previous bin/toa.js) whose top-level await never settles.
  process.on('beforeExit', () => {
    if (finished) return;
    finished = true;
    process.stderr.write('toa: internal error: the command stopped before it finished (run again with --debug and report it)\n');
    process.exitCode = 13;
  });
} else {
  module.exports = { loadBundle, bundleFor, WRAPPER_OPEN };
}
