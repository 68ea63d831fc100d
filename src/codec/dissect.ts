/**
 * The reusable, lax whole-packet dissector.
 *
 * One `Dissection` object is allocated per reader and refilled for every packet by
 * `dissect(data, linkType, originalLength, d)`. It holds numbers only (offsets are absolute in
 * `data`, -1 meaning "absent"); its arrays are allocated once. `dissect` never throws and
 * allocates nothing: on damage it records a warning (code + byte offset + value, up to
 * MAX_WARNINGS, messages built lazily by `dissectWarningMessage`) and stops at the damaged
 * layer; `reached` says how far it got.
 *
 * It does not decode client-address carriers: it records where they live (TCP options area,
 * IPv4 options area, every IPv6 extension header, the opp shim, the L4 payload) so that
 * src/carriers can decode those byte ranges.
 *
 * Lengths: `ipEnd` comes from the IP header and may lie beyond the captured bytes (snaplen):
 * then `truncated` is true and `capturedEnd < ipEnd`. Bytes after `ipEnd` in the frame
 * (Ethernet padding or trailer) are never payload: they are reported as `trailerOffset/Length`.
 *
 * Encapsulation: a UDP datagram to port 4789 whose first byte has the VXLAN I flag, or IP
 * protocol 4 / 41 (IP-in-IP, 6in4, 4in6, 6in6), is decapsulated once: the outer layers are
 * copied into `d.outer` (pre-allocated) and the inner frame/packet is dissected into `d`
 * itself, so code written for plain packets sees the inner connection. `encapsulation` and
 * `vni` say what happened; the inner link header starts at `linkOffset`.
 */
import { readU16, readU32 } from './bytes.js';
import type { PacketRecord } from './capture-types.js';
import type { ChecksumStatus } from './checksum.js';
import { verifyIpv4HeaderChecksum, verifyTransportChecksum } from './checksum.js';
import { ICMP } from './icmp.js';
import { IPPROTO } from './ipproto.js';
import { IPV4 } from './ipv4.js';
import { IPV6, IPV6_EXT, ipv6Pseudo } from './ipv6.js';
import { ipv4Pseudo } from './ipv4.js';
import { ETHERTYPE, LINK_RESULT, type LinkFields, MAX_VLAN_RECORDED, parseLinkLayer } from './link.js';
import { LINKTYPE } from './linktype.js';
import { TCP, TCP_OPTION } from './tcp.js';
import { UDP } from './udp.js';
import { VXLAN, isVxlanHeader, vxlanVni } from './vxlan.js';

/** How far the dissection got (the deepest layer whose header was fully decoded). */
export const DISSECT_LAYER = Object.freeze({
  NONE: 0,
  LINK: 1,
  NETWORK: 2,
  TRANSPORT: 3,
  /** The payload was located (the packet was decoded to the end). */
  PAYLOAD: 4,
});

/** Encapsulation removed by the dissector (`d.encapsulation`). */
export const ENCAPSULATION = Object.freeze({
  NONE: 0,
  VXLAN: 1,
  IP_IN_IP: 2,
});

/** The opp shim (IP protocol 248, DPVS UOA "opp" mode): 4-byte header, then options, then UDP/TCP. */
export const OPP = Object.freeze({
  VERSION: 0, // high nibble: 1 = IPv4 client, 2 = IPv6 client
  NEXT_PROTOCOL: 1,
  LENGTH: 2, // header + options
  HEADER: 4,
});

/** Size of the fixed arrays. */
export const MAX_WARNINGS = 8;
export const MAX_EXTENSION_HEADERS = 8;

/** Warning codes. Each has a layer and a sentence (see `dissectWarningMessage`). */
export const DISSECT_WARNING = Object.freeze({
  LINK_TRUNCATED: 1,
  VLAN_TOO_DEEP: 2,
  RAW_BAD_IP_VERSION: 3,
  IP_VERSION_MISMATCH: 4,
  IPV4_HEADER_TRUNCATED: 5,
  IPV4_BAD_HEADER_LENGTH: 6,
  IPV4_BAD_TOTAL_LENGTH: 7,
  IPV4_ZERO_TOTAL_LENGTH: 8,
  IP_LENGTH_EXCEEDS_FRAME: 9,
  IPV6_HEADER_TRUNCATED: 10,
  IPV6_ZERO_PAYLOAD_LENGTH: 11,
  IPV6_EXTENSION_TRUNCATED: 12,
  IPV6_EXTENSION_OVERRUN: 13,
  IPV6_TOO_MANY_EXTENSIONS: 14,
  OPP_TRUNCATED: 15,
  OPP_BAD_LENGTH: 16,
  TCP_TRUNCATED: 17,
  TCP_BAD_DATA_OFFSET: 18,
  TCP_BEYOND_IP_END: 19,
  TCP_OPTION_BAD_LENGTH: 20,
  TCP_OPTION_OVERRUN: 21,
  UDP_TRUNCATED: 22,
  UDP_BAD_LENGTH: 23,
  UDP_LENGTH_EXCEEDS_IP: 24,
  UDP_BEYOND_IP_END: 25,
  ICMP_TRUNCATED: 26,
  ICMP_BEYOND_IP_END: 27,
  VXLAN_TRUNCATED: 28,
  IPV6_LENGTH_EXCEEDS_FRAME: 29,
});

