/**
 * Link layers: Ethernet II (with 802.1Q / 802.1ad / 0x9100 tag stacks), Linux cooked capture
 * v1 (SLL, link type 113) and v2 (SLL2, 276), raw IP (101, 12, 14, 228, 229), BSD NULL (0)
 * and OpenBSD LOOP (108).
 *
 * `parseLinkLayer` never throws and allocates nothing: it fills a caller-owned `LinkFields`
 * object (the `Dissection` is one) and returns a `LINK_RESULT` code saying what follows the
 * link header. Unknown link types give `LINK_RESULT.UNKNOWN_LINK_TYPE` (the caller reports
 * them once per file, not per packet).
 */
import { readU16, readU32, readU32LE } from './bytes.js';
import { LINKTYPE } from './linktype.js';

/** EtherType values the link layer understands. */
export const ETHERTYPE = Object.freeze({
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100, // IEEE 802.1Q customer tag
  QINQ: 0x88a8, // IEEE 802.1ad service tag
  QINQ_OLD: 0x9100, // pre-standard QinQ service tag
  IPV6: 0x86dd,
  /** Values below this are IEEE 802.3 length fields (LLC follows), not EtherTypes. */
  MIN_ETHERTYPE: 0x0600,
});

/** Ethernet II header offsets. */
export const ETHERNET = Object.freeze({
  DESTINATION: 0,
  SOURCE: 6,
  TYPE: 12,
  HEADER: 14,
  ADDRESS_LENGTH: 6,
});

/** One 802.1Q / 802.1ad tag, counted from the tag's TCI (the TPID sits in the previous type field). */
export const VLAN_TAG = Object.freeze({
  TCI: 0,
  TYPE: 2,
  LENGTH: 4,
  ID_MASK: 0x0fff,
  PRIORITY_SHIFT: 13,
  DEI_BIT: 0x1000,
});

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL). */
export const SLL = Object.freeze({
  PACKET_TYPE: 0,
  HARDWARE_TYPE: 2,
  ADDRESS_LENGTH: 4,
  ADDRESS: 6,
  PROTOCOL: 14,
  HEADER: 16,
  ADDRESS_FIELD_LENGTH: 8,
});

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2). */
export const SLL2 = Object.freeze({
  PROTOCOL: 0,
  RESERVED: 2,
  INTERFACE_INDEX: 4,
  HARDWARE_TYPE: 8,
  PACKET_TYPE: 10,
  ADDRESS_LENGTH: 11,
  ADDRESS: 12,
  HEADER: 20,
  ADDRESS_FIELD_LENGTH: 8,
});

/** SLL / SLL2 packet types (direction as Linux saw it). */
export const SLL_PACKET_TYPE = Object.freeze({
  HOST: 0, // "In"
  BROADCAST: 1, // "B"
  MULTICAST: 2, // "M"
  OTHER_HOST: 3, // "P"
  OUTGOING: 4, // "Out"
});

/** BSD NULL / OpenBSD LOOP: a 4-byte address family. */
export const NULL_LINK = Object.freeze({
  FAMILY: 0,
  HEADER: 4,
  AF_INET: 2,
  /** AF_INET6 differs by BSD: 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (macOS). */
  AF_INET6_BSD: 24,
  AF_INET6_FREEBSD: 28,
  AF_INET6_DARWIN: 30,
});

/** How many VLAN tags are recorded (ids and TPIDs); deeper stacks are still walked. */
export const MAX_VLAN_RECORDED = 4;
/** Deepest tag stack walked before giving up (a sane limit against garbage). */
export const MAX_VLAN_DEPTH = 8;

/** What `parseLinkLayer` found after the link header. */
export const LINK_RESULT = Object.freeze({
  /** An IPv4 packet starts at offset + headerLength. */
  IPV4: 4,
  /** An IPv6 packet starts at offset + headerLength. */
  IPV6: 6,
  /** A valid link header whose payload is not IP (ARP, LLC, unknown EtherType or family). */
  NOT_IP: 1,
  /** The captured bytes end inside the link header (or inside a VLAN tag). */
  TRUNCATED: 2,
  /** The link type is not one we decode. */
  UNKNOWN_LINK_TYPE: 3,
  /** Raw IP whose version nibble is neither 4 nor 6. */
  BAD_IP_VERSION: 5,
  /** More than MAX_VLAN_DEPTH stacked tags. */
  VLAN_TOO_DEEP: 7,
});

/**
 * The link-layer fields, written by `parseLinkLayer`. Offsets are absolute in the frame.
 * `Dissection` implements this interface; tests may use `LinkInfo`.
 */
