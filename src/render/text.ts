/**
 * The one-line-per-packet view of `toa decode`, in the style of `tcpdump -nn -S -r`:
 *
 *   22:13:20.123456 IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [.], ack 200, win 502, options [toa 192.0.2.1:40000,nop,nop,TS val 1 ecr 2], length 0
 *
 * Decisions (documented in `toa decode --help`):
 * - Time of day in UTC, 6 fraction digits (9 for nanosecond-resolution interfaces); `--date` adds the date.
 * - Sequence numbers are absolute, as `tcpdump -S` prints them (`seq N` on SYN/FIN/RST and empty
 *   segments, `seq N:N+len` with data; `ack N` when ACK is set).
 * - The link layer (MAC addresses, VLAN tags, SLL direction) is shown only with `-e`, as tcpdump does.
 * - Carriers are decoded in place: TCP-option carriers inside `options [...]` (`toa ADDR:PORT` for
 *   the DPVS format, the registry format name otherwise), IP-option / IPv6 destination-option /
 *   opp carriers in parentheses after `IP`, PROXY and SPP headers after the length.
 * - Problems are tags at the end of the line: `[bad tcp cksum 0x1234 -> 0x5678]`, `[truncated]`,
 *   `[malformed option at byte 54]`, `[<warning-name> at byte N]`, `[<note-code> at byte N]`.
 *
 * Hot path: one string per packet built by concatenation; no objects beyond what carriers need.
 */
import { isPlainToaV4Option, type Carrier } from '../carriers/index.js';
import type { PacketInspector } from '../analysis/inspect.js';
import { formatIpv4, formatIpv6 } from '../codec/addr.js';
import { readU16, readU32 } from '../codec/bytes.js';
import type { PacketRecord } from '../codec/capture-types.js';
import { DISSECT_LAYER, DISSECT_WARNING, ENCAPSULATION, type Dissection, dissectWarningName } from '../codec/dissect.js';
import { ICMP } from '../codec/icmp.js';
import { IPPROTO } from '../codec/ipproto.js';
import { ETHERNET, ETHERTYPE, SLL, isSupportedLinkType, sllPacketTypeName } from '../codec/link.js';
import { LINKTYPE } from '../codec/linktype.js';
import { TCP_FLAG, TCP_OPTION } from '../codec/tcp.js';
import { NOP_NOP_TIMESTAMP, NOP_NOP_TIMESTAMP_LENGTH, TCP_OPTION_LENGTH, TFO_EXPERIMENT_ID, tcpOptionName } from '../codec/tcp-options.js';
import { AsciiWords, ByteWriter, putIpv4, putU32, putWords } from './writer.js';
import {
  PLAIN_STYLES,
  type Styles,
  MPTCP_SUBTYPES,
  TCP_FLAG_TEXT,
  TimestampFormatter,
  carrierText,
  etherTypeName,
  findCarrier,
  hex16,
  hexBytes,
  icmpTypeName,
  ipChecksumValues,
  ipProtocolName,
  l4ChecksumValues,
} from './common.js';

/** ARP (RFC 826) for Ethernet/IPv4: offsets from the start of the ARP header. */
export const ARP = Object.freeze({
  HARDWARE_TYPE: 0,
  PROTOCOL_TYPE: 2,
  HARDWARE_LENGTH: 4,
  PROTOCOL_LENGTH: 5,
  OPERATION: 6,
  SENDER_HARDWARE: 8,
  SENDER_PROTOCOL: 14,
  TARGET_HARDWARE: 18,
  TARGET_PROTOCOL: 24,
  /** Size of an Ethernet/IPv4 ARP message. */
  ETHERNET_IPV4: 28,
  REQUEST: 1,
  REPLY: 2,
});

export interface TextOptions {
  /** `-e`: print the link-layer header (MAC addresses, VLAN tags, SLL direction). */
  link?: boolean;
  /** `--date`: prefix the UTC date (YYYY-MM-DD) to the time of day. */
  date?: boolean;
  styles?: Styles;
}

