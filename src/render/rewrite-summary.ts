/**
 * The end-of-run table of `inject-toa` and `strip` (stderr).
 *
 * Drawn here, not with cli-table3 (which draws the `stats` tables): it is one fixed two-column table of short
 * ASCII labels and digit-grouped counts. Loading cli-table3 and chalk and running them cold for it cost every
 * run 20-25 ms (an empty capture, 10 alternating runs: 130 -> 105 ms mean; drawing alone 8-9 ms in a CPU
 * profile: option merging and a width measure of every cell, in the interpreter), about 5% of a 1M-packet
 * inject-toa. chalk is loaded only when stderr gets colour. The lines are the ones cli-table3 draws with the
 * options this table had ({ style: { head: [], border: [], compact: true }, colAligns: ['left', 'right'] }):
 * test/render/rewrite-summary.test.ts compares the two on many summaries, plain and coloured.
 */
import type { RewriteSummary } from '../rewrite/summary.js';
import { groupDigits as n } from './group-digits.js';

/** The styles the table uses (a chalk instance has them). */
export interface SummaryStyles {
  bold(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
}

const identity = (text: string): string => text;
/** No colour: what a stream that is not a TTY, or NO_COLOR, gets (without loading chalk). */
export const PLAIN_SUMMARY_STYLES: SummaryStyles = Object.freeze({ bold: identity, yellow: identity, red: identity });

/** One row of the table: label, count, and whether a count above zero is a warning (yellow). */
export type SummaryRow = readonly [label: string, value: number, warn: boolean];

/** The rows of the table for `s`, in order. */
export function summaryRows(s: RewriteSummary): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const row = (label: string, value: number, warn = false): void => void rows.push([label, value, warn]);
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
  return rows;
}

export function renderRewriteSummary(s: RewriteSummary, styles: SummaryStyles): string {
  const rows = summaryRows(s);
  const values = rows.map(([, value]) => n(value));
  // column widths: the widest cell (every cell is ASCII: its length is its width)
  let left = s.command.length;
  let right = 'count'.length;
  for (let i = 0; i < rows.length; i++) {
    left = Math.max(left, rows[i]![0].length);
    right = Math.max(right, values[i]!.length);
  }
  const rule = (l: string, m: string, r: string): string => `${l}${'─'.repeat(left + 2)}${m}${'─'.repeat(right + 2)}${r}\n`;
  // a left-aligned and a right-aligned cell: `shown` is `text` with its style
  const line = (text: string, shown: string, value: string, valueShown: string): string =>
    `│ ${shown}${' '.repeat(left - text.length)} │ ${' '.repeat(right - value.length)}${valueShown} │\n`;
  let out = rule('┌', '┬', '┐') + line(s.command, styles.bold(s.command), 'count', styles.bold('count')) + rule('├', '┼', '┤');
  for (let i = 0; i < rows.length; i++) {
    const [label, count, warn] = rows[i]!;
    const value = values[i]!;
    out += line(label, label, value, warn && count > 0 ? styles.yellow(value) : value);
  }
  out += rule('└', '┴', '┘');
  if (s.error !== null) out += styles.red(`stopped: ${s.error}`) + '\n';
  return out;
}
