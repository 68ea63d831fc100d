#!/usr/bin/env node
// Writes bench/RESULTS.md from one run of bench/run.sh: the hyperfine JSON exports and the TSV files in
// bench/out/results/. Every number in the output comes from those files; thresholds are the issue targets.
// Usage: node bench/report.mjs [RESULTS_DIR] [OUTPUT.md]
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pooled } from './pool.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.resolve(process.argv[2] ?? path.join(here, 'out/results'));
const outputPath = path.resolve(process.argv[3] ?? path.join(here, 'RESULTS.md'));
if (!existsSync(resultsDir)) {
  process.stderr.write(`report: ${resultsDir} does not exist; run bash bench/run.sh first\n`);
  process.exit(1);
}

// ---- inputs ---------------------------------------------------------------------------------------------
function readTsv(name, columns) {
  const file = path.join(resultsDir, name);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const cells = line.split('\t');
      const row = {};
      columns.forEach((column, i) => (row[column] = cells[i] ?? ''));
      return row;
    });
}
const machine = Object.fromEntries(readTsv('machine.tsv', ['key', 'value']).map((r) => [r.key, r.value]));
const inputs = new Map(readTsv('inputs.tsv', ['key', 'file', 'packets', 'bytes', 'flows']).map((r) => [r.key, r]));
const commands = readTsv('commands.tsv', ['group', 'name', 'role', 'input', 'command']);
const statuses = readTsv('status.tsv', ['group', 'name', 'kind', 'text']);
const rssRows = readTsv('rss.tsv', ['name', 'role', 'input', 'maxRssKib', 'wall', 'exit', 'command']);

/** group -> name -> hyperfine result (the rounds of a group pooled) */
const timings = new Map();
for (const file of readdirSync(resultsDir).sort()) {
  const match = /^(.+?)(\.(?:part|round)-\d+)?\.json$/.exec(file);
  if (!match) continue;
  const group = match[1];
  const data = JSON.parse(readFileSync(path.join(resultsDir, file), 'utf8'));
  if (!timings.has(group)) timings.set(group, new Map());
  const byName = timings.get(group);
  for (const result of data.results ?? []) {
    const earlier = byName.get(result.command);
    byName.set(result.command, earlier === undefined ? result : pooled(earlier, result));
  }
}

