/**
 * Backend-leg carrier plans: which client-address carrier `--format` puts on the backend leg,
 * through which mechanism of the DPVS model, and the default `--when`.
 *
 * | --format                         | mechanism                                          |
 * |----------------------------------|----------------------------------------------------|
 * | dpvs (default)                   | TCP: DPVS TOA 254/8 or 254/20 (NAT64: 254/20 in IPv4); UDP: UOA opp (DPVS default) |
 * | lvs                              | 254/8 for IPv4 clients, 253/20 for IPv6; --when lvs |
 * | tencent, ucloud                  | 200/8                                              |
 * | alibaba-vtoa                     | 254/8 followed by 250/8 (VIP)                      |
 * | alibaba-vtoa-vpc                 | 252/20 (cport, cip, vpc id, vip, vport)             |
 * | alibaba-cdn                      | 28/7 (NOP-aligned) on the SYN and pre-data segments (--when dpvs-legacy) |
 * | any TCP-option format of the registry (toa-v4, toa-v6-253, toa-v4-200, …) | that option |
 * | uoa-opp, uoa-ipo                 | UDP: DPVS UOA, first 3 client packets              |
 * | proxy-v1, proxy-v2               | DPVS PROXY protocol in the first data segment      |
 * | ttgw, ttgw-asym, ttgw-v2 (and the registry names ttgw-v4, ttgw-v6, …) | IPv4 option / IPv6 destination option on every client→server packet |
 * | none                             | no carrier (plain full-NAT)                        |
 *
 * TCP option carriers go through fnatInbound's `carrier` (the same insertion, pruning and retry
 * as the DPVS TOA); UOA and PROXY through the connection's uoaMode/proxyProtocol.
 */
import { encodeIpv4OptionCarrier, encodeIpv6DestOptCarrier, encodeTcpCarrier, resolveFormat, type CarrierFields } from '../carriers/index.js';
import { CliError, CodecError } from '../codec/errors.js';
import type { ToaWhen } from '../dpvs/fnat.js';

export type CarrierPlan =
  | { type: 'none' }
  | { type: 'toa'; option: Uint8Array | null; when: ToaWhen }
  | { type: 'uoa'; mode: 'opp' | 'ipo' }
  | { type: 'proxy'; version: 1 | 2 }
  | { type: 'ip'; format: string; bytes: Uint8Array; where: 'ipv4-option' | 'ipv6-dstopt' };

export const TOA_WHEN_VALUES: readonly ToaWhen[] = ['dpvs', 'dpvs-legacy', 'lvs', 'handshake-ack', 'every', 'off'];

export interface CarrierContext {
  protocol: 'tcp' | 'udp';
  clientAddress: Uint8Array;
  clientPort: number;
  vipAddress: Uint8Array;
  vipPort: number;
  /** Family of the backend (RS) side. */
  backendVersion: 4 | 6;
  vpcId?: number;
  vni?: number;
}

function usage(message: string): CliError {
  return new CliError(message, 2);
}

function encodeOrUsage(format: string, f: () => Uint8Array): Uint8Array {
  try {
    return f();
  } catch (e) {
    if (e instanceof CodecError || e instanceof Error) throw usage(`--format ${format}: ${e.message}`);
    throw e;
  }
}

