#!/usr/bin/env node
// The `toa` command. CommonJS (bin/package.json) so that Node starts it without its ES module loader.
//
// It runs dist/bundle/toa.cjs (the whole CLI in one script, written by scripts/bundle.mjs) with the V8 code cache
// that scripts/code-cache.mjs wrote beside it at build time: V8 then takes the bytecode of the top level and of the
// functions a typical run calls from the cache instead of parsing and compiling them at every start.
// The cache is only an optimisation. It is used when it belongs to this very bundle (its file name carries the
// build id written on the bundle's last line) and V8 accepts it (same V8 version and flags); otherwise, or when it
// is missing, the bundle is compiled as usual, silently.
'use strict';
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

const BUNDLE_DIR = join(__dirname, '..', 'dist', 'bundle');
const BUNDLE = join(BUNDLE_DIR, 'toa.cjs');

/** The file of the code cache made for the bundle whose source is `source`, or undefined when it names no build. */
function cacheFileFor(source) {
  const m = /\n\/\/ toa-build ([0-9a-f]{16,64})\n$/.exec(source.slice(-100));
  return m ? join(BUNDLE_DIR, `toa-${m[1]}.cache`) : undefined;
}

/**
 * Compile and run the bundle as a CommonJS module. Returns its exports, the compiled script and the file of its code
 * cache (for scripts/code-cache.mjs), and whether the cache was used. `useCache` false: compile without the cache.
 */
function loadBundle(useCache = true) {
  const source = readFileSync(BUNDLE, 'utf8');
  let cachedData;
  const cacheFile = cacheFileFor(source);
  if (useCache && cacheFile !== undefined) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // no cache: compile as usual
    }
  }
  // the same wrapper as Node's CommonJS loader; the cache was made for exactly this text
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: BUNDLE,
    cachedData,
  });
  const bundleModule = { exports: {} };
  script.runInThisContext().call(bundleModule.exports, bundleModule.exports, createRequire(BUNDLE), bundleModule, BUNDLE, BUNDLE_DIR);
  return { exports: bundleModule.exports, script, cacheFile, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
}

if (require.main === module) {
  loadBundle()
    .exports.main(process.argv.slice(2))
    .then((code) => {
      process.exitCode = code;
    });
} else {
  module.exports = { loadBundle };
}