/** Constant line fragments, encoded once (written with putWords, or ByteWriter.bytes of `.bytes`). */
const T_ARROW = new AsciiWords(' > ');
const T_ECR = new AsciiWords(' ecr ');
const T_ACK = new AsciiWords(', ack ');
const T_LENGTH = new AsciiWords(', length ');
const T_OPTIONS = new AsciiWords(', options [');
const T_SEQ = new AsciiWords(', seq ');
const T_URG = new AsciiWords(', urg ');
const T_WIN = new AsciiWords(', win ');
const T_COLON = new AsciiWords(': ');
const T_TS_VAL = new AsciiWords('TS val ');
const T_UDP_LENGTH = new AsciiWords('UDP, length ');
const T_MSS = new AsciiWords('mss ');
const T_NOP = new AsciiWords('nop');
const T_TOA = new AsciiWords('toa ');
const T_NOP_NOP_TS_VAL = new AsciiWords('nop,nop,TS val ');
const T_OPTIONS_NOP_NOP_TS_VAL = new AsciiWords(', options [nop,nop,TS val ');
const T_SACK_OK = new AsciiWords('sackOK');
const T_WSCALE = new AsciiWords('wscale ');
const T_IP = new AsciiWords('IP ');
const T_IP6 = new AsciiWords('IP6 ');
/** `Flags [...]` per TCP flag byte, each made when a packet first has that byte (start-up makes none). */
const T_FLAGS: Array<AsciiWords | undefined> = new Array<AsciiWords | undefined>(256).fill(undefined);

function flagsWords(flags: number): AsciiWords {
  return T_FLAGS[flags] ?? (T_FLAGS[flags] = new AsciiWords('Flags [' + TCP_FLAG_TEXT[flags] + ']'));
}

/** MAC address text `aa:bb:cc:dd:ee:ff` of the 6 bytes at `offset`. */
export function formatMac(data: Uint8Array, offset: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i === 0 ? '' : ':') + (data[offset + i]! < 16 ? '0' : '') + data[offset + i]!.toString(16);
  return s;
}

/** Address text of the source (`which` 0) or destination (1) of the IP header described by `d`. */
export function ipAddressText(data: Uint8Array, d: Dissection, which: 0 | 1): string {
  const at = which === 0 ? d.ipSourceOffset : d.ipDestinationOffset;
  return d.ipAddressLength === 4 ? formatIpv4(data, at) : formatIpv6(data, at);
}

/** The tcpdump-style text of one TCP option that is not a carrier (bounds already walked). */
export function tcpOptionText(data: Uint8Array, offset: number, length: number): string {
  const kind = data[offset]!;
  const dataStart = offset + 2;
  const end = offset + length;
  switch (kind) {
    case TCP_OPTION.EOL:
      return 'eol';
    case TCP_OPTION.NOP:
      return 'nop';
    case TCP_OPTION.MSS:
      return length === TCP_OPTION_LENGTH.MSS ? 'mss ' + readU16(data, dataStart) : 'mss [len ' + length + ']';
    case TCP_OPTION.WSCALE:
      return length === TCP_OPTION_LENGTH.WSCALE ? 'wscale ' + data[dataStart]! : 'wscale [len ' + length + ']';
    case TCP_OPTION.SACK_PERMITTED:
      return length === TCP_OPTION_LENGTH.SACK_PERMITTED ? 'sackOK' : 'sackOK [len ' + length + ']';
    case TCP_OPTION.SACK: {
      const bytes = length - TCP_OPTION_LENGTH.SACK_BASE;
      if (bytes % TCP_OPTION_LENGTH.SACK_BLOCK !== 0) return 'sack [len ' + length + ']';
      let s = 'sack ' + bytes / TCP_OPTION_LENGTH.SACK_BLOCK + ' ';
      for (let p = dataStart; p < end; p += TCP_OPTION_LENGTH.SACK_BLOCK) s += '{' + readU32(data, p) + ':' + readU32(data, p + 4) + '}';
      return s;
    }
    case TCP_OPTION.TIMESTAMP:
      return length === TCP_OPTION_LENGTH.TIMESTAMP ? 'TS val ' + readU32(data, dataStart) + ' ecr ' + readU32(data, dataStart + 4) : 'TS [len ' + length + ']';
    case TCP_OPTION.MD5:
      return length === TCP_OPTION_LENGTH.MD5 ? 'md5 0x' + hexBytes(data, dataStart, end) : 'md5 [len ' + length + ']';
    case TCP_OPTION.USER_TIMEOUT: {
      if (length !== TCP_OPTION_LENGTH.USER_TIMEOUT) return 'uto [len ' + length + ']';
      const word = readU16(data, dataStart);
      return 'uto ' + (word & 0x7fff) + (word & 0x8000 ? 'min' : 'sec');
    }
    case TCP_OPTION.MPTCP: {
      if (length < 3) return 'mptcp [len ' + length + ']';
      const subtype = data[dataStart]! >>> 4;
      return 'mptcp ' + length + ' ' + (MPTCP_SUBTYPES[subtype] ?? 'subtype-' + subtype);
    }
    case TCP_OPTION.FAST_OPEN:
      return length === 2 ? 'tfo cookiereq' : 'tfo cookie ' + hexBytes(data, dataStart, end);
    case TCP_OPTION.EXP1:
    case TCP_OPTION.EXP2: {
      if (length < 4) return 'exp [len ' + length + ']';
      const exid = readU16(data, dataStart);
      if (kind === TCP_OPTION.EXP2 && exid === TFO_EXPERIMENT_ID) return length === 4 ? 'tfo cookiereq' : 'tfo cookie ' + hexBytes(data, dataStart + 2, end);
      const id = exid.toString(16);
      return 'exp-' + '0000'.substring(id.length) + id + (length > 4 ? ' 0x' + hexBytes(data, dataStart + 2, end) : '');
    }
    default: {
      const name = tcpOptionName(kind);
      return length > 2 ? name + ' 0x' + hexBytes(data, dataStart, end) : name;
    }
  }
}

