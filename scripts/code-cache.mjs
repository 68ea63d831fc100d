// Make the V8 code cache of dist/bundle/toa.cjs (written by scripts/bundle.mjs) that bin/toa.js loads it with:
// dist/bundle/toa-<build id>.cache. Run by `npm run build` after bundle.mjs.
//
// V8 compiles most functions lazily, on their first call, and a code cache holds the functions compiled when it
// is made. So a child process loads the bundle the way bin/toa.js does, runs typical commands in process on the
// committed samples (their output goes to /dev/null), and only then writes the cache: a later `toa` run takes
// the bytecode of its start-up and of the per-packet functions from the cache. Only bytecode is cached: V8
// optimises hot functions from run-time feedback as before.
// The child runs with the flags of a plain `node bin/toa.js` (V8 rejects a cache made under other flags).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The command lines the cache is trained on (run from the repository root; `@OUT` is a temporary file). */
const TRAINING = [
  ['decode', 'samples/dpvs-fnat-v4.pcap'],
  ['decode', 'samples/dpvs-fnat-both.pcapng'],
  ['strip', 'samples/dpvs-fnat-v4.pcap', '-o', '-'],
  ['inject-toa', 'samples/dpvs-fnat-v6.pcap', '-o', '@OUT'],
  ['stats', 'samples/dpvs-fnat-v4.pcap'],
];

async function train() {
  const require = createRequire(import.meta.url);
  const { loadBundle } = require('../bin/toa.js');
  const { exports: cli, script, cacheFile } = loadBundle(false);
  if (cacheFile === undefined) throw new Error('code-cache.mjs: the bundle names no build (run scripts/bundle.mjs)');
  const tmp = mkdtempSync(join(tmpdir(), 'toa-code-cache-'));
  try {
    // every run of main() listens for EPIPE on stdout
    process.stdout.setMaxListeners(0);
    for (const argv of TRAINING) {
      const args = argv.map((a) => (a === '@OUT' ? join(tmp, 'out.pcap') : a));
      const code = await cli.main(args);
      if (code !== 0) throw new Error(`code-cache.mjs: toa ${args.join(' ')} exited with ${code}`);
      process.exitCode = undefined;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  writeFileSync(cacheFile, script.createCachedData());
}

if (process.argv[2] === '--train') {
  await train();
} else {
  // stdout: the commands' output; stderr: their summaries (strip, inject-toa), piped and shown only on failure
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--train'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    throw new Error(`code-cache.mjs: training run failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
  }
}
