/**
 * Pieces shared by the decode renderers (text line, -v, -x, --json): timestamps, TCP flag
 * letters, carrier text, the byte span of a carrier, expected checksum values, protocol names
 * and the colour styles.
 *
 * Timestamps are printed in UTC (documented in `toa decode --help`): tcpdump uses local time,
 * but a capture examined on another machine should read the same everywhere.
 */
import type { ChalkInstance } from 'chalk';
import { AsciiWords, type ByteWriter, paddedRoom, putPadded, putWords } from './writer.js';
import type { Carrier } from '../carriers/index.js';
import { formatEndpoint } from '../codec/addr.js';
import { readU16 } from '../codec/bytes.js';
import { ipv4HeaderChecksum, transportChecksum, udpChecksumValue } from '../codec/checksum.js';
import { DISSECT_LAYER, type Dissection } from '../codec/dissect.js';
import { ICMP } from '../codec/icmp.js';
import { IPPROTO } from '../codec/ipproto.js';
import { IPV4, ipv4Pseudo } from '../codec/ipv4.js';
import { ipv6Pseudo } from '../codec/ipv6.js';
import { TCP } from '../codec/tcp.js';
import { UDP } from '../codec/udp.js';

// ---------------------------------------------------------------------------------------------
// Styles

/** Colour hooks used by the renderers; identity functions when colour is off. */
export interface Styles {
  readonly enabled: boolean;
  /** A decoded client-address carrier. */
  carrier(text: string): string;
  /** A warning tag (`[truncated]`, `[malformed option at byte 54]`). */
  warning(text: string): string;
  /** A bad checksum tag. */
  bad(text: string): string;
  /** Secondary text (offsets in -v, the hex offset column). */
  dim(text: string): string;
}

const identity = (text: string): string => text;

export const PLAIN_STYLES: Styles = Object.freeze({ enabled: false, carrier: identity, warning: identity, bad: identity, dim: identity });

/** Styles from a chalk instance (level 0 gives the plain styles). */
export function stylesFrom(chalk: ChalkInstance): Styles {
  if (chalk.level === 0) return PLAIN_STYLES;
  return {
    enabled: true,
    carrier: (t) => chalk.bold.green(t),
    warning: (t) => chalk.yellow(t),
    bad: (t) => chalk.bold.red(t),
    dim: (t) => chalk.dim(t),
  };
}

// ---------------------------------------------------------------------------------------------
// Numbers

const ZEROS = '000000000';

/** `value` (a non-negative integer) left-padded with zeros to `width` digits (width ≤ 9). */
export function padDigits(value: number, width: number): string {
  const s = '' + value;
  return s.length >= width ? s : ZEROS.substring(0, width - s.length) + s;
}

/** Lower-case hex of a 16-bit value with a 0x prefix and 4 digits (`0x00ff`). */
export function hex16(value: number): string {
  const s = value.toString(16);
  return '0x' + '0000'.substring(s.length) + s;
}

/** Lower-case hex of bytes[start, end) without separators. */
export function hexBytes(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX_BYTE[bytes[i]!];
  return s;
}

export const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16));

// ---------------------------------------------------------------------------------------------
// Timestamps

const SECONDS_PER_DAY = 86400;
/** Largest |seconds| a JavaScript Date can hold (8.64e15 ms). */
const MAX_DATE_SECONDS = 8.64e12;

/** `HH:MM:SS` (UTC) of `seconds` since the epoch. */
export function timeOfDay(seconds: number): string {
  let s = seconds % SECONDS_PER_DAY;
  if (s < 0) s += SECONDS_PER_DAY;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return (h < 10 ? '0' : '') + h + (m < 10 ? ':0' : ':') + m + (sec < 10 ? ':0' : ':') + sec;
}

/** `YYYY-MM-DD` (UTC) of `seconds`, or `@SECONDS` when the value is outside what a Date holds. */
export function calendarDate(seconds: number): string {
  if (!Number.isFinite(seconds) || Math.abs(seconds) > MAX_DATE_SECONDS) return '@' + seconds;
  return new Date(seconds * 1000).toISOString().substring(0, 10);
}

/**
 * Formats packet timestamps with a one-entry cache of the whole-second prefix (consecutive
 * packets mostly share the second), kept as text and as bytes. `nanoseconds` selects 9 fraction
 * digits instead of 6.
 */
export class TimestampFormatter {
  private lastSeconds = NaN;
  private lastPrefix = '';
  private prefixWords = new AsciiWords('');
  constructor(private readonly withDate: boolean) {}

  private second(seconds: number): void {
    this.lastSeconds = seconds;
    this.lastPrefix = (this.withDate ? calendarDate(seconds) + ' ' : '') + timeOfDay(seconds) + '.';
    this.prefixWords = new AsciiWords(this.lastPrefix);
  }

