/**
 * Command-line options of `toa craft` → CraftSpec. Only the flags the user gave become keys, so a
 * `--spec` file can be merged under them (flags win over the file's top-level fields).
 */
import { CliError } from '../codec/errors.js';
import type { CraftSpec, ExchangeSpec, PayloadSpec } from './model.js';
import { parseDurationValue, parseIntegerValue, parseLinkValue, parseStartValue, parseTcpOptionValue } from './parse.js';

/** The raw option values commander hands over (camel-cased flag names). */
export interface CraftFlags {
  output?: string;
  spec?: string;
  leg?: string;
  udp?: boolean;
  protocol?: string;
  client?: string;
  vip?: string;
  lip?: string;
  rs?: string;
  ipv6?: boolean;
  nat64?: boolean;
  count?: string;
  increment?: string;
  mss?: string;
  wscale?: string;
  sack?: boolean;
  timestamps?: boolean;
  tcpOption?: string[];
  tcpOptionEverywhere?: boolean;
  request?: string[];
  requestSize?: string[];
  requestHex?: string[];
  response?: string[];
  responseSize?: string[];
  responseHex?: string[];
  close?: string;
  retransmit?: boolean;
  clientIsn?: string;
  serverIsn?: string;
  fnatIsn?: string;
  format?: string;
  when?: string;
  mtu?: string;
  vpcId?: string;
  vni?: string;
  link?: string;
  backendLink?: string;
  pcapng?: boolean;
  nanosecond?: boolean;
  byteOrder?: string;
  snaplen?: string;
  start?: string;
  rtt?: string;
  clientMac?: string;
  serverMac?: string;
  ttl?: string;
}

function usage(message: string): CliError {
  return new CliError(message, 2);
}

/** Payloads of one direction in the order given (texts, sizes and hex can be mixed only per kind). */
function payloads(texts: string[] | undefined, sizes: string[] | undefined, hexes: string[] | undefined, what: string): PayloadSpec[] {
  const out: PayloadSpec[] = [];
  for (const t of texts ?? []) out.push(t);
  for (const s of sizes ?? []) out.push(parseIntegerValue(s, `--${what}-size`, 0, 16 * 1024 * 1024));
  for (const h of hexes ?? []) out.push({ hex: h });
  return out;
}

export function flagsToSpec(f: CraftFlags): CraftSpec {
  const s: CraftSpec = {};
  if (f.leg !== undefined) {
    if (f.leg !== 'client' && f.leg !== 'backend' && f.leg !== 'both') throw usage(`--leg '${f.leg}' is not client, backend or both`);
    s.leg = f.leg;
  }
  if (f.udp) s.protocol = 'udp';
  if (f.protocol !== undefined) {
    if (f.protocol !== 'tcp' && f.protocol !== 'udp') throw usage(`--protocol '${f.protocol}' is not tcp or udp`);
    if (f.udp && f.protocol !== 'udp') throw usage('--udp and --protocol tcp contradict each other');
    s.protocol = f.protocol;
  }
  if (f.client !== undefined) s.client = f.client;
  if (f.vip !== undefined) s.vip = f.vip;
  if (f.lip !== undefined) s.lip = f.lip;
  if (f.rs !== undefined) s.rs = f.rs;
  if (f.ipv6) s.ipv6 = true;
  if (f.nat64) s.nat64 = true;
  if (f.count !== undefined) s.count = parseIntegerValue(f.count, '--count', 1, 65535);
  if (f.increment !== undefined) {
    if (f.increment !== 'port' && f.increment !== 'address') throw usage(`--increment '${f.increment}' is not port or address`);
    s.increment = f.increment;
  }
  if (f.mss !== undefined) s.mss = parseIntegerValue(f.mss, '--mss', 0, 65535);
  if (f.wscale !== undefined) s.wscale = parseIntegerValue(f.wscale, '--wscale', 0, 14);
  if (f.sack) s.sack = true;
  if (f.timestamps) s.timestamps = true;
  if (f.tcpOption !== undefined) {
    f.tcpOption.forEach(parseTcpOptionValue); // validate now: exit 2 before anything is built
    s.tcpOptions = f.tcpOption;
  }
  if (f.tcpOptionEverywhere) s.tcpOptionsEverywhere = true;
  const requests = payloads(f.request, f.requestSize, f.requestHex, 'request');
  const responses = payloads(f.response, f.responseSize, f.responseHex, 'response');
  if (requests.length > 0 || responses.length > 0) {
    const n = Math.max(requests.length, responses.length);
    const exchanges: ExchangeSpec[] = [];
    for (let i = 0; i < n; i++) {
      const e: ExchangeSpec = {};
      if (requests[i] !== undefined) e.request = requests[i];
      if (responses[i] !== undefined) e.response = responses[i];
      exchanges.push(e);
    }
    s.exchanges = exchanges;
  }
  if (f.close !== undefined) {
    if (f.close !== 'fin' && f.close !== 'rst' && f.close !== 'none') throw usage(`--close '${f.close}' is not fin, rst or none`);
    s.close = f.close;
  }
  if (f.retransmit) s.retransmit = true;
  if (f.clientIsn !== undefined) s.clientIsn = parseIntegerValue(f.clientIsn, '--client-isn', 0, 0xffffffff);
  if (f.serverIsn !== undefined) s.serverIsn = parseIntegerValue(f.serverIsn, '--server-isn', 0, 0xffffffff);
  if (f.fnatIsn !== undefined) s.fnatIsn = parseIntegerValue(f.fnatIsn, '--fnat-isn', 0, 0xffffffff);
  if (f.format !== undefined) s.format = f.format;
  if (f.when !== undefined) s.when = f.when;
  if (f.mtu !== undefined) s.mtu = parseIntegerValue(f.mtu, '--mtu', 68, 65535);
  if (f.vpcId !== undefined) s.vpcId = parseIntegerValue(f.vpcId, '--vpc-id', 0, 0xffffffff);
  if (f.vni !== undefined) s.vni = parseIntegerValue(f.vni, '--vni', 0, 0xffffffff);
  if (f.link !== undefined) {
    parseLinkValue(f.link, '--link');
    s.link = f.link;
  }
  if (f.backendLink !== undefined) {
    parseLinkValue(f.backendLink, '--backend-link');
    s.backendLink = f.backendLink;
  }
  if (f.pcapng) s.pcapng = true;
  if (f.nanosecond) s.nanosecond = true;
  if (f.byteOrder !== undefined) {
    if (f.byteOrder !== 'le' && f.byteOrder !== 'be') throw usage(`--byte-order '${f.byteOrder}' is not le or be`);
    s.byteOrder = f.byteOrder;
  }
  if (f.snaplen !== undefined) s.snaplen = parseIntegerValue(f.snaplen, '--snaplen', 1, 0x7fffffff);
  if (f.start !== undefined) {
    parseStartValue(f.start);
    s.start = f.start;
  }
  if (f.rtt !== undefined) {
    parseDurationValue(f.rtt);
    s.rtt = f.rtt;
  }
  if (f.clientMac !== undefined) s.clientMac = f.clientMac;
  if (f.serverMac !== undefined) s.serverMac = f.serverMac;
  if (f.ttl !== undefined) s.ttl = parseIntegerValue(f.ttl, '--ttl', 0, 255);
  return s;
}
