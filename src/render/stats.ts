/**
 * Text rendering of a StatsReport: the one-screen incident report (cli-table3 tables, chalk colour
 * when the output is a terminal). `--json` prints the report object itself (docs/stats-json.md).
 */
import type { ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { StatsReport } from '../analysis/stats.js';
import { groupDigits as number } from './common.js';

export interface StatsTextOptions {
  chalk: ChalkInstance;
}

function percent(part: number, whole: number): string {
  if (whole === 0) return '-';
  const p = (part / whole) * 100;
  return `${p < 0.1 && p > 0 ? p.toFixed(2) : p.toFixed(1)}%`;
}

function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

function seconds(s: number): string {
  if (s < 1) return `${(s * 1000).toFixed(3)} ms`;
  if (s < 120) return `${s.toFixed(3)} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s - h * 3600 - m * 60;
  return `${h > 0 ? `${h}h ` : ''}${m}m ${rest.toFixed(0)}s`;
}

function table(head: string[], chalk: ChalkInstance, rightAligned: number[] = [], colWidths?: (number | null)[]): Table.Table {
  return new Table({
    head: head.map((h) => chalk.bold(h)),
    style: { head: [], border: [], compact: true },
    colAligns: head.map((_, i) => (rightAligned.includes(i) ? 'right' : 'left')),
    ...(colWidths ? { colWidths } : {}),
    wordWrap: true,
  });
}

/** The whole report as text (ends with a newline). */
export function renderStatsText(report: StatsReport, options: StatsTextOptions): string {
  const chalk = options.chalk;
  const out: string[] = [];
  const heading = (text: string) => out.push('', chalk.bold.underline(text));
  const o = report.overview;

  heading('Overview');
  const files = table(['file', 'format', 'link types', 'ifaces', 'packets', 'bytes', 'duration', 'truncated'], chalk, [3, 4, 5, 7]);
  for (const f of o.files) {
    files.push([
      f.file + (f.error ? chalk.red(`\n${f.error}`) : ''),
      f.format,
      f.linkTypes.map((l) => l.name).join(', ') || '-',
      String(f.interfaces),
      number(f.packets),
      bytesText(f.bytes),
      seconds(f.durationSeconds),
      f.truncatedPackets > 0 ? chalk.yellow(number(f.truncatedPackets)) : '0',
    ]);
  }
  if (o.files.length > 1) {
    files.push([chalk.bold('all files'), '', '', '', number(o.packets), bytesText(o.bytes), seconds(o.durationSeconds), number(o.truncatedPackets)]);
  }
  out.push(files.toString());
  if (o.firstTime) out.push(`from ${o.firstTime} to ${o.lastTime}`);
  const protocols = table(['protocol', 'packets', 'share'], chalk, [1, 2]);
  for (const p of o.protocols) protocols.push([p.protocol, number(p.packets), percent(p.packets, o.packets)]);
  const checksums = table(['checksum', 'ok', 'bad', 'unverified', 'none'], chalk, [1, 2, 3, 4]);
  for (const c of o.checksums) {
    if (c.ok + c.bad + c.unverified + c.none === 0) continue;
    checksums.push([c.layer, number(c.ok), c.bad > 0 ? chalk.red(number(c.bad)) : '0', number(c.unverified), number(c.none)]);
  }
  out.push(sideBySide(protocols.toString(), checksums.toString()));
  const extras: string[] = [];
  if (o.encapsulated.vxlan > 0) extras.push(`${number(o.encapsulated.vxlan)} VXLAN-encapsulated (inner packets counted)`);
  if (o.encapsulated.ipInIp > 0) extras.push(`${number(o.encapsulated.ipInIp)} IP-in-IP (inner packets counted)`);
  if (o.dissectWarnings > 0) extras.push(`${number(o.dissectWarnings)} dissector warnings (damaged headers)`);
  if (extras.length > 0) out.push(extras.join('; '));

  heading('Carriers');
  const c = report.carriers;
  if (c.formats.length === 0) {
    out.push('no client-address carrier in any packet');
  } else {
    const formats = table(['format', 'carrier', 'kind', 'length', 'family', 'packets'], chalk, [2, 3, 5]);
    for (const f of c.formats) formats.push([chalk.cyan(f.format), f.carrier, f.kind === null ? '-' : String(f.kind), String(f.length), f.family, number(f.packets)]);
    out.push(formats.toString());
  }
  out.push(
    `${number(c.packets)} packets with a carrier; ${number(c.connectionsWithCarrier)} of ${number(c.tcpConnections)} TCP connections (${percent(c.connectionsWithCarrier, c.tcpConnections)}) carry one; ${number(c.distinctClients)} distinct client addresses`,
  );
  if (c.topClientsByPackets.length > 0) {
    const byPackets = table(['top clients by packets', 'packets', 'flows'], chalk, [1, 2]);
    for (const r of c.topClientsByPackets) byPackets.push([r.address, number(r.packets), number(r.flows)]);
    const byFlows = table(['top clients by flows', 'flows', 'packets'], chalk, [1, 2]);
    for (const r of c.topClientsByFlows) byFlows.push([r.address, number(r.flows), number(r.packets)]);
    out.push(sideBySide(byPackets.toString(), byFlows.toString()));
  }

  heading(`Verdicts: does the handshake ACK carry a client address ${report.options.verdictModule} reads? (MTU ${report.options.mtu})`);
  const fl = report.flows;
  const verdicts = table(['verdict', 'flows', 'share', 'meaning'], chalk, [1, 2], [null, null, null, 72]);
  for (const v of report.verdicts) {
    if (v.flows === 0) continue;
    const name = v.verdict === 'ok' ? chalk.green(v.verdict) : v.verdict === 'no-handshake' || v.verdict === 'client-leg' ? chalk.dim(v.verdict) : chalk.yellow(v.verdict);
    verdicts.push([name, number(v.flows), percent(v.flows, fl.tcpConnections), v.meaning]);
  }
  if (fl.tcpConnections === 0) out.push('no TCP connection in the capture');
  else {
    out.push(verdicts.toString());
    out.push(
      `${number(fl.tcpConnections)} TCP connections on ${number(fl.tcpFourTuples)} 4-tuples${fl.reusedFourTuples > 0 ? ` (${number(fl.reusedFourTuples)} reused)` : ''}; ` +
        `${number(fl.judged)} judged; ${fl.missing > 0 ? chalk.yellow(`${number(fl.missing)} miss the client address`) : chalk.green('none misses the client address')}`,
    );
    for (const v of report.verdicts) {
      if (v.verdict === 'ok' || v.examples.length === 0) continue;
      out.push(chalk.bold(`first ${v.verdict} flows:`));
      for (const e of v.examples) {
        out.push(`  ${e.client} > ${e.server}  ${e.file}#${e.firstPacket}${e.ackPacket !== null ? ` ack#${e.ackPacket}` : ''}  ${chalk.dim(e.detail)}`);
      }
    }
  }

  heading('Backend modules: what getpeername() returns (judged connections)');
  const modules = table(['module', 'client', 'NAT64 getsockopt', 'LB address', 'not judged', 'reads'], chalk, [1, 2, 3, 4], [null, null, null, null, null, 56]);
  for (const m of report.modules) {
    const chosen = m.module === report.options.verdictModule;
    modules.push([
      chosen ? chalk.bold(m.module) : m.module,
      m.client > 0 ? chalk.green(number(m.client)) : '0',
      number(m.clientGetsockopt),
      m.lb > 0 ? chalk.yellow(number(m.lb)) : '0',
      number(m.notJudged),
      chalk.dim(m.reads),
    ]);
  }
  out.push(modules.toString());
  if (report.peers !== null) {
    const peers = table(['client > server', 'first packet', 'verdict', `${report.peers.module} peer`, 'via'], chalk);
    for (const p of report.peers.flows) {
      const peer = `${p.peer.address}${p.peer.port === null ? '' : ` port ${p.peer.port}`}`;
      const via = p.peer.outcome === 'lb' ? 'no carrier read: LB address' : `${p.peer.format} in ${p.peer.packet === 'syn' ? 'SYN' : 'ACK'}${p.peer.outcome === 'client-getsockopt' ? ', getsockopt (NAT64)' : ''}`;
      peers.push([`${p.client} > ${p.server}`, `${p.file}#${p.firstPacket}`, p.verdict, p.peer.outcome === 'lb' ? chalk.yellow(peer) : chalk.green(peer), via]);
    }
    out.push(peers.toString());
  }

  heading('Anomalies');
  const found = report.anomalies.filter((a) => a.count > 0);
  if (found.length === 0) out.push(chalk.green('none'));
  else {
    const anomalies = table(['anomaly', 'count', 'unit', 'what'], chalk, [1]);
    for (const a of found) anomalies.push([chalk.yellow(a.code), number(a.count), a.unit, a.description]);
    out.push(anomalies.toString());
    for (const a of found) {
      if (a.examples.length === 0) continue;
      out.push(chalk.bold(`${a.code}:`));
      for (const e of a.examples) out.push(`  ${e.flow}  ${e.file}#${e.packet}  ${chalk.dim(e.detail)}`);
    }
  }
  return out.join('\n').replace(/^\n/, '') + '\n';
}

/** Two rendered tables next to each other when both fit in 120 columns, else one below the other. */
function sideBySide(left: string, right: string): string {
  // eslint-disable-next-line no-control-regex
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const l = left.split('\n');
  const r = right.split('\n');
  const width = Math.max(...l.map(visible));
  if (width + 3 + Math.max(...r.map(visible)) > 120) return `${left}\n${right}`;
  const rows = Math.max(l.length, r.length);
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const a = l[i] ?? '';
    lines.push(`${a}${' '.repeat(width - visible(a) + 3)}${r[i] ?? ''}`.trimEnd());
  }
  return lines.join('\n');
}
