import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { StatsReport } from '../../src/analysis/stats.js';
import { Conversation, tempDir, toa, toa200, writeConversations } from '../analysis/stats-fixture.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(args, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const dir = tempDir();
const good = writeConversations(join(dir, 'good.pcap'), [
  new Conversation('10.0.0.1', 40001, '10.0.0.2', 80).handshake({ ack: toa('203.0.113.1', 1111) }).exchange(),
  new Conversation('10.0.0.1', 40002, '10.0.0.2', 80).handshake({ ack: toa('203.0.113.2', 2222) }).exchange(),
]);
const mixed = writeConversations(join(dir, 'mixed.pcap'), [
  new Conversation('10.0.0.1', 40003, '10.0.0.2', 80).handshake({ ack: toa('203.0.113.3', 3333) }).exchange(),
  new Conversation('10.0.0.1', 40004, '10.0.0.2', 80).handshake({ ack: toa200('203.0.113.4', 4444) }).exchange(),
]);

describe('toa stats (command)', () => {
  it('--json prints the documented document', async () => {
    const r = await run(['stats', '--json', good]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as StatsReport;
    expect(report.schema).toBe('toa-stats/1');
    expect(report.overview.packets).toBe(10);
    expect(report.flows).toMatchObject({ tcpConnections: 2, judged: 2, missing: 0 });
    expect(report.verdicts.find((v) => v.verdict === 'ok')!.flows).toBe(2);
    expect(Object.keys(report)).toEqual(['schema', 'options', 'overview', 'carriers', 'flows', 'verdicts', 'modules', 'peers', 'anomalies']);
  });

  it('text report: tables for every section, no colour when not a TTY', async () => {
    const r = await run(['stats', mixed]);
    expect(r.code).toBe(0);
    for (const heading of ['Overview', 'Carriers', 'Verdicts', 'Backend modules', 'Anomalies']) expect(r.stdout).toContain(heading);
    expect(r.stdout).toContain('┌');
    expect(r.stdout).toContain('unread-kind');
    expect(r.stdout).toContain('10.0.0.1:40004 > 10.0.0.2:80');
    // eslint-disable-next-line no-control-regex
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });

  it('several files, --module and --top', async () => {
    const r = await run(['stats', '--json', '--module', 'ucloud', '--top', '1', good, mixed]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as StatsReport;
    expect(report.overview.files).toHaveLength(2);
    expect(report.overview.packets).toBe(20);
    expect(report.options).toMatchObject({ module: 'ucloud', verdictModule: 'ucloud', top: 1 });
    expect(report.peers!.flows).toHaveLength(1);
    expect(report.verdicts.find((v) => v.verdict === 'ok')!.flows).toBe(4);
    expect(report.verdicts.find((v) => v.verdict === 'ok')!.examples).toHaveLength(1);
  });

  it('--fail-on-missing exits 3 after printing the report; 0 when nothing is missing', async () => {
    const bad = await run(['stats', '--fail-on-missing', '--json', mixed]);
    expect(bad.code).toBe(3);
    expect((JSON.parse(bad.stdout) as StatsReport).flows.missing).toBe(1);
    expect(bad.stderr).toContain('1 of 2 judged connections');
    const ok = await run(['stats', '--fail-on-missing', '--json', good]);
    expect(ok.code).toBe(0);
  });

  it('usage errors exit 2', async () => {
    expect((await run(['stats', '--module', 'nope', good])).code).toBe(2);
    expect((await run(['stats', '--top', '-1', good])).code).toBe(2);
    expect((await run(['stats', '--vip', 'not-an-ip', good])).code).toBe(2);
    expect((await run(['stats', '-', '-'])).code).toBe(2);
    expect((await run(['stats'])).code).toBe(2);
  });

  it('a missing file exits 1; a damaged file still prints the report and exits 1', async () => {
    expect((await run(['stats', join(dir, 'absent.pcap')])).code).toBe(1);
    const { readFileSync, writeFileSync } = await import('node:fs');
    const bytes = readFileSync(good);
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 7));
    const r = await run(['stats', '--json', cut]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as StatsReport;
    expect(report.overview.packets).toBe(9);
    expect(report.overview.files[0]!.error).not.toBeNull();
  });
});