// ---- formatting -----------------------------------------------------------------------------------------
const integer = (n) => Math.round(n).toLocaleString('en-US');
const fixed = (n, digits) => n.toFixed(digits);
const mib = (kib) => kib / 1024;
const escapeCell = (text) => String(text).replace(/\|/g, '\\|');
const code = (text) => '`' + String(text).replace(/`/g, "'") + '`';

function packetsOf(inputKey) {
  const input = inputs.get(inputKey);
  const packets = input ? Number(input.packets) : NaN;
  return Number.isFinite(packets) && packets > 0 ? packets : null;
}
function measured(group, name) {
  const command = commands.find((c) => c.group === group && c.name === name);
  const result = timings.get(group)?.get(name);
  if (!command || !result) return null;
  const packets = packetsOf(command.input);
  const bytes = Number(inputs.get(command.input)?.bytes);
  return {
    ...command,
    result,
    packets,
    runs: result.times.length,
    packetsPerSecond: packets !== null ? packets / result.mean : null,
    megabytesPerSecond: Number.isFinite(bytes) ? bytes / result.mean / 1e6 : null,
  };
}
const withoutPrefix = (text) => text.replace(/^NOT RUN: /, '');
function skipReason(group, name) {
  const row = statuses.find((s) => s.group === group && s.name === name && s.kind === 'skip');
  return row ? withoutPrefix(row.text) : null;
}

// ---- the operations and their targets (from the issues) -------------------------------------------------
/** inject-toa / strip: ≥ 3× tcprewrite -C, read from the file-to-file group (with its cp floor) and the null-sink group. */
function rewriteTarget(command) {
  return {
    kind: 'ratio', minimum: 3, peer: 'tcprewrite -C', text: `${command} ≥ 3× tcprewrite -C`,
    floor: 'cp (copy floor)', nullGroup: `${command}-null`, nullToa: `toa ${command} -o -`, nullPeer: 'tcprewrite -C -o /dev/null',
  };
}
const GROUPS = [
  {
    id: 'reader',
    title: 'Reader alone (pcap)',
    toa: 'toa reader (read-only.mjs)',
    target: { kind: 'absolute', minimum: 3e6, text: 'reader ≥ 3,000,000 packets/s' },
    about: '`bench/read-only.mjs` opens the capture with `dist/codec/capture.js` `openCapture()` and counts packets in the `read()` callback; peers copy or count without decoding.',
  },
  {
    id: 'reader-pcapng',
    title: 'Reader alone (pcapng variant of the same packets)',
    toa: 'toa reader (read-only.mjs), pcapng',
    target: null,
    about: 'Same packets written as pcapng (SHB, IDB, EPBs) by `gen-big.mjs --format pcapng`. No target; for reference.',
  },
  {
    id: 'decode-text',
    title: 'Decode, one line per packet',
    toa: 'toa decode',
    target: { kind: 'ratio', minimum: 5, peer: 'tcpdump -nn -r', text: 'decode text ≥ 5× tcpdump -nn' },
    about: 'stdout goes to /dev/null (hyperfine `--output=null`).',
  },
  {
    id: 'decode-json',
    title: 'Decode to JSON',
    toa: 'toa decode --json',
    target: { kind: 'ratio', minimum: 50, peer: 'tshark -T json (100k subset)', text: 'decode --json ≥ 50× tshark -T json' },
    about: 'tshark -T json runs on the first 100,000 packets of big.pcap (`editcap -F pcap -r big.pcap sub100k.pcap 1-100000`) because a 1M run takes minutes; the ratio compares packets per second, not wall time.',
  },
  {
    id: 'inject-toa',
    title: 'Insert TOA, file to file',
    toa: 'toa inject-toa',
    target: rewriteTarget('inject-toa'),
    about: 'Input: big-notoa.pcap, the same packets as big.pcap without the TOA option (`gen-big.mjs --no-toa`), so that the insertion really happens. tcprewrite -C (checksum fix, the cheapest whole-file rewrite peers offer) runs on the same file. Both write a file in bench/out/; `cp` of the input to a file there, timed in the same hyperfine run, is the copy floor: what writing that many bytes costs on this disk whatever the tool.',
  },
  {
    id: 'inject-toa-null',
    title: 'Insert TOA, null sink',
    toa: 'toa inject-toa -o -',
    target: null,
    about: 'The same work without the disk: toa writes the capture to stdout (`-o -`), which hyperfine sends to /dev/null; tcprewrite writes to `-o /dev/null`. This is the processing speed; the target row of the file-to-file table above reads both tables.',
  },
  {
    id: 'strip',
    title: 'Strip TOA, file to file',
    toa: 'toa strip',
    target: rewriteTarget('strip'),
    about: 'Input: big.pcap (2 packets per flow carry TOA by construction: 100,000 with the default 50,000 flows). `cp` of the input is the copy floor, as for inject-toa.',
  },
  {
    id: 'strip-null',
    title: 'Strip TOA, null sink',
    toa: 'toa strip -o -',
    target: null,
    about: 'toa `-o -` into /dev/null against tcprewrite `-o /dev/null`, as for inject-toa.',
  },
  {
    id: 'stats',
    title: 'Per-flow statistics',
    toa: 'toa stats',
    target: { kind: 'ratio', minimum: 10, peer: 'tshark -q -z conv,tcp', text: 'stats ≥ 10× tshark -z conv,tcp' },
    about: '',
  },
];

const summary = []; // {target, verdict, detail}
const lines = [];
const out = (s = '') => lines.push(s);

out('# Benchmark results');
out();
out(`Produced by \`bash bench/run.sh\` on ${machine.date ?? '(unknown date)'} (finished ${machine.finished ?? 'unknown'}); ` +
  'every number below was measured in that run (hyperfine JSON and `/usr/bin/time` output in `bench/out/results/`). ' +
  'Numbers are for this machine only.');
out();
const summaryIndex = lines.length; // the summary table is inserted here at the end

out('## Machine');
out();
out('| | |');
out('|---|---|');
for (const key of ['nproc', 'cpu', 'memory', 'os', 'kernel', 'node', 'hyperfine', 'tcpdump', 'tshark', 'capinfos', 'tcprewrite',
  'git', 'NODE_EXTRA_CA_CERTS', 'load average at start', 'load average at end']) {
  if (machine[key] !== undefined) out(`| ${key} | ${escapeCell(machine[key])} |`);
}
out();

out('## Inputs');
out();
out('Generated by `bench/gen-big.mjs` (deterministic; pcap µs LE, Ethernet, DPVS full-NAT backend flows of 20 packets, TOA 254/8 as the first option of the handshake ACK and of the first request). Packet counts were read back with capinfos in this run.');
out();
out('| Input | File | Packets | Bytes | Flows |');
out('|---|---|---:|---:|---|');
for (const input of inputs.values()) {
  const packets = Number(input.packets);
  out(`| ${input.key} | ${code(input.file)} | ${Number.isFinite(packets) ? integer(packets) : escapeCell(input.packets)} | ` +
    `${integer(Number(input.bytes))} | ${escapeCell(input.flows)} |`);
}
out();

out('## Method');
out();
out('hyperfine `-N` (no shell), `--warmup 1`, `--output=null`; runs per command are shown in each row. ' +
  'Packets/s = packets in the input / mean wall time; CPU s is hyperfine\'s mean user + system time of the command (less sensitive to a busy machine than wall time, but not what the targets use). "vs peer" = toa packets/s ÷ peer packets/s (higher is better for toa). ' +
  'Peak memory is `/usr/bin/time -f %M` (max RSS) of one run. ' +
  'NODE_EXTRA_CA_CERTS is unset for every command (the Machine table says whether it was set): it makes every Node.js start parse a certificate bundle, ~50 ms on this machine, which no capture tool needs. ' +
  'File-to-file tables remove the previous run\'s output before each run (noted under the table), so that no command pays for freeing the last run\'s output. ' +
  'Before each run every table also reads its input through once (noted under the table): this VM pages out memory idle for 60 s (DAMON), which evicted parts of an input between the groups that use it, and a run that found them evicted read them back from disk. ' +
  `The inject-toa and strip tables (file to file and null sink) are timed in ${machine.rounds ?? '?'} rounds: hyperfine runs every command of the table, then again, and so on, and the runs of all rounds are pooled (hyperfine itself runs one command's runs back to back, so a slow spell of the shared host lands on whichever command runs then). ` +
  'The wall column gives the median after the mean; targets use the mean.');
out();

for (const group of GROUPS) {
  out(`## ${group.title}`);
  out();
  if (group.about) {
    out(group.about);
    out();
  }
  const groupCommands = commands.filter((c) => c.group === group.id);
  const peers = groupCommands.filter((c) => c.role === 'peer').map((c) => measured(group.id, c.name)).filter(Boolean);
  const toa = measured(group.id, group.toa);
  out('| Command | Exact command | Packets | Runs | Wall s (mean ± sd; median) | CPU s (user+sys) | Packets/s | MB/s | vs peer |');
  out('|---|---|---:|---:|---:|---:|---:|---:|---|');
  const toaReason = skipReason(group.id, group.toa) ?? skipReason('all', group.toa);
  if (toa) {
    const ratios = peers
      .filter((peer) => peer.packetsPerSecond && toa.packetsPerSecond)
      .map((peer) => `${fixed(toa.packetsPerSecond / peer.packetsPerSecond, 2)}× ${escapeCell(peer.name)}`);
    out(row(toa, ratios.join('; ') || '—'));
  } else {
    out(`| ${escapeCell(group.toa)} | NOT RUN | | | | | | | ${escapeCell(toaReason ?? 'no measurement in this run')} |`);
  }
  for (const peer of peers) out(row(peer, 'peer'));
  for (const floor of groupCommands.filter((c) => c.role === 'floor')) {
    const entry = measured(group.id, floor.name);
    if (entry) out(row(entry, 'copy floor (not a peer)'));
    else out(`| ${escapeCell(floor.name)} | ${code(floor.command)} | NOT RUN | | | | | | ${escapeCell(skipReason(group.id, floor.name) ?? 'no measurement')} |`);
  }
  for (const command of groupCommands.filter((c) => c.role === 'peer' && !measured(group.id, c.name))) {
    out(`| ${escapeCell(command.name)} | ${code(command.command)} | NOT RUN | | | | | | ${escapeCell(skipReason(group.id, command.name) ?? 'no measurement')} |`);
  }
  for (const prepare of groupCommands.filter((c) => c.role === 'prepare')) {
    out();
    out(`- Before every run of every command of this table (hyperfine \`--prepare\`, not timed): ${code(prepare.command)}.`);
  }
  for (const status of statuses.filter((s) => s.group === group.id && s.kind !== 'skip')) {
    out();
    out(`- ${status.kind === 'check' ? 'Output check' : 'Note'} (${escapeCell(status.name)}): ${escapeCell(status.text)}`);
  }
  out();
  if (group.target) {
    let verdict;
    let detail;
    if (!toa) {
      verdict = 'NOT RUN';
      detail = toaReason ?? 'no measurement';
    } else if (group.target.kind === 'absolute') {
      verdict = toa.packetsPerSecond >= group.target.minimum ? 'PASS' : 'FAIL';
      detail = `${integer(toa.packetsPerSecond)} packets/s`;
    } else {
      const peer = peers.find((p) => p.name === group.target.peer);
      if (!peer) {
        verdict = 'NOT RUN';
        detail = `peer ${group.target.peer} not measured`;
      } else {
        const ratio = toa.packetsPerSecond / peer.packetsPerSecond;
        verdict = ratio >= group.target.minimum ? 'PASS' : 'FAIL';
        detail = `${fixed(ratio, 2)}× (${integer(toa.packetsPerSecond)} vs ${integer(peer.packetsPerSecond)} packets/s)`;
        if (group.target.nullGroup) ({ verdict, detail } = withNullSink(group.id, group.target, ratio, toa, peer, verdict));
      }
    }
    // a fast command with a wrong output does not pass
    const failedCheck = statuses.find((s) => s.group === group.id && s.kind === 'check' && s.text.startsWith('FAILED'));
    if (toa && failedCheck) {
      verdict = 'FAIL';
      detail = `output check failed (${failedCheck.text.replace(/^FAILED: /, '')}); speed ${detail}`;
    }
    out(`**Target: ${group.target.text} — ${verdict}** (${escapeCell(detail)})`);
    out();
    summary.push({ target: group.target.text, verdict, detail });
  }
}

/**
 * inject-toa / strip: the file-to-file ratio, why it can or cannot reach the target on this disk (the copy
 * floor: `cp` of the same input, same run), and the null-sink ratio. PASS when file to file meets the target;
 * 'PASS (null sink)' when only the null-sink comparison does; FAIL when neither.
 */
function withNullSink(groupId, target, fileRatio, toa, peer, fileVerdict) {
  const minimum = target.minimum;
  const parts = [`file to file ${fixed(fileRatio, 2)}× (${fileVerdict === 'PASS' ? 'meets' : 'misses'} ${minimum}×)`];
  // for reading a noisy run, not for the verdict: the same ratio from the median run times
  if (toa.runs > 2 && peer.runs > 2) parts.push(`from median times ${fixed(peer.result.median / toa.result.median, 2)}× (not the target's measure)`);
  const floor = measured(groupId, target.floor);
  if (floor) {
    const needed = peer.result.mean / minimum;
    parts.push(needed < floor.result.mean
      ? `${minimum}× would need ≤ ${fixed(needed, 3)} s, less than the ${fixed(floor.result.mean, 3)} s cp alone took to copy the same bytes in this run`
      : `${minimum}× needs ≤ ${fixed(needed, 3)} s; cp of the same file takes ${fixed(floor.result.mean, 3)} s`);
  } else {
    parts.push('copy floor not measured');
  }
  const toaNull = measured(target.nullGroup, target.nullToa);
  const peerNull = measured(target.nullGroup, target.nullPeer);
  let nullPass = false;
  if (toaNull && peerNull) {
    const ratio = toaNull.packetsPerSecond / peerNull.packetsPerSecond;
    nullPass = ratio >= minimum;
    parts.push(`null sink ${fixed(ratio, 2)}× (${nullPass ? 'meets' : 'misses'} ${minimum}×: ${integer(toaNull.packetsPerSecond)} vs ${integer(peerNull.packetsPerSecond)} packets/s)`);
  } else {
    const missing = toaNull ? target.nullPeer : target.nullToa;
    parts.push(`null sink NOT RUN (${skipReason(target.nullGroup, missing) ?? `${missing} not measured`})`);
  }
  const verdict = fileVerdict === 'PASS' ? 'PASS' : nullPass ? 'PASS (null sink)' : 'FAIL';
  return { verdict, detail: parts.join('; ') };
}

function cpuSeconds(result) {
  return typeof result.user === 'number' && typeof result.system === 'number' ? fixed(result.user + result.system, 3) : '?';
}
function row(entry, ratioText) {
  const sd = entry.runs > 1 && typeof entry.result.stddev === 'number' ? ` ± ${fixed(entry.result.stddev, 3)}` : '';
  const median = entry.runs > 2 ? `; ${fixed(entry.result.median, 3)}` : '';
  return `| ${escapeCell(entry.name)} | ${code(entry.command)} | ${entry.packets !== null ? integer(entry.packets) : '?'} | ${entry.runs} | ` +
    `${fixed(entry.result.mean, 3)}${sd}${median} | ${cpuSeconds(entry.result)} | ${entry.packetsPerSecond !== null ? integer(entry.packetsPerSecond) : '?'} | ` +
    `${entry.megabytesPerSecond !== null ? fixed(entry.megabytesPerSecond, 1) : '?'} | ${ratioText} |`;
}

// ---- memory ---------------------------------------------------------------------------------------------
/** Flows of an input as run.sh recorded them (BENCH_FLOWS), '?' when absent. */
function flowsOf(inputKey) {
  const flows = Number(inputs.get(inputKey)?.flows);
  return Number.isFinite(flows) && flows > 0 ? integer(flows) : '?';
}
out('## Peak memory');
out();
out(`One run each under \`/usr/bin/time\`, stdout to /dev/null. big4m*.pcap repeat the same ${flowsOf('big4m')} flows (same 4-tuples, new ISNs, later timestamps) 4 times, so memory that depends on flows should stay flat while the packets grow 4×.`);
out();
out('| Command | Input | Packets | Max RSS MiB | Wall s | Exit |');
out('|---|---|---:|---:|---:|---:|');
for (const entry of rssRows) {
  const packets = packetsOf(entry.input);
  const kib = Number(entry.maxRssKib);
  out(`| ${escapeCell(entry.name)} | ${escapeCell(entry.input)} | ${packets !== null ? integer(packets) : '?'} | ` +
    `${Number.isFinite(kib) && entry.maxRssKib !== '' ? fixed(mib(kib), 1) : '?'} | ${escapeCell(entry.wall)} | ${escapeCell(entry.exit)} |`);
}
for (const status of statuses.filter((s) => s.group === 'memory')) out(`\n- ${escapeCell(status.name)}: ${escapeCell(status.text)}`);
out();
out('Targets apply to decode, stats and inject-toa; reader and strip lines are for reference.');
out();
const memoryCommands = ['toa reader (read-only.mjs)', 'toa decode', 'toa stats', 'toa inject-toa', 'toa strip'];
const memoryLines = [];
for (const name of memoryCommands) {
  const rows = rssRows.filter((r) => r.name === name);
  const small = rows.find((r) => !r.input.startsWith('big4m'));
  const large = rows.find((r) => r.input.startsWith('big4m'));
  const required = name === 'toa decode' || name === 'toa stats' || name === 'toa inject-toa';
  const label = `${name}: peak RSS ≤ 200 MiB at 1M and ≤ +20% from 1M to 4M packets (same flows)`;
  if (!small) {
    if (required) {
      const reason = withoutPrefix(statuses.find((s) => s.name === name && s.kind === 'skip')?.text ?? 'no measurement');
      summary.push({ target: label, verdict: 'NOT RUN', detail: reason });
      memoryLines.push(`- **${label} — NOT RUN** (${escapeCell(reason)})`);
    }
    continue;
  }
  const failed = [small, large].filter((r) => r && r.exit !== '0');
  let verdict;
  let detail;
  const smallMib = mib(Number(small.maxRssKib));
  if (failed.length > 0) {
    verdict = 'FAIL';
    detail = failed.map((r) => `exit ${r.exit} on ${r.input}`).join(', ');
  } else if (!large) {
    verdict = smallMib <= 200 ? 'NOT RUN' : 'FAIL';
    detail = `${fixed(smallMib, 1)} MiB at 1M; no 4M measurement`;
  } else {
    const largeMib = mib(Number(large.maxRssKib));
    const growth = (largeMib - smallMib) / smallMib;
    verdict = smallMib <= 200 && largeMib <= 200 && growth <= 0.2 ? 'PASS' : 'FAIL';
    detail = `${fixed(smallMib, 1)} MiB at 1M, ${fixed(largeMib, 1)} MiB at 4M (${growth >= 0 ? '+' : ''}${fixed(growth * 100, 1)}%)`;
  }
  memoryLines.push(`- **${label} — ${verdict}** (${detail})`);
  if (required) summary.push({ target: label, verdict, detail });
}
for (const line of memoryLines) out(line);
out();

// ---- other notes ----------------------------------------------------------------------------------------
const general = statuses.filter((s) => ['all', 'build', 'generator'].includes(s.group));
if (general.length > 0) {
  out('## Build and input checks');
  out();
  for (const status of general) out(`- ${escapeCell(status.name)}: ${escapeCell(status.text)}`);
  out();
}

const summaryLines = ['## Targets', ''];
const cpus = Number(machine.nproc);
const loads = ['load average at start', 'load average at end'].map((key) => Number((machine[key] ?? '').split(' ')[0]));
if (Number.isFinite(cpus) && loads.some((load) => Number.isFinite(load) && load > cpus * 0.75)) {
  summaryLines.push(`> The machine was busy during this run (1-minute load average ${loads.map((l) => fixed(l, 2)).join(' at start, ')} at end, ` +
    `on ${cpus} CPUs): other work competed for the CPUs, so absolute timings are pessimistic and the ± columns wide. ` +
    'Ratios between commands of the same table, timed back to back in one hyperfine run, are the more robust figures.', '');
}
summaryLines.push('| Target | Result | Measured |', '|---|---|---|');
for (const item of summary) summaryLines.push(`| ${escapeCell(item.target)} | **${item.verdict}** | ${escapeCell(item.detail)} |`);
summaryLines.push('');
lines.splice(summaryIndex, 0, ...summaryLines);

writeFileSync(outputPath, lines.join('\n') + '\n');
process.stdout.write(`report: wrote ${outputPath}\n`);
