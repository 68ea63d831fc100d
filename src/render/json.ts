/**
 * `toa decode --json`: NDJSON, one object per packet, built by string concatenation on the hot
 * path (JSON.stringify is used only for carriers, notes and warning sentences, which are rare).
 * The schema is documented in docs/json-schema.md; keys are fixed and always present unless the
 * schema says "when present".
 */
import type { Carrier, CarrierNote } from '../carriers/index.js';
import type { PacketInspector } from '../analysis/inspect.js';
import { readU16, readU32 } from '../codec/bytes.js';
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
import { TCP_OPTION } from '../codec/tcp.js';
import { TCP_OPTION_LENGTH, TFO_EXPERIMENT_ID, TcpOptionCursor, TCP_OPTION_WALK, tcpOptionName } from '../codec/tcp-options.js';
import { OPP } from '../codec/dissect.js';
import { formatIpv6 } from '../codec/addr.js';
import { TCP_FLAG_TEXT, carrierLabel, hex16, hexBytes, ipChecksumValues, l4ChecksumValues } from './common.js';
import { ByteWriter, ascii } from './writer.js';

export interface JsonOptions {
  /** `-x`: add "hex" with the whole captured frame. */
  hex?: boolean;
  /** Add "file" to every object (several input files). */
  file?: string;
}

/** Constant JSON fragments, encoded once (written with ByteWriter.bytes). */
const K_CAPTUREDLENGTH = ascii('","capturedLength":');
const K_DST = ascii('","dst":"');
const K_FLAGBITS = ascii('","flagBits":');
const K_PROTOCOL = ascii('","protocol":');
const K_INDEX = ascii('"index":');
const K_QUOTE_END = ascii('"}');
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
const K_LINKTYPE = ascii(',"linkType":');
const K_NAME_TS_TSVAL = ascii(',"name":"TS","tsval":');
const K_NAME_MSS_MSS = ascii(',"name":"mss","mss":');
const K_NAME_NOP = ascii(',"name":"nop"}');
const K_NAME_WSCALE_SHIFT = ascii(',"name":"wscale","shift":');
const K_NOTES = ascii(',"notes":');
const K_OPTIONS = ascii(',"options":');
const K_OPTIONS_HEX = ascii(',"options":"');
const K_ORIGINALLENGTH = ascii(',"originalLength":');
const K_OUTER_CHECKSUMS = ascii(',"outer":{"checksums":');
const K_PAYLOADLENGTH = ascii(',"payloadLength":');
const K_SEQ = ascii(',"seq":');
const K_SRC = ascii(',"src":"');
const K_TCP_SRCPORT = ascii(',"tcp":{"srcPort":');
const K_TIMESTAMP = ascii(',"timestamp":"');
const K_TOA = ascii(',"toa":');
const K_TOS = ascii(',"tos":');
const K_TOTALLENGTH = ascii(',"totalLength":');
const K_TRUNCATED_TRUE = ascii(',"truncated":true');
const K_TSECR = ascii(',"tsecr":');
const K_TTL = ascii(',"ttl":');
const K_UDP_SRCPORT = ascii(',"udp":{"srcPort":');
const K_URGENT = ascii(',"urgent":');
const K_VLANS = ascii(',"vlans":[');
const K_WARNINGS = ascii(',"warnings":');
const K_WINDOW = ascii(',"window":');
const K_EMPTY_ARRAY = ascii('[]');
const K_NULL = ascii('null');
const K_IP_OK_L4_OK = ascii('{"ip":"ok","l4":"ok"}');
const K_END_LINE = ascii('}\n');
const K_LINK_EN10MB = ascii(',"link":{"name":"EN10MB"');
const K_FLAGS_DF = ascii(',"flags":"DF"');
/** The whole tail of a packet with no carrier, no note, good checksums and no warning. */
const K_CLEAN_TAIL = ascii(',"toa":[],"notes":[],"checksums":{"ip":"ok","l4":"ok"},"warnings":[]');
/** TCP_FLAG_TEXT as bytes, per flag byte. */
const TCP_FLAG_BYTES: readonly Uint8Array[] = TCP_FLAG_TEXT.map(ascii);

const MPTCP_SUBTYPES = ['capable', 'join', 'dss', 'add-addr', 'rem-addr', 'prio', 'fail', 'fast-close', 'tcprst'];

function findCarrier(carriers: readonly Carrier[], offset: number): Carrier | null {
  for (let i = 0; i < carriers.length; i++) {
    const c = carriers[i]!;
    if (c.offset === offset && c.carrier === 'tcp-option') return c;
  }
  return null;
}

/** JSON checksum verdict: 'ok' | 'bad' | 'unverified', null when the header carries no checksum. */
function verdict(v: ChecksumVerdict): string {
  return v === 'none' ? 'null' : '"' + v + '"';
}