  format(seconds: number, nanos: number, nanoseconds: boolean): string {
    if (seconds !== this.lastSeconds) this.second(seconds);
    return this.lastPrefix + (nanoseconds ? padDigits(nanos, 9) : padDigits(Math.floor(nanos / 1000), 6));
  }

  /** Append the timestamp to `w` (no string per packet when the second repeats). */
  write(w: ByteWriter, seconds: number, nanos: number, nanoseconds: boolean): void {
    if (seconds !== this.lastSeconds) this.second(seconds);
    const prefix = this.prefixWords;
    const v = w.at(prefix.room + paddedRoom(9));
    const p = putWords(v, w.position, prefix);
    w.position = nanoseconds ? putPadded(v, p, nanos, 9) : putPadded(v, p, Math.floor(nanos / 1000), 6);
  }
}

export { groupDigits } from './group-digits.js';

// ---------------------------------------------------------------------------------------------
// TCP flags

/** tcpdump's letters in tcpdump's order: F S R P . U E W (ACK is '.'); no flag gives 'none'. */
const FLAG_ORDER: ReadonlyArray<readonly [number, string]> = [
  [0x01, 'F'],
  [0x02, 'S'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x10, '.'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'W'],
];

export const TCP_FLAG_TEXT: readonly string[] = Array.from({ length: 256 }, (_, bits) => {
  let s = '';
  // an index loop: run once per value at start-up, in the interpreter, where for-of and destructuring cost
  for (let i = 0; i < FLAG_ORDER.length; i++) if (bits & FLAG_ORDER[i]![0]) s += FLAG_ORDER[i]![1];
  return s === '' ? 'none' : s;
});

// ---------------------------------------------------------------------------------------------
// Carriers

/** Bytes a carrier occupies from `c.offset` (the option/header bytes, for -x highlighting). */
export function carrierSpan(c: Carrier): number {
  if (c.carrier === 'ipv6-dstopt') return c.length + 2;
  if (c.carrier === 'opp') return c.length + 4;
  return c.length;
}

/** MPTCP option subtypes (RFC 8684) by number, as text and --json name them. */
export const MPTCP_SUBTYPES: readonly string[] = ['capable', 'join', 'dss', 'add-addr', 'rem-addr', 'prio', 'fail', 'fast-close', 'tcprst'];

/** The carrier of kind `where` at `offset`, or null. */
export function findCarrier(carriers: readonly Carrier[], where: Carrier['carrier'], offset: number): Carrier | null {
  for (let i = 0; i < carriers.length; i++) {
    const c = carriers[i]!;
    if (c.offset === offset && c.carrier === where) return c;
  }
  return null;
}

/** Name shown on the line: plain DPVS TOA (toa-v4, toa-v6) is `toa`, every other format its registry name. */
export function carrierLabel(c: Carrier): string {
  return c.format === 'toa-v4' || c.format === 'toa-v6' ? 'toa' : c.format;
}

function endpointText(address: string | null | undefined, port: number | null | undefined): string {
  if (address === null || address === undefined) return port === null || port === undefined ? '' : 'port ' + port;
  return port === null || port === undefined ? address : formatEndpoint(address, port);
}

/**
 * One-line text of a carrier: `toa 192.0.2.1:40000`, `toa-v4-200 192.0.2.1:40000`,
 * `ttgw-v4 192.0.2.1:40000 vip 198.51.100.1:80`, `proxy-v1 192.0.2.1:40000 > 198.51.100.1:80`.
 */