/**
 * Room (ByteWriter.at) for the fixed TCP fields: `Flags [..]`, seq a:b, ack, win, urg (at most 81
 * bytes), then `, options [nop,nop,TS val A ecr B]` (at most 52), and what the last word written may
 * cover past the end.
 */
const TCP_FIXED_ROOM = 176;
/** Room for `, length N`. */
const TCP_LENGTH_ROOM = 32;
/** Room for one well-known option and its comma. */
const OPTION_ROOM = 64;
/** Room for `A.B.C.D.PORT > A.B.C.D.PORT: `. */
const ENDPOINTS_ROOM = 96;

/** The 32-bit big-endian field at `offset` as an int32 (putU32 prints it unsigned). */
function readI32(data: Uint8Array, offset: number): number {
  return (data[offset]! << 24) | (data[offset + 1]! << 16) | (data[offset + 2]! << 8) | data[offset + 3]!;
}

/** A DPVS TOA for IPv4 (port at byte 2, address at byte 4) with nothing else to show. */
function isPlainToaV4(c: Carrier): boolean {
  return (
    c.format === 'toa-v4' && c.length === 8 && c.clientPort !== null && c.clientAddress !== null && c.sourcePath === undefined &&
    c.virtualAddress === undefined && c.virtualPort === undefined && c.vni === undefined && c.vpcId === undefined
  );
}

/**
 * Renders packets as tcpdump-style lines. One instance per output; not reentrant (it keeps a
 * timestamp cache and a scratch writer).
 */
export class TextRenderer {
  private readonly times: TimestampFormatter;
  private readonly styles: Styles;
  private readonly link: boolean;
  private readonly scratch = new ByteWriter(4096);

  constructor(options: TextOptions = {}) {
    this.times = new TimestampFormatter(options.date === true);
    this.styles = options.styles ?? PLAIN_STYLES;
    this.link = options.link === true;
  }

  /** The line for `p` (already inspected into `ins`), ending with '\n' (allocates; tests and small outputs). */
  line(p: PacketRecord, ins: PacketInspector, nanoseconds: boolean): string {
    this.scratch.position = 0;
    this.write(this.scratch, p, ins, nanoseconds);
    return this.scratch.takeFrom(0);
  }

  /** Append the line for `p` (already inspected into `ins`), ending with '\n', to `w`. */
  write(w: ByteWriter, p: PacketRecord, ins: PacketInspector, nanoseconds: boolean): void {
    const data = p.data;
    this.writeFrame(w, p, data, 0, data.length, ins, nanoseconds);
  }

