/**
 * `toa decode --json`: NDJSON, one object per packet, written as bytes into a ByteWriter from
 * pre-encoded fragments (JSON.stringify is used only for carriers, notes and warning sentences).
 * The common packet (Ethernet, IPv4 without options, unfragmented TCP) has a path of its own
 * whose fragments span several keys, made on first use per value of the fields they hold.
 * The schema is documented in docs/json-schema.md; keys are fixed and always present unless the
 * schema says "when present".
 */
import type { Carrier, CarrierNote } from '../carriers/index.js';
import type { PacketInspector } from '../analysis/inspect.js';
import { readU16 } from '../codec/bytes.js';
import type { PacketRecord } from '../codec/capture-types.js';
import {
  DISSECT_LAYER,
  ENCAPSULATION,
  type ChecksumVerdict,
  type Dissection,
  dissectWarningMessage,
} from '../codec/dissect.js';
import { ICMP } from '../codec/icmp.js';
import { IPPROTO } from '../codec/ipproto.js';
import { linkTypeName, LINKTYPE } from '../codec/linktype.js';
import { isSupportedLinkType, sllPacketTypeName } from '../codec/link.js';
import { OPP } from '../codec/dissect.js';
import { formatIpv6 } from '../codec/addr.js';
import { TCP_FLAG_TEXT, hex16, ipChecksumValues, l4ChecksumValues } from './common.js';
import { JsonCarriersWriter } from './json-carriers.js';
import { JsonOptionsWriter, optionsCloseText } from './json-options.js';
import { VIEW_RESERVE, isAscii, putUint } from './json-bytes.js';
import { AsciiWords, ByteWriter, ascii, putIpv4, putPadded, putWords } from './writer.js';

export interface JsonOptions {
  /** `-x`: add "hex" with the whole captured frame. */
  hex?: boolean;
  /** Add "file" to every object (several input files). */
  file?: string;
  /**
   * false: write every packet through the general path (no common-packet path, no options
   * templates). The bytes are the same either way; tests compare the two.
   */
  commonPath?: boolean;
}

/** Constant JSON fragments, encoded once (written with ByteWriter.bytes). */
const K_DST = ascii('","dst":"');
const K_FLAGBITS = ascii('","flagBits":');
const K_PROTOCOL = ascii('","protocol":');
const K_ACK = ascii(',"ack":');
const K_CHECKSUMS = ascii(',"checksums":');
const K_DSTPORT = ascii(',"dstPort":');
const K_ETHERTYPE = ascii(',"etherType":');
const K_FLAGS = ascii(',"flags":"');
const K_FRAGMENTOFFSET = ascii(',"fragmentOffset":');
const K_HEADERLENGTH = ascii(',"headerLength":');
const K_HEX = ascii(',"hex":"');
const K_ID = ascii(',"id":');
const K_IP_VERSION = ascii(',"ip":{"version":');
const K_LENGTH = ascii(',"length":');
const K_NOTES = ascii(',"notes":');
const K_OPTIONS_HEX = ascii(',"options":"');
const K_OUTER_CHECKSUMS = ascii(',"outer":{"checksums":');
const K_PAYLOADLENGTH = ascii(',"payloadLength":');
const K_SEQ = ascii(',"seq":');
const K_SRC = ascii(',"src":"');
const K_TCP_SRCPORT = ascii(',"tcp":{"srcPort":');
const K_TOA = ascii(',"toa":');
const K_TOS = ascii(',"tos":');
const K_TOTALLENGTH = ascii(',"totalLength":');
const K_TRUNCATED_TRUE = ascii(',"truncated":true');
const K_TTL = ascii(',"ttl":');
const K_UDP_SRCPORT = ascii(',"udp":{"srcPort":');
const K_URGENT = ascii(',"urgent":');
const K_VLANS = ascii(',"vlans":[');
const K_WARNINGS = ascii(',"warnings":');
const K_WINDOW = ascii(',"window":');
const K_NULL = ascii('null');
const K_IP_OK_L4_OK = ascii('{"ip":"ok","l4":"ok"}');
const K_END_LINE = ascii('}\n');
const K_LINK_EN10MB = ascii(',"link":{"name":"EN10MB"');
/** The whole tail of a packet with no carrier, no note, good checksums and no warning. */
const CLEAN_TAIL = ',"toa":[],"notes":[],"checksums":{"ip":"ok","l4":"ok"},"warnings":[]';
const K_CLEAN_TAIL = ascii(CLEAN_TAIL);
/** TCP_FLAG_TEXT as bytes, per flag byte. */
const TCP_FLAG_BYTES: readonly Uint8Array[] = TCP_FLAG_TEXT.map(ascii);