export function carrierText(c: Carrier): string {
  let s = carrierLabel(c);
  const isProxy = c.carrier === 'proxy-v1' || c.carrier === 'proxy-v2' || c.carrier === 'spp';
  if (isProxy && c.command === 'LOCAL') return s + ' LOCAL';
  if (c.sourcePath !== undefined) return s + ' unix ' + c.sourcePath + ' > ' + (c.destinationPath ?? '');
  if (isProxy && c.clientAddress === null) return s + ' ' + (c.family ?? 'unknown');
  const client = endpointText(c.clientAddress, c.clientPort);
  if (client !== '') s += ' ' + client;
  if (c.virtualAddress !== undefined || c.virtualPort !== undefined) {
    s += (isProxy ? ' > ' : ' vip ') + endpointText(c.virtualAddress ?? null, c.virtualPort ?? null);
  }
  if (c.vni !== undefined) s += ' vni ' + c.vni;
  if (c.vpcId !== undefined) s += ' vpc ' + c.vpcId;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Checksums

/** Stored and expected checksum values of a packet (computed only when asked, e.g. for a bad one). */
export interface ChecksumValues {
  /** The value in the header, -1 when there is none. */
  stored: number;
  /** The value the header should hold, -1 when it cannot be computed. */
  expected: number;
}

/**
 * Stored and expected IPv4 header checksum (-1/-1 for IPv6 or an uncaptured header); `frameEnd`:
 * where the captured frame ends in `data` (as for verifyChecksums).
 */
export function ipChecksumValues(data: Uint8Array, d: Dissection, frameEnd: number = data.length): ChecksumValues {
  if (d.ipVersion !== 4 || d.ipHeaderLength < IPV4.MIN_HEADER || d.l3Offset + d.ipHeaderLength > frameEnd) return { stored: -1, expected: -1 };
  return { stored: readU16(data, d.l3Offset + IPV4.CHECKSUM), expected: ipv4HeaderChecksum(data, d.l3Offset, d.ipHeaderLength) };
}

/** Offset of the transport checksum field within the transport header, -1 for protocols without one. */
export function l4ChecksumField(protocol: number): number {
  switch (protocol) {
    case IPPROTO.TCP:
      return TCP.CHECKSUM;
    case IPPROTO.UDP:
      return UDP.CHECKSUM;
    case IPPROTO.ICMP:
    case IPPROTO.ICMPV6:
      return ICMP.CHECKSUM;
    default:
      return -1;
  }
}

/** Stored and expected transport checksum (same pseudo-header policy and `frameEnd` as verifyChecksums). */
export function l4ChecksumValues(data: Uint8Array, d: Dissection, frameEnd: number = data.length): ChecksumValues {
  const field = l4ChecksumField(d.transportProtocol);
  const l4 = d.l4Offset;
  if (field < 0 || l4 < 0 || d.reached < DISSECT_LAYER.TRANSPORT || d.l4End > frameEnd || d.l4End <= l4 + field + 1) return { stored: -1, expected: -1 };
  const stored = readU16(data, l4 + field);
  const length = d.l4End - l4;
  const protocol = d.transportProtocol;
  let pseudo = 0;
  if (protocol !== IPPROTO.ICMP) {
    pseudo = d.ipVersion === 4 ? ipv4Pseudo(data, d.l3Offset, protocol, length) : ipv6Pseudo(data, d.l3Offset, protocol, length);
  }
  let expected = transportChecksum(data, l4, length, field, pseudo);
  if (protocol === IPPROTO.UDP) expected = udpChecksumValue(expected);
  return { stored, expected };
}

// ---------------------------------------------------------------------------------------------
// Names

const IP_PROTOCOL_NAMES: Record<number, string> = {
  0: 'HOPOPT', 1: 'ICMP', 2: 'IGMP', 4: 'IPIP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 43: 'IPv6-Route', 44: 'IPv6-Frag',
  47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMPv6', 59: 'IPv6-NoNxt', 60: 'IPv6-Opts', 89: 'OSPF', 103: 'PIM', 112: 'VRRP',
  132: 'SCTP', 248: 'opp',
};

/** Name of an IP protocol number (`TCP`, `UDP`, `opp`), `ip-proto-N` otherwise. */
export function ipProtocolName(protocol: number): string {
  if (protocol < 0) return 'unknown';
  return IP_PROTOCOL_NAMES[protocol] ?? 'ip-proto-' + protocol;
}

const ETHERTYPE_NAMES: Record<number, string> = {
  0x0800: 'IPv4', 0x0806: 'ARP', 0x8035: 'RARP', 0x8100: '802.1Q', 0x88a8: '802.1Q-QinQ', 0x9100: '802.1Q-9100', 0x86dd: 'IPv6',
  0x8847: 'MPLS unicast', 0x8848: 'MPLS multicast', 0x8863: 'PPPoE D', 0x8864: 'PPPoE S', 0x888e: 'EAPOL', 0x88cc: 'LLDP',
  0x8809: 'Slow Protocols', 0x88e5: 'MACsec', 0x88f7: 'PTP', 0x8906: 'FCoE', 0x9000: 'Loopback',
};

/** Name of an EtherType (`IPv4`, `ARP`, `LLDP`), `Unknown` otherwise. */
export function etherTypeName(type: number): string {
  return ETHERTYPE_NAMES[type] ?? 'Unknown';
}

const ICMP_NAMES: Record<number, string> = {
  0: 'echo reply', 3: 'unreachable', 4: 'source quench', 5: 'redirect', 8: 'echo request', 9: 'router advertisement',
  10: 'router solicitation', 11: 'time exceeded', 12: 'parameter problem', 13: 'time stamp request', 14: 'time stamp reply',
};

const ICMPV6_NAMES: Record<number, string> = {
  1: 'destination unreachable', 2: 'packet too big', 3: 'time exceeded', 4: 'parameter problem', 128: 'echo request',
  129: 'echo reply', 130: 'multicast listener query', 131: 'multicast listener report', 132: 'multicast listener done',
  133: 'router solicitation', 134: 'router advertisement', 135: 'neighbor solicitation', 136: 'neighbor advertisement',
  137: 'redirect', 143: 'multicast listener report v2',
};

/** tcpdump-like name of an ICMP (version 4) or ICMPv6 (6) type, or null when unnamed. */
export function icmpTypeName(ipVersion: number, type: number): string | null {
  return (ipVersion === 6 ? ICMPV6_NAMES[type] : ICMP_NAMES[type]) ?? null;
}