  /**
   * `write` for a packet whose frame is data[base, end), inspected in place into `ins`
   * (PacketInspector.inspectAt with the same data and range: its offsets count from data[0]).
   */
  writeFrame(w: ByteWriter, p: PacketRecord, data: Uint8Array, base: number, end: number, ins: PacketInspector, nanoseconds: boolean): void {
    const d = ins.d;
    this.times.write(w, p.timestampSeconds, p.timestampNanos, nanoseconds);
    w.byte(32);
    if (!isSupportedLinkType(p.linkType)) {
      w.text('unknown link type ' + p.linkType + ', ' + p.capturedLength + ' bytes' + (p.originalLength !== p.capturedLength ? ' (' + p.originalLength + ' on the wire)' : '') + '\n');
      return;
    }
    const encapsulated = d.encapsulation !== ENCAPSULATION.NONE && d.outer !== null;
    if (this.link) w.text(this.linkText(data, encapsulated ? d.outer! : d, p.linkType, p.originalLength));
    if (encapsulated) {
      const o = d.outer!;
      w.text((o.ipVersion === 6 ? 'IP6 ' : 'IP ') + ipAddressText(data, o, 0));
      if (d.encapsulation === ENCAPSULATION.VXLAN) {
        w.text('.' + o.sourcePort + ' > ' + ipAddressText(data, o, 1) + '.' + o.destinationPort + ': VXLAN, vni ' + d.vni + ': ');
        if (this.link) w.text(this.linkText(data, d, LINKTYPE.ETHERNET, d.capturedLength));
      } else {
        w.text(' > ' + ipAddressText(data, o, 1) + ': ');
      }
      this.writeNetwork(w, data, base, end, d, ins);
      w.text(this.tags(data, base, end, o, ins, true));
    } else if (
      d.ipVersion === 4 && d.transportProtocol === IPPROTO.TCP && d.l4Offset >= 0 && d.sourcePort >= 0 && !d.isFragment && d.oppOffset < 0 && ins.carriers.length === 0
    ) {
      // writeNetwork's text for IPv4 TCP with no IP-level carrier and no fragment (nearly every packet):
      // `IP A.B.C.D.PORT > A.B.C.D.PORT: ` in one stretch, then the TCP fields
      const v = w.at(ENDPOINTS_ROOM + 8);
      w.position = putIpv4Endpoints(v, putWords(v, w.position, T_IP), data, d, true);
      this.writeTcp(w, data, end, d, ins);
    } else {
      this.writeNetwork(w, data, base, end, d, ins);
    }
    if (hasTags(d, ins)) {
      const tags = this.tags(data, base, end, d, ins, false);
      if (tags.length !== 0) w.text(tags);
    }
    w.byte(10);
  }

  /** `-e`: link header text ending with ': ' (empty for raw IP). */
  private linkText(data: Uint8Array, d: Dissection, linkType: number, wireLength: number): string {
    const o = d.linkOffset;
    let s = '';
    switch (linkType) {
      case LINKTYPE.ETHERNET:
        if (d.linkHeaderLength < ETHERNET.HEADER) return '';
        s = formatMac(data, o + ETHERNET.SOURCE) + ' > ' + formatMac(data, o + ETHERNET.DESTINATION) + ', ';
        break;
      case LINKTYPE.LINUX_SLL:
      case LINKTYPE.LINUX_SLL2:
        if (d.sllPacketType < 0) return '';
        if (d.sllInterfaceIndex >= 0) s = 'ifindex ' + d.sllInterfaceIndex + ' ';
        s += sllPacketTypeName(d.sllPacketType) + ' ';
        if (linkType === LINKTYPE.LINUX_SLL && data[o + SLL.ADDRESS_LENGTH + 1] === 6) s += formatMac(data, o + SLL.ADDRESS) + ' ';
        break;
      case LINKTYPE.NULL:
      case LINKTYPE.LOOP:
        if (d.linkFamily < 0) return '';
        return 'AF ' + (d.etherType === ETHERTYPE.IPV4 ? 'IPv4' : d.etherType === ETHERTYPE.IPV6 ? 'IPv6' : 'Unknown') + ' (' + d.linkFamily + '), length ' + wireLength + ': ';
      default:
        return '';
    }
    for (let i = 0; i < d.vlanCount && i < d.vlanIds.length; i++) s += 'vlan ' + d.vlanIds[i] + ', ';
    if (d.etherType >= 0) s += 'ethertype ' + etherTypeName(d.etherType) + ' (' + hex16(d.etherType) + '), ';
    return s + 'length ' + wireLength + ': ';
  }