/** IPv4 flags text ("DF", "MF", "R" letters, "" for none) per value of the 3 flag bits. */
function ipv4FlagsText(flags: number): string {
  return ((flags & 4) !== 0 ? 'R' : '') + ((flags & 2) !== 0 ? 'DF' : '') + ((flags & 1) !== 0 ? 'MF' : '');
}
const IPV4_FLAGS: readonly Uint8Array[] = Array.from({ length: 8 }, (_, f) => ascii(',"flags":"' + ipv4FlagsText(f) + '"'));

// ---- fragments of the common packet (Ethernet, IPv4 without options, unfragmented TCP) ----------
const F_CAPTUREDLENGTH = new AsciiWords('","capturedLength":');
const F_ORIGINALLENGTH = new AsciiWords(',"originalLength":');
const F_LINKTYPE = new AsciiWords(',"linkType":');
/** From the link object to the source address. */
const ETH_IP4_SRC = ',"link":{"name":"EN10MB","etherType":2048},"ip":{"version":4,"src":"';
const F_ETH_IP4_SRC = new AsciiWords(ETH_IP4_SRC);
const F_DST = new AsciiWords('","dst":"');
/** After the destination address, for IP header length 20: protocol 6 up to the total length's key. */
const F_TCP4_PROTOCOL = new AsciiWords('","protocol":6,"headerLength":20,"totalLength":');
/** Per IPv4 flag bits of an unfragmented packet: the rest of the ip object up to the source port. */
const TCP4_FLAGS_TO_SRCPORT: readonly AsciiWords[] = Array.from({ length: 8 }, (_, f) => new AsciiWords(',"flags":"' + ipv4FlagsText(f) + '","fragmentOffset":0},"tcp":{"srcPort":'));
const F_DSTPORT = new AsciiWords(',"dstPort":');
const F_SEQ = new AsciiWords(',"seq":');
const F_ACK = new AsciiWords(',"ack":');
/** Per TCP flags byte: `,"flags":"S","flagBits":2,"window":`. */
const TCP_FLAGS_TO_WINDOW: readonly AsciiWords[] = TCP_FLAG_TEXT.map((text, bits) => new AsciiWords(',"flags":"' + text + '","flagBits":' + bits + ',"window":'));
/** Per TCP header length / 4, with urgent pointer 0: `,"urgent":0,"headerLength":H,"payloadLength":`. */
const URGENT0_TO_PAYLOAD: readonly AsciiWords[] = Array.from({ length: 16 }, (_, words) => new AsciiWords(',"urgent":0,"headerLength":' + words * 4 + ',"payloadLength":'));
const F_URGENT = new AsciiWords(',"urgent":');
/** Per TCP header length / 4: `,"headerLength":H,"payloadLength":`. */
const HEADER_TO_PAYLOAD: readonly AsciiWords[] = Array.from({ length: 16 }, (_, words) => new AsciiWords(',"headerLength":' + words * 4 + ',"payloadLength":'));
/** Per options-array state: close the array and the tcp object, the clean tail and the end of line. */
const CLEAN_LINE_END: readonly AsciiWords[] = [0, 1, 2].map((state) => new AsciiWords(optionsCloseText(state, '}' + CLEAN_TAIL + '}\n')));

/** Capture lengths below this (equal to the original length) get a cached fragment (jumbo frames are written in parts). */
const CACHED_LENGTHS = 2048;
const utf8 = new TextEncoder();

