/**
 * `toa craft -o OUT [options]`: build whole connections (client leg, backend leg through the DPVS
 * full-NAT model, or both as two pcapng interfaces) into a capture file. Deterministic: the same
 * flags give the same bytes. See docs/craft-spec.md for --spec.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from '../codec/errors.js';
import { flagsToSpec, type CraftFlags } from '../craft/flags.js';
import { craft, validateSpec, writeCrafted } from '../craft/generate.js';
import type { CraftSpec } from '../craft/model.js';
import { describeFileError } from '../util/output.js';
import { writeReportText, type Io } from '../util/stdio.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export interface CraftResult {
  output: string;
  format: 'pcap' | 'pcapng';
  interfaces: number;
  packets: number;
  bytes: number;
}

/** Read and check a --spec file. */
export function readSpecFile(path: string): CraftSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw describeFileError(e, path, 'read');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CliError(`--spec ${path}: not valid JSON: ${(e as Error).message}`, 2);
  }
  return validateSpec(parsed, path);
}

/** Run craft for parsed flags (the file of --spec under the flags). */
export function runCraft(flags: CraftFlags): CraftResult {
  if (!flags.output) throw new CliError('toa craft needs -o OUT', 2);
  const fromFlags = flagsToSpec(flags);
  const spec: CraftSpec = flags.spec ? { ...readSpecFile(flags.spec), ...fromFlags } : fromFlags;
  const capture = craft(spec, flags.output);
  writeCrafted(capture, flags.output);
  return {
    output: flags.output,
    format: capture.format,
    interfaces: capture.interfaces.length,
    packets: capture.packets.length,
    bytes: capture.packets.reduce((n, p) => n + p.data.length, 0),
  };
}

export function register(program: Command, io: Io): void {
  program
    .command('craft')
    .description('build whole TCP connections or UDP exchanges (client leg, DPVS backend leg, or both) into a pcap/pcapng file')
    .requiredOption('-o, --output <OUT>', 'output file (- for stdout); .pcapng → pcapng')
    .option('--spec <FILE>', 'JSON description for what flags cannot say (docs/craft-spec.md); flags override its top-level fields')
    .option('--leg <LEG>', 'client (client↔VIP, default), backend (LIP↔RS through the full-NAT model), both (two pcapng interfaces)')
    .option('--udp', 'UDP exchanges instead of a TCP connection')
    .option('--protocol <P>', 'tcp or udp')
    .option('--client <IP:PORT>', 'client address and port (default 198.51.100.10:40000)')
    .option('--vip <IP:PORT>', 'virtual address and port (default 203.0.113.80:80)')
    .option('--lip <IP[:PORT]>', 'DPVS local address (port: the client port unless given)')
    .option('--rs <IP:PORT>', 'real server (default 10.0.1.10:8080)')
    .option('--ipv6', 'IPv6 defaults for the addresses not given')
    .option('--nat64', 'IPv6 client and VIP, IPv4 LIP and RS')
    .option('--count <N>', 'number of connections (client port, or address with --increment address, +1 each)')
    .option('--increment <WHAT>', 'port (default) or address')
    .option('--mss <N>', 'MSS of the client SYN and of the RS SYN-ACK (client leg: RS MSS − 8, or − 20 for IPv6/NAT64)')
    .option('--wscale <N>', 'window scale option on SYN and SYN-ACK')
    .option('--sack', 'SACK-permitted on SYN and SYN-ACK')
    .option('--timestamps', 'timestamp option on every segment')
    .option('--tcp-option <KIND:HEX>', 'extra raw option on SYN and SYN-ACK (repeatable)', collect)
    .option('--tcp-option-everywhere', 'put the --tcp-option options on every segment')
    .option('--request <TEXT>', 'request payload (escapes \\r \\n \\t \\xHH; repeatable: one exchange each)', collect)
    .option('--request-size <N>', 'request of N bytes (repeatable)', collect)
    .option('--request-hex <HEX>', 'request bytes as hex (repeatable)', collect)
    .option('--response <TEXT>', 'response payload (repeatable)', collect)
    .option('--response-size <N>', 'response of N bytes (repeatable)', collect)
    .option('--response-hex <HEX>', 'response bytes as hex (repeatable)', collect)
    .option('--close <HOW>', 'fin (default for TCP), rst or none')
    .option('--retransmit', 'send the first request segment twice')
    .option('--client-isn <N>', 'client ISN (default: hash of the 4-tuple)')
    .option('--server-isn <N>', 'server ISN (default: hash of the 4-tuple)')
    .option('--fnat-isn <N>', "DPVS's own ISN toward the RS (default: hash of the 4-tuple)")
    .option('--format <NAME>', 'backend-leg carrier: dpvs (default), lvs, tencent, ucloud, alibaba-vtoa, alibaba-vtoa-vpc, alibaba-cdn, uoa-opp, uoa-ipo, proxy-v1, proxy-v2, ttgw, ttgw-asym, ttgw-v2, none, or a registry format')
    .option('--when <POLICY>', 'which client→RS packets get a TCP carrier: dpvs, dpvs-legacy, lvs, handshake-ack, every, off')
    .option('--mtu <N>', 'MTU toward the RS (default 1500)')
    .option('--vpc-id <N>', 'VPC id for alibaba-vtoa-vpc')
    .option('--vni <N>', 'VNI for ttgw-v2')
    .option('--link <LINK>', 'ethernet (default), vlan:ID, qinq:OUTER,INNER, sll, sll2, raw, null, loop')
    .option('--backend-link <LINK>', 'link type of the backend interface (default: as --link)')
    .option('--pcapng', 'write pcapng (default: when OUT ends in .pcapng or --leg both)')
    .option('--nanosecond', 'nanosecond timestamps')
    .option('--byte-order <ORDER>', 'le (default) or be')
    .option('--snaplen <N>', 'cut packets to N bytes (the original length is kept)')
    .option('--start <TIME>', 'time of the first packet: ISO (2024-01-01T00:00:00Z, the default) or epoch seconds')
    .option('--rtt <DURATION>', 'time between packets: seconds or with s/ms/us/ns (default 1ms)')
    .option('--client-mac <MAC>', 'client-side MAC (default 02:00:00:00:00:01)')
    .option('--server-mac <MAC>', 'server-side MAC (default 02:00:00:00:00:02)')
    .option('--ttl <N>', 'IPv4 TTL / IPv6 hop limit (default 64)')
    .option('--json', 'print a JSON summary on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  toa craft -o c.pcap                                  one IPv4 HTTP-like connection, client leg\n' +
        '  toa craft --leg backend -o b.pcap --timestamps --sack  what the RS sees, DPVS TOA 254/8\n' +
        '  toa craft --leg both --nat64 -o n.pcapng             client (IPv6) and backend (IPv4, 254/20) legs\n' +
        '  toa craft --udp --format uoa-opp --leg backend -o u.pcap\n' +
        '  toa craft --spec samples/specs/vendor-tcp-options.json -o v.pcap',
    )
    .action((options: CraftFlags & { json?: boolean }) => {
      const result = runCraft(options);
      if (options.json) writeReportText(io, JSON.stringify(result) + '\n');
      else if (result.output !== '-') io.stderr.write(`toa craft: wrote ${result.packets} packets (${result.format}, ${result.interfaces} interface${result.interfaces === 1 ? '' : 's'}) to ${result.output}\n`);
    });
}