  /** Everything from `IP`/`IP6`/`ARP` on, for the (inner) packet in `d` (frame data[base, end)). */
  private writeNetwork(w: ByteWriter, data: Uint8Array, base: number, end: number, d: Dissection, ins: PacketInspector): void {
    if (d.ipVersion === 0) {
      w.text(this.nonIpText(data, base, end, d));
      return;
    }
    w.position = putWords(w.at(8), w.position, d.ipVersion === 4 ? T_IP : T_IP6);
    const carriers = ins.carriers;
    if (carriers.length > 0 || d.oppOffset >= 0) {
      let ipCarriers = '';
      let hasOppCarrier = false;
      for (let i = 0; i < carriers.length; i++) {
        const c = carriers[i]!;
        if (c.carrier === 'ipv4-option' || c.carrier === 'ipv6-dstopt' || c.carrier === 'opp') {
          ipCarriers += (ipCarriers === '' ? '' : ', ') + this.styles.carrier(carrierText(c));
          if (c.carrier === 'opp') hasOppCarrier = true;
        }
      }
      if (d.oppOffset >= 0 && !hasOppCarrier) ipCarriers += (ipCarriers === '' ? '' : ', ') + 'opp';
      if (ipCarriers !== '') w.text('(' + ipCarriers + ') ');
    }
    const protocol = d.transportProtocol;
    const hasPorts = d.sourcePort >= 0 && (protocol === IPPROTO.TCP || protocol === IPPROTO.UDP);
    if (d.ipAddressLength === 4) {
      w.position = putIpv4Endpoints(w.at(ENDPOINTS_ROOM), w.position, data, d, hasPorts);
    } else {
      w.text(formatIpv6(data, d.ipSourceOffset));
      if (hasPorts) {
        w.byte(46);
        w.uint(d.sourcePort);
      }
      w.bytes(T_ARROW.bytes);
      w.text(formatIpv6(data, d.ipDestinationOffset));
      if (hasPorts) {
        w.byte(46);
        w.uint(d.destinationPort);
      }
      w.bytes(T_COLON.bytes);
    }
    if (d.isLaterFragment) {
      w.text(ipProtocolName(protocol));
    } else if (protocol === IPPROTO.TCP) {
      if (d.l4Offset >= 0) this.writeTcp(w, data, end, d, ins);
      else w.text('tcp');
    } else if (protocol === IPPROTO.UDP) {
      if (d.l4Offset < 0) w.text('udp');
      else {
        w.bytes(T_UDP_LENGTH.bytes);
        w.uint(d.udpLength >= 8 ? d.udpLength - 8 : d.payloadLengthOnWire);
        if (carriers.length > 0) w.text(this.payloadCarriers(ins));
      }
    } else if (protocol === IPPROTO.ICMP || protocol === IPPROTO.ICMPV6) {
      w.text(this.icmpText(data, d));
    } else if (d.reached >= DISSECT_LAYER.PAYLOAD) {
      w.text(ipProtocolName(protocol) + ', length ' + d.payloadLengthOnWire);
    } else {
      w.text(ipProtocolName(protocol));
    }
    if (d.isFragment) {
      const payload = d.ipEnd - d.l3Offset - d.ipHeaderLength;
      w.text(' (frag ' + d.ipIdentification + ':' + (payload > 0 ? payload : 0) + '@' + d.fragmentOffset + (d.moreFragments ? '+)' : ')'));
    }
  }

  private nonIpText(data: Uint8Array, base: number, end: number, d: Dissection): string {
    const type = d.etherType;
    const l3 = d.linkOffset + d.linkHeaderLength;
    const length = d.capturedLength - (l3 - base) > 0 ? d.capturedLength - (l3 - base) : 0;
    if (type === ETHERTYPE.IPV4) return 'IP';
    if (type === ETHERTYPE.IPV6) return 'IP6';
    if (type === ETHERTYPE.ARP) return arpText(data, l3, end);
    if (d.linkType === LINKTYPE.NULL || d.linkType === LINKTYPE.LOOP) return d.linkFamily >= 0 ? 'AF ' + d.linkFamily + ', length ' + length : 'null';
    if (d.reached < DISSECT_LAYER.LINK) return 'link header, ' + d.capturedLength + ' bytes';
    if (type >= 0 && type < ETHERTYPE.MIN_ETHERTYPE) return '802.3, length ' + type;
    if (type >= 0) return 'ethertype ' + etherTypeName(type) + ' (' + hex16(type) + '), length ' + length;
    return 'length ' + length;
  }

