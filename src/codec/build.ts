/**
 * Packet builder for tests, samples and `toa craft`: a complete frame from a description.
 *
 * The size is computed up front (`packetEncodedLength`) and the frame written forward into one
 * buffer; then the fix-ups run inner to outer, gopacket style, under two switches:
 * - `fixLengths` (default true): TCP data offset (options padded to 4), UDP length, opp shim
 *   next-protocol and length, IPv6 extension next-header chain and length bytes, IPv6 payload
 *   length, IPv4 IHL (options padded with EOL to 4) and total length. When false, every length
 *   field given in the description is written as given (missing ones are still computed).
 * - `computeChecksums` (default true): TCP/UDP/ICMPv6 with the pseudo-header (the transport's
 *   own protocol and length, also after an opp shim), ICMP, then the IPv4 header. When false,
 *   the `checksum` fields of the description are written (0 when absent).
 *
 * UDP after an opp shim over IPv4 gets checksum 0 by default (as DPVS sends it);
 * `zeroChecksum: false` computes it instead. Deterministic: no clock, no randomness.
 * Builder functions throw a plain Error on an impossible description (this is not a parser).
 */
import { parseIp } from './addr.js';
import { writeU16, writeU32 } from './bytes.js';
import { finish, ipv4HeaderChecksum, sum16, transportChecksum, udpChecksumValue } from './checksum.js';
import { ICMP, ICMPV6_TYPE, ICMP_TYPE } from './icmp.js';
import { IPPROTO } from './ipproto.js';
import { IPV4, ipv4Pseudo } from './ipv4.js';
import { IPV6, IPV6_EXT, ipv6Pseudo } from './ipv6.js';
import { ETHERNET, ETHERTYPE, NULL_LINK, SLL, SLL2, SLL_PACKET_TYPE, VLAN_TAG } from './link.js';
import { LINKTYPE } from './linktype.js';
import { TCP, TCP_FLAG } from './tcp.js';
import { encodeTcpOptions, tcpOptionsEncodedLength } from './tcp-options.js';
import { UDP } from './udp.js';
import { VXLAN, writeVxlanHeader } from './vxlan.js';

export type AddressInput = string | Uint8Array;
export type MacInput = string | Uint8Array;

export interface VlanTagSpec {
  id: number;
  priority?: number;
  dei?: boolean;
  /** TPID introducing this tag: 0x8100 (default), 0x88a8 or 0x9100. */
  tpid?: number;
}

export type LinkSpec =
  | { type: 'ethernet'; source?: MacInput; destination?: MacInput; vlans?: VlanTagSpec[]; etherType?: number }
  | { type: 'sll'; packetType?: number; hardwareType?: number; address?: Uint8Array; protocol?: number }
  | { type: 'sll2'; packetType?: number; hardwareType?: number; interfaceIndex?: number; address?: Uint8Array; protocol?: number }
  | { type: 'raw' }
  | { type: 'null'; byteOrder?: 'little' | 'big'; family?: number }
  | { type: 'loop'; family?: number };

export interface Ipv4Spec {
  version: 4;
  source: AddressInput;
  destination: AddressInput;
  tos?: number;
  identification?: number;
  reservedFlag?: boolean;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** In bytes (a multiple of 8). */
  fragmentOffset?: number;
  ttl?: number;
  /** Raw option bytes (padded with EOL to a multiple of 4 when fixLengths). */
  options?: Uint8Array;
  protocol?: number;
  totalLength?: number;
  /** IHL*4 to write when fixLengths is off. */
  headerLength?: number;
  checksum?: number;
}

/** One IPv6 extension header: `type` is the next-header value that introduces it; `bytes` the whole header. */
export interface Ipv6ExtensionSpec {
  type: number;
  bytes: Uint8Array;
}

export interface Ipv6Spec {
  version: 6;
  source: AddressInput;
  destination: AddressInput;
  trafficClass?: number;
  flowLabel?: number;
  hopLimit?: number;
  extensions?: Ipv6ExtensionSpec[];
  nextHeader?: number;
  payloadLength?: number;
}

