// Make the V8 code caches of the scripts scripts/bundle.mjs wrote under dist/bundle/, which bin/toa.js loads them
// with: dist/bundle/<script>.<build id>.cache. Run by `npm run build` after bundle.mjs.
//
// V8 compiles most functions lazily, on their first call, and a code cache holds the functions compiled when it
// is made. So, for each script, a child process loads it the way bin/toa.js does, runs typical command lines of
// that script in process on the committed samples (their output goes to /dev/null), and only then writes the
// cache: a later `toa` run takes the bytecode of its start-up and of the per-packet functions from the cache.
// Only bytecode is cached: V8 optimises hot functions from run-time feedback as before.
// The samples are small; a large capture takes paths they do not (the read-ahead ring, the checksum module's
// buffers, IPv4 connections without a carrier yet): the training also runs on two captures of 40,000 packets
// (~17.8 MB, above the reader's 16 MiB "large input" mark) that bench/gen-big.mjs writes into a temporary
// directory, one with TOA and one without. Without them, inject-toa compiled ~14 KB more bytecode during a run
// on bench/out/big-notoa.pcap than the cache held (a cache written at the end of that run had grown by that).
// The children run with the flags of a plain `node bin/toa.js` (V8 rejects a cache made under other flags).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundleDir = join(root, 'dist', 'bundle');

/**
 * The command lines the caches are trained on (run from the repository root; `@OUT` is a temporary file,
 * `@LARGE` and `@LARGE_PLAIN` the generated captures with and without TOA).
 */
const TRAINING = [
  ['decode', 'samples/dpvs-fnat-v4.pcap'],
  ['decode', 'samples/dpvs-fnat-both.pcapng'],
  ['strip', 'samples/dpvs-fnat-v4.pcap', '-o', '-'],
  ['inject-toa', 'samples/dpvs-fnat-v6.pcap', '-o', '@OUT'],
  ['stats', 'samples/dpvs-fnat-v4.pcap'],
  ['synproxy-replay', 'samples/dpvs-fnat-both.pcapng', '-o', '@OUT'],
  ['craft', '-o', '@OUT', '--leg', 'backend'],
  // the large-file paths, on the generated captures
  ['decode', '@LARGE'],
  ['strip', '@LARGE', '-o', '@OUT'],
  ['inject-toa', '@LARGE_PLAIN', '-o', '@OUT'],
  ['stats', '@LARGE'],
  // toa.cjs, the script with every command
  ['--help'],
  ['--version'],
];

/** Flows of the generated training captures (20 packets each). */
const LARGE_FLOWS = 2000;

/** Child: load the script `name` as bin/toa.js does for the command lines `lines`, run them, write its cache. */
async function train(name, lines, large) {
  const require = createRequire(import.meta.url);
  const { loadBundle } = require('../bin/toa.js');
  const { exports: cli, script, cacheFile, file } = loadBundle(lines[0], false);
  if (basename(file) !== name) throw new Error(`code-cache.mjs: bin/toa.js runs ${basename(file)}, not ${name}, for toa ${lines[0].join(' ')}`);
  if (cacheFile === undefined) throw new Error(`code-cache.mjs: ${file} names no build (run scripts/bundle.mjs)`);
  const tmp = mkdtempSync(join(tmpdir(), 'toa-code-cache-'));
  try {
    // every run of main() listens for EPIPE on stdout
    process.stdout.setMaxListeners(0);
    for (const line of lines) {
      const argv = line.map((a) => (a === '@OUT' ? join(tmp, 'out') : (large[a] ?? a)));
      const code = await cli.main(argv);
      if (code !== 0) throw new Error(`code-cache.mjs: toa ${argv.join(' ')} exited with ${code}`);
      process.exitCode = undefined;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  writeFileSync(cacheFile, script.createCachedData());
}

/** Run `node args` from the repository root (stdout to /dev/null); rejects with `what` and its stderr when it fails. */
function runNode(args, what) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`code-cache.mjs: ${what} failed (${signal ?? `exit ${code}`}):\n${stderr}`));
    });
  });
}

/** Parent: one child per script (its stderr, e.g. the rewrite summaries, shown on failure only). */
function trainInChild(name, lines, large) {
  return runNode([fileURLToPath(import.meta.url), '--train', name, JSON.stringify(lines), JSON.stringify(large)], `training of ${name}`);
}

/** Write the two training captures into `dir` with bench/gen-big.mjs; resolves with their paths by placeholder. */
async function generateLarge(dir) {
  const large = { '@LARGE': join(dir, 'large.pcap'), '@LARGE_PLAIN': join(dir, 'large-plain.pcap') };
  const generate = (out, extra) => runNode([join(root, 'bench', 'gen-big.mjs'), out, '--flows', String(LARGE_FLOWS), ...extra], `bench/gen-big.mjs ${out}`);
  await Promise.all([generate(large['@LARGE'], []), generate(large['@LARGE_PLAIN'], ['--no-toa'])]);
  return large;
}

if (process.argv[2] === '--train') {
  await train(process.argv[3], JSON.parse(process.argv[4]), JSON.parse(process.argv[5]));
} else {
  // the lines of each script: a command's lines for its own script, the others for toa.cjs
  const scripts = readdirSync(bundleDir).filter((f) => f.endsWith('.cjs'));
  const linesOf = new Map(scripts.map((f) => [f, []]));
  for (const line of TRAINING) {
    const own = `toa-${line[0]}.cjs`;
    linesOf.get(linesOf.has(own) ? own : 'toa.cjs').push(line);
  }
  for (const [f, lines] of linesOf) {
    // a command without a training line: its help (loads and registers its module)
    if (lines.length === 0) lines.push([f.slice('toa-'.length, -'.cjs'.length), '--help']);
  }
  const dir = mkdtempSync(join(tmpdir(), 'toa-code-cache-large-'));
  try {
    const large = await generateLarge(dir);
    await Promise.all([...linesOf].map(([name, lines]) => trainInChild(name, lines, large)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
