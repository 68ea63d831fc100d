/**
 * `toa decode -v`: a layered multi-line view of each packet. One header line (number, time,
 * lengths, link type), then one line per layer with its byte offset and every field, the IPv4
 * options / IPv6 extension headers and their options, every TCP option with its offset, each
 * carrier with all its fields, format row and vendors, checksums with stored and expected
 * values, warnings and notes. Not a hot path: it may allocate freely.
 */
import type { PacketInspector } from '../analysis/inspect.js';
import { resolveFormat, type Carrier, type CarrierNote } from '../carriers/index.js';
import { readU16 } from '../codec/bytes.js';
import type { PacketRecord } from '../codec/capture-types.js';
import { ENCAPSULATION, type ChecksumVerdict, type Dissection, dissectWarnings, OPP } from '../codec/dissect.js';
import { IPPROTO } from '../codec/ipproto.js';
import { IPV4 } from '../codec/ipv4.js';
import { IPV6, IPV6_EXT } from '../codec/ipv6.js';
import { ETHERNET, ETHERTYPE, isSupportedLinkType, sllPacketTypeName } from '../codec/link.js';
import { LINKTYPE, linkTypeName } from '../codec/linktype.js';
import { TCP } from '../codec/tcp.js';
import { TcpOptionCursor, TCP_OPTION_WALK } from '../codec/tcp-options.js';
import { UDP } from '../codec/udp.js';
import {
  PLAIN_STYLES,
  type Styles,
  TCP_FLAG_TEXT,
  calendarDate,
  carrierText,
  etherTypeName,
  hex16,
  hexBytes,
  icmpTypeName,
  ipChecksumValues,
  ipProtocolName,
  l4ChecksumField,
  l4ChecksumValues,
  padDigits,
  timeOfDay,
} from './common.js';
import { arpText, formatMac, ipAddressText, tcpOptionText } from './text.js';

export interface VerboseOptions {
  styles?: Styles;
}

const EXTENSION_NAMES: Record<number, string> = {
  [IPV6_EXT.HOP_BY_HOP]: 'hop-by-hop options',
  [IPV6_EXT.ROUTING]: 'routing',
  [IPV6_EXT.FRAGMENT]: 'fragment',
  [IPV6_EXT.DEST_OPTS]: 'destination options',
  [IPV6_EXT.AUTH]: 'authentication',
};

const IPV4_OPTION_NAMES: Record<number, string> = {
  0: 'end of list', 1: 'nop', 7: 'record route', 68: 'timestamp', 130: 'security', 131: 'loose source route',
  136: 'stream id', 137: 'strict source route', 148: 'router alert',
};

/** Carrier fields already shown on the carrier's first line. */
const SHOWN_FIELDS = new Set(['carrier', 'kind', 'length', 'format', 'offset']);

function checksumText(stored: number, verdict: ChecksumVerdict, expected: number): string {
  const value = stored >= 0 ? hex16(stored) + ' ' : '';
  if (verdict === 'bad') return value + '(bad, expected ' + hex16(expected) + ')';
  if (verdict === 'none') return value + '(none sent)';
  return value + '(' + verdict + ')';
}

export class VerboseRenderer {
  private readonly cursor = new TcpOptionCursor();
  private readonly styles: Styles;

  constructor(options: VerboseOptions = {}) {
    this.styles = options.styles ?? PLAIN_STYLES;
  }