export interface LinkFields {
  /** Bytes from the link header start to the network-layer payload (includes every VLAN tag). */
  linkHeaderLength: number;
  /** The EtherType of the payload (after all tags); for raw/NULL/LOOP the implied 0x0800/0x86DD, -1 if unknown. */
  etherType: number;
  /** Number of VLAN tags walked (may exceed MAX_VLAN_RECORDED; only the first ones are recorded). */
  vlanCount: number;
  /** VLAN ids (12 bits), outermost first. */
  readonly vlanIds: Uint16Array;
  /** The TPID (0x8100, 0x88a8, 0x9100) that introduced each recorded tag. */
  readonly vlanTpids: Uint16Array;
  /** SLL/SLL2 packet type (SLL_PACKET_TYPE), -1 for other links. */
  sllPacketType: number;
  /** SLL2 interface index, -1 when absent. */
  sllInterfaceIndex: number;
  /** SLL/SLL2 ARPHRD hardware type, -1 when absent. */
  sllHardwareType: number;
  /** NULL/LOOP address family as read (in the byte order that matched), -1 for other links. */
  linkFamily: number;
}

/** A standalone `LinkFields` holder (the Dissection carries the same fields). */
export class LinkInfo implements LinkFields {
  linkHeaderLength = 0;
  etherType = -1;
  vlanCount = 0;
  readonly vlanIds = new Uint16Array(MAX_VLAN_RECORDED);
  readonly vlanTpids = new Uint16Array(MAX_VLAN_RECORDED);
  sllPacketType = -1;
  sllInterfaceIndex = -1;
  sllHardwareType = -1;
  linkFamily = -1;
}

/** Reset the link fields to "nothing decoded". */
export function resetLinkFields(out: LinkFields): void {
  out.linkHeaderLength = 0;
  out.etherType = -1;
  out.vlanCount = 0;
  out.sllPacketType = -1;
  out.sllInterfaceIndex = -1;
  out.sllHardwareType = -1;
  out.linkFamily = -1;
}

function isVlanTpid(type: number): boolean {
  return type === ETHERTYPE.VLAN || type === ETHERTYPE.QINQ || type === ETHERTYPE.QINQ_OLD;
}

/** Map a final EtherType to a LINK_RESULT. */
function resultForEtherType(type: number): number {
  if (type === ETHERTYPE.IPV4) return LINK_RESULT.IPV4;
  if (type === ETHERTYPE.IPV6) return LINK_RESULT.IPV6;
  return LINK_RESULT.NOT_IP;
}

/**
 * Walk VLAN tags starting with `type` read just before `position`; sets etherType, vlanCount,
 * linkHeaderLength (relative to `start`) and returns a LINK_RESULT.
 */
function walkTags(data: Uint8Array, start: number, position: number, limit: number, type: number, out: LinkFields): number {
  let depth = 0;
  while (isVlanTpid(type)) {
    if (depth >= MAX_VLAN_DEPTH) {
      out.etherType = type;
      out.linkHeaderLength = position - start;
      return LINK_RESULT.VLAN_TOO_DEEP;
    }
    if (position + VLAN_TAG.LENGTH > limit) {
      out.linkHeaderLength = position - start;
      return LINK_RESULT.TRUNCATED;
    }
    if (depth < MAX_VLAN_RECORDED) {
      out.vlanIds[depth] = readU16(data, position + VLAN_TAG.TCI) & VLAN_TAG.ID_MASK;
      out.vlanTpids[depth] = type;
    }
    depth++;
    out.vlanCount = depth;
    type = readU16(data, position + VLAN_TAG.TYPE);
    position += VLAN_TAG.LENGTH;
  }
  out.etherType = type;
  out.linkHeaderLength = position - start;
  return resultForEtherType(type);
}

/** Raw IP: the version nibble decides. */
function rawByVersion(data: Uint8Array, offset: number, limit: number, out: LinkFields): number {
  out.linkHeaderLength = 0;
  if (offset >= limit) return LINK_RESULT.TRUNCATED;
  const version = data[offset]! >>> 4;
  if (version === 4) {
    out.etherType = ETHERTYPE.IPV4;
    return LINK_RESULT.IPV4;
  }
  if (version === 6) {
    out.etherType = ETHERTYPE.IPV6;
    return LINK_RESULT.IPV6;
  }
  return LINK_RESULT.BAD_IP_VERSION;
}

function familyResult(family: number, out: LinkFields): number {
  if (family === NULL_LINK.AF_INET) {
    out.etherType = ETHERTYPE.IPV4;
    return LINK_RESULT.IPV4;
  }
  if (family === NULL_LINK.AF_INET6_BSD || family === NULL_LINK.AF_INET6_FREEBSD || family === NULL_LINK.AF_INET6_DARWIN) {
    out.etherType = ETHERTYPE.IPV6;
    return LINK_RESULT.IPV6;
  }
  return -1;
}