/** [name, layer, sentence] per warning code. */
const WARNING_INFO: Record<number, readonly [string, string, string]> = {
  1: ['link-truncated', 'link', 'the captured bytes end inside the link header'],
  2: ['vlan-too-deep', 'vlan', 'more VLAN tags than the dissector walks'],
  3: ['raw-bad-ip-version', 'link', 'raw IP packet with a version nibble that is neither 4 nor 6'],
  4: ['ip-version-mismatch', 'ipv4', 'the IP version nibble does not match the link-layer protocol'],
  5: ['ipv4-header-truncated', 'ipv4', 'the captured bytes end inside the IPv4 header'],
  6: ['ipv4-bad-header-length', 'ipv4', 'IPv4 header length (IHL*4) below 20'],
  7: ['ipv4-bad-total-length', 'ipv4', 'IPv4 total length smaller than its header length'],
  8: ['ipv4-zero-total-length', 'ipv4', 'IPv4 total length 0 (segmentation offload); the frame length is used'],
  9: ['ip-length-exceeds-frame', 'ipv4', 'the IPv4 total length runs past the end of the frame on the wire'],
  10: ['ipv6-header-truncated', 'ipv6', 'the captured bytes end inside the IPv6 header'],
  11: ['ipv6-zero-payload-length', 'ipv6', 'IPv6 payload length 0 (jumbogram or offload); the frame length is used'],
  12: ['ipv6-extension-truncated', 'ipv6', 'the captured bytes end inside an IPv6 extension header'],
  13: ['ipv6-extension-overrun', 'ipv6', 'an IPv6 extension header runs past the IPv6 payload length'],
  14: ['ipv6-too-many-extensions', 'ipv6', 'more IPv6 extension headers than the dissector records'],
  15: ['opp-truncated', 'opp', 'the captured bytes end inside the opp shim'],
  16: ['opp-bad-length', 'opp', 'the opp shim length is below 4 or runs past the IP length'],
  17: ['tcp-truncated', 'tcp', 'the captured bytes end inside the TCP header'],
  18: ['tcp-bad-data-offset', 'tcp', 'TCP data offset below 5 words'],
  19: ['tcp-beyond-ip-end', 'tcp', 'the TCP header runs past the IP length'],
  20: ['tcp-option-bad-length', 'tcp-option', 'a TCP option has a length below 2'],
  21: ['tcp-option-overrun', 'tcp-option', 'a TCP option runs past the TCP header'],
  22: ['udp-truncated', 'udp', 'the captured bytes end inside the UDP header'],
  23: ['udp-bad-length', 'udp', 'UDP length below 8'],
  24: ['udp-length-exceeds-ip', 'udp', 'the UDP length runs past the IP length'],
  25: ['udp-beyond-ip-end', 'udp', 'the UDP header runs past the IP length'],
  26: ['icmp-truncated', 'icmp', 'the captured bytes end inside the ICMP header'],
  27: ['icmp-beyond-ip-end', 'icmp', 'the ICMP header runs past the IP length'],
  28: ['vxlan-truncated', 'vxlan', 'the captured bytes end inside the VXLAN header'],
  29: ['ipv6-length-exceeds-frame', 'ipv6', 'the IPv6 payload length runs past the end of the frame on the wire'],
};

/** Checksum verdicts: `ChecksumStatus` plus 'none' = the header carries no checksum (IPv6) or the sender sent none (UDP 0 over IPv4). */
export type ChecksumVerdict = ChecksumStatus | 'none';

/**
 * The per-packet result. Every field is a number/boolean (or a pre-allocated typed array);
 * offsets are absolute in the packet bytes and -1 means absent.
 */
export class Dissection implements LinkFields {
  // --- frame
  /** Link type of the capture (the outer one for decapsulated packets). */
  linkType = -1;
  capturedLength = 0;
  originalLength = 0;
  /** Deepest layer decoded (DISSECT_LAYER). */
  reached = 0;
  /** True when bytes that the headers announce are missing from the capture (snaplen), at any layer. */
  truncated = false;

  // --- link
  /** Where the link header starts (0, or the inner Ethernet header of a VXLAN packet). */
  linkOffset = 0;
  linkHeaderLength = 0;
  etherType = -1;
  vlanCount = 0;
  readonly vlanIds = new Uint16Array(MAX_VLAN_RECORDED);
  readonly vlanTpids = new Uint16Array(MAX_VLAN_RECORDED);
  sllPacketType = -1;
  sllInterfaceIndex = -1;
  sllHardwareType = -1;
  linkFamily = -1;
  /** Bytes after the IP packet inside the frame (Ethernet padding, FCS, trailers): offset (-1) and length. */
  trailerOffset = -1;
  trailerLength = 0;

  // --- network
  l3Offset = -1;
  /** 0 (no IP), 4 or 6. */
  ipVersion = 0;
  /** IPv4: IHL*4; IPv6: 40 + every extension header before the transport (or the opp shim). */
  ipHeaderLength = 0;
  /** l3Offset + IPv4 total length / 40 + IPv6 payload length (may exceed the captured bytes). */
  ipEnd = -1;
  /** True when the IP length field was 0 (TSO/GSO/BIG TCP, jumbogram) and ipEnd was taken from the frame. */
  ipLengthFromFrame = false;
  /** min(captured end, ipEnd): where the captured bytes of the IP packet stop. */
  capturedEnd = 0;
  ipSourceOffset = -1;
  ipDestinationOffset = -1;
  /** 4 or 16 (0 without IP). */
  ipAddressLength = 0;
  /** IPv4 TTL or IPv6 hop limit. */
  hopLimit = -1;
  /** IPv4 TOS byte or IPv6 traffic class. */
  trafficClass = -1;
  /** IPv6 flow label (-1 for IPv4). */
  flowLabel = -1;
  /** IPv4 identification, or the IPv6 fragment header identification (-1 when absent). */
  ipIdentification = -1;
  /** IPv4 flags (3 bits: 4 reserved, 2 DF, 1 MF), -1 for IPv6. */
  ipv4Flags = -1;
  /** Fragment offset in bytes (IPv4 or IPv6 fragment header). */
  fragmentOffset = 0;
  moreFragments = false;
  /** MF set or a non-zero fragment offset. */
  isFragment = false;
  /** Non-zero fragment offset: no transport header in this packet. */
  isLaterFragment = false;
  ipv4OptionsOffset = -1;
  ipv4OptionsLength = 0;
  extensionCount = 0;
  /** Per IPv6 extension header: next-header value that introduced it, absolute offset, length in bytes. */
  readonly extensionTypes = new Uint8Array(MAX_EXTENSION_HEADERS);
  readonly extensionOffsets = new Int32Array(MAX_EXTENSION_HEADERS);
  readonly extensionLengths = new Int32Array(MAX_EXTENSION_HEADERS);
  fragmentHeaderOffset = -1;
  /** Segments left of the (first) routing header, -1 when none. */
  routingSegmentsLeft = -1;
  /** The protocol after the IP header and IPv6 extension headers (248 for the opp shim). */
  ipProtocol = -1;
  /** The transport protocol (after the opp shim when present). */
  transportProtocol = -1;
  oppOffset = -1;
  oppLength = 0;
  /** opp version (high nibble of byte 0): 1 IPv4 client, 2 IPv6 client; -1 without shim. */
  oppVersion = -1;