  /** The lines for `p` (already inspected into `ins`), each ending with '\n'. */
  lines(p: PacketRecord, ins: PacketInspector, nanoseconds: boolean): string {
    const d = ins.d;
    const data = p.data;
    const st = this.styles;
    const fraction = nanoseconds ? padDigits(p.timestampNanos, 9) : padDigits(Math.floor(p.timestampNanos / 1000), 6);
    let s =
      'packet ' + p.index + ' at ' + calendarDate(p.timestampSeconds) + ' ' + timeOfDay(p.timestampSeconds) + '.' + fraction + ' UTC' +
      ' (' + p.timestampSeconds + '.' + padDigits(p.timestampNanos, 9) + '), ' + p.capturedLength + ' bytes captured, ' + p.originalLength +
      ' on the wire, link type ' + p.linkType + ' (' + linkTypeName(p.linkType) + ')\n';
    if (!isSupportedLinkType(p.linkType)) return s + '  link type ' + p.linkType + ' is not decoded\n';
    const encapsulated = d.encapsulation !== ENCAPSULATION.NONE && d.outer !== null;
    if (encapsulated) {
      const o = d.outer!;
      s += this.linkLines(data, o, p.linkType);
      s += this.layerLines(data, o, null, '  ');
      s += d.encapsulation === ENCAPSULATION.VXLAN
        ? '  vxlan at byte ' + o.payloadOffset + ': vni ' + d.vni + ', inner frame ' + (o.payloadLength - 8) + ' bytes\n'
        : '  ip-in-ip: inner packet at byte ' + d.l3Offset + '\n';
      if (d.encapsulation === ENCAPSULATION.VXLAN) s += this.linkLines(data, d, LINKTYPE.ETHERNET);
    } else {
      s += this.linkLines(data, d, p.linkType);
    }
    s += this.layerLines(data, d, ins, '  ');
    for (const c of ins.carriers) s += this.carrierLines(c);
    for (const n of ins.notes) s += this.noteLine(n);
    for (const w of dissectWarnings(d)) s += '  ' + st.warning('warning ' + w.name + ': ' + w.message) + '\n';
    if (d.warningsDropped > 0) s += '  ' + st.warning('warning: ' + d.warningsDropped + ' more warnings were not recorded') + '\n';
    if (d.truncated) s += '  ' + st.warning('truncated: ' + p.capturedLength + ' of ' + p.originalLength + ' bytes were captured') + '\n';
    return s;
  }

  private linkLines(data: Uint8Array, d: Dissection, linkType: number): string {
    const o = d.linkOffset;
    let s = '';
    switch (linkType) {
      case LINKTYPE.ETHERNET:
        if (d.linkHeaderLength < ETHERNET.HEADER) return '  ethernet at byte ' + o + ': header not captured\n';
        s = '  ethernet at byte ' + o + ': ' + formatMac(data, o + ETHERNET.SOURCE) + ' > ' + formatMac(data, o + ETHERNET.DESTINATION) + '\n';
        break;
      case LINKTYPE.LINUX_SLL:
      case LINKTYPE.LINUX_SLL2:
        if (d.sllPacketType < 0) return '  cooked header at byte ' + o + ': not captured\n';
        s = '  ' + (linkType === LINKTYPE.LINUX_SLL ? 'sll' : 'sll2') + ' at byte ' + o + ': direction ' + sllPacketTypeName(d.sllPacketType) +
          ' (' + d.sllPacketType + '), hardware type ' + d.sllHardwareType + (d.sllInterfaceIndex >= 0 ? ', interface index ' + d.sllInterfaceIndex : '') + '\n';
        break;
      case LINKTYPE.NULL:
      case LINKTYPE.LOOP:
        s = '  ' + (linkType === LINKTYPE.NULL ? 'null' : 'loop') + ' at byte ' + o + ': address family ' + d.linkFamily + '\n';
        break;
      default:
        s = '  raw IP (no link header)\n';
    }
    for (let i = 0; i < d.vlanCount && i < d.vlanIds.length; i++) s += '  vlan ' + d.vlanIds[i] + ' (tpid ' + hex16(d.vlanTpids[i]!) + ')\n';
    if (d.vlanCount > d.vlanIds.length) s += '  ' + (d.vlanCount - d.vlanIds.length) + ' more vlan tags\n';
    if (d.etherType >= 0) s += '  ethertype ' + etherTypeName(d.etherType) + ' (' + hex16(d.etherType) + '), link header ' + d.linkHeaderLength + ' bytes\n';
    return s;
  }