/** JSON checksum verdict: 'ok' | 'bad' | 'unverified', null when the header carries no checksum. */
function verdict(v: ChecksumVerdict): string {
  return v === 'none' ? 'null' : '"' + v + '"';
}

/** The packet takes JsonRenderer's common path: Ethernet, IPv4 without options, unfragmented, TCP header read whole. */
export function isCommonTcp4(linkType: number, d: Dissection): boolean {
  return (
    linkType === LINKTYPE.ETHERNET &&
    d.encapsulation === ENCAPSULATION.NONE &&
    d.ipVersion === 4 &&
    d.ipProtocol === IPPROTO.TCP &&
    d.transportProtocol === IPPROTO.TCP &&
    d.reached >= DISSECT_LAYER.PAYLOAD &&
    d.etherType === 0x0800 &&
    d.vlanCount === 0 &&
    d.sllPacketType < 0 &&
    d.sllInterfaceIndex < 0 &&
    d.ipAddressLength === 4 &&
    d.ipv4OptionsOffset < 0 &&
    !d.isFragment &&
    d.oppOffset < 0 &&
    d.l4Offset >= 0
  );
}

/** Renders packets as NDJSON lines. One instance per output; not reentrant. */
export class JsonRenderer {
  private readonly options: JsonOptionsWriter;
  private readonly commonPath: boolean;
  private readonly carriers = new JsonCarriersWriter();
  private readonly hex: boolean;
  /** `{"index":`, with `"file":...,` after the brace when there are several input files (UTF-8). */
  private readonly head: Uint8Array;
  /** `head` as words when it is ASCII. */
  private readonly headFragment: AsciiWords | null;
  private readonly scratch = new ByteWriter(4096);
  /** `,"timestamp":"S.` for the seconds of the last packet. */
  private timestampSeconds = NaN;
  private timestampHead = new AsciiWords('');
  /** `","capturedLength":N,"originalLength":N,"linkType":1` per N of Ethernet frames captured whole. */
  private readonly ethernetLengths: (AsciiWords | undefined)[] = new Array<AsciiWords | undefined>(CACHED_LENGTHS);
  /** The same followed by ETH_IP4_SRC, for the common path. */
  private readonly tcp4Lengths: (AsciiWords | undefined)[] = new Array<AsciiWords | undefined>(CACHED_LENGTHS);
  /** `,"tos":T,"ttl":L,"id":` per T, then per L. */
  private readonly tosTtl: ((AsciiWords | undefined)[] | undefined)[] = new Array<(AsciiWords | undefined)[] | undefined>(256);

  constructor(options: JsonOptions = {}) {
    this.hex = options.hex === true;
    this.commonPath = options.commonPath !== false;
    this.options = new JsonOptionsWriter(this.commonPath);
    const head = '{' + (options.file !== undefined ? '"file":' + JSON.stringify(options.file) + ',' : '') + '"index":';
    this.head = utf8.encode(head);
    this.headFragment = isAscii(head) ? new AsciiWords(head) : null;
  }

  /** The NDJSON line for `p` (already inspected into `ins`), ending with '\n' (allocates; for tests). */
  line(p: PacketRecord, ins: PacketInspector): string {
    this.scratch.position = 0;
    this.write(this.scratch, p, ins);
    return this.scratch.takeFrom(0);
  }