export type TcpOptionSpec = { kind: number; data?: ArrayLike<number> };

export interface TcpSpec {
  type: 'tcp';
  sourcePort: number;
  destinationPort: number;
  sequenceNumber?: number;
  acknowledgmentNumber?: number;
  /** Flag bits, or letters as tcpdump prints them: S F R P U E W and A or '.' (default 'A'). */
  flags?: number | string;
  /** The NS bit / reserved nibble (low 4 bits of byte 12). */
  reserved?: number;
  windowSize?: number;
  urgentPointer?: number;
  options?: Uint8Array | TcpOptionSpec[];
  /** How to pad the options to a multiple of 4: EOL zero bytes (default), NOPs, or not at all. */
  optionPadding?: 'eol' | 'nop' | 'none';
  /** Header length in bytes to write when fixLengths is off. */
  dataOffset?: number;
  checksum?: number;
}

export interface UdpSpec {
  type: 'udp';
  sourcePort: number;
  destinationPort: number;
  length?: number;
  checksum?: number;
  /** Send checksum 0 (default: true after an opp shim over IPv4, false otherwise). */
  zeroChecksum?: boolean;
}

export interface IcmpSpec {
  type: 'icmp';
  /** Default: echo request (8 for IPv4, 128 for ICMPv6). */
  icmpType?: number;
  code?: number;
  identifier?: number;
  sequence?: number;
  checksum?: number;
}

/** Any other protocol: header bytes given raw (no fix-ups). */
export interface RawTransportSpec {
  type: 'raw';
  protocol: number;
  bytes?: Uint8Array;
}

export type TransportSpec = TcpSpec | UdpSpec | IcmpSpec | RawTransportSpec;

export interface PacketSpec {
  /** Default: Ethernet with 02:00:00:00:00:01 -> 02:00:00:00:00:02. */
  link?: LinkSpec;
  ip: Ipv4Spec | Ipv6Spec;
  /** The whole opp shim (4-byte header + options), see `oppShim`; IP protocol becomes 248. */
  opp?: Uint8Array;
  transport: TransportSpec;
  payload?: Uint8Array;
  /** Bytes after the IP packet (Ethernet padding, trailer). */
  trailer?: Uint8Array;
  /** Pad the frame with zero bytes to at least this length (e.g. 60 for Ethernet). */
  padTo?: number;
}

export interface BuildOptions {
  fixLengths?: boolean;
  computeChecksums?: boolean;
}

export const DEFAULT_SOURCE_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x01);
export const DEFAULT_DESTINATION_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x02);

// ---------------------------------------------------------------------------------------------
// Small helpers

function toAddress(input: AddressInput, version: 4 | 6, what: string): Uint8Array {
  const bytes = typeof input === 'string' ? parseIp(input) : input;
  const want = version === 4 ? 4 : 16;
  if (!bytes || bytes.length !== want) throw new Error(`${what} '${String(input)}' is not an IPv${version} address`);
  return bytes;
}