/**
 * Decode the link header of `linkType` at data[offset, limit). Fills `out` (after resetting it)
 * and returns a LINK_RESULT. Never throws.
 *
 * NULL (0) stores the family in the capturing host's byte order: both orders are tried
 * (little-endian first); LOOP (108) is always big-endian. Raw IP (12, 14, 101) decides by the
 * version nibble; 228 is always IPv4 and 229 always IPv6 (the IP layer checks the nibble).
 */
export function parseLinkLayer(data: Uint8Array, offset: number, limit: number, linkType: number, out: LinkFields): number {
  resetLinkFields(out);
  switch (linkType) {
    case LINKTYPE.ETHERNET: {
      if (offset + ETHERNET.HEADER > limit) return LINK_RESULT.TRUNCATED;
      const type = readU16(data, offset + ETHERNET.TYPE);
      return walkTags(data, offset, offset + ETHERNET.HEADER, limit, type, out);
    }
    case LINKTYPE.LINUX_SLL: {
      if (offset + SLL.HEADER > limit) return LINK_RESULT.TRUNCATED;
      out.sllPacketType = readU16(data, offset + SLL.PACKET_TYPE);
      out.sllHardwareType = readU16(data, offset + SLL.HARDWARE_TYPE);
      const type = readU16(data, offset + SLL.PROTOCOL);
      return walkTags(data, offset, offset + SLL.HEADER, limit, type, out);
    }
    case LINKTYPE.LINUX_SLL2: {
      if (offset + SLL2.HEADER > limit) return LINK_RESULT.TRUNCATED;
      out.sllPacketType = data[offset + SLL2.PACKET_TYPE]!;
      out.sllHardwareType = readU16(data, offset + SLL2.HARDWARE_TYPE);
      out.sllInterfaceIndex = readU32(data, offset + SLL2.INTERFACE_INDEX);
      const type = readU16(data, offset + SLL2.PROTOCOL);
      return walkTags(data, offset, offset + SLL2.HEADER, limit, type, out);
    }
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_OLD12:
    case LINKTYPE.RAW_OLD14:
      return rawByVersion(data, offset, limit, out);
    case LINKTYPE.IPV4:
      out.linkHeaderLength = 0;
      out.etherType = ETHERTYPE.IPV4;
      return offset >= limit ? LINK_RESULT.TRUNCATED : LINK_RESULT.IPV4;
    case LINKTYPE.IPV6:
      out.linkHeaderLength = 0;
      out.etherType = ETHERTYPE.IPV6;
      return offset >= limit ? LINK_RESULT.TRUNCATED : LINK_RESULT.IPV6;
    case LINKTYPE.NULL: {
      if (offset + NULL_LINK.HEADER > limit) return LINK_RESULT.TRUNCATED;
      out.linkHeaderLength = NULL_LINK.HEADER;
      const little = readU32LE(data, offset + NULL_LINK.FAMILY);
      let result = familyResult(little, out);
      if (result >= 0) {
        out.linkFamily = little;
        return result;
      }
      const big = readU32(data, offset + NULL_LINK.FAMILY);
      result = familyResult(big, out);
      if (result >= 0) {
        out.linkFamily = big;
        return result;
      }
      out.linkFamily = little;
      return LINK_RESULT.NOT_IP;
    }
    case LINKTYPE.LOOP: {
      if (offset + NULL_LINK.HEADER > limit) return LINK_RESULT.TRUNCATED;
      out.linkHeaderLength = NULL_LINK.HEADER;
      const family = readU32(data, offset + NULL_LINK.FAMILY);
      out.linkFamily = family;
      const result = familyResult(family, out);
      return result >= 0 ? result : LINK_RESULT.NOT_IP;
    }
    default:
      return LINK_RESULT.UNKNOWN_LINK_TYPE;
  }
}

/** True for the link types `parseLinkLayer` decodes. */
export function isSupportedLinkType(linkType: number): boolean {
  switch (linkType) {
    case LINKTYPE.ETHERNET:
    case LINKTYPE.LINUX_SLL:
    case LINKTYPE.LINUX_SLL2:
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_OLD12:
    case LINKTYPE.RAW_OLD14:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP:
      return true;
    default:
      return false;
  }
}

/** tcpdump-style direction word for an SLL packet type ("In", "B", "M", "P", "Out"), or the number. */
export function sllPacketTypeName(packetType: number): string {
  switch (packetType) {
    case SLL_PACKET_TYPE.HOST:
      return 'In';
    case SLL_PACKET_TYPE.BROADCAST:
      return 'B';
    case SLL_PACKET_TYPE.MULTICAST:
      return 'M';
    case SLL_PACKET_TYPE.OTHER_HOST:
      return 'P';
    case SLL_PACKET_TYPE.OUTGOING:
      return 'Out';
    default:
      return String(packetType);
  }
}