  private writeTcp(w: ByteWriter, data: Uint8Array, frameEnd: number, d: Dissection, ins: PacketInspector): void {
    const flags = d.tcpFlags;
    const known = d.reached >= DISSECT_LAYER.PAYLOAD;
    const length = known ? d.payloadLengthOnWire : 0;
    // flags, seq, ack, win, urg: at most TCP_FIXED_ROOM bytes
    const v = w.at(TCP_FIXED_ROOM);
    let q = putWords(v, w.position, flagsWords(flags));
    // uint32 fields are passed as int32 (`| 0`): no boxed number per call
    const sequence = d.sequenceNumber | 0;
    if (length > 0 || (flags & (TCP_FLAG.SYN | TCP_FLAG.FIN | TCP_FLAG.RST)) !== 0) {
      q = putWords(v, q, T_SEQ);
      q = putU32(v, q, sequence);
      if (length > 0) {
        v.setUint8(q++, 58);
        q = putU32(v, q, (sequence + length) | 0);
      }
    }
    if ((flags & TCP_FLAG.ACK) !== 0) {
      q = putWords(v, q, T_ACK);
      q = putU32(v, q, d.acknowledgmentNumber | 0);
    }
    q = putWords(v, q, T_WIN);
    q = putU32(v, q, d.windowSize);
    if ((flags & TCP_FLAG.URG) !== 0) {
      q = putWords(v, q, T_URG);
      q = putU32(v, q, d.urgentPointer);
    }
    const o = d.tcpOptionsOffset;
    if (o >= 0) {
      if (d.tcpOptionsLength === NOP_NOP_TIMESTAMP_LENGTH && o + NOP_NOP_TIMESTAMP_LENGTH <= frameEnd && ins.carriers.length === 0 && readI32(data, o) === NOP_NOP_TIMESTAMP) {
        // writeOptions' first case (nearly every data segment) in the same stretch, without the call
        q = putWords(v, q, T_OPTIONS_NOP_NOP_TS_VAL);
        q = putU32(v, q, readI32(data, o + 4));
        q = putWords(v, q, T_ECR);
        q = putU32(v, q, readI32(data, o + 8));
        v.setUint8(q, 93);
        w.position = q + 1;
      } else {
        w.position = putWords(v, q, T_OPTIONS);
        this.writeOptions(w, data, o, o + d.tcpOptionsLength, frameEnd, ins.carriers, ins.plainToaSkipped);
        w.byte(93);
      }
    } else {
      w.position = q;
    }
    if (known) {
      const lv = w.at(TCP_LENGTH_ROOM);
      w.position = putU32(lv, putWords(lv, w.position, T_LENGTH), length);
      if (ins.carriers.length > 0) w.text(this.payloadCarriers(ins));
    }
  }

  /** The comma-separated option list (carriers decoded in place) as a string. */
  optionsText(data: Uint8Array, start: number, end: number, carriers: readonly Carrier[]): string {
    this.scratch.position = 0;
    this.writeOptions(this.scratch, data, start, end, data.length, carriers, false);
    return this.scratch.takeFrom(0);
  }

  /**
   * The options in [start, end), walked as TcpOptionCursor walks them (NOP and EOL one byte, the
   * walk stops after EOL or at a length below 2 / an overrun, which adds `[bad opt]`); nothing at or
   * after `limit` (the end of the frame) is read. Written
   * inline: with TcpOptionCursor, optionsText on SYN and NOP/TS/SACK option lists took 1.12-1.13x
   * as long (median of 25 paired runs, two processes, 2026-12-07). `plainToa`: the inspector left the
   * plain DPVS TOAs out of `carriers` (PacketInspector.plainToaSkipped): they are written from their bytes.
   */
  private writeOptions(
    w: ByteWriter, data: Uint8Array, start: number, end: number, limit: number, carriers: readonly Carrier[], plainToa: boolean,
  ): void {
    if (!(end <= limit)) end = limit;
    if (!(start >= 0)) start = 0;
    if (end - start === NOP_NOP_TIMESTAMP_LENGTH && carriers.length === 0 && readI32(data, start) === NOP_NOP_TIMESTAMP) {
      // the options of nearly every Linux data segment, in one stretch
      const v = w.at(OPTION_ROOM);
      let q = putWords(v, w.position, T_NOP_NOP_TS_VAL);
      q = putU32(v, q, readI32(data, start + 4));
      q = putWords(v, q, T_ECR);
      w.position = putU32(v, q, readI32(data, start + 8));
      return;
    }
    let at = start;
    let bad = false;
    while (at < end) {
      const kind = data[at]!;
      let length = 1;
      if (kind !== TCP_OPTION.EOL && kind !== TCP_OPTION.NOP) {
        length = at + 1 < end ? data[at + 1]! : 0;
        if (length < 2 || at + length > end) {
          bad = true;
          break;
        }
      }
      const v = w.at(OPTION_ROOM);
      let q = w.position;
      if (at !== start) v.setUint8(q++, 44);
      const c = carriers.length > 0 && length > 1 ? findCarrier(carriers, 'tcp-option', at) : null;
      if (c !== null && this.styles === PLAIN_STYLES && isPlainToaV4(c)) {
        // `toa A.B.C.D:PORT` from the option bytes (what carrierText gives, without its strings)
        q = putIpv4(v, putWords(v, q, T_TOA), data, at + 4);
        v.setUint8(q++, 58);
        w.position = putU32(v, q, c.clientPort!);
      } else if (c !== null) {
        w.position = q;
        w.text(this.styles.carrier(carrierText(c)));
      } else if (plainToa && length === 8 && isPlainToaV4Option(data, at)) {
        w.position = q;
        this.writePlainToa(w, data, at);
      } else if (kind === TCP_OPTION.NOP) {
        w.position = putWords(v, q, T_NOP);
      } else if (kind === TCP_OPTION.TIMESTAMP && length === TCP_OPTION_LENGTH.TIMESTAMP) {
        q = putWords(v, q, T_TS_VAL);
        q = putU32(v, q, readI32(data, at + 2));
        q = putWords(v, q, T_ECR);
        w.position = putU32(v, q, readI32(data, at + 6));
      } else if (kind === TCP_OPTION.MSS && length === TCP_OPTION_LENGTH.MSS) {
        w.position = putU32(v, putWords(v, q, T_MSS), readU16(data, at + 2));
      } else if (kind === TCP_OPTION.WSCALE && length === TCP_OPTION_LENGTH.WSCALE) {
        w.position = putU32(v, putWords(v, q, T_WSCALE), data[at + 2]!);
      } else if (kind === TCP_OPTION.SACK_PERMITTED && length === TCP_OPTION_LENGTH.SACK_PERMITTED) {
        w.position = putWords(v, q, T_SACK_OK);
      } else {
        w.position = q;
        w.text(tcpOptionText(data, at, length));
      }
      at += length;
      if (kind === TCP_OPTION.EOL) break;
    }
    if (bad) w.text(at === start ? '[bad opt]' : ',[bad opt]');
  }