function toMac(input: MacInput | undefined, fallback: Uint8Array): Uint8Array {
  if (input === undefined) return fallback;
  if (typeof input !== 'string') {
    if (input.length !== 6) throw new Error('a MAC address has 6 bytes');
    return input;
  }
  const parts = input.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new Error(`'${input}' is not a MAC address`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

const FLAG_LETTERS: Record<string, number> = {
  F: TCP_FLAG.FIN,
  S: TCP_FLAG.SYN,
  R: TCP_FLAG.RST,
  P: TCP_FLAG.PSH,
  A: TCP_FLAG.ACK,
  '.': TCP_FLAG.ACK,
  U: TCP_FLAG.URG,
  E: TCP_FLAG.ECE,
  W: TCP_FLAG.CWR,
};

/** TCP flags from tcpdump letters ("S", "S.", "P.", "FA", "R"); throws on an unknown letter. */
export function parseTcpFlags(text: string): number {
  let flags = 0;
  for (const ch of text) {
    const bit = FLAG_LETTERS[ch.toUpperCase()] ?? FLAG_LETTERS[ch];
    if (bit === undefined) throw new Error(`'${ch}' is not a TCP flag letter (use S F R P A U E W or .)`);
    flags |= bit;
  }
  return flags;
}

/** pcap link type of a link description. */
export function linkTypeOf(link: LinkSpec | undefined): number {
  switch (link?.type ?? 'ethernet') {
    case 'ethernet':
      return LINKTYPE.ETHERNET;
    case 'sll':
      return LINKTYPE.LINUX_SLL;
    case 'sll2':
      return LINKTYPE.LINUX_SLL2;
    case 'raw':
      return LINKTYPE.RAW;
    case 'null':
      return LINKTYPE.NULL;
    case 'loop':
      return LINKTYPE.LOOP;
  }
}

/**
 * Parse a link description as written on the command line: `ethernet` (or `eth`), `vlan:ID`,
 * `vlan:ID,ID` (802.1Q stack), `qinq:OUTER,INNER` (802.1ad + 802.1Q), `sll`, `sll2`, `raw`,
 * `null`, `loop`.
 */
export function parseLinkSpec(text: string): LinkSpec {
  const [name, argument] = text.split(':', 2) as [string, string | undefined];
  const ids = (): number[] => {
    if (!argument) throw new Error(`'${text}' needs VLAN ids after ':'`);
    return argument.split(',').map((s) => {
      const n = Number(s);
      if (!/^\d+$/.test(s) || n > 4095) throw new Error(`VLAN id '${s}' in '${text}' is not 0..4095`);
      return n;
    });
  };
  switch (name.toLowerCase()) {
    case 'ethernet':
    case 'eth':
    case 'en10mb':
      return { type: 'ethernet' };
    case 'vlan':
      return { type: 'ethernet', vlans: ids().map((id) => ({ id, tpid: ETHERTYPE.VLAN })) };
    case 'qinq': {
      const list = ids();
      if (list.length !== 2) throw new Error(`'${text}' needs two ids: qinq:OUTER,INNER`);
      return {
        type: 'ethernet',
        vlans: [
          { id: list[0]!, tpid: ETHERTYPE.QINQ },
          { id: list[1]!, tpid: ETHERTYPE.VLAN },
        ],
      };
    }
    case 'sll':
      return { type: 'sll' };
    case 'sll2':
      return { type: 'sll2' };
    case 'raw':
      return { type: 'raw' };
    case 'null':
      return { type: 'null' };
    case 'loop':
      return { type: 'loop' };
    default:
      throw new Error(`'${text}' is not a link type (use ethernet, vlan:ID, qinq:ID,ID, sll, sll2, raw, null or loop)`);
  }
}

function linkHeaderLength(link: LinkSpec): number {
  switch (link.type) {
    case 'ethernet':
      return ETHERNET.HEADER + VLAN_TAG.LENGTH * (link.vlans?.length ?? 0);
    case 'sll':
      return SLL.HEADER;
    case 'sll2':
      return SLL2.HEADER;
    case 'raw':
      return 0;
    case 'null':
    case 'loop':
      return NULL_LINK.HEADER;
  }
}

function writeLink(link: LinkSpec, out: Uint8Array, o: number, version: 4 | 6): void {
  const etherType = version === 4 ? ETHERTYPE.IPV4 : ETHERTYPE.IPV6;
  switch (link.type) {
    case 'ethernet': {
      out.set(toMac(link.destination, DEFAULT_DESTINATION_MAC), o + ETHERNET.DESTINATION);
      out.set(toMac(link.source, DEFAULT_SOURCE_MAC), o + ETHERNET.SOURCE);
      let p = o + ETHERNET.TYPE;
      for (const tag of link.vlans ?? []) {
        writeU16(out, p, tag.tpid ?? ETHERTYPE.VLAN);
        const tci = ((tag.priority ?? 0) << VLAN_TAG.PRIORITY_SHIFT) | (tag.dei ? VLAN_TAG.DEI_BIT : 0) | (tag.id & VLAN_TAG.ID_MASK);
        writeU16(out, p + 2, tci);
        p += VLAN_TAG.LENGTH;
      }
      writeU16(out, p, link.etherType ?? etherType);
      return;
    }
    case 'sll': {
      out.fill(0, o, o + SLL.HEADER);
      writeU16(out, o + SLL.PACKET_TYPE, link.packetType ?? SLL_PACKET_TYPE.HOST);
      writeU16(out, o + SLL.HARDWARE_TYPE, link.hardwareType ?? 1);
      const address = link.address ?? DEFAULT_SOURCE_MAC;
      const n = Math.min(address.length, SLL.ADDRESS_FIELD_LENGTH);
      writeU16(out, o + SLL.ADDRESS_LENGTH, n);
      out.set(address.subarray(0, n), o + SLL.ADDRESS);
      writeU16(out, o + SLL.PROTOCOL, link.protocol ?? etherType);
      return;
    }
    case 'sll2': {
      out.fill(0, o, o + SLL2.HEADER);
      writeU16(out, o + SLL2.PROTOCOL, link.protocol ?? etherType);
      writeU32(out, o + SLL2.INTERFACE_INDEX, link.interfaceIndex ?? 1);
      writeU16(out, o + SLL2.HARDWARE_TYPE, link.hardwareType ?? 1);
      out[o + SLL2.PACKET_TYPE] = link.packetType ?? SLL_PACKET_TYPE.HOST;
      const address = link.address ?? DEFAULT_SOURCE_MAC;
      const n = Math.min(address.length, SLL2.ADDRESS_FIELD_LENGTH);
      out[o + SLL2.ADDRESS_LENGTH] = n;
      out.set(address.subarray(0, n), o + SLL2.ADDRESS);
      return;
    }
    case 'raw':
      return;
    case 'null': {
      const family = link.family ?? (version === 4 ? NULL_LINK.AF_INET : NULL_LINK.AF_INET6_BSD);
      if (link.byteOrder === 'big') writeU32(out, o, family);
      else {
        out[o] = family & 0xff;
        out[o + 1] = (family >>> 8) & 0xff;
        out[o + 2] = (family >>> 16) & 0xff;
        out[o + 3] = family >>> 24;
      }
      return;
    }
    case 'loop':
      writeU32(out, o, link.family ?? (version === 4 ? NULL_LINK.AF_INET : NULL_LINK.AF_INET6_BSD));
      return;
  }
}

function transportProtocolOf(t: TransportSpec, version: 4 | 6): number {
  switch (t.type) {
    case 'tcp':
      return IPPROTO.TCP;
    case 'udp':
      return IPPROTO.UDP;
    case 'icmp':
      return version === 4 ? IPPROTO.ICMP : IPPROTO.ICMPV6;
    case 'raw':
      return t.protocol;
  }
}

/** Encoded TCP options (before padding). */
function tcpOptionBytes(t: TcpSpec): Uint8Array {
  if (!t.options) return new Uint8Array(0);
  if (t.options instanceof Uint8Array) return t.options;
  const bytes = new Uint8Array(tcpOptionsEncodedLength(t.options));
  encodeTcpOptions(t.options, bytes, 0);
  return bytes;
}

function padded4(n: number): number {
  return (n + 3) & ~3;
}

interface Layout {
  link: LinkSpec;
  linkLength: number;
  ipHeaderLength: number;
  ipv4OptionsLength: number;
  extensionsLength: number;
  oppLength: number;
  l4HeaderLength: number;
  tcpOptions: Uint8Array;
  tcpOptionsPadded: number;
  payloadLength: number;
  trailerLength: number;
  total: number;
}

function layoutOf(spec: PacketSpec, fixLengths: boolean): Layout {
  const link = spec.link ?? { type: 'ethernet' };
  const linkLength = linkHeaderLength(link);
  let ipHeaderLength: number;
  let ipv4OptionsLength = 0;
  let extensionsLength = 0;
  if (spec.ip.version === 4) {
    const n = spec.ip.options?.length ?? 0;
    ipv4OptionsLength = fixLengths ? padded4(n) : n;
    if (fixLengths && ipv4OptionsLength > IPV4.MAX_HEADER - IPV4.MIN_HEADER) throw new Error(`${n} bytes of IPv4 options do not fit in 40`);
    ipHeaderLength = IPV4.MIN_HEADER + ipv4OptionsLength;
  } else {
    for (const e of spec.ip.extensions ?? []) extensionsLength += e.bytes.length;
    ipHeaderLength = IPV6.HEADER + extensionsLength;
  }
  const oppLength = spec.opp?.length ?? 0;
  let l4HeaderLength: number;
  let tcpOptions: Uint8Array = new Uint8Array(0);
  let tcpOptionsPadded = 0;
  const t = spec.transport;
  switch (t.type) {
    case 'tcp':
      tcpOptions = tcpOptionBytes(t);
      tcpOptionsPadded = (t.optionPadding ?? 'eol') === 'none' ? tcpOptions.length : padded4(tcpOptions.length);
      if (fixLengths && (tcpOptionsPadded & 3) !== 0) throw new Error(`${tcpOptions.length} bytes of TCP options are not a multiple of 4 and padding is off`);
      if (fixLengths && tcpOptionsPadded > TCP.MAX_HEADER - TCP.MIN_HEADER) throw new Error(`${tcpOptions.length} bytes of TCP options do not fit in 40`);
      l4HeaderLength = TCP.MIN_HEADER + tcpOptionsPadded;
      break;
    case 'udp':
      l4HeaderLength = UDP.HEADER;
      break;
    case 'icmp':
      l4HeaderLength = ICMP.HEADER;
      break;
    case 'raw':
      l4HeaderLength = t.bytes?.length ?? 0;
      break;
  }
  const payloadLength = spec.payload?.length ?? 0;
  let trailerLength = spec.trailer?.length ?? 0;
  let total = linkLength + ipHeaderLength + oppLength + l4HeaderLength + payloadLength + trailerLength;
  if (spec.padTo !== undefined && total < spec.padTo) {
    trailerLength += spec.padTo - total;
    total = spec.padTo;
  }
  return {
    link,
    linkLength,
    ipHeaderLength,
    ipv4OptionsLength,
    extensionsLength,
    oppLength,
    l4HeaderLength,
    tcpOptions,
    tcpOptionsPadded,
    payloadLength,
    trailerLength,
    total,
  };
}

/** Total frame length `spec` builds to. */
export function packetEncodedLength(spec: PacketSpec, options: BuildOptions = {}): number {
  return layoutOf(spec, options.fixLengths ?? true).total;
}

/** Build the frame into a new buffer. */
export function buildPacket(spec: PacketSpec, options: BuildOptions = {}): Uint8Array {
  const out = new Uint8Array(packetEncodedLength(spec, options));
  buildPacketInto(spec, out, 0, options);
  return out;
}

/** Build the frame into out[offset...]; returns the bytes written. Every byte of the frame is written. */
export function buildPacketInto(spec: PacketSpec, out: Uint8Array, offset: number, options: BuildOptions = {}): number {
  const fixLengths = options.fixLengths ?? true;
  const computeChecksums = options.computeChecksums ?? true;
  const layout = layoutOf(spec, fixLengths);
  if (offset + layout.total > out.length) throw new Error(`the frame needs ${layout.total} bytes at ${offset}, the buffer has ${out.length}`);
  const ip = spec.ip;
  const version = ip.version;
  const t = spec.transport;
  const transportProtocol = transportProtocolOf(t, version);
  const afterIp = spec.opp ? IPPROTO.OPP : transportProtocol;

  writeLink(layout.link, out, offset, version);
  const l3 = offset + layout.linkLength;
  const ipPacketLength = layout.ipHeaderLength + layout.oppLength + layout.l4HeaderLength + layout.payloadLength;
  let p: number;

  // --- IP header
  if (ip.version === 4) {
    const headerLength = fixLengths || ip.headerLength === undefined ? layout.ipHeaderLength : ip.headerLength;
    out[l3 + IPV4.VER_IHL] = 0x40 | ((headerLength >>> 2) & 0x0f);
    out[l3 + IPV4.TOS] = ip.tos ?? 0;
    writeU16(out, l3 + IPV4.TOTAL_LENGTH, fixLengths || ip.totalLength === undefined ? ipPacketLength : ip.totalLength);
    writeU16(out, l3 + IPV4.ID, ip.identification ?? 0);
    const fragment = ip.fragmentOffset ?? 0;
    if (fragment % 8 !== 0) throw new Error(`IPv4 fragment offset ${fragment} is not a multiple of 8`);
    const flags = (ip.reservedFlag ? 0x8000 : 0) | (ip.dontFragment ? IPV4.FLAG_DF : 0) | (ip.moreFragments ? IPV4.FLAG_MF : 0);
    writeU16(out, l3 + IPV4.FLAGS_FRAG, flags | ((fragment / 8) & IPV4.FRAG_OFFSET_MASK));
    out[l3 + IPV4.TTL] = ip.ttl ?? 64;
    out[l3 + IPV4.PROTOCOL] = ip.protocol ?? afterIp;
    writeU16(out, l3 + IPV4.CHECKSUM, 0);
    out.set(toAddress(ip.source, 4, 'source'), l3 + IPV4.SRC);
    out.set(toAddress(ip.destination, 4, 'destination'), l3 + IPV4.DST);
    const opts = ip.options ?? new Uint8Array(0);
    out.set(opts, l3 + IPV4.MIN_HEADER);
    out.fill(0, l3 + IPV4.MIN_HEADER + opts.length, l3 + layout.ipHeaderLength); // EOL padding
    p = l3 + layout.ipHeaderLength;
  } else {
    const trafficClass = ip.trafficClass ?? 0;
    const flowLabel = ip.flowLabel ?? 0;
    writeU32(out, l3 + IPV6.VER_TC_FLOW, ((6 << 28) | ((trafficClass & 0xff) << 20) | (flowLabel & 0xfffff)) >>> 0);
    writeU16(out, l3 + IPV6.PAYLOAD_LENGTH, fixLengths || ip.payloadLength === undefined ? ipPacketLength - IPV6.HEADER : ip.payloadLength);
    const extensions = ip.extensions ?? [];
    const firstNext = extensions.length > 0 ? extensions[0]!.type : afterIp;
    out[l3 + IPV6.NEXT_HEADER] = fixLengths || ip.nextHeader === undefined ? firstNext : ip.nextHeader;
    out[l3 + IPV6.HOP_LIMIT] = ip.hopLimit ?? 64;
    out.set(toAddress(ip.source, 6, 'source'), l3 + IPV6.SRC);
    out.set(toAddress(ip.destination, 6, 'destination'), l3 + IPV6.DST);
    p = l3 + IPV6.HEADER;
    for (let i = 0; i < extensions.length; i++) {
      const e = extensions[i]!;
      out.set(e.bytes, p);
      if (fixLengths) {
        out[p] = i + 1 < extensions.length ? extensions[i + 1]!.type : afterIp;
        const n = e.bytes.length;
        if (e.type === IPV6_EXT.FRAGMENT) {
          if (n !== 8) throw new Error('an IPv6 fragment header has 8 bytes');
        } else if (e.type === IPV6_EXT.AUTH) {
          if (n < 8 || n % 4 !== 0) throw new Error('an IPv6 authentication header is a multiple of 4 bytes, at least 8');
          out[p + 1] = n / 4 - 2;
        } else {
          if (n < 8 || n % 8 !== 0) throw new Error(`IPv6 extension header ${e.type} has ${n} bytes, not a multiple of 8`);
          out[p + 1] = n / 8 - 1;
        }
      }
      p += e.bytes.length;
    }
  }

  // --- opp shim
  if (spec.opp) {
    out.set(spec.opp, p);
    if (fixLengths) {
      out[p + 1] = transportProtocol;
      writeU16(out, p + 2, spec.opp.length);
    }
    p += spec.opp.length;
  }

  // --- transport
  const l4 = p;
  const segmentLength = layout.l4HeaderLength + layout.payloadLength;
  switch (t.type) {
    case 'tcp': {
      writeU16(out, l4 + TCP.SRC_PORT, t.sourcePort);
      writeU16(out, l4 + TCP.DST_PORT, t.destinationPort);
      writeU32(out, l4 + TCP.SEQ, (t.sequenceNumber ?? 0) >>> 0);
      writeU32(out, l4 + TCP.ACK, (t.acknowledgmentNumber ?? 0) >>> 0);
      const headerLength = fixLengths || t.dataOffset === undefined ? layout.l4HeaderLength : t.dataOffset;
      out[l4 + TCP.DATA_OFFSET] = (((headerLength >>> 2) & 0x0f) << 4) | ((t.reserved ?? 0) & 0x0f);
      const flags = t.flags === undefined ? TCP_FLAG.ACK : typeof t.flags === 'string' ? parseTcpFlags(t.flags) : t.flags;
      out[l4 + TCP.FLAGS] = flags & 0xff;
      writeU16(out, l4 + TCP.WINDOW, t.windowSize ?? 65535);
      writeU16(out, l4 + TCP.CHECKSUM, 0);
      writeU16(out, l4 + TCP.URGENT, t.urgentPointer ?? 0);
      out.set(layout.tcpOptions, l4 + TCP.MIN_HEADER);
      out.fill(t.optionPadding === 'nop' ? 1 : 0, l4 + TCP.MIN_HEADER + layout.tcpOptions.length, l4 + layout.l4HeaderLength);
      break;
    }
    case 'udp':
      writeU16(out, l4 + UDP.SRC_PORT, t.sourcePort);
      writeU16(out, l4 + UDP.DST_PORT, t.destinationPort);
      writeU16(out, l4 + UDP.LENGTH, fixLengths || t.length === undefined ? segmentLength : t.length);
      writeU16(out, l4 + UDP.CHECKSUM, 0);
      break;
    case 'icmp': {
      const echo = version === 4 ? ICMP_TYPE.ECHO_REQUEST : ICMPV6_TYPE.ECHO_REQUEST;
      out[l4 + ICMP.TYPE] = t.icmpType ?? echo;
      out[l4 + ICMP.CODE] = t.code ?? 0;
      writeU16(out, l4 + ICMP.CHECKSUM, 0);
      writeU16(out, l4 + ICMP.IDENTIFIER, t.identifier ?? 0);
      writeU16(out, l4 + ICMP.SEQUENCE, t.sequence ?? 0);
      break;
    }
    case 'raw':
      if (t.bytes) out.set(t.bytes, l4);
      break;
  }
  p = l4 + layout.l4HeaderLength;
  if (spec.payload) out.set(spec.payload, p);
  p += layout.payloadLength;
  const trailerStart = p;
  if (spec.trailer) out.set(spec.trailer, p);
  out.fill(0, trailerStart + (spec.trailer?.length ?? 0), trailerStart + layout.trailerLength);

  // --- checksums, inner to outer
  const pseudo = (protocol: number, length: number): number =>
    version === 4 ? ipv4Pseudo(out, l3, protocol, length) : ipv6Pseudo(out, l3, protocol, length);
  switch (t.type) {
    case 'tcp': {
      const value = computeChecksums ? transportChecksum(out, l4, segmentLength, TCP.CHECKSUM, pseudo(IPPROTO.TCP, segmentLength)) : t.checksum ?? 0;
      writeU16(out, l4 + TCP.CHECKSUM, value);
      break;
    }
    case 'udp': {
      const zero = t.zeroChecksum ?? (spec.opp !== undefined && version === 4);
      let value: number;
      if (!computeChecksums) value = t.checksum ?? 0;
      else if (zero) value = 0;
      else value = udpChecksumValue(transportChecksum(out, l4, segmentLength, UDP.CHECKSUM, pseudo(IPPROTO.UDP, segmentLength)));
      writeU16(out, l4 + UDP.CHECKSUM, value);
      break;
    }
    case 'icmp': {
      let value: number;
      if (!computeChecksums) value = t.checksum ?? 0;
      else if (version === 4) value = finish(sum16(out, l4, l4 + segmentLength));
      else value = transportChecksum(out, l4, segmentLength, ICMP.CHECKSUM, pseudo(IPPROTO.ICMPV6, segmentLength));
      writeU16(out, l4 + ICMP.CHECKSUM, value);
      break;
    }
    case 'raw':
      break;
  }
  if (ip.version === 4) {
    writeU16(out, l3 + IPV4.CHECKSUM, computeChecksums ? ipv4HeaderChecksum(out, l3, layout.ipHeaderLength) : ip.checksum ?? 0);
  }
  return layout.total;
}

// ---------------------------------------------------------------------------------------------
// Pieces: IPv6 extension headers, the opp shim, VXLAN

/**
 * A hop-by-hop (type 0) or destination-options (type 60) header around `options` (TLVs),
 * padded with Pad1/PadN to a multiple of 8. The next-header byte is set by the builder.
 */
export function ipv6OptionsHeader(type: number, options: Uint8Array): Ipv6ExtensionSpec {
  const length = (2 + options.length + 7) & ~7;
  const bytes = new Uint8Array(length);
  bytes[1] = length / 8 - 1;
  bytes.set(options, 2);
  const pad = length - 2 - options.length;
  const at = 2 + options.length;
  if (pad === 1) bytes[at] = 0; // Pad1
  else if (pad >= 2) {
    bytes[at] = 1; // PadN
    bytes[at + 1] = pad - 2;
  }
  return { type, bytes };
}

/** A routing header (type 43): routing type, segments left, then `data` (zero-padded to 8). */
export function ipv6RoutingHeader(routingType: number, segmentsLeft: number, data: Uint8Array): Ipv6ExtensionSpec {
  const length = (4 + data.length + 7) & ~7;
  const bytes = new Uint8Array(length);
  bytes[1] = length / 8 - 1;
  bytes[2] = routingType;
  bytes[3] = segmentsLeft;
  bytes.set(data, 4);
  return { type: IPV6_EXT.ROUTING, bytes };
}

/** A fragment header (type 44): offset in bytes (multiple of 8), M flag, identification. */
export function ipv6FragmentHeader(fragmentOffset: number, moreFragments: boolean, identification: number): Ipv6ExtensionSpec {
  const bytes = new Uint8Array(8);
  writeU16(bytes, 2, (fragmentOffset & 0xfff8) | (moreFragments ? 1 : 0));
  writeU32(bytes, 4, identification >>> 0);
  return { type: IPV6_EXT.FRAGMENT, bytes };
}

/** The opp shim: version nibble (1 IPv4 client, 2 IPv6 client), next protocol, length, then `options`. */
export function oppShim(version: number, options: Uint8Array, nextProtocol: number = IPPROTO.UDP): Uint8Array {
  const bytes = new Uint8Array(4 + options.length);
  bytes[0] = (version & 0x0f) << 4;
  bytes[1] = nextProtocol;
  writeU16(bytes, 2, bytes.length);
  bytes.set(options, 4);
  return bytes;
}

/** UDP payload for VXLAN: the 8-byte header with `vni` and the inner Ethernet frame. */
export function vxlanPayload(vni: number, innerFrame: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(VXLAN.HEADER + innerFrame.length);
  writeVxlanHeader(bytes, 0, vni);
  bytes.set(innerFrame, VXLAN.HEADER);
  return bytes;
}