  /** Append the NDJSON line for `p` (already inspected into `ins`), ending with '\n', to `w`. */
  write(w: ByteWriter, p: PacketRecord, ins: PacketInspector): void {
    const d = ins.d;
    const data = p.data;
    const linkType = p.linkType;
    const dv = w.at(VIEW_RESERVE + this.head.length);
    let q = w.position;
    if (this.headFragment !== null) q = putWords(dv, q, this.headFragment);
    else for (let i = 0; i < this.head.length; i++) dv.setUint8(q++, this.head[i]!);
    q = putUint(dv, q, p.index);
    const seconds = p.timestampSeconds;
    if (seconds !== this.timestampSeconds) {
      this.timestampSeconds = seconds;
      // String(n) is what ByteWriter.int writes for every number
      this.timestampHead = new AsciiWords(',"timestamp":"' + String(seconds) + '.');
    }
    q = putWords(dv, q, this.timestampHead);
    q = putPadded(dv, q, p.timestampNanos, 9);
    const captured = p.capturedLength;
    const common = this.commonPath && isCommonTcp4(linkType, d);
    if (linkType === LINKTYPE.ETHERNET && captured === p.originalLength && captured >= 0 && captured < CACHED_LENGTHS && (captured | 0) === captured) {
      if (common) q = putWords(dv, q, this.tcp4Lengths[captured] ?? this.cacheLengths(captured, true));
      else q = putWords(dv, q, this.ethernetLengths[captured] ?? this.cacheLengths(captured, false));
    } else {
      q = putWords(dv, q, F_CAPTUREDLENGTH);
      q = putUint(dv, q, captured);
      q = putWords(dv, q, F_ORIGINALLENGTH);
      q = putUint(dv, q, p.originalLength);
      q = putWords(dv, q, F_LINKTYPE);
      q = putUint(dv, q, linkType);
      if (common) q = putWords(dv, q, F_ETH_IP4_SRC);
    }
    if (common) {
      this.writeTcp4(w, dv, q, data, d, ins);
      return;
    }
    w.position = q;
    if (!isSupportedLinkType(linkType)) {
      w.text(',"linkTypeName":"' + linkTypeName(linkType) + '","decoded":false,"toa":[],"notes":[],"checksums":{"ip":"unverified","l4":"unverified"},"warnings":[]');
      this.writeEnd(w, data);
      return;
    }
    const encapsulated = d.encapsulation !== ENCAPSULATION.NONE && d.outer !== null;
    this.writeLink(w, encapsulated ? d.outer! : d, linkType);
    this.writeLayers(w, data, d, ins);
    writeTail(w, data, d, ins, this.carriers);
    if (encapsulated) {
      const o = d.outer!;
      w.text(',"encapsulation":"' + (d.encapsulation === ENCAPSULATION.VXLAN ? 'vxlan' : 'ip-in-ip') + '"');
      if (d.encapsulation === ENCAPSULATION.VXLAN) w.text(',"vni":' + d.vni);
      w.bytes(K_OUTER_CHECKSUMS);
      writeChecksums(w, data, o);
      this.writeLayers(w, data, o, null);
      w.byte(125);
    }
    this.writeEnd(w, data);
  }

  /** `,"hex":"..."` with -x, then `}` and the newline. */
  private writeEnd(w: ByteWriter, data: Uint8Array): void {
    if (this.hex) {
      w.bytes(K_HEX);
      w.hexBytes(data, 0, data.length);
      w.byte(34);
    }
    w.bytes(K_END_LINE);
  }

  private cacheLengths(length: number, common: boolean): AsciiWords {
    const text = '","capturedLength":' + length + ',"originalLength":' + length + ',"linkType":' + LINKTYPE.ETHERNET;
    const f = new AsciiWords(common ? text + ETH_IP4_SRC : text);
    if (common) this.tcp4Lengths[length] = f;
    else this.ethernetLengths[length] = f;
    return f;
  }

  private tosTtlWords(tos: number, ttl: number): AsciiWords {
    let byTtl = this.tosTtl[tos];
    if (byTtl === undefined) {
      byTtl = new Array<AsciiWords | undefined>(256);
      this.tosTtl[tos] = byTtl;
    }
    let f = byTtl[ttl];
    if (f === undefined) {
      f = new AsciiWords(',"tos":' + tos + ',"ttl":' + ttl + ',"id":');
      byTtl[ttl] = f;
    }
    return f;
  }