  /** IP, opp, transport, payload and trailer lines of `d`. */
  private layerLines(data: Uint8Array, d: Dissection, ins: PacketInspector | null, indent: string): string {
    const carriers = ins !== null ? ins.carriers : [];
    if (d.ipVersion === 0) {
      const l3 = d.linkOffset + d.linkHeaderLength;
      if (d.etherType === ETHERTYPE.ARP) return indent + arpText(data, l3, data.length) + '\n';
      return indent + 'payload at byte ' + l3 + ': ' + Math.max(0, data.length - l3) + ' bytes, not IP\n';
    }
    const l3 = d.l3Offset;
    let s = '';
    const source = ipAddressText(data, d, 0);
    const destination = ipAddressText(data, d, 1);
    if (d.ipVersion === 4) {
      const flags = d.ipv4Flags;
      const flagText = [(flags & 4) !== 0 ? 'reserved' : '', (flags & 2) !== 0 ? 'DF' : '', (flags & 1) !== 0 ? 'MF' : ''].filter((x) => x !== '').join(' ');
      const ck = ipChecksumValues(data, d);
      s += indent + 'ipv4 at byte ' + l3 + ': ' + source + ' > ' + destination + ', header ' + (data[l3]! & 0x0f) * 4 + ' bytes, tos 0x' + padHex(d.trafficClass, 2) +
        ', total length ' + readU16(data, l3 + IPV4.TOTAL_LENGTH) + ', id ' + d.ipIdentification + ', flags [' + flagText + '], fragment offset ' + d.fragmentOffset +
        ', ttl ' + d.hopLimit + ', protocol ' + ipProtocolName(d.ipProtocol) + ' (' + d.ipProtocol + '), checksum ' +
        checksumText(l3 + IPV4.CHECKSUM + 2 <= data.length ? readU16(data, l3 + IPV4.CHECKSUM) : -1, d.ipChecksum, ck.expected) + '\n';
      if (d.ipv4OptionsOffset >= 0) s += this.ipv4OptionLines(data, d.ipv4OptionsOffset, d.ipv4OptionsOffset + d.ipv4OptionsLength, carriers, indent + '  ');
    } else {
      s += indent + 'ipv6 at byte ' + l3 + ': ' + source + ' > ' + destination + ', traffic class 0x' + padHex(d.trafficClass, 2) + ', flow label 0x' + padHex(d.flowLabel, 5) +
        ', payload length ' + readU16(data, l3 + IPV6.PAYLOAD_LENGTH) + ', next header ' + data[l3 + IPV6.NEXT_HEADER] + ', hop limit ' + d.hopLimit + ', checksum (none in IPv6)\n';
      for (let i = 0; i < d.extensionCount; i++) {
        const type = d.extensionTypes[i]!;
        const at = d.extensionOffsets[i]!;
        const length = d.extensionLengths[i]!;
        s += indent + '  extension at byte ' + at + ': ' + (EXTENSION_NAMES[type] ?? 'type ' + type) + ' (' + type + '), ' + length + ' bytes, next header ' + data[at] + '\n';
        if (type === IPV6_EXT.DEST_OPTS || type === IPV6_EXT.HOP_BY_HOP) s += this.ipv6OptionLines(data, at + 2, at + length, carriers, indent + '    ');
        else if (type === IPV6_EXT.FRAGMENT) s += indent + '    fragment offset ' + d.fragmentOffset + ', more fragments ' + d.moreFragments + ', id ' + d.ipIdentification + '\n';
        else if (type === IPV6_EXT.ROUTING) s += indent + '    routing type ' + data[at + 2] + ', segments left ' + data[at + 3] + '\n';
      }
    }
    if (d.isFragment) s += indent + 'fragment: id ' + d.ipIdentification + ', offset ' + d.fragmentOffset + ', more fragments ' + d.moreFragments + (d.isLaterFragment ? ' (no transport header in this fragment)' : '') + '\n';
    if (d.oppOffset >= 0) {
      const o = d.oppOffset;
      s += indent + 'opp shim at byte ' + o + ': version ' + d.oppVersion + ', next protocol ' + ipProtocolName(data[o + OPP.NEXT_PROTOCOL]!) + ' (' + data[o + OPP.NEXT_PROTOCOL] + '), length ' + d.oppLength + '\n';
      for (const c of carriers) if (c.carrier === 'opp') s += indent + '  option at byte ' + (o + OPP.HEADER) + ': type ' + data[o + OPP.HEADER] + ' length ' + c.length + ': ' + this.styles.carrier(carrierText(c)) + '\n';
    }
    if (d.l4Offset >= 0 && !d.isLaterFragment) s += this.transportLines(data, d, carriers, indent);
    if (d.payloadOffset >= 0) {
      s += indent + 'payload at byte ' + d.payloadOffset + ': ' + d.payloadLength + ' bytes captured' + (d.payloadLengthOnWire !== d.payloadLength ? ', ' + d.payloadLengthOnWire + ' on the wire' : '') + '\n';
    }
    if (d.trailerOffset >= 0) s += indent + 'trailer at byte ' + d.trailerOffset + ': ' + d.trailerLength + ' bytes after the IP packet (padding or FCS)\n';
    return s;
  }