  /** `toa A.B.C.D:PORT` of the plain DPVS TOA at data[at] (isPlainToaV4Option), as carrierText writes its carrier. */
  private writePlainToa(w: ByteWriter, data: Uint8Array, at: number): void {
    if (this.styles === PLAIN_STYLES) {
      const v = w.at(OPTION_ROOM);
      const q = putIpv4(v, putWords(v, w.position, T_TOA), data, at + 4);
      v.setUint8(q, 58);
      w.position = putU32(v, q + 1, readU16(data, at + 2));
    } else {
      w.text(this.styles.carrier('toa ' + formatIpv4(data, at + 4) + ':' + readU16(data, at + 2)));
    }
  }

  /** `: proxy-v1 ...` for carriers at the start of the payload. */
  private payloadCarriers(ins: PacketInspector): string {
    const carriers = ins.carriers;
    let s = '';
    for (let i = 0; i < carriers.length; i++) {
      const c = carriers[i]!;
      if (c.carrier === 'proxy-v1' || c.carrier === 'proxy-v2' || c.carrier === 'spp') s += (s === '' ? ': ' : ', ') + this.styles.carrier(carrierText(c));
    }
    return s;
  }

  private icmpText(data: Uint8Array, d: Dissection): string {
    const v6 = d.ipVersion === 6;
    const prefix = d.transportProtocol === IPPROTO.ICMPV6 ? 'ICMP6, ' : 'ICMP ';
    if (d.l4Offset < 0 || d.icmpType < 0) return d.transportProtocol === IPPROTO.ICMPV6 ? 'ICMP6' : 'ICMP';
    const type = d.icmpType;
    const name = icmpTypeName(v6 ? 6 : 4, type);
    let s = prefix + (name ?? 'type ' + type + ', code ' + d.icmpCode);
    const echo = v6 ? type === 128 || type === 129 : type === 0 || type === 8;
    if (echo) s += ', id ' + readU16(data, d.l4Offset + ICMP.IDENTIFIER) + ', seq ' + readU16(data, d.l4Offset + ICMP.SEQUENCE);
    else if (name !== null && d.icmpCode !== 0) s += ', code ' + d.icmpCode;
    return s + ', length ' + (d.l4End - d.l4Offset);
  }

  /**
   * Problem tags (with a leading space each) for `d`; `outer` renders only the outer checksums. A
   * clean packet costs the checks below and returns '' (a constant: nothing is allocated).
   */
  private tags(data: Uint8Array, base: number, end: number, d: Dissection, ins: PacketInspector, outer: boolean): string {
    const st = this.styles;
    let s = '';
    if (d.ipChecksum === 'bad') {
      const v = ipChecksumValues(data, d, end);
      s += ' ' + st.bad('[bad ' + (outer ? 'outer ' : '') + 'ip cksum ' + hex16(v.stored) + ' -> ' + hex16(v.expected) + ']');
    }
    if (d.l4Checksum === 'bad') {
      const v = l4ChecksumValues(data, d, end);
      s += ' ' + st.bad('[bad ' + (outer ? 'outer ' : '') + l4Name(d.transportProtocol) + ' cksum ' + hex16(v.stored) + ' -> ' + hex16(v.expected) + ']');
    }
    if (outer) return s;
    if (d.truncated) s += ' ' + st.warning('[truncated]');
    for (let i = 0; i < d.warningCount; i++) {
      const code = d.warningCodes[i]!;
      const at = d.warningOffsets[i]! - base;
      if (code === DISSECT_WARNING.TCP_OPTION_BAD_LENGTH || code === DISSECT_WARNING.TCP_OPTION_OVERRUN) {
        s += ' ' + st.warning('[malformed option at byte ' + at + ']');
      } else if (!isTruncationWarning(code) || !d.truncated) {
        s += ' ' + st.warning('[' + dissectWarningName(code) + ' at byte ' + at + ']');
      }
    }
    if (d.warningsDropped > 0) s += ' ' + st.warning('[' + d.warningsDropped + ' more warnings]');
    const notes = ins.notes;
    for (let i = 0; i < notes.length; i++) {
      const n = notes[i]!;
      if (n.severity !== 'warning') continue;
      if (n.code === 'malformed-option' && n.carrier === 'tcp-option') continue; // the dissector's tag says it
      s += ' ' + st.warning('[' + n.code + ' at byte ' + (n.offset - base) + ']');
    }
    return s;
  }
}