  /**
   * From the source address to the end of the line of a packet of the common path (isCommonTcp4),
   * at `q` of `dv`: the same bytes as writeLink + writeLayers + the tail.
   */
  private writeTcp4(w: ByteWriter, dv: DataView, q: number, data: Uint8Array, d: Dissection, ins: PacketInspector): void {
    q = putIpv4(dv, q, data, d.ipSourceOffset);
    q = putWords(dv, q, F_DST);
    q = putIpv4(dv, q, data, d.ipDestinationOffset);
    q = putWords(dv, q, F_TCP4_PROTOCOL);
    q = putUint(dv, q, readU16(data, d.l3Offset + 2));
    q = putWords(dv, q, this.tosTtlWords(d.trafficClass, d.hopLimit));
    q = putUint(dv, q, d.ipIdentification);
    q = putWords(dv, q, TCP4_FLAGS_TO_SRCPORT[d.ipv4Flags]!);
    q = putUint(dv, q, d.sourcePort);
    q = putWords(dv, q, F_DSTPORT);
    q = putUint(dv, q, d.destinationPort);
    q = putWords(dv, q, F_SEQ);
    q = putUint(dv, q, d.sequenceNumber);
    q = putWords(dv, q, F_ACK);
    q = putUint(dv, q, d.acknowledgmentNumber);
    q = putWords(dv, q, TCP_FLAGS_TO_WINDOW[d.tcpFlags]!);
    q = putUint(dv, q, d.windowSize);
    if (d.urgentPointer === 0) {
      q = putWords(dv, q, URGENT0_TO_PAYLOAD[d.tcpHeaderLength >>> 2]!);
    } else {
      q = putUint(dv, putWords(dv, q, F_URGENT), d.urgentPointer);
      q = putWords(dv, q, HEADER_TO_PAYLOAD[d.tcpHeaderLength >>> 2]!);
    }
    q = putUint(dv, q, d.payloadLengthOnWire);
    const start = d.tcpOptionsOffset;
    const options = this.options;
    q = options.write(dv, q, data, start, start + d.tcpOptionsLength, ins.carriers);
    if (!this.hex && isClean(d, ins)) {
      w.position = putWords(dv, q, CLEAN_LINE_END[options.state]!);
      return;
    }
    q = options.close(dv, q, options.state);
    dv.setUint8(q, 125);
    w.position = q + 1;
    writeTail(w, data, d, ins, this.carriers);
    this.writeEnd(w, data);
  }

  private writeLink(w: ByteWriter, d: Dissection, linkType: number): void {
    if (linkType === LINKTYPE.ETHERNET) w.bytes(K_LINK_EN10MB);
    else w.text(',"link":{"name":"' + linkTypeName(linkType) + '"');
    if (d.etherType >= 0) {
      w.bytes(K_ETHERTYPE);
      w.uint(d.etherType);
    }
    if (d.vlanCount > 0) {
      w.bytes(K_VLANS);
      for (let i = 0; i < d.vlanCount && i < d.vlanIds.length; i++) {
        if (i > 0) w.byte(44);
        w.uint(d.vlanIds[i]!);
      }
      w.byte(93);
    }
    if (d.sllPacketType >= 0) w.text(',"direction":"' + sllPacketTypeName(d.sllPacketType) + '"');
    if (d.sllInterfaceIndex >= 0) w.text(',"interfaceIndex":' + d.sllInterfaceIndex);
    if (linkType === LINKTYPE.NULL || linkType === LINKTYPE.LOOP) w.text(',"family":' + d.linkFamily);
    w.byte(125);
  }