  // --- transport
  l4Offset = -1;
  /** End on the wire of the transport segment (ipEnd, or l4Offset + UDP length). */
  l4End = -1;
  sourcePort = -1;
  destinationPort = -1;
  tcpHeaderLength = 0;
  /** TCP flags byte (FIN..CWR). */
  tcpFlags = 0;
  sequenceNumber = 0;
  acknowledgmentNumber = 0;
  windowSize = 0;
  urgentPointer = 0;
  /** TCP options area [offset, offset+length) when the header has options and they were captured. */
  tcpOptionsOffset = -1;
  tcpOptionsLength = 0;
  udpLength = -1;
  icmpType = -1;
  icmpCode = -1;

  // --- payload
  payloadOffset = -1;
  /** Captured payload bytes. */
  payloadLength = 0;
  /** Payload bytes announced by the headers. */
  payloadLengthOnWire = 0;

  // --- encapsulation
  encapsulation = 0;
  vni = -1;
  /** The outer layers of a decapsulated packet (null inside `outer` itself); meaningful only when `encapsulation` is not NONE. */
  readonly outer: Dissection | null;

  // --- checksums (written by verifyChecksums)
  ipChecksum: ChecksumVerdict = 'unverified';
  l4Checksum: ChecksumVerdict = 'unverified';

  // --- warnings
  warningCount = 0;
  /** Warnings beyond MAX_WARNINGS that were dropped. */
  warningsDropped = 0;
  readonly warningCodes = new Uint8Array(MAX_WARNINGS);
  readonly warningOffsets = new Int32Array(MAX_WARNINGS);
  readonly warningValues = new Float64Array(MAX_WARNINGS);

  constructor(withOuter = true) {
    this.outer = withOuter ? new Dissection(false) : null;
  }

  /** Reset everything (called by `dissect`); `outer` is reset too when the previous packet used it. */
  reset(): void {
    if (this.encapsulation !== 0 && this.outer !== null) this.outer.reset();
    this.linkType = -1;
    this.capturedLength = 0;
    this.originalLength = 0;
    this.truncated = false;
    this.encapsulation = 0;
    this.vni = -1;
    this.warningCount = 0;
    this.warningsDropped = 0;
    this.ipChecksum = 'unverified';
    this.l4Checksum = 'unverified';
    this.clearLayers();
  }

  /** Reset the layer fields (link, network, transport, payload), keeping frame, warnings and encapsulation. */
  clearLayers(): void {
    this.reached = 0;
    this.linkOffset = 0;
    this.linkHeaderLength = 0;
    this.etherType = -1;
    this.vlanCount = 0;
    this.sllPacketType = -1;
    this.sllInterfaceIndex = -1;
    this.sllHardwareType = -1;
    this.linkFamily = -1;
    this.trailerOffset = -1;
    this.trailerLength = 0;
    this.l3Offset = -1;
    this.ipVersion = 0;
    this.ipHeaderLength = 0;
    this.ipEnd = -1;
    this.ipLengthFromFrame = false;
    this.capturedEnd = 0;
    this.ipSourceOffset = -1;
    this.ipDestinationOffset = -1;
    this.ipAddressLength = 0;
    this.hopLimit = -1;
    this.trafficClass = -1;
    this.flowLabel = -1;
    this.ipIdentification = -1;
    this.ipv4Flags = -1;
    this.fragmentOffset = 0;
    this.moreFragments = false;
    this.isFragment = false;
    this.isLaterFragment = false;
    this.ipv4OptionsOffset = -1;
    this.ipv4OptionsLength = 0;
    this.extensionCount = 0;
    this.fragmentHeaderOffset = -1;
    this.routingSegmentsLeft = -1;
    this.ipProtocol = -1;
    this.transportProtocol = -1;
    this.oppOffset = -1;
    this.oppLength = 0;
    this.oppVersion = -1;
    this.l4Offset = -1;
    this.l4End = -1;
    this.sourcePort = -1;
    this.destinationPort = -1;
    this.tcpHeaderLength = 0;
    this.tcpFlags = 0;
    this.sequenceNumber = 0;
    this.acknowledgmentNumber = 0;
    this.windowSize = 0;
    this.urgentPointer = 0;
    this.tcpOptionsOffset = -1;
    this.tcpOptionsLength = 0;
    this.udpLength = -1;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.payloadOffset = -1;
    this.payloadLength = 0;
    this.payloadLengthOnWire = 0;
  }