  private transportLines(data: Uint8Array, d: Dissection, carriers: readonly Carrier[], indent: string): string {
    const l4 = d.l4Offset;
    const protocol = d.transportProtocol;
    const field = l4ChecksumField(protocol);
    const stored = field >= 0 && l4 + field + 2 <= data.length ? readU16(data, l4 + field) : -1;
    const expected = d.l4Checksum === 'bad' ? l4ChecksumValues(data, d).expected : -1;
    const checksum = field >= 0 ? ', checksum ' + checksumText(stored, d.l4Checksum, expected) : '';
    if (protocol === IPPROTO.TCP) {
      const flags = d.tcpFlags;
      let s = indent + 'tcp at byte ' + l4 + ': ' + d.sourcePort + ' > ' + d.destinationPort + ', seq ' + d.sequenceNumber + ', ack ' + d.acknowledgmentNumber +
        ', flags [' + TCP_FLAG_TEXT[flags] + '] (0x' + padHex(flags, 2) + '), header ' + (data[l4 + TCP.DATA_OFFSET]! >>> 4) * 4 + ' bytes, window ' + d.windowSize +
        ', urgent ' + d.urgentPointer + checksum + '\n';
      if (d.tcpOptionsOffset >= 0) s += this.tcpOptionLines(data, d.tcpOptionsOffset, d.tcpOptionsOffset + d.tcpOptionsLength, carriers, indent + '  ');
      return s;
    }
    if (protocol === IPPROTO.UDP) {
      return indent + 'udp at byte ' + l4 + ': ' + d.sourcePort + ' > ' + d.destinationPort + ', length ' + readU16(data, l4 + UDP.LENGTH) + checksum + '\n';
    }
    if (protocol === IPPROTO.ICMP || protocol === IPPROTO.ICMPV6) {
      const name = icmpTypeName(protocol === IPPROTO.ICMPV6 ? 6 : 4, d.icmpType);
      return indent + (protocol === IPPROTO.ICMPV6 ? 'icmp6' : 'icmp') + ' at byte ' + l4 + ': type ' + d.icmpType + (name !== null ? ' (' + name + ')' : '') + ', code ' + d.icmpCode + checksum + '\n';
    }
    return indent + ipProtocolName(protocol) + ' at byte ' + l4 + ': ' + (d.l4End - l4) + ' bytes, not decoded\n';
  }

  private tcpOptionLines(data: Uint8Array, start: number, end: number, carriers: readonly Carrier[], indent: string): string {
    const cursor = this.cursor.reset(data, start, end);
    let s = '';
    while (cursor.next()) {
      const at = cursor.offset;
      const c = carriers.find((x) => x.carrier === 'tcp-option' && x.offset === at);
      const text = c !== undefined ? this.styles.carrier(carrierText(c)) + ' (carrier ' + c.format + ')' : tcpOptionText(data, at, cursor.length);
      s += indent + this.styles.dim('option at byte ' + at) + ': kind ' + cursor.kind + (cursor.length > 1 ? ' length ' + cursor.length : '') + ': ' + text + '\n';
    }
    if (cursor.status !== TCP_OPTION_WALK.OK) {
      s += indent + this.styles.warning('option at byte ' + cursor.errorOffset + ': kind ' + data[cursor.errorOffset] + ' is malformed (' +
        (cursor.status === TCP_OPTION_WALK.BAD_LENGTH ? 'length below 2 or missing' : 'runs past the end of the options') + '); the walk stops') + '\n';
    }
    if (cursor.endOffset < end) {
      let nonZero = false;
      for (let i = cursor.endOffset; i < end; i++) if (data[i] !== 0) nonZero = true;
      if (cursor.status === TCP_OPTION_WALK.OK && cursor.endOffset < end) s += indent + 'padding at byte ' + cursor.endOffset + ': ' + (end - cursor.endOffset) + ' bytes' + (nonZero ? ' (not all zero)' : '') + '\n';
    }
    return s;
  }

