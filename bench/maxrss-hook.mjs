// Fallback peak-memory probe, used by run.sh only when /usr/bin/time is missing:
//   NODE_OPTIONS=--import=/abs/path/bench/maxrss-hook.mjs BENCH_RSS_FILE=/tmp/x node bin/toa.js ...
// At exit the Node process appends "<maxRSS KiB> <wall seconds>" to BENCH_RSS_FILE.
import { appendFileSync } from 'node:fs';

const target = process.env.BENCH_RSS_FILE;
const started = process.hrtime.bigint();
if (target) {
  process.on('exit', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    appendFileSync(target, `${process.resourceUsage().maxRSS} ${seconds.toFixed(3)}\n`);
  });
}