  /** `,"ip":{...},"tcp"|"udp"|"icmp":{...}` for the packet in `d`. */
  private writeLayers(w: ByteWriter, data: Uint8Array, d: Dissection, ins: PacketInspector | null): void {
    if (d.ipVersion === 0) return;
    w.bytes(K_IP_VERSION);
    w.uint(d.ipVersion);
    w.bytes(K_SRC);
    if (d.ipAddressLength === 4) w.ipv4(data, d.ipSourceOffset);
    else w.text(formatIpv6(data, d.ipSourceOffset));
    w.bytes(K_DST);
    if (d.ipAddressLength === 4) w.ipv4(data, d.ipDestinationOffset);
    else w.text(formatIpv6(data, d.ipDestinationOffset));
    w.bytes(K_PROTOCOL);
    if (d.ipProtocol >= 0) w.uint(d.ipProtocol);
    else w.bytes(K_NULL);
    const l3 = d.l3Offset;
    if (d.ipVersion === 4) {
      const flags = d.ipv4Flags;
      w.bytes(K_HEADERLENGTH);
      w.uint(d.ipHeaderLength);
      w.bytes(K_TOTALLENGTH);
      w.uint(readU16(data, l3 + 2));
      w.bytes(K_TOS);
      w.uint(d.trafficClass);
      w.bytes(K_TTL);
      w.uint(d.hopLimit);
      w.bytes(K_ID);
      w.uint(d.ipIdentification);
      w.bytes(IPV4_FLAGS[flags]!);
      w.bytes(K_FRAGMENTOFFSET);
      w.uint(d.fragmentOffset);
      if (d.ipv4OptionsOffset >= 0) {
        w.bytes(K_OPTIONS_HEX);
        w.hexBytes(data, d.ipv4OptionsOffset, d.ipv4OptionsOffset + d.ipv4OptionsLength);
        w.byte(34);
      }
    } else {
      w.text(',"payloadLength":' + readU16(data, l3 + 4) + ',"trafficClass":' + d.trafficClass + ',"flowLabel":' + d.flowLabel + ',"hopLimit":' + d.hopLimit);
      if (d.extensionCount > 0) {
        let s = ',"extensions":[';
        for (let i = 0; i < d.extensionCount; i++) {
          s += (i === 0 ? '{"type":' : ',{"type":') + d.extensionTypes[i] + ',"offset":' + d.extensionOffsets[i] + ',"length":' + d.extensionLengths[i] + '}';
        }
        w.text(s + ']');
      }
      if (d.fragmentHeaderOffset >= 0) w.text(',"id":' + d.ipIdentification + ',"fragmentOffset":' + d.fragmentOffset);
    }
    if (d.isFragment) w.text(',"fragment":true,"moreFragments":' + d.moreFragments);
    w.byte(125);
    if (d.oppOffset >= 0) {
      w.text(',"opp":{"offset":' + d.oppOffset + ',"version":' + d.oppVersion + ',"nextProtocol":' + data[d.oppOffset + OPP.NEXT_PROTOCOL] + ',"length":' + d.oppLength + '}');
    }
    if (d.isLaterFragment || d.l4Offset < 0) return;
    const protocol = d.transportProtocol;
    const payloadKnown = d.reached >= DISSECT_LAYER.PAYLOAD;
    if (protocol === IPPROTO.TCP) {
      const flags = d.tcpFlags;
      w.bytes(K_TCP_SRCPORT);
      w.uint(d.sourcePort);
      w.bytes(K_DSTPORT);
      w.uint(d.destinationPort);
      w.bytes(K_SEQ);
      w.uint(d.sequenceNumber);
      w.bytes(K_ACK);
      w.uint(d.acknowledgmentNumber);
      w.bytes(K_FLAGS);
      w.bytes(TCP_FLAG_BYTES[flags]!);
      w.bytes(K_FLAGBITS);
      w.uint(flags);
      w.bytes(K_WINDOW);
      w.uint(d.windowSize);
      w.bytes(K_URGENT);
      w.uint(d.urgentPointer);
      w.bytes(K_HEADERLENGTH);
      w.uint(d.tcpHeaderLength);
      if (payloadKnown) {
        w.bytes(K_PAYLOADLENGTH);
        w.uint(d.payloadLengthOnWire);
      }
      const start = d.tcpOptionsOffset;
      const dv = w.at(VIEW_RESERVE);
      const q = this.options.write(dv, w.position, data, start, start + d.tcpOptionsLength, ins !== null ? ins.carriers : NO_CARRIERS);
      w.position = this.options.close(dv, q, this.options.state);
      w.byte(125);
    } else if (protocol === IPPROTO.UDP) {
      w.bytes(K_UDP_SRCPORT);
      w.uint(d.sourcePort);
      w.bytes(K_DSTPORT);
      w.uint(d.destinationPort);
      w.bytes(K_LENGTH);
      w.uint(d.udpLength);
      if (payloadKnown) {
        w.bytes(K_PAYLOADLENGTH);
        w.uint(d.payloadLengthOnWire);
      }
      w.byte(125);
    } else if ((protocol === IPPROTO.ICMP || protocol === IPPROTO.ICMPV6) && d.icmpType >= 0) {
      let s = ',"icmp":{"version":' + (protocol === IPPROTO.ICMPV6 ? 6 : 4) + ',"type":' + d.icmpType + ',"code":' + d.icmpCode;
      const echo = protocol === IPPROTO.ICMPV6 ? d.icmpType === 128 || d.icmpType === 129 : d.icmpType === 0 || d.icmpType === 8;
      if (echo) s += ',"id":' + readU16(data, d.l4Offset + ICMP.IDENTIFIER) + ',"seq":' + readU16(data, d.l4Offset + ICMP.SEQUENCE);
      w.text(s + ',"length":' + (d.l4End - d.l4Offset) + '}');
    }
  }
}

