// Bundle the compiled CLI (dist/cli.js, written by tsc) and its dependencies into CommonJS scripts under
// dist/bundle/, which bin/toa.js runs with the V8 code cache that scripts/code-cache.mjs (run next by
// `npm run build`) makes for each:
//   toa.cjs            every command (toa --help, --version, help, no or an unknown command)
//   toa-<command>.cjs  one per command of the COMMANDS table in src/commands/index.ts: the same program with only
//                      that command's module; bin/toa.js runs it when the command line names that command (the
//                      rule of commandNamed()), and main() then registers only that command, as always.
// Why scripts: Node 20 can only give V8 a code cache for a script (vm.Script), not for ES modules. Why one per
// command: at every start V8 reads the whole script and its cache; `toa decode` needs less than half of the code.
// Modules imported on demand (import()) become functions that the bundle runs on demand.
// The modules tsc writes under dist/ stay as they are (library use, bench/read-only.mjs, tests).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { build } from 'esbuild';
import { kernelModuleBytes } from '../dist/rewrite/kernels.js';

const OUT_DIR = 'dist/bundle';
/** The start of Node's CommonJS module wrapper, as bin/toa.js checks for it (one definition, there). */
const { WRAPPER_OPEN } = createRequire(import.meta.url)('../bin/toa.js');
const COMMANDS_INDEX = 'dist/commands/index.js';

// The commands: entries ['name', () => import('./name.js')] of the table (a command's bundle is named after it).
const index = readFileSync(COMMANDS_INDEX, 'utf8');
const commands = [...index.matchAll(/\[\s*['"]([a-z][a-z0-9-]*)['"]\s*,\s*\(\)\s*=>\s*import\(\s*['"]\.\/([a-z][a-z0-9-]*)\.js['"]\s*\)\s*\]/g)].map(
  (m) => ({ name: m[1], module: m[2] }),
);
if (commands.length === 0 || commands.length !== index.split('import(').length - 1 || commands.some((c) => c.name === 'toa')) {
  throw new Error(`bundle.mjs: cannot read the commands table of ${COMMANDS_INDEX} (entries ['name', () => import('./module.js')])`);
}

/** esbuild plugin: in the commands table, every command module but `keep`'s is a stub (never loaded: see above). */
function onlyCommand(keep) {
  return {
    name: 'only-command',
    setup(b) {
      b.onResolve({ filter: /^\.\/[a-z][a-z0-9-]*\.js$/ }, (args) => {
        if (args.kind !== 'dynamic-import' || !args.importer.endsWith('/dist/commands/index.js')) return undefined;
        const module = args.path.slice(2, -3);
        return module === keep.module ? undefined : { path: module, namespace: 'other-command' };
      });
      b.onLoad({ filter: /.*/, namespace: 'other-command' }, (args) => ({
        contents: `export function register() { throw new Error('toa: command module ${args.path} is not in this bundle'); }`,
        loader: 'js',
      }));
    },
  };
}

/**
 * esbuild plugin: commander requires child_process when it loads, for the executable subcommands toa has none of;
 * loading it costs Node child_process, net, dgram and their bindings at every start. Commander gets an object that
 * requires it on first use instead.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents:
        "let loaded;\n" +
        "module.exports = new Proxy({}, { get: (_, key) => (loaded ??= require('node:child_process'))[key] });\n",
      loader: 'js',
    }));
  },
};

async function bundle(file, command) {
  const result = await build({
    entryPoints: ['dist/cli.js'],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    write: false,
    metafile: true,
    plugins: command ? [lazyChildProcess, onlyCommand(command)] : [lazyChildProcess],
    logLevel: 'warning',
    // Comments and indentation out (names stay, so --debug stack traces still name the functions): bin/toa.js
    // reads the whole script at every start, into a buffer and then a string. toa-inject-toa.cjs went from 478 to
    // 307 kB; loading it (read, compile with its cache, run its top level) from 10.1 to 8.8 ms and from 508 to 425
    // page faults (5 runs each of a script that times loadBundle(); page faults cost ~10 us each on this VM).
    minifyWhitespace: true,
    // The WebAssembly kernels (src/rewrite/kernels.ts) as bytes: emitting them at every start took 12-17 ms of
    // the main thread and work for V8's optimizing compiler; the module is the same at every start.
    define: { __TOA_KERNEL_MODULE__: JSON.stringify(Buffer.from(kernelModuleBytes()).toString('base64')) },
  });
  // bin/toa.js gives the script a require() for Node's built-in modules only: everything else must be inside
  const builtins = new Set(builtinModules);
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imp of output.imports) {
      const name = imp.path.startsWith('node:') ? imp.path.slice(5) : imp.path;
      if (!builtins.has(name)) throw new Error(`bundle.mjs: ${file} would load ${imp.path} (${imp.kind}) at run time`);
    }
  }
  let text = result.outputFiles[0].text;
  // Pure ASCII: V8 keeps the source as a one-byte string (a non-ASCII character, even in a comment, makes Node
  // decode the file into a two-byte string at every start). esbuild already escapes strings and templates; what
  // remains is in comments and in regular expression literals, where \uXXXX means the same character.
  text = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (!text.endsWith('\n')) text += '\n';
  // Written inside the function wrapper Node's CommonJS loader puts around a module, which bin/toa.js would
  // otherwise add at every start: V8 then copies the joined text once more (~0.5 MB) before it can look the
  // source up. The build id names the code cache made for this text (bin/toa.js ignores a cache of another build).
  text = `${WRAPPER_OPEN}${text}})\n`;
  const id = createHash('sha256').update(text).digest('hex').slice(0, 32);
  writeFileSync(`${OUT_DIR}/${file}`, `${text}// toa-build ${id}\n`);
}

// also removes the bundles and code caches of the previous build
rmSync(OUT_DIR, { recursive: true, force: true });
mkdirSync(OUT_DIR, { recursive: true });
await Promise.all([bundle('toa.cjs'), ...commands.map((c) => bundle(`toa-${c.name}.cjs`, c))]);