/** `A.B.C.D[.PORT] > A.B.C.D[.PORT]: ` of the IPv4 packet in `d` at v[q] (ENDPOINTS_ROOM bytes), in one stretch; the new position. */
function putIpv4Endpoints(v: DataView, q: number, data: Uint8Array, d: Dissection, ports: boolean): number {
  q = putIpv4(v, q, data, d.ipSourceOffset);
  if (ports) {
    v.setUint8(q++, 46);
    q = putU32(v, q, d.sourcePort);
  }
  q = putWords(v, q, T_ARROW);
  q = putIpv4(v, q, data, d.ipDestinationOffset);
  if (ports) {
    v.setUint8(q++, 46);
    q = putU32(v, q, d.destinationPort);
  }
  return putWords(v, q, T_COLON);
}

/**
 * False when `tags` (not `outer`) would return '': no bad checksum, truncation, warning or note (nearly
 * every packet; the call is skipped then).
 */
function hasTags(d: Dissection, ins: PacketInspector): boolean {
  return (
    d.ipChecksum === 'bad' || d.l4Checksum === 'bad' || d.truncated || d.warningCount !== 0 || d.warningsDropped > 0 || ins.notes.length !== 0
  );
}

function isTruncationWarning(code: number): boolean {
  return (
    code === DISSECT_WARNING.LINK_TRUNCATED ||
    code === DISSECT_WARNING.IPV4_HEADER_TRUNCATED ||
    code === DISSECT_WARNING.IPV6_HEADER_TRUNCATED ||
    code === DISSECT_WARNING.IPV6_EXTENSION_TRUNCATED ||
    code === DISSECT_WARNING.OPP_TRUNCATED ||
    code === DISSECT_WARNING.TCP_TRUNCATED ||
    code === DISSECT_WARNING.UDP_TRUNCATED ||
    code === DISSECT_WARNING.ICMP_TRUNCATED ||
    code === DISSECT_WARNING.VXLAN_TRUNCATED
  );
}

function l4Name(protocol: number): string {
  switch (protocol) {
    case IPPROTO.TCP:
      return 'tcp';
    case IPPROTO.UDP:
      return 'udp';
    case IPPROTO.ICMP:
      return 'icmp';
    case IPPROTO.ICMPV6:
      return 'icmp6';
    default:
      return 'ip-proto-' + protocol;
  }
}

/** ARP line as tcpdump prints it for Ethernet/IPv4; `ARP, length N` for anything else. */
export function arpText(data: Uint8Array, o: number, end: number): string {
  const length = end - o;
  if (
    length < ARP.ETHERNET_IPV4 ||
    readU16(data, o + ARP.PROTOCOL_TYPE) !== ETHERTYPE.IPV4 ||
    data[o + ARP.HARDWARE_LENGTH] !== 6 ||
    data[o + ARP.PROTOCOL_LENGTH] !== 4
  ) {
    return 'ARP, length ' + (length > 0 ? length : 0);
  }
  const operation = readU16(data, o + ARP.OPERATION);
  if (operation === ARP.REQUEST) {
    return 'ARP, Request who-has ' + formatIpv4(data, o + ARP.TARGET_PROTOCOL) + ' tell ' + formatIpv4(data, o + ARP.SENDER_PROTOCOL) + ', length ' + ARP.ETHERNET_IPV4;
  }
  if (operation === ARP.REPLY) {
    return 'ARP, Reply ' + formatIpv4(data, o + ARP.SENDER_PROTOCOL) + ' is-at ' + formatMac(data, o + ARP.SENDER_HARDWARE) + ', length ' + ARP.ETHERNET_IPV4;
  }
  return 'ARP, operation ' + operation + ', length ' + ARP.ETHERNET_IPV4;
}
