import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import Table from 'cli-table3';
import { Chalk, type ChalkInstance } from 'chalk';
import { PLAIN_SUMMARY_STYLES, renderRewriteSummary, summaryRows } from '../../src/render/rewrite-summary.js';
import { newSummary, type RewriteSummary } from '../../src/rewrite/summary.js';
import { SKIP_REASONS } from '../../src/rewrite/flows.js';

/**
 * The oracle: the rows as cli-table3 drew them before the renderer drew them itself (the options the table
 * had, toLocaleString for the counts), so the output on stderr did not change.
 */
function withCliTable3(s: RewriteSummary, chalk: ChalkInstance): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const table = new Table({ head: [chalk.bold(s.command), chalk.bold('count')], style: { head: [], border: [], compact: true }, colAligns: ['left', 'right'] });
  for (const [label, value, warn] of summaryRows(s)) table.push([label, warn && value > 0 ? chalk.yellow(n(value)) : n(value)]);
  let text = table.toString() + '\n';
  if (s.error !== null) text += chalk.red(`stopped: ${s.error}`) + '\n';
  return text;
}

const count = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const COUNTERS = [
  'packetsIn', 'packetsOut', 'packetsRewritten', 'carriersInserted', 'carriersRemoved', 'carriersNopped', 'standaloneUoa', 'standaloneProxy',
  'prunedPackets', 'fragmentsPassed', 'nonIpPassed', 'unparsedPassed', 'otherProtocolPassed', 'badChecksumsKept', 'truncatedIncremental',
  'flows', 'flowsSideFromPorts',
] as const;
const summaries = fc
  .record({
    command: fc.constantFrom('inject-toa' as const, 'strip' as const),
    counts: fc.array(count, { minLength: COUNTERS.length, maxLength: COUNTERS.length }),
    skipped: fc.array(count, { minLength: SKIP_REASONS.length, maxLength: SKIP_REASONS.length }),
    error: fc.option(fc.string({ maxLength: 60 }), { nil: null }),
  })
  .map(({ command, counts, skipped, error }) => {
    const s = newSummary(command, 'in.pcap', 'out.pcap');
    COUNTERS.forEach((key, i) => (s[key] = counts[i]!));
    SKIP_REASONS.forEach((reason, i) => (s.skipped[reason] = skipped[i]!));
    s.error = error;
    return s;
  });

describe('renderRewriteSummary', () => {
  it('draws what cli-table3 drew, without colour', () => {
    const chalk = new Chalk({ level: 0 });
    fc.assert(fc.property(summaries, (s) => renderRewriteSummary(s, PLAIN_SUMMARY_STYLES) === withCliTable3(s, chalk)), { numRuns: 300 });
  });

  it('draws what cli-table3 drew, with colour (bold head, yellow warnings, red error line)', () => {
    const chalk = new Chalk({ level: 1 });
    fc.assert(fc.property(summaries, (s) => renderRewriteSummary(s, chalk) === withCliTable3(s, chalk)), { numRuns: 300 });
    const s = newSummary('inject-toa', 'in.pcap', 'out.pcap');
    s.skipped.FRAG = 3;
    s.error = 'packet 7 at byte offset 100: truncated record';
    const text = renderRewriteSummary(s, chalk);
    expect(text).toContain(chalk.yellow('3'));
    expect(text).toContain(chalk.red('stopped: packet 7 at byte offset 100: truncated record'));
  });

  it('has the expected shape for a typical run', () => {
    const s = newSummary('strip', 'in.pcap', 'out.pcap');
    s.packetsIn = s.packetsOut = 1_000_000;
    s.carriersRemoved = 100_000;
    const lines = renderRewriteSummary(s, PLAIN_SUMMARY_STYLES).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^┌─+┬─+┐$/);
    expect(lines[1]).toMatch(/^│ strip +│ +count │$/);
    expect(lines[3]).toMatch(/^│ packets in +│ 1,000,000 │$/);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});