/** The typed fields (with a leading comma) of one walked TCP option. */
export function tcpOptionJsonFields(data: Uint8Array, offset: number, length: number): string {
  const kind = data[offset]!;
  const p = offset + 2;
  const end = offset + length;
  switch (kind) {
    case TCP_OPTION.EOL:
    case TCP_OPTION.NOP:
      return '';
    case TCP_OPTION.MSS:
      return length === TCP_OPTION_LENGTH.MSS ? ',"mss":' + readU16(data, p) : ',"invalid":true';
    case TCP_OPTION.WSCALE:
      return length === TCP_OPTION_LENGTH.WSCALE ? ',"shift":' + data[p]! : ',"invalid":true';
    case TCP_OPTION.SACK_PERMITTED:
      return length === TCP_OPTION_LENGTH.SACK_PERMITTED ? '' : ',"invalid":true';
    case TCP_OPTION.SACK: {
      if ((length - TCP_OPTION_LENGTH.SACK_BASE) % TCP_OPTION_LENGTH.SACK_BLOCK !== 0) return ',"invalid":true';
      let s = ',"blocks":[';
      for (let q = p; q < end; q += TCP_OPTION_LENGTH.SACK_BLOCK) s += (q === p ? '[' : ',[') + readU32(data, q) + ',' + readU32(data, q + 4) + ']';
      return s + ']';
    }
    case TCP_OPTION.TIMESTAMP:
      return length === TCP_OPTION_LENGTH.TIMESTAMP ? ',"tsval":' + readU32(data, p) + ',"tsecr":' + readU32(data, p + 4) : ',"invalid":true';
    case TCP_OPTION.MD5:
      return length === TCP_OPTION_LENGTH.MD5 ? ',"digest":"' + hexBytes(data, p, end) + '"' : ',"invalid":true';
    case TCP_OPTION.USER_TIMEOUT: {
      if (length !== TCP_OPTION_LENGTH.USER_TIMEOUT) return ',"invalid":true,"data":"' + hexBytes(data, p, end) + '"';
      const word = readU16(data, p);
      return ',"timeout":' + (word & 0x7fff) + ',"granularity":"' + (word & 0x8000 ? 'minutes' : 'seconds') + '"';
    }
    case TCP_OPTION.MPTCP:
      return length >= 3 ? ',"subtype":"' + (MPTCP_SUBTYPES[data[p]! >>> 4] ?? String(data[p]! >>> 4)) + '","data":"' + hexBytes(data, p, end) + '"' : ',"invalid":true';
    case TCP_OPTION.FAST_OPEN:
      return ',"cookie":"' + hexBytes(data, p, end) + '"';
    case TCP_OPTION.EXP1:
    case TCP_OPTION.EXP2: {
      if (length < 4) return ',"data":"' + hexBytes(data, p, end) + '"';
      const exid = readU16(data, p);
      if (kind === TCP_OPTION.EXP2 && exid === TFO_EXPERIMENT_ID) return ',"exid":' + exid + ',"cookie":"' + hexBytes(data, p + 2, end) + '"';
      return ',"exid":' + exid + ',"data":"' + hexBytes(data, p + 2, end) + '"';
    }
    default:
      return ',"data":"' + hexBytes(data, p, end) + '"';
  }
}

/** JSON name of a non-carrier option (`tfo` for kind 254 with the Fast Open ExID). */
function optionName(data: Uint8Array, offset: number, length: number): string {
  const kind = data[offset]!;
  if (kind === TCP_OPTION.EXP2 && length >= 4 && readU16(data, offset + 2) === TFO_EXPERIMENT_ID) return 'tfo';
  return tcpOptionName(kind);
}

/** Renders packets as NDJSON lines. One instance per output; not reentrant. */
export class JsonRenderer {
  private readonly cursor = new TcpOptionCursor();
  private readonly hex: boolean;
  private readonly filePrefix: string;
  private readonly scratch = new ByteWriter(4096);