const NO_CARRIERS: readonly Carrier[] = [];

/** No carrier, no note, good checksums, no warning, not cut: the tail is K_CLEAN_TAIL. */
function isClean(d: Dissection, ins: PacketInspector): boolean {
  return ins.carriers.length === 0 && ins.notes.length === 0 && d.ipChecksum === 'ok' && d.l4Checksum === 'ok' && d.warningCount === 0 && !d.truncated;
}

/** `,"toa":...,"notes":...,"checksums":...,"warnings":...` and `,"truncated":true` when cut. */
function writeTail(w: ByteWriter, data: Uint8Array, d: Dissection, ins: PacketInspector, carriers: JsonCarriersWriter): void {
  if (isClean(d, ins)) {
    w.bytes(K_CLEAN_TAIL);
  } else {
    w.bytes(K_TOA);
    carriers.write(w, ins.carriers);
    w.bytes(K_NOTES);
    w.text(notesJson(ins.notes));
    w.bytes(K_CHECKSUMS);
    writeChecksums(w, data, d);
    w.bytes(K_WARNINGS);
    w.text(warningsJson(d));
  }
  if (d.truncated) w.bytes(K_TRUNCATED_TRUE);
}

function notesJson(notes: readonly CarrierNote[]): string {
  if (notes.length === 0) return '[]';
  let s = '[';
  for (let i = 0; i < notes.length; i++) s += (i === 0 ? '' : ',') + JSON.stringify(notes[i]);
  return s + ']';
}

function writeChecksums(w: ByteWriter, data: Uint8Array, d: Dissection): void {
  if (d.ipChecksum === 'ok' && d.l4Checksum === 'ok') {
    w.bytes(K_IP_OK_L4_OK);
    return;
  }
  let s = '{"ip":' + verdict(d.ipChecksum) + ',"l4":' + verdict(d.l4Checksum);
  if (d.ipChecksum === 'bad') {
    const v = ipChecksumValues(data, d);
    s += ',"ipValue":"' + hex16(v.stored) + '","ipExpected":"' + hex16(v.expected) + '"';
  }
  if (d.l4Checksum === 'bad') {
    const v = l4ChecksumValues(data, d);
    s += ',"l4Value":"' + hex16(v.stored) + '","l4Expected":"' + hex16(v.expected) + '"';
  }
  w.text(s + '}');
}

function warningsJson(d: Dissection): string {
  if (d.warningCount === 0 && !d.truncated) return '[]';
  let s = '[';
  for (let i = 0; i < d.warningCount; i++) s += (i === 0 ? '' : ',') + JSON.stringify(dissectWarningMessage(d, i));
  if (d.truncated && d.warningCount === 0) s += JSON.stringify(`truncated: ${d.capturedLength} of ${d.originalLength} bytes captured`);
  if (d.warningsDropped > 0) s += ',' + JSON.stringify(`${d.warningsDropped} more warnings not recorded`);
  return s + ']';
}