/** The plan for `--format NAME` (case-insensitive) and an optional `--when`. */
export function planCarrier(formatName: string | undefined, whenName: string | undefined, ctx: CarrierContext): CarrierPlan {
  const name = (formatName ?? 'dpvs').toLowerCase();
  let when: ToaWhen | undefined;
  if (whenName !== undefined) {
    if (!TOA_WHEN_VALUES.includes(whenName as ToaWhen)) throw usage(`--when '${whenName}' is not one of ${TOA_WHEN_VALUES.join(', ')}`);
    when = whenName as ToaWhen;
  }
  const v6 = ctx.clientAddress.length === 16;
  const fields: CarrierFields = {
    clientAddress: ctx.clientAddress,
    clientPort: ctx.clientPort,
    virtualAddress: ctx.vipAddress,
    virtualPort: ctx.vipPort,
    vpcId: ctx.vpcId ?? 1,
    vni: ctx.vni ?? 1,
  };
  const tcp = (option: Uint8Array | null, defaultWhen: ToaWhen = 'dpvs'): CarrierPlan => {
    if (ctx.protocol !== 'tcp') throw usage(`--format ${name} is a TCP carrier; for UDP use uoa-opp, uoa-ipo, proxy-v2 or ttgw`);
    return { type: 'toa', option, when: when ?? defaultWhen };
  };
  const option = (format: string, align = false): Uint8Array => encodeOrUsage(name, () => encodeTcpCarrier(format, fields, { align }));
  switch (name) {
    case 'none':
    case 'off':
      return { type: 'none' };
    case 'dpvs':
      return ctx.protocol === 'udp' ? { type: 'uoa', mode: 'opp' } : tcp(null);
    case 'lvs':
      return tcp(v6 ? option('toa-v6-253') : option('toa-v4'), 'lvs');
    case 'tencent':
    case 'ucloud':
      return tcp(option('toa-v4-200'));
    case 'alibaba-vtoa': {
      const a = option('toa-v4');
      const b = option('alibaba-vtoa-vip');
      const both = new Uint8Array(a.length + b.length);
      both.set(a, 0);
      both.set(b, a.length);
      return tcp(both);
    }
    case 'alibaba-vtoa-vpc':
      return tcp(option(v6 ? 'alibaba-vtoa-vpc-v6' : 'alibaba-vtoa-vpc'));
    case 'alibaba-cdn':
      return tcp(option(v6 ? 'alibaba-cdn-v6' : 'alibaba-cdn-v4', true), 'dpvs-legacy');
    case 'uoa-opp':
    case 'uoa-ipo':
      if (ctx.protocol !== 'udp') throw usage(`--format ${name} is a UDP carrier (use --udp)`);
      if (name === 'uoa-ipo' && (v6 || ctx.backendVersion === 6)) throw usage('--format uoa-ipo is an IPv4 option: it needs an IPv4 client and backend');
      return { type: 'uoa', mode: name === 'uoa-opp' ? 'opp' : 'ipo' };
    case 'proxy-v1':
    case 'proxy-v2':
      if (name === 'proxy-v1' && ctx.protocol !== 'tcp') throw usage('--format proxy-v1 is TCP only');
      return { type: 'proxy', version: name === 'proxy-v1' ? 1 : 2 };
    case 'ttgw':
    case 'ttgw-asym':
    case 'ttgw-v2': {
      const suffix = name === 'ttgw' ? '' : name === 'ttgw-asym' ? '-asym' : '';
      const format = name === 'ttgw-v2' ? (ctx.backendVersion === 4 ? 'ttgw-v2' : 'ttgw-v2-v6') : `${ctx.backendVersion === 4 ? 'ttgw-v4' : 'ttgw-v6'}${suffix}`;
      return ipPlan(format, fields, ctx);
    }
  }
  const row = resolveFormat(name);
  if (row === undefined) {
    throw usage(`--format '${formatName}' is not known (use dpvs, lvs, tencent, ucloud, alibaba-vtoa, alibaba-vtoa-vpc, alibaba-cdn, uoa-opp, uoa-ipo, proxy-v1, proxy-v2, ttgw, ttgw-asym, ttgw-v2, none, or a registry format name)`);
  }
  switch (row.carrier) {
    case 'tcp-option':
      if (row.lookalike) throw usage(`--format ${row.format} is not a client-address carrier`);
      return tcp(option(row.format, row.lengths.every((l) => l % 4 !== 0)));
    case 'ipv4-option':
    case 'ipv6-dstopt':
      return ipPlan(row.format, fields, ctx);
    case 'opp':
      return planCarrier('uoa-opp', whenName, ctx);
    case 'proxy-v1':
      return planCarrier('proxy-v1', whenName, ctx);
    case 'proxy-v2':
      return planCarrier('proxy-v2', whenName, ctx);
    default:
      throw usage(`--format ${row.format} (${row.carrier}) cannot be put on a crafted backend leg`);
  }
}

function ipPlan(format: string, fields: CarrierFields, ctx: CarrierContext): CarrierPlan {
  const row = resolveFormat(format)!;
  const where = row.carrier as 'ipv4-option' | 'ipv6-dstopt';
  if ((where === 'ipv4-option') !== (ctx.backendVersion === 4)) {
    throw usage(`--format ${format} is carried in ${where === 'ipv4-option' ? 'IPv4 options' : 'IPv6 destination options'}, but the backend leg is IPv${ctx.backendVersion}`);
  }
  const bytes = encodeOrUsage(format, () => (where === 'ipv4-option' ? encodeIpv4OptionCarrier(format, fields) : encodeIpv6DestOptCarrier(format, fields)));
  return { type: 'ip', format, bytes, where };
}
