/** The end-of-run table of `inject-toa` and `strip` (stderr), built with cli-table3. */
import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import type { RewriteSummary } from '../rewrite/summary.js';
import { groupDigits as n } from './group-digits.js';

export function renderRewriteSummary(s: RewriteSummary, chalk: ChalkInstance): string {
  const table = new Table({ head: [chalk.bold(s.command), chalk.bold('count')], style: { head: [], border: [], compact: true }, colAligns: ['left', 'right'] });
  const row = (label: string, value: number, warn = false) => table.push([label, warn && value > 0 ? chalk.yellow(n(value)) : n(value)]);
  row('packets in', s.packetsIn);
  row('packets out', s.packetsOut);
  row('packets rewritten', s.packetsRewritten);
  if (s.command === 'inject-toa') {
    row('carriers inserted', s.carriersInserted);
    row('standalone UOA packets (extra)', s.standaloneUoa);
    row('standalone PROXY packets (extra)', s.standaloneProxy);
    row('skipped: not eligible', s.skipped['not-eligible']);
    row('skipped: FRAG (MTU)', s.skipped.FRAG, true);
    row('skipped: NOROOM (header full)', s.skipped.NOROOM, true);
    const other = s.skipped.NOROUTE + s.skipped.NOTSUPP + s.skipped.family + s.skipped['no-room-in-buffer'] + s.skipped['max-trail'] + s.skipped['no-carrier'];
    if (other > 0) row('skipped: other (family, buffer, no carrier)', other, true);
    row('packets pruned (DPVS option pruning)', s.prunedPackets);
  } else {
    row('carriers removed', s.carriersRemoved);
    row('carriers overwritten with NOPs', s.carriersNopped);
  }
  row('IP fragments passed unchanged', s.fragmentsPassed);
  row('non-IP / unparsed passed unchanged', s.nonIpPassed + s.unparsedPassed);
  row('other protocols passed unchanged', s.otherProtocolPassed);
  row('bad checksums kept bad', s.badChecksumsKept, true);
  row('snaplen-cut packets (incremental checksum)', s.truncatedIncremental);
  row('flows', s.flows);
  if (s.command === 'inject-toa') row('flows with client side from ports', s.flowsSideFromPorts);
  let text = table.toString() + '\n';
  if (s.error !== null) text += chalk.red(`stopped: ${s.error}`) + '\n';
  return text;
}
