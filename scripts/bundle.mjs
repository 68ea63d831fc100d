// Bundle the compiled CLI (dist/cli.js, written by tsc) and its dependencies into one CommonJS script,
// dist/bundle/toa.cjs, which bin/toa.js runs with the V8 code cache that scripts/code-cache.mjs (run next by
// `npm run build`) makes for it. Why one script: Node 20 can only give V8 a code cache for a script (vm.Script),
// not for ES modules; the commands' modules, imported on demand in the sources, become functions that the
// bundle runs on demand, so a command still only initialises its own modules.
// The modules tsc writes under dist/ stay as they are (library use, bench/read-only.mjs, tests).
import { createHash } from 'node:crypto';
import { builtinModules } from 'node:module';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const OUT_DIR = 'dist/bundle';
const OUT = `${OUT_DIR}/toa.cjs`;

// also removes the code cache of the previous build
rmSync(OUT_DIR, { recursive: true, force: true });
const result = await build({
  entryPoints: ['dist/cli.js'],
  bundle: true,
  splitting: false,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  write: false,
  metafile: true,
  logLevel: 'warning',
});

// bin/toa.js runs the script with a require() for Node's built-in modules only: everything else is inside
const builtins = new Set(builtinModules);
for (const output of Object.values(result.metafile.outputs)) {
  for (const imp of output.imports) {
    const name = imp.path.startsWith('node:') ? imp.path.slice(5) : imp.path;
    if (!builtins.has(name)) throw new Error(`bundle.mjs: ${OUT} would load ${imp.path} (${imp.kind}) at run time`);
  }
}

let text = result.outputFiles[0].text;
// Pure ASCII: V8 keeps the source as a one-byte string (a non-ASCII character, even in a comment, makes Node
// decode the file into a two-byte string at every start). esbuild already escapes strings and templates; what
// remains is in comments and in regular expression literals, where \uXXXX means the same character.
text = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
if (!text.endsWith('\n')) text += '\n';
// the build id names the code cache made for this text (bin/toa.js ignores a cache of another build)
const id = createHash('sha256').update(text).digest('hex').slice(0, 32);
text += `// toa-build ${id}\n`;
mkdirSync(OUT_DIR, { recursive: true });
writeFileSync(OUT, text);
