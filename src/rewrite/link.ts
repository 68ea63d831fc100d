/**
 * Link-layer handling for the rewriters: where the IP packet starts, how many bytes after it are
 * link trailer (Ethernet padding, FCS), and re-labelling the network protocol of a link header
 * when NAT64/NAT46 changes the IP family (EtherType of Ethernet/VLAN/SLL/SLL2, BSD NULL/LOOP
 * address family). The link header bytes are otherwise never changed.
 */
import { readU16, readU32LE, writeU16 } from '../codec/bytes.js';
import { IPV4 } from '../codec/ipv4.js';
import { IPV6 } from '../codec/ipv6.js';
import { ETHERTYPE, LINK_RESULT, LinkInfo, NULL_LINK, SLL2, parseLinkLayer } from '../codec/link.js';
import { LINKTYPE } from '../codec/linktype.js';

const NO_BYTES = new Uint8Array(0);

/** Where the IP packet of a frame is. Reused per packet. */
export class FrameLayout {
  readonly link = new LinkInfo();
  /** The bytes the offsets refer to: the frame itself, or (locateIpAt) a buffer that holds it at `base`. */
  buffer: Uint8Array = NO_BYTES;
  /** Offset of the frame's first byte in `buffer` (0 when `buffer` is the frame). */
  base = 0;
  /** Offset of the IP header in `buffer`, -1 when the frame holds no IP packet we handle. */
  l3 = -1;
  af: 4 | 6 = 4;
  /** Captured IP bytes (at most the IP length; the rest of the frame is trailer). */
  ipCaptured = 0;
  /** Bytes after the IP packet (Ethernet padding or FCS), kept as they are. */
  trailer = 0;
}

/**
 * Fill `out` for `data` of `linkType`. Returns false for frames with no (whole-header) IP packet:
 * non-IP frames, unknown link types, truncated link or IP headers.
 */
export function locateIp(data: Uint8Array, linkType: number, out: FrameLayout): boolean {
  return locateIpAt(data, 0, data.length, linkType, out);
}

/**
 * As locateIp for the frame held in data[start, end), in place: offsets (l3) are offsets in `data`,
 * out.buffer = data and out.base = start.
 */
export function locateIpAt(data: Uint8Array, start: number, end: number, linkType: number, out: FrameLayout): boolean {
  out.l3 = -1;
  out.buffer = data;
  out.base = start;
  const result = parseLinkLayer(data, start, end, linkType, out.link);
  if (result !== LINK_RESULT.IPV4 && result !== LINK_RESULT.IPV6) return false;
  const l3 = start + out.link.linkHeaderLength;
  const available = end - l3;
  if (available < 1) return false;
  const version = data[l3]! >>> 4;
  let ipLength: number;
  if (version === 4) {
    if (available < IPV4.MIN_HEADER) return false;
    ipLength = readU16(data, l3 + IPV4.TOTAL_LENGTH);
    out.af = 4;
  } else if (version === 6) {
    if (available < IPV6.HEADER) return false;
    ipLength = IPV6.HEADER + readU16(data, l3 + IPV6.PAYLOAD_LENGTH);
    out.af = 6;
  } else {
    return false;
  }
  out.l3 = l3;
  out.ipCaptured = Math.min(available, ipLength);
  out.trailer = available - out.ipCaptured;
  return true;
}

/**
 * Rewrite the link header of buf (laid out as `layout` describes) to announce an IP packet of
 * family `af`. Returns false when the link type fixes the family (LINKTYPE_IPV4/IPV6) and cannot.
 */
export function setLinkFamily(buf: Uint8Array, linkType: number, layout: FrameLayout, af: 4 | 6): boolean {
  const l3 = layout.l3;
  const etherType = af === 4 ? ETHERTYPE.IPV4 : ETHERTYPE.IPV6;
  switch (linkType) {
    case LINKTYPE.ETHERNET:
    case LINKTYPE.LINUX_SLL:
      writeU16(buf, l3 - 2, etherType);
      return true;
    case LINKTYPE.LINUX_SLL2:
      if (layout.link.vlanCount > 0) writeU16(buf, l3 - 2, etherType);
      else writeU16(buf, SLL2.PROTOCOL, etherType);
      return true;
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_OLD12:
    case LINKTYPE.RAW_OLD14:
      return true;
    case LINKTYPE.NULL: {
      // the family is in the capturing host's byte order: keep the order that was read
      const little = readU32LE(buf, 0) === layout.link.linkFamily;
      const family = af === 4 ? NULL_LINK.AF_INET : layout.link.linkFamily === NULL_LINK.AF_INET ? NULL_LINK.AF_INET6_BSD : layout.link.linkFamily;
      writeFamily(buf, family, little);
      return true;
    }
    case LINKTYPE.LOOP: {
      const family = af === 4 ? NULL_LINK.AF_INET : layout.link.linkFamily === NULL_LINK.AF_INET ? NULL_LINK.AF_INET6_BSD : layout.link.linkFamily;
      writeFamily(buf, family, false);
      return true;
    }
    default:
      return false;
  }
}

function writeFamily(buf: Uint8Array, family: number, little: boolean): void {
  for (let i = 0; i < 4; i++) buf[little ? i : 3 - i] = (family >>> (8 * i)) & 0xff;
}
