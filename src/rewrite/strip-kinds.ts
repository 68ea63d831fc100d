/**
 * strip's `--kinds`: which carriers a run removes (a carrier place, a registry format name, or TCP
 * KIND[:LENGTH] pairs), and whether a found carrier is one of them.
 */
import { CliError } from '../codec/errors.js';
import { parseKindSpec, type CarrierKind, type KindFilter } from '../carriers/index.js';

/** Which carriers a --kinds spec selects. */
export interface StripSelection {
  tcpFilter: KindFilter | undefined;
  tcp: boolean;
  ipv4: boolean;
  dstopt: boolean;
  opp: boolean;
  proxyV1: boolean;
  proxyV2: boolean;
  spp: boolean;
  formats: Set<string>;
}

const WORDS: Record<string, (keyof Omit<StripSelection, 'tcpFilter' | 'formats'>)[]> = {
  tcp: ['tcp'],
  'tcp-option': ['tcp'],
  ip: ['ipv4', 'dstopt'],
  'ipv4-option': ['ipv4'],
  ipv4: ['ipv4'],
  dstopt: ['dstopt'],
  'ipv6-dstopt': ['dstopt'],
  opp: ['opp'],
  uoa: ['opp', 'ipv4'],
  proxy: ['proxyV1', 'proxyV2'],
  'proxy-v1': ['proxyV1'],
  'proxy-v2': ['proxyV2'],
  spp: ['spp'],
};

/**
 * Parse --kinds for strip: comma-separated items, each a carrier place (tcp, ipv4-option,
 * ipv6-dstopt, opp, proxy, proxy-v1, proxy-v2, spp, uoa = opp + IPv4 options), a registry format
 * name (toa-v4, ttgw-v4, ...) or TCP KIND / KIND:LENGTH pairs as in decode (254:8, 200).
 */
export function parseStripKinds(spec: string | null): StripSelection {
  const all = spec === null;
  const sel: StripSelection = { tcpFilter: undefined, tcp: all, ipv4: all, dstopt: all, opp: all, proxyV1: all, proxyV2: all, spp: all, formats: new Set() };
  if (spec === null) return sel;
  const numeric: string[] = [];
  for (const raw of spec.split(',')) {
    const item = raw.trim().toLowerCase();
    if (item === '') continue;
    if (/^\d/.test(item)) numeric.push(item);
    else if (WORDS[item]) for (const k of WORDS[item]!) sel[k] = true;
    else if (/^[a-z0-9-]+$/.test(item)) sel.formats.add(item);
    else throw new CliError(`--kinds item '${item}' is not a carrier place, format name or KIND[:LENGTH]`, 2);
  }
  if (numeric.length > 0) {
    sel.tcpFilter = parseKindSpec(numeric.join(','));
    sel.tcp = true;
  }
  if (!sel.tcp && !sel.ipv4 && !sel.dstopt && !sel.opp && !sel.proxyV1 && !sel.proxyV2 && !sel.spp && sel.formats.size === 0) {
    throw new CliError('--kinds selects nothing', 2);
  }
  return sel;
}

/** True when `sel` selects the carrier of format `format` found in `carrier`. */
export function selectsCarrier(sel: StripSelection, format: string, carrier: CarrierKind): boolean {
  if (sel.formats.has(format)) return true;
  switch (carrier) {
    case 'tcp-option':
      return sel.tcp;
    case 'ipv4-option':
      return sel.ipv4;
    case 'ipv6-dstopt':
      return sel.dstopt;
    case 'opp':
      return sel.opp;
    case 'proxy-v1':
      return sel.proxyV1;
    case 'proxy-v2':
      return sel.proxyV2;
    case 'spp':
      return sel.spp;
    default:
      return false;
  }
}