  private ipv4OptionLines(data: Uint8Array, start: number, end: number, carriers: readonly Carrier[], indent: string): string {
    let s = '';
    let i = start;
    while (i < end) {
      const type = data[i]!;
      if (type === 0 || type === 1) {
        s += indent + 'option at byte ' + i + ': ' + (type === 0 ? 'end of list' : 'nop') + '\n';
        i++;
        if (type === 0) break;
        continue;
      }
      const length = i + 1 < end ? data[i + 1]! : 0;
      if (length < 2 || i + length > end) {
        s += indent + this.styles.warning('option at byte ' + i + ': type ' + type + ' has a bad length ' + length + '; the walk stops') + '\n';
        break;
      }
      const c = carriers.find((x) => x.carrier === 'ipv4-option' && x.offset === i);
      const text = c !== undefined ? this.styles.carrier(carrierText(c)) + ' (carrier ' + c.format + ')' : (IPV4_OPTION_NAMES[type] ?? 'unknown') + ' 0x' + hexBytes(data, i + 2, i + length);
      s += indent + 'option at byte ' + i + ': type ' + type + ' (copy ' + (type >>> 7) + ', class ' + ((type >>> 5) & 3) + ', number ' + (type & 31) + ') length ' + length + ': ' + text + '\n';
      i += length;
    }
    return s;
  }

  private ipv6OptionLines(data: Uint8Array, start: number, end: number, carriers: readonly Carrier[], indent: string): string {
    let s = '';
    let i = start;
    while (i < end) {
      const type = data[i]!;
      if (type === 0) {
        s += indent + 'option at byte ' + i + ': Pad1\n';
        i++;
        continue;
      }
      if (i + 1 >= end || i + 2 + data[i + 1]! > end) {
        s += indent + this.styles.warning('option at byte ' + i + ': type ' + type + ' runs past the header; the walk stops') + '\n';
        break;
      }
      const length = data[i + 1]!;
      const c = carriers.find((x) => x.carrier === 'ipv6-dstopt' && x.offset === i);
      const text = type === 1 ? 'PadN' : c !== undefined ? this.styles.carrier(carrierText(c)) + ' (carrier ' + c.format + ')' : '0x' + hexBytes(data, i + 2, i + 2 + length);
      s += indent + 'option at byte ' + i + ': type ' + type + ' length ' + length + ': ' + text + '\n';
      i += 2 + length;
    }
    return s;
  }

  private carrierLines(c: Carrier): string {
    const f = resolveFormat(c.format);
    let s = '  ' + this.styles.carrier('carrier ' + c.format) + ' at byte ' + c.offset + ' (' + c.carrier + (c.kind !== null ? ' kind ' + c.kind : '') + ', length ' + c.length +
      (f !== undefined ? ', row ' + f.row : '') + '): ' + carrierText(c) + '\n';
    for (const [key, value] of Object.entries(c)) {
      if (SHOWN_FIELDS.has(key) || value === undefined) continue;
      s += '    ' + key + ': ' + (typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)) + '\n';
    }
    if (f !== undefined) {
      s += '    vendors: ' + f.vendors.join('; ') + '\n';
      if (f.packets) s += '    packets: ' + f.packets + '\n';
    }
    return s;
  }

  private noteLine(n: CarrierNote): string {
    const text = 'note ' + n.code + ' at byte ' + n.offset + ' (' + n.severity + '): ' + n.message;
    return '  ' + (n.severity === 'warning' ? this.styles.warning(text) : text) + '\n';
  }
}

function padHex(value: number, width: number): string {
  const s = value.toString(16);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}