  /** Copy every frame and layer field of `other` (not warnings, not `outer`). */
  copyFrom(other: Dissection): void {
    this.linkType = other.linkType;
    this.capturedLength = other.capturedLength;
    this.originalLength = other.originalLength;
    this.reached = other.reached;
    this.truncated = other.truncated;
    this.encapsulation = other.encapsulation;
    this.vni = other.vni;
    this.linkOffset = other.linkOffset;
    this.linkHeaderLength = other.linkHeaderLength;
    this.etherType = other.etherType;
    this.vlanCount = other.vlanCount;
    this.vlanIds.set(other.vlanIds);
    this.vlanTpids.set(other.vlanTpids);
    this.sllPacketType = other.sllPacketType;
    this.sllInterfaceIndex = other.sllInterfaceIndex;
    this.sllHardwareType = other.sllHardwareType;
    this.linkFamily = other.linkFamily;
    this.trailerOffset = other.trailerOffset;
    this.trailerLength = other.trailerLength;
    this.l3Offset = other.l3Offset;
    this.ipVersion = other.ipVersion;
    this.ipHeaderLength = other.ipHeaderLength;
    this.ipEnd = other.ipEnd;
    this.ipLengthFromFrame = other.ipLengthFromFrame;
    this.capturedEnd = other.capturedEnd;
    this.ipSourceOffset = other.ipSourceOffset;
    this.ipDestinationOffset = other.ipDestinationOffset;
    this.ipAddressLength = other.ipAddressLength;
    this.hopLimit = other.hopLimit;
    this.trafficClass = other.trafficClass;
    this.flowLabel = other.flowLabel;
    this.ipIdentification = other.ipIdentification;
    this.ipv4Flags = other.ipv4Flags;
    this.fragmentOffset = other.fragmentOffset;
    this.moreFragments = other.moreFragments;
    this.isFragment = other.isFragment;
    this.isLaterFragment = other.isLaterFragment;
    this.ipv4OptionsOffset = other.ipv4OptionsOffset;
    this.ipv4OptionsLength = other.ipv4OptionsLength;
    this.extensionCount = other.extensionCount;
    this.extensionTypes.set(other.extensionTypes);
    this.extensionOffsets.set(other.extensionOffsets);
    this.extensionLengths.set(other.extensionLengths);
    this.fragmentHeaderOffset = other.fragmentHeaderOffset;
    this.routingSegmentsLeft = other.routingSegmentsLeft;
    this.ipProtocol = other.ipProtocol;
    this.transportProtocol = other.transportProtocol;
    this.oppOffset = other.oppOffset;
    this.oppLength = other.oppLength;
    this.oppVersion = other.oppVersion;
    this.l4Offset = other.l4Offset;
    this.l4End = other.l4End;
    this.sourcePort = other.sourcePort;
    this.destinationPort = other.destinationPort;
    this.tcpHeaderLength = other.tcpHeaderLength;
    this.tcpFlags = other.tcpFlags;
    this.sequenceNumber = other.sequenceNumber;
    this.acknowledgmentNumber = other.acknowledgmentNumber;
    this.windowSize = other.windowSize;
    this.urgentPointer = other.urgentPointer;
    this.tcpOptionsOffset = other.tcpOptionsOffset;
    this.tcpOptionsLength = other.tcpOptionsLength;
    this.udpLength = other.udpLength;
    this.icmpType = other.icmpType;
    this.icmpCode = other.icmpCode;
    this.payloadOffset = other.payloadOffset;
    this.payloadLength = other.payloadLength;
    this.payloadLengthOnWire = other.payloadLengthOnWire;
    this.ipChecksum = other.ipChecksum;
    this.l4Checksum = other.l4Checksum;
  }
}

// ---------------------------------------------------------------------------------------------
// Warnings

function warn(d: Dissection, code: number, offset: number, value: number): void {
  const i = d.warningCount;
  if (i >= MAX_WARNINGS) {
    d.warningsDropped++;
    return;
  }
  d.warningCodes[i] = code;
  d.warningOffsets[i] = offset;
  d.warningValues[i] = value;
  d.warningCount = i + 1;
}

/** Short name of a warning code (e.g. 'tcp-bad-data-offset'). */
export function dissectWarningName(code: number): string {
  return WARNING_INFO[code]?.[0] ?? `warning-${code}`;
}

/** Layer of a warning code (an errors.ts Layer name). */
export function dissectWarningLayer(code: number): string {
  return WARNING_INFO[code]?.[1] ?? 'link';
}

/** Full sentence for warning `index` of `d` (built on demand). */
export function dissectWarningMessage(d: Dissection, index: number): string {
  const code = d.warningCodes[index]!;
  const info = WARNING_INFO[code];
  const text = info ? info[2] : `warning ${code}`;
  const layer = info ? info[1] : 'link';
  return `${layer} at byte ${d.warningOffsets[index]}: ${text} (value ${d.warningValues[index]})`;
}

export interface DissectWarningEntry {
  code: number;
  name: string;
  layer: string;
  offset: number;
  value: number;
  message: string;
}

/** All warnings of `d` as objects (allocates; for rendering). */
export function dissectWarnings(d: Dissection): DissectWarningEntry[] {
  const out: DissectWarningEntry[] = [];
  for (let i = 0; i < d.warningCount; i++) {
    const code = d.warningCodes[i]!;
    out.push({
      code,
      name: dissectWarningName(code),
      layer: dissectWarningLayer(code),
      offset: d.warningOffsets[i]!,
      value: d.warningValues[i]!,
      message: dissectWarningMessage(d, i),
    });
  }
  return out;
}