  constructor(options: JsonOptions = {}) {
    this.hex = options.hex === true;
    this.filePrefix = options.file !== undefined ? '"file":' + JSON.stringify(options.file) + ',' : '';
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
    w.byte(123);
    if (this.filePrefix !== '') w.text(this.filePrefix);
    w.bytes(K_INDEX);
    w.uint(p.index);
    w.bytes(K_TIMESTAMP);
    w.int(p.timestampSeconds);
    w.byte(46);
    w.padded(p.timestampNanos, 9);
    w.bytes(K_CAPTUREDLENGTH);
    w.uint(p.capturedLength);
    w.bytes(K_ORIGINALLENGTH);
    w.uint(p.originalLength);
    w.bytes(K_LINKTYPE);
    w.uint(p.linkType);
    if (!isSupportedLinkType(p.linkType)) {
      w.text(',"linkTypeName":"' + linkTypeName(p.linkType) + '","decoded":false,"toa":[],"notes":[],"checksums":{"ip":"unverified","l4":"unverified"},"warnings":[]');
      if (this.hex) {
        w.bytes(K_HEX);
        w.hexBytes(data, 0, data.length);
        w.byte(34);
      }
      w.bytes(K_END_LINE);
      return;
    }
    const encapsulated = d.encapsulation !== ENCAPSULATION.NONE && d.outer !== null;
    this.writeLink(w, encapsulated ? d.outer! : d, p.linkType);
    this.writeLayers(w, data, d, ins);
    if (ins.carriers.length === 0 && ins.notes.length === 0 && d.ipChecksum === 'ok' && d.l4Checksum === 'ok' && d.warningCount === 0 && !d.truncated) {
      w.bytes(K_CLEAN_TAIL);
    } else {
      w.bytes(K_TOA);
      w.text(carriersJson(ins.carriers));
      w.bytes(K_NOTES);
      w.text(notesJson(ins.notes));
      w.bytes(K_CHECKSUMS);
      writeChecksums(w, data, d);
      w.bytes(K_WARNINGS);
      w.text(warningsJson(d));
    }
    if (d.truncated) w.bytes(K_TRUNCATED_TRUE);
    if (encapsulated) {
      const o = d.outer!;
      w.text(',"encapsulation":"' + (d.encapsulation === ENCAPSULATION.VXLAN ? 'vxlan' : 'ip-in-ip') + '"');
      if (d.encapsulation === ENCAPSULATION.VXLAN) w.text(',"vni":' + d.vni);
      w.bytes(K_OUTER_CHECKSUMS);
      writeChecksums(w, data, o);
      this.writeLayers(w, data, o, null);
      w.byte(125);
    }
    if (this.hex) {
      w.bytes(K_HEX);
      w.hexBytes(data, 0, data.length);
      w.byte(34);
    }
    w.bytes(K_END_LINE);
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
      if (flags === 2) w.bytes(K_FLAGS_DF);
      else w.text(flags === 0 ? ',"flags":""' : ',"flags":"' + ((flags & 4) !== 0 ? 'R' : '') + ((flags & 2) !== 0 ? 'DF' : '') + ((flags & 1) !== 0 ? 'MF' : '') + '"');
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
      w.bytes(K_OPTIONS);
      if (d.tcpOptionsOffset >= 0) this.writeOptions(w, data, d.tcpOptionsOffset, d.tcpOptionsOffset + d.tcpOptionsLength, ins);
      else w.bytes(K_EMPTY_ARRAY);
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

  private writeOptions(w: ByteWriter, data: Uint8Array, start: number, end: number, ins: PacketInspector | null): void {
    const cursor = this.cursor.reset(data, start, end);
    const carriers = ins !== null ? ins.carriers : [];
    w.byte(91);
    let first = true;
    while (cursor.next()) {
      const at = cursor.offset;
      const length = cursor.length;
      const kind = cursor.kind;
      const c = carriers.length > 0 && length > 1 ? findCarrier(carriers, at) : null;
      if (!first) w.byte(44);
      first = false;
      w.bytes(optionPrefix(kind, length));
      w.uint(at);
      if (c !== null) {
        w.text(',"name":"' + carrierLabel(c) + '","carrier":"' + c.format + '","data":"');
        w.hexBytes(data, at + 2, at + length);
        w.bytes(K_QUOTE_END);
        continue;
      }
      if (kind === TCP_OPTION.NOP) w.bytes(K_NAME_NOP);
      else if (kind === TCP_OPTION.TIMESTAMP && length === TCP_OPTION_LENGTH.TIMESTAMP) {
        w.bytes(K_NAME_TS_TSVAL);
        w.uint(readU32(data, at + 2));
        w.bytes(K_TSECR);
        w.uint(readU32(data, at + 6));
        w.byte(125);
      } else if (kind === TCP_OPTION.MSS && length === TCP_OPTION_LENGTH.MSS) {
        w.bytes(K_NAME_MSS_MSS);
        w.uint(readU16(data, at + 2));
        w.byte(125);
      } else if (kind === TCP_OPTION.WSCALE && length === TCP_OPTION_LENGTH.WSCALE) {
        w.bytes(K_NAME_WSCALE_SHIFT);
        w.uint(data[at + 2]!);
        w.byte(125);
      } else {
        w.text(',"name":"' + optionName(data, at, length) + '"' + tcpOptionJsonFields(data, at, length) + '}');
      }
    }
    if (cursor.status !== TCP_OPTION_WALK.OK) {
      w.text((first ? '' : ',') + '{"kind":' + data[cursor.errorOffset] + ',"offset":' + cursor.errorOffset + ',"name":"malformed","malformed":true}');
    }
    w.byte(93);
  }
}

/** `{"kind":K,"length":L,"offset":` per walked (kind, length ≤ 40: a TCP options area), made on first use. */
const OPTION_PREFIXES: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(256 * 41).fill(undefined);

function optionPrefix(kind: number, length: number): Uint8Array {
  const key = kind * 41 + length;
  let prefix = length <= 40 ? OPTION_PREFIXES[key] : undefined;
  if (prefix === undefined) {
    prefix = ascii('{"kind":' + kind + ',"length":' + length + ',"offset":');
    if (length <= 40) OPTION_PREFIXES[key] = prefix;
  }
  return prefix;
}

function carriersJson(carriers: readonly Carrier[]): string {
  if (carriers.length === 0) return '[]';
  let s = '[';
  for (let i = 0; i < carriers.length; i++) s += (i === 0 ? '' : ',') + JSON.stringify(carriers[i]);
  return s + ']';
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
