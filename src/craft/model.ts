/**
 * The description model of `toa craft`: what the flags say and what a `--spec FILE.json` says
 * (docs/craft-spec.md documents the JSON form; this file is its TypeScript shape).
 *
 * Flags build one CraftSpec (src/craft/flags.ts); a spec file is merged over it (src/craft/spec.ts);
 * src/craft/generate.ts turns it into frames. Everything is deterministic: no clock, no randomness.
 */

export type Leg = 'client' | 'backend' | 'both';
export type CloseMode = 'fin' | 'rst' | 'none';

/** A payload: a byte count (filled with a fixed text pattern), text (with \r \n \t \\ \xHH escapes), or hex. */
export type PayloadSpec = number | string | { size: number } | { text: string } | { hex: string };

export interface ExchangeSpec {
  request?: PayloadSpec;
  response?: PayloadSpec;
}

/** Per-packet changes applied to the client-leg packet `packet` (1-based within its connection). */
export interface PacketOverride {
  packet: number;
  /** tcpdump letters (S F R P A U E W, '.') or a number. */
  flags?: string | number;
  /** The whole TCP options area as hex (replaces the generated options; padded to 4 with EOL). */
  optionsHex?: string;
  payloadText?: string;
  payloadHex?: string;
  ttl?: number;
  window?: number;
  sequenceNumber?: number;
  acknowledgmentNumber?: number;
  /** Leave the packet out. */
  drop?: boolean;
}

export interface ConnectionSpec {
  protocol?: 'tcp' | 'udp';
  /** IP:PORT ([v6]:PORT). */
  client?: string;
  vip?: string;
  /** IP or IP:PORT: the first local port, +1 per connection (default: the client port). */
  lip?: string;
  rs?: string;
  /** IPv6 client and VIP, IPv4 LIP and RS (DPVS NAT64); default addresses follow it. */
  nat64?: boolean;
  /** IPv6 defaults for the addresses not given. */
  ipv6?: boolean;
  /** Connections of this description (client port or address incremented per connection). */
  count?: number;
  increment?: 'port' | 'address';
  clientIsn?: number;
  serverIsn?: number;
  fnatIsn?: number;
  mss?: number;
  /** Window scale shift advertised by both sides; null/absent = no option. */
  wscale?: number | null;
  sack?: boolean;
  timestamps?: boolean;
  /** Extra raw options on SYN and SYN-ACK, "KIND:HEX" (hex = bytes after kind and length). */
  tcpOptions?: string[];
  /** Extra raw options on every segment after the handshake too. */
  tcpOptionsEverywhere?: boolean;
  exchanges?: ExchangeSpec[];
  close?: CloseMode;
  /** Send the first request segment twice (a retransmission). */
  retransmit?: boolean;
  ttl?: number;
  /** Carrier format on the backend leg (same names as inject-toa --format) and when (--when). */
  format?: string;
  when?: string;
  mtu?: number;
  vpcId?: number;
  vni?: number;
  overrides?: PacketOverride[];
}

/** A literal packet (no translation between legs): written as given on its interface. */
export interface RawPacketSpec {
  /** Absolute time (ISO or epoch seconds); default: the previous packet's time + rtt. */
  time?: string | number;
  /** Output interface (pcapng); default 0. */
  interface?: number;
  /** A whole frame as hex (everything below is then ignored). */
  frameHex?: string;
  ip?: {
    version?: 4 | 6;
    source: string;
    destination: string;
    ttl?: number;
    tos?: number;
    identification?: number;
    dontFragment?: boolean;
    /** IPv4 options as hex. */
    optionsHex?: string;
    /** IPv6 extension headers: next-header value introducing each, and its bytes as hex. */
    extensions?: { type: number; hex: string }[];
    protocol?: number;
  };
  tcp?: {
    sourcePort: number;
    destinationPort: number;
    sequenceNumber?: number;
    acknowledgmentNumber?: number;
    flags?: string | number;
    window?: number;
    optionsHex?: string;
    /** Header length in bytes to write as given (with fixLengths false). */
    dataOffset?: number;
  };
  udp?: { sourcePort: number; destinationPort: number };
  icmp?: { type?: number; code?: number; identifier?: number; sequence?: number };
  payloadText?: string;
  payloadHex?: string;
  /** A carrier from the registry placed where its format lives (TCP option, IPv4 option, IPv6 dst-opt, opp shim, payload). */
  carrier?: { format: string; client?: string; vip?: string; vpcId?: number; vni?: number; kind?: number };
  /** false: write the length fields as given (dataOffset) instead of fixing them. */
  fixLengths?: boolean;
  computeChecksums?: boolean;
  /** Record a larger original length than the bytes (a snaplen-cut packet). */
  originalLength?: number;
  /** Cut the captured bytes to this many. */
  capturedLength?: number;
}

export interface InterfaceSpec {
  /** ethernet | vlan:ID | qinq:ID,ID | sll | sll2 | raw | null | loop */
  link: string;
  name?: string;
  snaplen?: number;
}

export interface CraftSpec extends ConnectionSpec {
  leg?: Leg;
  /** Link type of the client leg (interface 0) and the backend leg (interface 1 with --leg both). */
  link?: string;
  backendLink?: string;
  /** pcapng output (default: from the output extension, .pcapng → pcapng, else pcap). */
  pcapng?: boolean;
  nanosecond?: boolean;
  byteOrder?: 'le' | 'be';
  snaplen?: number;
  /** ISO time or epoch seconds. */
  start?: string | number;
  /** Time between packets: seconds as a number, or text with s/ms/us/ns. */
  rtt?: string | number;
  clientMac?: string;
  serverMac?: string;
  /** pcapng interfaces (overrides link/backendLink). */
  interfaces?: InterfaceSpec[];
  connections?: ConnectionSpec[];
  packets?: RawPacketSpec[];
}

/** One output packet. */
export interface CraftedPacket {
  interfaceId: number;
  timestampSeconds: number;
  timestampNanos: number;
  data: Uint8Array;
  originalLength: number;
}

export interface CraftedCapture {
  format: 'pcap' | 'pcapng';
  nanosecond: boolean;
  byteOrder: 'le' | 'be';
  interfaces: { linkType: number; name?: string; snapLength: number }[];
  packets: CraftedPacket[];
}

export const CRAFT_DEFAULTS = Object.freeze({
  client: '198.51.100.10:40000',
  vip: '203.0.113.80:80',
  lip: '10.0.0.2',
  rs: '10.0.1.10:8080',
  clientV6: '[2001:db8:1::10]:40000',
  vipV6: '[2001:db8:80::80]:80',
  lipV6: '2001:db8:10::2',
  rsV6: '[2001:db8:11::10]:8080',
  mss: 1460,
  start: '2024-01-01T00:00:00Z',
  rttNanos: 1_000_000,
  clientMac: '02:00:00:00:00:01',
  serverMac: '02:00:00:00:00:02',
  ttl: 64,
  snaplen: 262144,
  window: 64240,
});