/** True when `d` has a warning with `code`. */
export function hasDissectWarning(d: Dissection, code: number): boolean {
  for (let i = 0; i < d.warningCount; i++) if (d.warningCodes[i] === code) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// The dissector

/**
 * Dissect one captured packet (`data` = the captured bytes, `originalLength` = its length on
 * the wire) of `linkType` into `d`. Never throws.
 */
export function dissect(data: Uint8Array, linkType: number, originalLength: number, d: Dissection): void {
  dissectAt(data, 0, data.length, linkType, originalLength, d);
}

/**
 * `dissect` of the frame that is data[start, end) (a packet in place in a reader's buffer, without
 * a view of its own). Every offset written into `d`, warning offsets included, then counts from
 * data[0], not from `start`: subtract `start` for offsets within the frame.
 */
export function dissectAt(data: Uint8Array, start: number, end: number, linkType: number, originalLength: number, d: Dissection): void {
  d.reset();
  const captured = end - start;
  d.linkType = linkType;
  d.capturedLength = captured;
  d.originalLength = originalLength;
  dissectFrame(data, start, end, originalLength > captured ? start + originalLength : end, linkType, d);
}

/** Link layer then IP, for the frame in data[offset, limit) whose wire end is `wireEnd`. */
function dissectFrame(data: Uint8Array, offset: number, limit: number, wireEnd: number, linkType: number, d: Dissection): void {
  d.linkOffset = offset;
  const result = parseLinkLayer(data, offset, limit, linkType, d);
  switch (result) {
    case LINK_RESULT.IPV4:
    case LINK_RESULT.IPV6:
      break;
    case LINK_RESULT.NOT_IP:
      d.reached = DISSECT_LAYER.LINK;
      return;
    case LINK_RESULT.TRUNCATED:
      d.truncated = true;
      warn(d, DISSECT_WARNING.LINK_TRUNCATED, offset + d.linkHeaderLength, limit - offset);
      return;
    case LINK_RESULT.VLAN_TOO_DEEP:
      warn(d, DISSECT_WARNING.VLAN_TOO_DEEP, offset + d.linkHeaderLength, d.vlanCount);
      return;
    case LINK_RESULT.BAD_IP_VERSION:
      warn(d, DISSECT_WARNING.RAW_BAD_IP_VERSION, offset, data[offset]! >>> 4);
      return;
    default:
      // Unknown link type: no layers (the caller reports the link type once per file).
      return;
  }
  d.reached = DISSECT_LAYER.LINK;
  const l3 = offset + d.linkHeaderLength;
  dissectIp(data, l3, limit, wireEnd, result === LINK_RESULT.IPV4 ? 4 : 6, d);
}

/** Record the bytes after the IP packet inside the frame (before any decapsulation copies `d`). */
function setTrailer(d: Dissection, ipEnd: number, limit: number): void {
  if (ipEnd < limit) {
    d.trailerOffset = ipEnd;
    d.trailerLength = limit - ipEnd;
  }
}

/** IPv4 or IPv6 at `offset`; `version` is what the link layer announced. */
function dissectIp(data: Uint8Array, offset: number, limit: number, wireEnd: number, version: number, d: Dissection): void {
  if (offset >= limit) {
    d.truncated = true;
    warn(d, version === 4 ? DISSECT_WARNING.IPV4_HEADER_TRUNCATED : DISSECT_WARNING.IPV6_HEADER_TRUNCATED, offset, 0);
    return;
  }
  const nibble = data[offset]! >>> 4;
  if (nibble !== version) {
    warn(d, DISSECT_WARNING.IP_VERSION_MISMATCH, offset, nibble);
    return;
  }
  if (version === 4) dissectIpv4(data, offset, limit, wireEnd, d);
  else dissectIpv6(data, offset, limit, wireEnd, d);
}

function dissectIpv4(data: Uint8Array, o: number, limit: number, wireEnd: number, d: Dissection): void {
  if (o + IPV4.MIN_HEADER > limit) {
    d.truncated = true;
    warn(d, DISSECT_WARNING.IPV4_HEADER_TRUNCATED, o, limit - o);
    return;
  }
  const headerLength = (data[o]! & 0x0f) * 4;
  if (headerLength < IPV4.MIN_HEADER) {
    warn(d, DISSECT_WARNING.IPV4_BAD_HEADER_LENGTH, o + IPV4.VER_IHL, headerLength);
    return;
  }
  const totalLength = readU16(data, o + IPV4.TOTAL_LENGTH);
  let ipEnd: number;
  if (totalLength === 0) {
    // TSO/GSO captures carry 0 here; take the frame.
    warn(d, DISSECT_WARNING.IPV4_ZERO_TOTAL_LENGTH, o + IPV4.TOTAL_LENGTH, 0);
    ipEnd = wireEnd;
    d.ipLengthFromFrame = true;
  } else if (totalLength < headerLength) {
    warn(d, DISSECT_WARNING.IPV4_BAD_TOTAL_LENGTH, o + IPV4.TOTAL_LENGTH, totalLength);
    return;
  } else {
    ipEnd = o + totalLength;
  }
  if (ipEnd > wireEnd) warn(d, DISSECT_WARNING.IP_LENGTH_EXCEEDS_FRAME, o + IPV4.TOTAL_LENGTH, totalLength);
  d.l3Offset = o;
  d.ipVersion = 4;
  d.ipEnd = ipEnd;
  d.capturedEnd = ipEnd < limit ? ipEnd : limit;
  if (ipEnd > limit) d.truncated = true;
  setTrailer(d, ipEnd, limit);
  d.ipSourceOffset = o + IPV4.SRC;
  d.ipDestinationOffset = o + IPV4.DST;
  d.ipAddressLength = 4;
  d.hopLimit = data[o + IPV4.TTL]!;
  d.trafficClass = data[o + IPV4.TOS]!;
  d.ipIdentification = readU16(data, o + IPV4.ID);
  const flagsFragment = readU16(data, o + IPV4.FLAGS_FRAG);
  d.ipv4Flags = flagsFragment >>> 13;
  d.fragmentOffset = (flagsFragment & IPV4.FRAG_OFFSET_MASK) * 8;
  d.moreFragments = (flagsFragment & IPV4.FLAG_MF) !== 0;
  d.isLaterFragment = d.fragmentOffset !== 0;
  d.isFragment = d.moreFragments || d.isLaterFragment;
  const protocol = data[o + IPV4.PROTOCOL]!;
  d.ipProtocol = protocol;
  d.transportProtocol = protocol;
  if (o + headerLength > limit) {
    d.truncated = true;
    warn(d, DISSECT_WARNING.IPV4_HEADER_TRUNCATED, o + IPV4.MIN_HEADER, headerLength);
    return;
  }
  if (o + headerLength > ipEnd) {
    warn(d, DISSECT_WARNING.IPV4_BAD_TOTAL_LENGTH, o + IPV4.TOTAL_LENGTH, ipEnd - o);
    return;
  }
  d.ipHeaderLength = headerLength;
  if (headerLength > IPV4.MIN_HEADER) {
    d.ipv4OptionsOffset = o + IPV4.MIN_HEADER;
    d.ipv4OptionsLength = headerLength - IPV4.MIN_HEADER;
  }
  d.reached = DISSECT_LAYER.NETWORK;
  dissectTransport(data, o + headerLength, protocol, limit, d);
}

function isExtensionHeader(nextHeader: number): boolean {
  return (
    nextHeader === IPV6_EXT.HOP_BY_HOP ||
    nextHeader === IPV6_EXT.ROUTING ||
    nextHeader === IPV6_EXT.FRAGMENT ||
    nextHeader === IPV6_EXT.DEST_OPTS ||
    nextHeader === IPV6_EXT.AUTH
  );
}

function dissectIpv6(data: Uint8Array, o: number, limit: number, wireEnd: number, d: Dissection): void {
  if (o + IPV6.HEADER > limit) {
    d.truncated = true;
    warn(d, DISSECT_WARNING.IPV6_HEADER_TRUNCATED, o, limit - o);
    return;
  }
  const payloadLength = readU16(data, o + IPV6.PAYLOAD_LENGTH);
  let nextHeader = data[o + IPV6.NEXT_HEADER]!;
  let ipEnd = o + IPV6.HEADER + payloadLength;
  if (payloadLength === 0 && nextHeader !== IPV6_EXT.NO_NEXT && wireEnd > ipEnd) {
    // Jumbogram (RFC 2675) or BIG TCP / offload capture: take the frame.
    warn(d, DISSECT_WARNING.IPV6_ZERO_PAYLOAD_LENGTH, o + IPV6.PAYLOAD_LENGTH, 0);
    ipEnd = wireEnd;
    d.ipLengthFromFrame = true;
  }
  if (ipEnd > wireEnd) warn(d, DISSECT_WARNING.IPV6_LENGTH_EXCEEDS_FRAME, o + IPV6.PAYLOAD_LENGTH, payloadLength);
  d.l3Offset = o;
  d.ipVersion = 6;
  d.ipEnd = ipEnd;
  d.capturedEnd = ipEnd < limit ? ipEnd : limit;
  if (ipEnd > limit) d.truncated = true;
  setTrailer(d, ipEnd, limit);
  d.ipSourceOffset = o + IPV6.SRC;
  d.ipDestinationOffset = o + IPV6.DST;
  d.ipAddressLength = 16;
  d.hopLimit = data[o + IPV6.HOP_LIMIT]!;
  const first = readU32(data, o + IPV6.VER_TC_FLOW);
  d.trafficClass = (first >>> 20) & 0xff;
  d.flowLabel = first & 0xfffff;
  let p = o + IPV6.HEADER;
  while (isExtensionHeader(nextHeader)) {
    if (d.extensionCount >= MAX_EXTENSION_HEADERS) {
      warn(d, DISSECT_WARNING.IPV6_TOO_MANY_EXTENSIONS, p, nextHeader);
      d.ipProtocol = nextHeader;
      d.transportProtocol = nextHeader;
      return;
    }
    if (p + 2 > ipEnd) {
      warn(d, DISSECT_WARNING.IPV6_EXTENSION_OVERRUN, p, nextHeader);
      return;
    }
    if (p + 2 > limit) {
      d.truncated = true;
      warn(d, DISSECT_WARNING.IPV6_EXTENSION_TRUNCATED, p, nextHeader);
      return;
    }
    const length =
      nextHeader === IPV6_EXT.FRAGMENT ? 8 : nextHeader === IPV6_EXT.AUTH ? (data[p + 1]! + 2) * 4 : (data[p + 1]! + 1) * 8;
    if (p + length > ipEnd) {
      warn(d, DISSECT_WARNING.IPV6_EXTENSION_OVERRUN, p, length);
      return;
    }
    if (p + length > limit) {
      d.truncated = true;
      warn(d, DISSECT_WARNING.IPV6_EXTENSION_TRUNCATED, p, length);
      return;
    }
    const i = d.extensionCount;
    d.extensionTypes[i] = nextHeader;
    d.extensionOffsets[i] = p;
    d.extensionLengths[i] = length;
    d.extensionCount = i + 1;
    if (nextHeader === IPV6_EXT.FRAGMENT) {
      const field = readU16(data, p + 2);
      d.fragmentHeaderOffset = p;
      d.fragmentOffset = field & 0xfff8;
      d.moreFragments = (field & 1) !== 0;
      d.ipIdentification = readU32(data, p + 4);
      d.isLaterFragment = d.fragmentOffset !== 0;
      d.isFragment = d.moreFragments || d.isLaterFragment;
    } else if (nextHeader === IPV6_EXT.ROUTING && d.routingSegmentsLeft < 0) {
      d.routingSegmentsLeft = data[p + 3]!;
    }
    nextHeader = data[p]!;
    p += length;
    if (d.isLaterFragment) break;
  }
  d.ipHeaderLength = p - o;
  d.ipProtocol = nextHeader;
  d.transportProtocol = nextHeader;
  d.reached = DISSECT_LAYER.NETWORK;
  dissectTransport(data, p, nextHeader, limit, d);
}

function setPayload(d: Dissection, start: number, endOnWire: number, limit: number): void {
  d.payloadOffset = start;
  d.payloadLengthOnWire = endOnWire > start ? endOnWire - start : 0;
  const capturedEnd = endOnWire < limit ? endOnWire : limit;
  d.payloadLength = capturedEnd > start ? capturedEnd - start : 0;
  if (endOnWire > limit) d.truncated = true;
  d.reached = DISSECT_LAYER.PAYLOAD;
}

/** Transport (after the IP header / extension headers) at p with protocol `protocol`. */
function dissectTransport(data: Uint8Array, p: number, protocol: number, limit: number, d: Dissection): void {
  const ipEnd = d.ipEnd;
  if (d.isLaterFragment) {
    setPayload(d, p, ipEnd, limit);
    return;
  }
  if (protocol === IPPROTO.OPP) {
    if (p + OPP.HEADER > ipEnd) {
      warn(d, DISSECT_WARNING.OPP_BAD_LENGTH, p, ipEnd - p);
      return;
    }
    if (p + OPP.HEADER > limit) {
      d.truncated = true;
      warn(d, DISSECT_WARNING.OPP_TRUNCATED, p, limit - p);
      return;
    }
    const length = readU16(data, p + OPP.LENGTH);
    if (length < OPP.HEADER || p + length > ipEnd) {
      warn(d, DISSECT_WARNING.OPP_BAD_LENGTH, p + OPP.LENGTH, length);
      return;
    }
    if (p + length > limit) {
      d.truncated = true;
      warn(d, DISSECT_WARNING.OPP_TRUNCATED, p, length);
      return;
    }
    d.oppOffset = p;
    d.oppLength = length;
    d.oppVersion = data[p + OPP.VERSION]! >>> 4;
    protocol = data[p + OPP.NEXT_PROTOCOL]!;
    d.transportProtocol = protocol;
    p += length;
    if (protocol === IPPROTO.OPP) {
      // A shim in a shim: not a transport we decode.
      d.l4Offset = p;
      setPayload(d, p, ipEnd, limit);
      return;
    }
  }
  switch (protocol) {
    case IPPROTO.TCP:
      dissectTcp(data, p, ipEnd, limit, d);
      return;
    case IPPROTO.UDP:
      dissectUdp(data, p, ipEnd, limit, d);
      return;
    case IPPROTO.ICMP:
    case IPPROTO.ICMPV6:
      dissectIcmp(data, p, ipEnd, limit, d);
      return;
    case IPPROTO.IPIP:
    case IPPROTO.IPV6:
      if (d.outer !== null && d.encapsulation === ENCAPSULATION.NONE && d.oppOffset < 0) {
        decapsulateIp(data, p, ipEnd, limit, protocol === IPPROTO.IPIP ? 4 : 6, d);
        return;
      }
      break;
    default:
      break;
  }
  // A protocol we do not decode (ESP, GRE, SCTP, no-next-header, ...): everything is payload.
  d.l4Offset = p;
  d.l4End = ipEnd;
  setPayload(d, p, ipEnd, limit);
}

function dissectTcp(data: Uint8Array, p: number, ipEnd: number, limit: number, d: Dissection): void {
  if (p + TCP.MIN_HEADER > ipEnd) {
    warn(d, DISSECT_WARNING.TCP_BEYOND_IP_END, p, ipEnd - p);
    return;
  }
  if (p + TCP.MIN_HEADER > limit) {
    d.truncated = true;
    warn(d, DISSECT_WARNING.TCP_TRUNCATED, p, limit - p);
    return;
  }
  d.l4Offset = p;
  d.l4End = ipEnd;
  d.sourcePort = readU16(data, p + TCP.SRC_PORT);
  d.destinationPort = readU16(data, p + TCP.DST_PORT);
  d.sequenceNumber = readU32(data, p + TCP.SEQ);
  d.acknowledgmentNumber = readU32(data, p + TCP.ACK);
  d.tcpFlags = data[p + TCP.FLAGS]!;
  d.windowSize = readU16(data, p + TCP.WINDOW);
  d.urgentPointer = readU16(data, p + TCP.URGENT);
  const headerLength = (data[p + TCP.DATA_OFFSET]! >>> 4) * 4;
  if (headerLength < TCP.MIN_HEADER) {
    warn(d, DISSECT_WARNING.TCP_BAD_DATA_OFFSET, p + TCP.DATA_OFFSET, headerLength >>> 2);
    return;
  }
  if (p + headerLength > ipEnd) {
    warn(d, DISSECT_WARNING.TCP_BEYOND_IP_END, p + TCP.DATA_OFFSET, headerLength >>> 2);
    return;
  }
  if (p + headerLength > limit) {
    d.truncated = true;
    warn(d, DISSECT_WARNING.TCP_TRUNCATED, p + TCP.MIN_HEADER, headerLength);
    return;
  }
  d.tcpHeaderLength = headerLength;
  if (headerLength > TCP.MIN_HEADER) {
    const start = p + TCP.MIN_HEADER;
    const end = p + headerLength;
    d.tcpOptionsOffset = start;
    d.tcpOptionsLength = headerLength - TCP.MIN_HEADER;
    // Validate the option walk only (carriers decode the options themselves); same rules as
    // TcpOptionCursor, inlined because it runs for nearly every packet.
    let q = start;
    while (q < end) {
      const kind = data[q]!;
      if (kind === TCP_OPTION.EOL) break;
      if (kind === TCP_OPTION.NOP) {
        q++;
        continue;
      }
      if (q + 1 >= end || data[q + 1]! < 2) {
        warn(d, DISSECT_WARNING.TCP_OPTION_BAD_LENGTH, q, kind);
        break;
      }
      const length = data[q + 1]!;
      if (q + length > end) {
        warn(d, DISSECT_WARNING.TCP_OPTION_OVERRUN, q, kind);
        break;
      }
      q += length;
    }
  }
  d.reached = DISSECT_LAYER.TRANSPORT;
  setPayload(d, p + headerLength, ipEnd, limit);
}

function dissectUdp(data: Uint8Array, p: number, ipEnd: number, limit: number, d: Dissection): void {
  if (p + UDP.HEADER > ipEnd) {
    warn(d, DISSECT_WARNING.UDP_BEYOND_IP_END, p, ipEnd - p);
    return;
  }
  if (p + UDP.HEADER > limit) {
    d.truncated = true;
    warn(d, DISSECT_WARNING.UDP_TRUNCATED, p, limit - p);
    return;
  }
  d.l4Offset = p;
  d.sourcePort = readU16(data, p + UDP.SRC_PORT);
  d.destinationPort = readU16(data, p + UDP.DST_PORT);
  const length = readU16(data, p + UDP.LENGTH);
  d.udpLength = length;
  let end: number;
  if (length < UDP.HEADER) {
    warn(d, DISSECT_WARNING.UDP_BAD_LENGTH, p + UDP.LENGTH, length);
    end = ipEnd;
  } else if (p + length > ipEnd) {
    // A first fragment carries only part of the datagram: not damage.
    if (!d.isFragment) warn(d, DISSECT_WARNING.UDP_LENGTH_EXCEEDS_IP, p + UDP.LENGTH, length);
    end = ipEnd;
  } else {
    end = p + length;
  }
  d.l4End = end;
  d.reached = DISSECT_LAYER.TRANSPORT;
  const payload = p + UDP.HEADER;
  if (
    d.destinationPort === VXLAN.UDP_PORT &&
    d.outer !== null &&
    d.encapsulation === ENCAPSULATION.NONE &&
    !d.isFragment &&
    end - payload >= VXLAN.HEADER
  ) {
    if (payload + VXLAN.HEADER > limit) {
      d.truncated = true;
      warn(d, DISSECT_WARNING.VXLAN_TRUNCATED, payload, limit - payload);
      setPayload(d, payload, end, limit);
      return;
    }
    if (isVxlanHeader(data, payload)) {
      const vni = vxlanVni(data, payload);
      setPayload(d, payload, end, limit);
      d.outer!.copyFrom(d);
      d.clearLayers();
      d.encapsulation = ENCAPSULATION.VXLAN;
      d.vni = vni;
      const inner = payload + VXLAN.HEADER;
      dissectFrame(data, inner, end < limit ? end : limit, end, LINKTYPE.ETHERNET, d);
      return;
    }
  }
  setPayload(d, payload, end, limit);
}

function dissectIcmp(data: Uint8Array, p: number, ipEnd: number, limit: number, d: Dissection): void {
  if (p + ICMP.HEADER > ipEnd) {
    warn(d, DISSECT_WARNING.ICMP_BEYOND_IP_END, p, ipEnd - p);
    return;
  }
  if (p + ICMP.HEADER > limit) {
    d.truncated = true;
    warn(d, DISSECT_WARNING.ICMP_TRUNCATED, p, limit - p);
    return;
  }
  d.l4Offset = p;
  d.l4End = ipEnd;
  d.icmpType = data[p + ICMP.TYPE]!;
  d.icmpCode = data[p + ICMP.CODE]!;
  d.reached = DISSECT_LAYER.TRANSPORT;
  setPayload(d, p + ICMP.HEADER, ipEnd, limit);
}

function decapsulateIp(data: Uint8Array, p: number, ipEnd: number, limit: number, version: number, d: Dissection): void {
  setPayload(d, p, ipEnd, limit);
  d.l4Offset = p;
  d.l4End = ipEnd;
  d.outer!.copyFrom(d);
  d.clearLayers();
  d.encapsulation = ENCAPSULATION.IP_IN_IP;
  d.linkOffset = p;
  d.linkHeaderLength = 0;
  d.etherType = version === 4 ? ETHERTYPE.IPV4 : ETHERTYPE.IPV6;
  d.reached = DISSECT_LAYER.LINK;
  dissectIp(data, p, ipEnd < limit ? ipEnd : limit, ipEnd, version, d);
}

/** `dissect` for a reader's PacketRecord (its data, link type and original length). */
export function dissectRecord(record: Pick<PacketRecord, 'data' | 'linkType' | 'originalLength'>, d: Dissection): void {
  dissect(record.data, record.linkType, record.originalLength, d);
}

// ---------------------------------------------------------------------------------------------
// Checksums

/**
 * Verify the IP header and transport checksums of a dissected packet; writes `d.ipChecksum`
 * and `d.l4Checksum`. Never throws, allocates nothing. Policy:
 * - IPv4 header: 'ok'/'bad'; 'unverified' when the header was not fully captured.
 * - IPv6 has no header checksum: 'none'.
 * - TCP, UDP, ICMPv6 use the pseudo-header of the packet's own addresses with the *transport*
 *   protocol (so UDP after an opp shim uses 17 and the UDP length, as DPVS computes it); ICMP
 *   (v4) has no pseudo-header.
 * - 'unverified' when: no transport header, a fragment (the checksum covers the reassembled
 *   datagram), the segment was cut by snaplen, an IPv6 routing header still has segments left
 *   (the pseudo-header would use the final destination), the IP length field was 0 (TSO/GSO
 *   captures: the checksum is a partial one left for the NIC), or another protocol.
 * - UDP checksum 0: 'none' over IPv4 (RFC 768: not computed; DPVS sends 0 after an opp shim),
 *   'bad' over IPv6 (RFC 8200 §8.1 makes it mandatory).
 * To verify the outer layers of a decapsulated packet call it again with `d.outer`. `frameEnd`: where
 * the captured frame ends in `data` (for a packet dissected in place with dissectAt).
 */
export function verifyChecksums(data: Uint8Array, d: Dissection, frameEnd: number = data.length): void {
  d.ipChecksum = 'unverified';
  d.l4Checksum = 'unverified';
  if (d.ipVersion === 4) {
    if (d.ipHeaderLength >= IPV4.MIN_HEADER && d.l3Offset + d.ipHeaderLength <= frameEnd) {
      d.ipChecksum = verifyIpv4HeaderChecksum(data, d.l3Offset, d.ipHeaderLength) ? 'ok' : 'bad';
    }
  } else if (d.ipVersion === 6) {
    d.ipChecksum = 'none';
  } else {
    return;
  }
  const l4 = d.l4Offset;
  if (l4 < 0 || d.isFragment || d.reached < DISSECT_LAYER.TRANSPORT || d.ipLengthFromFrame) return;
  const end = d.l4End;
  if (end > frameEnd || end <= l4) return;
  if (d.ipVersion === 6 && d.routingSegmentsLeft > 0) return;
  const protocol = d.transportProtocol;
  const length = end - l4;
  let pseudo: number;
  switch (protocol) {
    case IPPROTO.TCP:
      break;
    case IPPROTO.UDP:
      if (data[l4 + UDP.CHECKSUM] === 0 && data[l4 + UDP.CHECKSUM + 1] === 0) {
        d.l4Checksum = d.ipVersion === 4 ? 'none' : 'bad';
        return;
      }
      break;
    case IPPROTO.ICMP:
      if (d.ipVersion !== 4) return;
      d.l4Checksum = verifyTransportChecksum(data, l4, length, 0) ? 'ok' : 'bad';
      return;
    case IPPROTO.ICMPV6:
      if (d.ipVersion !== 6) return;
      break;
    default:
      return;
  }
  pseudo = d.ipVersion === 4 ? ipv4Pseudo(data, d.l3Offset, protocol, length) : ipv6Pseudo(data, d.l3Offset, protocol, length);
  d.l4Checksum = verifyTransportChecksum(data, l4, length, pseudo) ? 'ok' : 'bad';
}
