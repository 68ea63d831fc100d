/**
 * The carrier format registry: ONE table of every client-address carrier format known to
 * toa-formats.md (tables 1a, 1b, 1c), with the wire layout, who emits it, and decode/encode.
 *
 * Naming: formats are named by WIRE FORMAT, not by vendor, because several vendors emit the
 * same bytes (254/8 is DPVS, Alibaba LVS, Huawei ELB, UCloud compat, Alibaba vtoa, ...). The
 * vendors are listed per row; vendor-style names are accepted as aliases (resolveFormat).
 *
 * | row | format              | carrier      | kind/type | lengths | family    | layout after kind,len                      |
 * |-----|---------------------|--------------|-----------|---------|-----------|--------------------------------------------|
 * | T1  | toa-v4              | tcp-option   | 254       | 8       | ipv4      | port, IPv4                                 |
 * | T2  | toa-v6              | tcp-option   | 254       | 20      | ipv6      | port, IPv6 (also NAT64 in an IPv4 packet)  |
 * | T3  | toa-extra-v4        | tcp-option   | 254       | 16      | ipv4      | sport, src IPv4, 2 pad, dport, dst IPv4    |
 * | T4  | toa-v6-253          | tcp-option   | 253       | 20      | ipv6      | port, IPv6                                 |
 * | T5  | toa-v4-253          | tcp-option   | 253       | 8       | ipv4      | port, IPv4 (not with ExID 0x0348)          |
 * | T6  | toa-v4-200          | tcp-option   | 200       | 8       | ipv4      | port, IPv4                                 |
 * | T7  | tencent-vpc-id      | tcp-option   | 201       | 6       | none      | VPC id u32                                 |
 * | T8  | tencent-vip         | tcp-option   | 202       | 8       | none      | vport, VIP IPv4                            |
 * | T9  | alibaba-vtoa-vip    | tcp-option   | 250       | 8       | none      | vport, VIP IPv4                            |
 * | T10 | alibaba-vtoa-vpc    | tcp-option   | 252       | 20      | ipv4      | cport, cip, vid u32, vip, vport, 2 pad     |
 * | T11 | alibaba-vtoa-vpc-v6 | tcp-option   | 249       | 40      | ipv6      | cport, cip6, vid u24, 1 rsvd, vip6         |
 * | T12 | alibaba-cdn-v4      | tcp-option   | 28        | 7       | ipv4      | version 1, IPv4 (no port)                  |
 * | T13 | alibaba-cdn-v6      | tcp-option   | 28        | 19      | ipv6      | version, IPv6 (no port)                    |
 * | T14 | host-id             | tcp-option   | 253/254   | any>=4  | none      | ExID 0x0348, host id (NOT a carrier)       |
 * | I1  | uoa-ipo             | ipv4-option  | 31        | 8       | ipv4      | port, IPv4 (DPVS UOA ipo, JD ipoa = I6)    |
 * | I2  | uoa-opp             | opp          | 31        | 8/20    | ipv4/ipv6 | shim ver,next,len; option 31: port, addr   |
 * | I3  | ttgw-v4             | ipv4-option  | 31        | 16/40   | ipv4/ipv6 | op, pad, cport, vport, cip, vip            |
 * | I3  | ttgw-v4-asym        | ipv4-option  | 30        | 16/40   | ipv4/ipv6 | as ttgw-v4                                 |
 * | I4  | ttgw-v6             | ipv6-dstopt  | 31        | 12/36   | ipv4/ipv6 | cport, vport, cip, vip (optlen = data len) |
 * | I4  | ttgw-v6-asym        | ipv6-dstopt  | 30        | 12/36   | ipv4/ipv6 | as ttgw-v6                                 |
 * | I5  | ttgw-v2             | ipv4-option  | 29        | 16/32   | ipv4/ipv6 | op, pad, VNI u32, cport, 2 pad, cip(+4 pad)|
 * | I5  | ttgw-v2-v6          | ipv6-dstopt  | 29        | 12/28   | ipv4/ipv6 | VNI u32, cport, 2 pad, cip(+4 pad)         |
 * | I7  | ovs-slb-rs          | ipv4-option  | 30        | 8       | ipv4      | port, IPv4                                 |
 * | I8  | ip-vs-ca-icmp       | icmp-echo    | -         | 14/26   | ipv4/ipv6 | code 123, proto, 2 ports, TOA 200/8|253/20 |
 * | P1  | proxy-v1            | proxy-v1     | -         | <=107   | ipv4/ipv6 | "PROXY TCP4 src dst sport dport\r\n"       |
 * | P2  | proxy-v2            | proxy-v2     | -         | 16+     | ipv4/ipv6 | signature, ver/cmd, fam, len, addrs, TLVs  |
 * | P3  | spp                 | spp          | -         | 38      | ipv4/ipv6 | 0x56EC, client16, proxy16, cport, pport    |
 *
 * Conventions: `lengths` are the option length byte (IPv6 dst-opt: the optlen byte, which
 * excludes type and length); decode offsets are from the option type byte (ipv6-dstopt: from
 * the option type byte inside the extension header; opp: from the shim's first byte).
 * Encoders return exactly the bytes the vendor puts on the wire: the option (TCP, IPv4), a whole
 * destination-options extension header (ipv6-dstopt), the shim + option (opp), the whole header
 * (PROXY, SPP) or the ICMP echo payload (ip_vs_ca). TCP options are NOT padded here; see
 * encodeTcpCarrier's `align`.
 */
import { formatIpv4, formatIpv6 } from '../codec/addr.js';
import { readU16, readU32, writeU16, writeU32 } from '../codec/bytes.js';
import { MalformedError } from '../codec/errors.js';
import { addressField, integerField, newCarrier } from './fields.js';
import { decodeIpVsCaNotification, encodeIpVsCaNotification } from './icmp-notify.js';
import { decodeProxyV1, decodeProxyV2, encodeProxyV1, encodeProxyV2 } from './proxy.js';
import { decodeSpp, encodeSpp } from './spp.js';
import type { Carrier, CarrierFields, CarrierKind } from './types.js';

export interface CarrierFormat {
  /** Stable name (JSON `format`). */
  readonly format: string;
  /** Vendor-style names accepted by resolveFormat. */
  readonly aliases: readonly string[];
  /** Row of toa-formats.md tables 1a/1b/1c. */
  readonly row: string;
  readonly carrier: CarrierKind;
  /** Option kind/type; null for payload/ICMP carriers. Host ID lists 253 (also valid on 254). */
  readonly kind: number | null;
  /** Accepted length bytes (empty = variable, see layout). */
  readonly lengths: readonly number[];
  readonly family: 'ipv4' | 'ipv6' | 'ipv4+ipv6' | 'none';
  /** False for rows that carry no client address (VPC id, VIP-only) or are look-alikes (Host ID). */
  readonly carriesClientAddress: boolean;
  /** True only for look-alikes that are reported as notes, never as carriers (Host ID). */
  readonly lookalike: boolean;
  readonly vendors: readonly string[];
  /** Which packets carry it. */
  readonly packets: string;
  /** Wire layout text (offsets from the kind/type byte). */
  readonly layout: string;
  /** Extra predicate beyond kind and length (version byte, ExID). */
  readonly accepts?: (bytes: Uint8Array, offset: number, length: number) => boolean;
  /**
   * Decode one occurrence at `offset`. Option rows: `length` is the length byte and the caller
   * has checked bounds; always returns a Carrier. Payload/ICMP rows: `length` is the number of
   * bytes available; returns null when the bytes are not a valid header.
   */
  readonly decode: (bytes: Uint8Array, offset: number, length: number) => Carrier | null;
  /** Exact wire bytes for the given fields; throws MalformedError (layer 'carrier') on bad fields. */
  readonly encode: (fields: CarrierFields) => Uint8Array;
}

/** Offsets of the common "port then address" option layout (T1, T2, T4, T5, T6, I1, I7, opp option). */
export const PORT_ADDRESS = Object.freeze({ KIND: 0, LENGTH: 1, PORT: 2, ADDRESS: 4 });
/** T3 ByteDance 254/16. */
export const TOA_EXTRA = Object.freeze({ SOURCE_PORT: 2, SOURCE_ADDRESS: 4, PADDING: 8, DESTINATION_PORT: 10, DESTINATION_ADDRESS: 12 });
/** T7 Tencent 201/6. */
export const TENCENT_VPC_ID = Object.freeze({ VPC_ID: 2 });
/** T8 Tencent 202/8 and T9 Alibaba 250/8: VIP option. */
export const VIP_OPTION = Object.freeze({ VIRTUAL_PORT: 2, VIRTUAL_ADDRESS: 4 });
/** T10 Alibaba 252/20. */
export const VTOA_VPC = Object.freeze({ CLIENT_PORT: 2, CLIENT_ADDRESS: 4, VPC_ID: 8, VIRTUAL_ADDRESS: 12, VIRTUAL_PORT: 16, PADDING: 18 });
/** T11 Alibaba 249/40. */
export const VTOA_VPC6 = Object.freeze({ CLIENT_PORT: 2, CLIENT_ADDRESS: 4, VPC_ID: 20, RESERVED: 23, VIRTUAL_ADDRESS: 24 });
/** T12/T13 Alibaba CDN kind 28. */
export const CDN_TOA = Object.freeze({ VERSION: 2, ADDRESS: 3, VERSION_IPV4: 1, LENGTH_IPV4: 7, LENGTH_IPV6: 19 });
/** RFC 6994 experiment id position and the ids this module cares about. */
export const RFC6994 = Object.freeze({ EXID: 2, FAST_OPEN: 0xf989, HOST_ID: 0x0348 });
/** I3 TTGW in an IPv4 option (type 31/30). */
export const TTGW_IPV4 = Object.freeze({ OPERATION: 2, PADDING: 3, CLIENT_PORT: 4, VIRTUAL_PORT: 6, CLIENT_ADDRESS: 8 });
/** I4 TTGW in an IPv6 destination option (type 31/30); offsets from the option type byte. */
export const TTGW_IPV6 = Object.freeze({ CLIENT_PORT: 2, VIRTUAL_PORT: 4, CLIENT_ADDRESS: 6 });
/** I5 TTGW v2 in an IPv4 option (type 29). */
export const TTGW_V2_IPV4 = Object.freeze({ OPERATION: 2, PADDING: 3, VNI: 4, CLIENT_PORT: 8, PADDING2: 10, CLIENT_ADDRESS: 12 });
/** I5 TTGW v2 in an IPv6 destination option (type 29); offsets from the option type byte. */
export const TTGW_V2_IPV6 = Object.freeze({ VNI: 2, CLIENT_PORT: 6, PADDING: 8, CLIENT_ADDRESS: 10 });
/** I2 opp shim (IP protocol 248). */
export const OPP = Object.freeze({ VERSION: 0, NEXT_PROTOCOL: 1, LENGTH: 2, HEADER: 4, OPTION: 4, VERSION_IPV4: 1, VERSION_IPV6: 2, OPTION_TYPE: 31 });
/** IPv6 destination options extension header. */
export const DEST_OPTS = Object.freeze({ NEXT_HEADER: 0, HEADER_EXT_LENGTH: 1, OPTIONS: 2, PAD1: 0, PADN: 1 });

/** ExIDs known to tshark 4.0.17 (toa-formats.md §2.14): a TOA port equal to one is misread. */
export const KNOWN_EXIDS: ReadonlyMap<number, string> = new Map([
  [0x00ac, 'ACK Rate Request'],
  [0x0348, 'Host ID'],
  [0x0a0d, 'ExID 0x0A0D'],
  [0x0ca0, 'ExID 0x0CA0'],
  [0x0ed0, 'ExID 0x0ED0'],
  [0x454e, 'TCP-ENO'],
  [0x5323, 'ExID 0x5323'],
  [0x75ec, 'ExID 0x75EC'],
  [0xacc0, 'AccECN'],
  [0xacc1, 'AccECN'],
  [0xacce, 'AccECN'],
  [0xe2d4, 'SMC-R'],
  [0xf989, 'TCP Fast Open'],
  [0xf990, 'ExID 0xF990'],
]);

// ---------------------------------------------------------------------------------------------
// Layout helpers (private)

function address(bytes: Uint8Array, offset: number, size: number): string {
  return size === 4 ? formatIpv4(bytes, offset) : formatIpv6(bytes, offset);
}

/** Decoder for "kind, len, port, address" with the address size from the length. */
function decodePortAddress(carrier: CarrierKind, format: string) {
  return (bytes: Uint8Array, offset: number, length: number): Carrier => {
    const c = newCarrier(carrier, bytes[offset]!, length, format, offset);
    c.clientPort = readU16(bytes, offset + PORT_ADDRESS.PORT);
    c.clientAddress = address(bytes, offset + PORT_ADDRESS.ADDRESS, length - PORT_ADDRESS.ADDRESS);
    return c;
  };
}

/** Encoder for "kind, len, port, address"; `size` 0 picks the length from the address family. */
function encodePortAddress(kind: number, size: 0 | 4 | 16, format: string) {
  return (f: CarrierFields): Uint8Array => {
    const addr = addressField(f.clientAddress, size, 'clientAddress', format);
    const port = integerField(f.clientPort, 0xffff, 'clientPort', format);
    const out = new Uint8Array(PORT_ADDRESS.ADDRESS + addr.length);
    writePortAddress(out, 0, kind, port, addr);
    return out;
  };
}

/**
 * Allocation-free writer of the "kind, len, port, address" layout (PORT_ADDRESS: T1, T2, T4-T6,
 * I1, I7, the opp option) at out[offset]; the length byte is 4 + address.length. No checks: the
 * caller gives a 16-bit port and a 4- or 16-byte address (the public writers in tcp-option.ts,
 * ip-option.ts and opp.ts check them). Returns the bytes written.
 */
export function writePortAddress(out: Uint8Array, offset: number, kind: number, port: number, address: Uint8Array): number {
  const length = PORT_ADDRESS.ADDRESS + address.length;
  out[offset + PORT_ADDRESS.KIND] = kind;
  out[offset + PORT_ADDRESS.LENGTH] = length;
  writeU16(out, offset + PORT_ADDRESS.PORT, port);
  out.set(address, offset + PORT_ADDRESS.ADDRESS);
  return length;
}

function header(kind: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out[0] = kind;
  out[1] = length;
  return out;
}

/** TTGW v1 over IPv4 (type 31 / 30). */
function decodeTtgwIpv4(format: string, asymmetric: boolean) {
  return (bytes: Uint8Array, offset: number, length: number): Carrier => {
    const c = newCarrier('ipv4-option', bytes[offset]!, length, format, offset);
    const size = length === 16 ? 4 : 16;
    c.operation = bytes[offset + TTGW_IPV4.OPERATION]!;
    c.clientPort = readU16(bytes, offset + TTGW_IPV4.CLIENT_PORT);
    c.virtualPort = readU16(bytes, offset + TTGW_IPV4.VIRTUAL_PORT);
    c.clientAddress = address(bytes, offset + TTGW_IPV4.CLIENT_ADDRESS, size);
    c.virtualAddress = address(bytes, offset + TTGW_IPV4.CLIENT_ADDRESS + size, size);
    if (asymmetric) c.asymmetric = true;
    return c;
  };
}
function encodeTtgwIpv4(type: number, format: string) {
  return (f: CarrierFields): Uint8Array => {
    const cip = addressField(f.clientAddress, 0, 'clientAddress', format);
    const vip = addressField(f.virtualAddress, cip.length as 4 | 16, 'virtualAddress', format);
    const out = header(type, TTGW_IPV4.CLIENT_ADDRESS + 2 * cip.length);
    out[TTGW_IPV4.OPERATION] = integerField(f.operation, 0xff, 'operation', format, cip.length === 4 ? 0 : 1);
    writeU16(out, TTGW_IPV4.CLIENT_PORT, integerField(f.clientPort, 0xffff, 'clientPort', format));
    writeU16(out, TTGW_IPV4.VIRTUAL_PORT, integerField(f.virtualPort, 0xffff, 'virtualPort', format));
    out.set(cip, TTGW_IPV4.CLIENT_ADDRESS);
    out.set(vip, TTGW_IPV4.CLIENT_ADDRESS + cip.length);
    return out;
  };
}

/** TTGW v1 over IPv6 destination options (type 31 / 30); optlen 12 (v4 inner) or 36 (v6). */
function decodeTtgwIpv6(format: string, asymmetric: boolean) {
  return (bytes: Uint8Array, offset: number, length: number): Carrier => {
    const c = newCarrier('ipv6-dstopt', bytes[offset]!, length, format, offset);
    const size = length === 12 ? 4 : 16;
    c.clientPort = readU16(bytes, offset + TTGW_IPV6.CLIENT_PORT);
    c.virtualPort = readU16(bytes, offset + TTGW_IPV6.VIRTUAL_PORT);
    c.clientAddress = address(bytes, offset + TTGW_IPV6.CLIENT_ADDRESS, size);
    c.virtualAddress = address(bytes, offset + TTGW_IPV6.CLIENT_ADDRESS + size, size);
    if (asymmetric) c.asymmetric = true;
    return c;
  };
}
function encodeTtgwIpv6(type: number, format: string) {
  return (f: CarrierFields): Uint8Array => {
    const cip = addressField(f.clientAddress, 0, 'clientAddress', format);
    const vip = addressField(f.virtualAddress, cip.length as 4 | 16, 'virtualAddress', format);
    const option = new Uint8Array(TTGW_IPV6.CLIENT_ADDRESS + 2 * cip.length);
    option[0] = type;
    option[1] = option.length - 2;
    writeU16(option, TTGW_IPV6.CLIENT_PORT, integerField(f.clientPort, 0xffff, 'clientPort', format));
    writeU16(option, TTGW_IPV6.VIRTUAL_PORT, integerField(f.virtualPort, 0xffff, 'virtualPort', format));
    option.set(cip, TTGW_IPV6.CLIENT_ADDRESS);
    option.set(vip, TTGW_IPV6.CLIENT_ADDRESS + cip.length);
    return wrapDestinationOptions(option, f.nextHeader);
  };
}

function decodeTtgwV2Ipv4(bytes: Uint8Array, offset: number, length: number): Carrier {
  const c = newCarrier('ipv4-option', bytes[offset]!, length, 'ttgw-v2', offset);
  c.operation = bytes[offset + TTGW_V2_IPV4.OPERATION]!;
  c.vni = readU32(bytes, offset + TTGW_V2_IPV4.VNI);
  c.clientPort = readU16(bytes, offset + TTGW_V2_IPV4.CLIENT_PORT);
  c.clientAddress = address(bytes, offset + TTGW_V2_IPV4.CLIENT_ADDRESS, length === 16 ? 4 : 16);
  return c;
}
function encodeTtgwV2Ipv4(f: CarrierFields): Uint8Array {
  const cip = addressField(f.clientAddress, 0, 'clientAddress', 'ttgw-v2');
  const out = header(29, cip.length === 4 ? 16 : 32);
  out[TTGW_V2_IPV4.OPERATION] = integerField(f.operation, 0xff, 'operation', 'ttgw-v2', cip.length === 4 ? 0 : 1);
  writeU32(out, TTGW_V2_IPV4.VNI, integerField(f.vni, 0xffffffff, 'vni', 'ttgw-v2'));
  writeU16(out, TTGW_V2_IPV4.CLIENT_PORT, integerField(f.clientPort, 0xffff, 'clientPort', 'ttgw-v2'));
  out.set(cip, TTGW_V2_IPV4.CLIENT_ADDRESS);
  return out;
}
function decodeTtgwV2Ipv6(bytes: Uint8Array, offset: number, length: number): Carrier {
  const c = newCarrier('ipv6-dstopt', bytes[offset]!, length, 'ttgw-v2-v6', offset);
  c.vni = readU32(bytes, offset + TTGW_V2_IPV6.VNI);
  c.clientPort = readU16(bytes, offset + TTGW_V2_IPV6.CLIENT_PORT);
  c.clientAddress = address(bytes, offset + TTGW_V2_IPV6.CLIENT_ADDRESS, length === 12 ? 4 : 16);
  return c;
}
function encodeTtgwV2Ipv6(f: CarrierFields): Uint8Array {
  const cip = addressField(f.clientAddress, 0, 'clientAddress', 'ttgw-v2-v6');
  // optlen 12 (IPv4 inner) or 28 (IPv6 inner + 4 pad); option total 14 / 30
  const option = new Uint8Array(cip.length === 4 ? 14 : 30);
  option[0] = 29;
  option[1] = option.length - 2;
  writeU32(option, TTGW_V2_IPV6.VNI, integerField(f.vni, 0xffffffff, 'vni', 'ttgw-v2-v6'));
  writeU16(option, TTGW_V2_IPV6.CLIENT_PORT, integerField(f.clientPort, 0xffff, 'clientPort', 'ttgw-v2-v6'));
  option.set(cip, TTGW_V2_IPV6.CLIENT_ADDRESS);
  return wrapDestinationOptions(option, f.nextHeader);
}

/**
 * Wrap option TLVs in an IPv6 Destination Options extension header: next header (placeholder
 * 59 "No Next Header" unless given), header ext length, the options, then Pad1/PadN to a
 * multiple of 8 bytes.
 */
export function wrapDestinationOptions(options: Uint8Array, nextHeader = 59): Uint8Array {
  const unpadded = DEST_OPTS.OPTIONS + options.length;
  const total = Math.ceil(unpadded / 8) * 8;
  const out = new Uint8Array(total);
  out[DEST_OPTS.NEXT_HEADER] = nextHeader;
  out[DEST_OPTS.HEADER_EXT_LENGTH] = total / 8 - 1;
  out.set(options, DEST_OPTS.OPTIONS);
  const pad = total - unpadded;
  if (pad === 1) out[unpadded] = DEST_OPTS.PAD1;
  else if (pad > 1) {
    out[unpadded] = DEST_OPTS.PADN;
    out[unpadded + 1] = pad - 2; // PadN data bytes are already zero
  }
  return out;
}

/** opp shim decode: `offset` is the shim's first byte; the inner option starts at offset + 4. */
function decodeOppCarrier(bytes: Uint8Array, offset: number, length: number): Carrier {
  const o = offset + OPP.OPTION;
  const c = newCarrier('opp', bytes[o]!, length, 'uoa-opp', offset);
  c.oppVersion = bytes[offset + OPP.VERSION]! >>> 4;
  c.nextProtocol = bytes[offset + OPP.NEXT_PROTOCOL]!;
  c.clientPort = readU16(bytes, o + PORT_ADDRESS.PORT);
  c.clientAddress = address(bytes, o + PORT_ADDRESS.ADDRESS, length - PORT_ADDRESS.ADDRESS);
  return c;
}
function encodeOppCarrier(f: CarrierFields): Uint8Array {
  const addr = addressField(f.clientAddress, 0, 'clientAddress', 'uoa-opp');
  const port = integerField(f.clientPort, 0xffff, 'clientPort', 'uoa-opp');
  const nextProtocol = integerField(f.nextHeader, 0xff, 'nextHeader', 'uoa-opp', 17);
  const out = new Uint8Array(OPP.HEADER + PORT_ADDRESS.ADDRESS + addr.length);
  writeOppShim(out, 0, nextProtocol, port, addr);
  return out;
}

/**
 * Allocation-free writer of the whole opp shim at out[offset]: version (1 for a 4-byte address,
 * 2 for 16) << 4, next protocol, length 4 + option, then option 31 (port, address). No checks
 * (see writePortAddress). Returns the bytes written (12 or 24).
 */
export function writeOppShim(out: Uint8Array, offset: number, nextProtocol: number, port: number, address: Uint8Array): number {
  const length = OPP.HEADER + writePortAddress(out, offset + OPP.OPTION, OPP.OPTION_TYPE, port, address);
  out[offset + OPP.VERSION] = (address.length === 4 ? OPP.VERSION_IPV4 : OPP.VERSION_IPV6) << 4;
  out[offset + OPP.NEXT_PROTOCOL] = nextProtocol;
  writeU16(out, offset + OPP.LENGTH, length);
  return length;
}

// ---------------------------------------------------------------------------------------------
// The table

const DPVS_PACKETS = 'DPVS: ACK3 and pre-data client->RS segments (not SYN/RST); Alibaba LVS: also the SYN; receivers read ACK3';

export const FORMATS: readonly CarrierFormat[] = Object.freeze([
  {
    format: 'toa-v4', aliases: ['dpvs-toa-v4', 'lvs-toa-v4', 'huawei-toa', 'ucloud-toa-compat', 'alibaba-vtoa-v4'], row: 'T1',
    carrier: 'tcp-option', kind: 254, lengths: [8], family: 'ipv4', carriesClientAddress: true, lookalike: false,
    vendors: ['iQIYI DPVS', 'Alibaba/Taobao LVS FULLNAT', 'Alibaba SLB classic / vtoa', 'Huawei Cloud ELB', 'UCloud (compat)', 'Alibaba CDN eBPF (port kind)', 'gala-gopher', 'FakeToa'],
    packets: DPVS_PACKETS, layout: '0 kind 254, 1 len 8, 2 client port, 4 client IPv4',
    decode: decodePortAddress('tcp-option', 'toa-v4'), encode: encodePortAddress(254, 4, 'toa-v4'),
  },
  {
    format: 'toa-v6', aliases: ['dpvs-toa-v6', 'dpvs-toa-nat64', 'alibaba-toa-v6-ex', 'alibaba-cdn-port-v6'], row: 'T2',
    carrier: 'tcp-option', kind: 254, lengths: [20], family: 'ipv6', carriesClientAddress: true, lookalike: false,
    vendors: ['iQIYI DPVS (IPv6 and NAT64)', 'Alibaba Cloud vtoa TOA_V6_EX', 'Alibaba CDN eBPF', 'ByteDance toa.ko (reader)'],
    packets: DPVS_PACKETS, layout: '0 kind 254, 1 len 20, 2 client port, 4 client IPv6 (outer packet may be IPv4: NAT64)',
    decode: decodePortAddress('tcp-option', 'toa-v6'), encode: encodePortAddress(254, 16, 'toa-v6'),
  },
  {
    format: 'toa-extra-v4', aliases: ['bytedance-toa-extra'], row: 'T3',
    carrier: 'tcp-option', kind: 254, lengths: [16], family: 'ipv4', carriesClientAddress: true, lookalike: false,
    vendors: ['ByteDance toa.ko (reader side)'], packets: 'ACK3 (receiver)',
    layout: '0 kind 254, 1 len 16, 2 source port, 4 source IPv4, 8 2 pad, 10 destination port, 12 destination IPv4 (virtual*)',
    decode: (bytes, offset, length) => {
      const c = newCarrier('tcp-option', bytes[offset]!, length, 'toa-extra-v4', offset);
      c.clientPort = readU16(bytes, offset + TOA_EXTRA.SOURCE_PORT);
      c.clientAddress = formatIpv4(bytes, offset + TOA_EXTRA.SOURCE_ADDRESS);
      c.virtualPort = readU16(bytes, offset + TOA_EXTRA.DESTINATION_PORT);
      c.virtualAddress = formatIpv4(bytes, offset + TOA_EXTRA.DESTINATION_ADDRESS);
      return c;
    },
    encode: (f) => {
      const out = header(254, 16);
      writeU16(out, TOA_EXTRA.SOURCE_PORT, integerField(f.clientPort, 0xffff, 'clientPort', 'toa-extra-v4'));
      out.set(addressField(f.clientAddress, 4, 'clientAddress', 'toa-extra-v4'), TOA_EXTRA.SOURCE_ADDRESS);
      writeU16(out, TOA_EXTRA.DESTINATION_PORT, integerField(f.virtualPort, 0xffff, 'virtualPort', 'toa-extra-v4'));
      out.set(addressField(f.virtualAddress, 4, 'virtualAddress', 'toa-extra-v4'), TOA_EXTRA.DESTINATION_ADDRESS);
      return out;
    },
  },
  {
    format: 'toa-v6-253', aliases: ['lvs-toa-v6', 'alibaba-vtoa-v6', 'tencent-toa-nat64', 'gala-gopher-v6'], row: 'T4',
    carrier: 'tcp-option', kind: 253, lengths: [20], family: 'ipv6', carriesClientAddress: true, lookalike: false,
    vendors: ['Alibaba LVS (lvs_v2) IPv6 FULLNAT', 'Alibaba Cloud Linux vtoa TCPOPT_TOA_V6', 'Tencent CLB NAT64 (length UNVERIFIED)', 'gala-gopher'],
    packets: 'LVS: SYN + ACK3/pre-data; receivers read ACK3', layout: '0 kind 253, 1 len 20, 2 client port, 4 client IPv6',
    decode: decodePortAddress('tcp-option', 'toa-v6-253'), encode: encodePortAddress(253, 16, 'toa-v6-253'),
  },
  {
    format: 'toa-v4-253', aliases: ['ucloud-akamai', 'akamai-toa'], row: 'T5',
    carrier: 'tcp-option', kind: 253, lengths: [8], family: 'ipv4', carriesClientAddress: true, lookalike: false,
    vendors: ['UCloud "Akamai compat" reader', 'Asphaltt toa.c'], packets: 'ACK3 (receiver)',
    layout: '0 kind 253, 1 len 8, 2 client port, 4 client IPv4 (with bytes 2-3 = 0x0348 it is Host ID instead)',
    accepts: (bytes, offset) => readU16(bytes, offset + RFC6994.EXID) !== RFC6994.HOST_ID,
    decode: decodePortAddress('tcp-option', 'toa-v4-253'), encode: encodePortAddress(253, 4, 'toa-v4-253'),
  },
  {
    format: 'toa-v4-200', aliases: ['tencent-toa', 'ucloud-toa', 'jd-toa', 'lvs-2012-toa', 'ip-vs-ca-toa'], row: 'T6',
    carrier: 'tcp-option', kind: 200, lengths: [8], family: 'ipv4', carriesClientAddress: true, lookalike: false,
    vendors: ['Tencent CLB/TGW SNAT, Anti-DDoS, GAAP, TencentOS toa', 'UCloud ULB', 'JD Jupiter (appended after options)', 'original LVS FULLNAT 2012', 'yubo ip_vs_ca', 'DeepFlow (reader)'],
    packets: 'ACK3 (JD: client->RS ACKs in SYN_RECV and the synproxy ACK)', layout: '0 kind 200, 1 len 8, 2 client port, 4 client IPv4',
    decode: decodePortAddress('tcp-option', 'toa-v4-200'), encode: encodePortAddress(200, 4, 'toa-v4-200'),
  },
  {
    format: 'tencent-vpc-id', aliases: ['tencent-vtoa-vpcid'], row: 'T7',
    carrier: 'tcp-option', kind: 201, lengths: [6], family: 'none', carriesClientAddress: false, lookalike: false,
    vendors: ['Tencent VPC TOA (TencentOS kernel)'], packets: 'ACK3; preceded by two NOPs',
    layout: '0 kind 201, 1 len 6, 2 VPC id (4 bytes, read big-endian; byte order UNVERIFIED)',
    decode: (bytes, offset, length) => {
      const c = newCarrier('tcp-option', bytes[offset]!, length, 'tencent-vpc-id', offset);
      c.vpcId = readU32(bytes, offset + TENCENT_VPC_ID.VPC_ID);
      return c;
    },
    encode: (f) => {
      const out = header(201, 6);
      writeU32(out, TENCENT_VPC_ID.VPC_ID, integerField(f.vpcId, 0xffffffff, 'vpcId', 'tencent-vpc-id'));
      return out;
    },
  },
  vipRow('tencent-vip', ['tencent-vtoa-vip'], 'T8', 202, ['Tencent VPC TOA (TencentOS kernel)'], 'ACK3'),
  vipRow('alibaba-vtoa-vip', [], 'T9', 250, ['Alibaba Cloud SLB/ALB vtoa'], 'ACK3; may immediately follow a 254/8'),
  {
    format: 'alibaba-vtoa-vpc', aliases: ['vtoa-vpc'], row: 'T10',
    carrier: 'tcp-option', kind: 252, lengths: [20], family: 'ipv4', carriesClientAddress: true, lookalike: false,
    vendors: ['Alibaba Cloud SLB/ALB vtoa (FNAT mode)'], packets: 'ACK3',
    layout: '0 kind 252, 1 len 20, 2 client port, 4 client IPv4, 8 VPC id u32, 12 VIP IPv4, 16 vport, 18 2 pad',
    decode: (bytes, offset, length) => {
      const c = newCarrier('tcp-option', bytes[offset]!, length, 'alibaba-vtoa-vpc', offset);
      c.clientPort = readU16(bytes, offset + VTOA_VPC.CLIENT_PORT);
      c.clientAddress = formatIpv4(bytes, offset + VTOA_VPC.CLIENT_ADDRESS);
      c.vpcId = readU32(bytes, offset + VTOA_VPC.VPC_ID);
      c.virtualAddress = formatIpv4(bytes, offset + VTOA_VPC.VIRTUAL_ADDRESS);
      c.virtualPort = readU16(bytes, offset + VTOA_VPC.VIRTUAL_PORT);
      return c;
    },
    encode: (f) => {
      const out = header(252, 20);
      writeU16(out, VTOA_VPC.CLIENT_PORT, integerField(f.clientPort, 0xffff, 'clientPort', 'alibaba-vtoa-vpc'));
      out.set(addressField(f.clientAddress, 4, 'clientAddress', 'alibaba-vtoa-vpc'), VTOA_VPC.CLIENT_ADDRESS);
      writeU32(out, VTOA_VPC.VPC_ID, integerField(f.vpcId, 0xffffffff, 'vpcId', 'alibaba-vtoa-vpc'));
      out.set(addressField(f.virtualAddress, 4, 'virtualAddress', 'alibaba-vtoa-vpc'), VTOA_VPC.VIRTUAL_ADDRESS);
      writeU16(out, VTOA_VPC.VIRTUAL_PORT, integerField(f.virtualPort, 0xffff, 'virtualPort', 'alibaba-vtoa-vpc'));
      return out;
    },
  },
  {
    format: 'alibaba-vtoa-vpc-v6', aliases: ['vtoa-vpc-v6'], row: 'T11',
    carrier: 'tcp-option', kind: 249, lengths: [40], family: 'ipv6', carriesClientAddress: true, lookalike: false,
    vendors: ['Alibaba Cloud vtoa (IPv6 VPC)'], packets: 'ACK3',
    layout: '0 kind 249, 1 len 40, 2 client port, 4 client IPv6, 20 VPC id u24 BE, 23 reserved, 24 VIP IPv6',
    decode: (bytes, offset, length) => {
      const c = newCarrier('tcp-option', bytes[offset]!, length, 'alibaba-vtoa-vpc-v6', offset);
      c.clientPort = readU16(bytes, offset + VTOA_VPC6.CLIENT_PORT);
      c.clientAddress = formatIpv6(bytes, offset + VTOA_VPC6.CLIENT_ADDRESS);
      c.vpcId = (readU32(bytes, offset + VTOA_VPC6.VPC_ID) >>> 8) & 0xffffff;
      c.virtualAddress = formatIpv6(bytes, offset + VTOA_VPC6.VIRTUAL_ADDRESS);
      return c;
    },
    encode: (f) => {
      const out = header(249, 40);
      writeU16(out, VTOA_VPC6.CLIENT_PORT, integerField(f.clientPort, 0xffff, 'clientPort', 'alibaba-vtoa-vpc-v6'));
      out.set(addressField(f.clientAddress, 16, 'clientAddress', 'alibaba-vtoa-vpc-v6'), VTOA_VPC6.CLIENT_ADDRESS);
      const vid = integerField(f.vpcId, 0xffffff, 'vpcId', 'alibaba-vtoa-vpc-v6');
      out[VTOA_VPC6.VPC_ID] = vid >>> 16;
      out[VTOA_VPC6.VPC_ID + 1] = (vid >>> 8) & 0xff;
      out[VTOA_VPC6.VPC_ID + 2] = vid & 0xff;
      out.set(addressField(f.virtualAddress, 16, 'virtualAddress', 'alibaba-vtoa-vpc-v6'), VTOA_VPC6.VIRTUAL_ADDRESS);
      return out;
    },
  },
  {
    format: 'alibaba-cdn-v4', aliases: ['alibaba-dcdn-v4', 'dcdn-toa'], row: 'T12',
    carrier: 'tcp-option', kind: 28, lengths: [7], family: 'ipv4', carriesClientAddress: true, lookalike: false,
    vendors: ['Alibaba Cloud CDN / DCDN', 'DPVS patch/dcdn-toa.patch (reader)'], packets: 'SYN (eBPF reader also ACK3)',
    layout: '0 kind 28 (IANA User-Timeout!), 1 len 7, 2 version 1, 3 client IPv4 (no port)',
    accepts: (bytes, offset) => bytes[offset + CDN_TOA.VERSION] === CDN_TOA.VERSION_IPV4,
    decode: (bytes, offset, length) => {
      const c = newCarrier('tcp-option', bytes[offset]!, length, 'alibaba-cdn-v4', offset);
      c.clientAddress = formatIpv4(bytes, offset + CDN_TOA.ADDRESS);
      return c;
    },
    encode: (f) => {
      const out = header(28, 7);
      out[CDN_TOA.VERSION] = CDN_TOA.VERSION_IPV4;
      out.set(addressField(f.clientAddress, 4, 'clientAddress', 'alibaba-cdn-v4'), CDN_TOA.ADDRESS);
      return out;
    },
  },
  {
    format: 'alibaba-cdn-v6', aliases: ['alibaba-dcdn-v6'], row: 'T13',
    carrier: 'tcp-option', kind: 28, lengths: [19], family: 'ipv6', carriesClientAddress: true, lookalike: false,
    vendors: ['Alibaba Cloud CDN eBPF'], packets: 'SYN / ACK3',
    layout: '0 kind 28, 1 len 19, 2 version (value UNVERIFIED, not checked; encoder writes 2), 3 client IPv6 (no port)',
    decode: (bytes, offset, length) => {
      const c = newCarrier('tcp-option', bytes[offset]!, length, 'alibaba-cdn-v6', offset);
      c.clientAddress = formatIpv6(bytes, offset + CDN_TOA.ADDRESS);
      return c;
    },
    encode: (f) => {
      const out = header(28, 19);
      out[CDN_TOA.VERSION] = 2;
      out.set(addressField(f.clientAddress, 16, 'clientAddress', 'alibaba-cdn-v6'), CDN_TOA.ADDRESS);
      return out;
    },
  },
  {
    format: 'host-id', aliases: ['rfc7974-host-id'], row: 'T14',
    carrier: 'tcp-option', kind: 253, lengths: [], family: 'none', carriesClientAddress: false, lookalike: true,
    vendors: ['RFC 7974 HOST_ID (Akamai)'], packets: 'SYN (per RFC; UNVERIFIED)',
    layout: '0 kind 253 or 254, 1 len (>= 4), 2 ExID 0x0348, 4 host id (layout UNVERIFIED). Reported as a note, never a carrier.',
    accepts: (bytes, offset) => readU16(bytes, offset + RFC6994.EXID) === RFC6994.HOST_ID,
    decode: (bytes, offset, length) => newCarrier('tcp-option', bytes[offset]!, length, 'host-id', offset),
    encode: (f) => {
      const id = f.hostId ?? new Uint8Array(4);
      if (id.length > 36) throw new MalformedError('carrier', 0, 'hostId', id.length, 'host id longer than 36 bytes does not fit a TCP option');
      const out = header(253, 4 + id.length);
      writeU16(out, RFC6994.EXID, RFC6994.HOST_ID);
      out.set(id, 4);
      return out;
    },
  },
  {
    format: 'uoa-ipo', aliases: ['dpvs-uoa-ipo', 'jd-ipoa'], row: 'I1',
    carrier: 'ipv4-option', kind: 31, lengths: [8], family: 'ipv4', carriesClientAddress: true, lookalike: false,
    vendors: ['iQIYI DPVS UOA "ipo" mode', 'JD ipoa kernel patch (I6; field order UNVERIFIED)'],
    packets: 'first 3 client->RS UDP packets of a flow (DPVS), or a standalone empty UDP packet; JD: TCP ACK3',
    layout: '0 type 31, 1 len 8, 2 client port, 4 client IPv4; inserted right after the fixed IPv4 header',
    decode: decodePortAddress('ipv4-option', 'uoa-ipo'), encode: encodePortAddress(31, 4, 'uoa-ipo'),
  },
  {
    format: 'uoa-opp', aliases: ['dpvs-uoa-opp', 'bytedance-uoa-opp'], row: 'I2',
    carrier: 'opp', kind: 31, lengths: [8, 20], family: 'ipv4+ipv6', carriesClientAddress: true, lookalike: false,
    vendors: ['iQIYI DPVS UOA "opp" mode (default)', 'ByteDance uoa.ko (reader)'],
    packets: 'first 3 client->RS UDP packets of a flow, or a standalone empty UDP packet',
    layout: 'IP protocol 248 shim: 0 version<<4 (1 IPv4, 2 IPv6 client), 1 next protocol (17), 2 length 12|24; 4 option type 31, 5 len 8|20, 6 client port, 8 client address; then UDP',
    decode: decodeOppCarrier, encode: encodeOppCarrier,
  },
  {
    format: 'ttgw-v4', aliases: ['bytedance-ttgw', 'ttgw'], row: 'I3',
    carrier: 'ipv4-option', kind: 31, lengths: [16, 40], family: 'ipv4+ipv6', carriesClientAddress: true, lookalike: false,
    vendors: ['ByteDance TTGW (Volcengine CLB presumably; UNVERIFIED)'], packets: 'TCP ACK3; UDP every packet; must be the FIRST IP option',
    layout: '0 type 31, 1 len 16|40, 2 operation (bit0: 0 IPv4 / 1 IPv6 inner), 3 pad, 4 client port, 6 virtual port, 8 client IP, then VIP',
    decode: decodeTtgwIpv4('ttgw-v4', false), encode: encodeTtgwIpv4(31, 'ttgw-v4'),
  },
  {
    format: 'ttgw-v4-asym', aliases: ['bytedance-ttgw-asym'], row: 'I3',
    carrier: 'ipv4-option', kind: 30, lengths: [16, 40], family: 'ipv4+ipv6', carriesClientAddress: true, lookalike: false,
    vendors: ['ByteDance TTGW (asymmetric)'], packets: 'as ttgw-v4',
    layout: 'as ttgw-v4 with type 30',
    decode: decodeTtgwIpv4('ttgw-v4-asym', true), encode: encodeTtgwIpv4(30, 'ttgw-v4-asym'),
  },
  {
    format: 'ttgw-v6', aliases: ['bytedance-ttgw-v6'], row: 'I4',
    carrier: 'ipv6-dstopt', kind: 31, lengths: [12, 36], family: 'ipv4+ipv6', carriesClientAddress: true, lookalike: false,
    vendors: ['ByteDance TTGW over IPv6'], packets: 'as ttgw-v4; the dst-opt header directly follows the fixed IPv6 header',
    layout: 'ext hdr: 0 next header, 1 hdr ext len 1|4; option: 0 type 31, 1 optlen 12|36 (inner family), 2 client port, 4 virtual port, 6 client IP, then VIP',
    decode: decodeTtgwIpv6('ttgw-v6', false), encode: encodeTtgwIpv6(31, 'ttgw-v6'),
  },
  {
    format: 'ttgw-v6-asym', aliases: ['bytedance-ttgw-v6-asym'], row: 'I4',
    carrier: 'ipv6-dstopt', kind: 30, lengths: [12, 36], family: 'ipv4+ipv6', carriesClientAddress: true, lookalike: false,
    vendors: ['ByteDance TTGW over IPv6 (asymmetric)'], packets: 'as ttgw-v6', layout: 'as ttgw-v6 with option type 30',
    decode: decodeTtgwIpv6('ttgw-v6-asym', true), encode: encodeTtgwIpv6(30, 'ttgw-v6-asym'),
  },
  {
    format: 'ttgw-v2', aliases: ['bytedance-ttgw-v2'], row: 'I5',
    carrier: 'ipv4-option', kind: 29, lengths: [16, 32], family: 'ipv4+ipv6', carriesClientAddress: true, lookalike: false,
    vendors: ['ByteDance TTGW v2 (with VNI)'], packets: 'as ttgw-v4',
    layout: '0 type 29, 1 len 16|32, 2 operation (0 IPv4 / 1 IPv6), 3 pad, 4 source VNI u32, 8 client port, 10 2 pad, 12 client IPv4 | IPv6 + 4 pad',
    decode: decodeTtgwV2Ipv4, encode: encodeTtgwV2Ipv4,
  },
  {
    format: 'ttgw-v2-v6', aliases: ['bytedance-ttgw-v2-v6'], row: 'I5',
    carrier: 'ipv6-dstopt', kind: 29, lengths: [12, 28], family: 'ipv4+ipv6', carriesClientAddress: true, lookalike: false,
    vendors: ['ByteDance TTGW v2 over IPv6'], packets: 'as ttgw-v6',
    layout: 'ext hdr: 0 next header, 1 hdr ext len 1|3; option: 0 type 29, 1 optlen 12|28, 2 source VNI u32, 6 client port, 8 2 pad, 10 client IPv4 | IPv6 + 4 pad',
    decode: decodeTtgwV2Ipv6, encode: encodeTtgwV2Ipv6,
  },
  {
    format: 'ovs-slb-rs', aliases: ['slb-rs'], row: 'I7',
    carrier: 'ipv4-option', kind: 30, lengths: [8], family: 'ipv4', carriesClientAddress: true, lookalike: false,
    vendors: ['OVS-DPDK "slb_rs" module (repository unknown)'], packets: 'UNVERIFIED',
    layout: '0 type 30, 1 len 8, 2 port, 4 IPv4',
    decode: decodePortAddress('ipv4-option', 'ovs-slb-rs'), encode: encodePortAddress(30, 4, 'ovs-slb-rs'),
  },
  {
    format: 'ip-vs-ca-icmp', aliases: ['yubo-ip-vs-ca'], row: 'I8',
    carrier: 'icmp-echo', kind: null, lengths: [14, 26], family: 'ipv4+ipv6', carriesClientAddress: true, lookalike: false,
    vendors: ['yubo/ip_vs_ca'], packets: 'a separate ICMP echo request (id 0x1234, seq 0) per new UDP flow',
    layout: 'echo payload: 0 code 123, 1 protocol, 2 flow port, 4 flow port, 6 TOA (kind 200|253, len 8|20, port, address)',
    decode: (bytes, offset, length) => decodeIpVsCaNotification(bytes, offset, offset + length),
    encode: encodeIpVsCaNotification,
  },
  {
    format: 'proxy-v1', aliases: ['proxy1', 'pp1'], row: 'P1',
    carrier: 'proxy-v1', kind: null, lengths: [], family: 'ipv4+ipv6', carriesClientAddress: true, lookalike: false,
    vendors: ['HAProxy PROXY protocol v1', 'DPVS (per service)', 'Tencent EdgeOne L4'], packets: 'start of the TCP stream (first data segment)',
    layout: '"PROXY TCP4|TCP6|UNKNOWN <src> <dst> <sport> <dport>\\r\\n", at most 107 bytes',
    decode: (bytes, offset, length) => decodeProxyV1(bytes, offset, offset + length),
    encode: encodeProxyV1,
  },
  {
    format: 'proxy-v2', aliases: ['proxy2', 'pp2'], row: 'P2',
    carrier: 'proxy-v2', kind: null, lengths: [], family: 'ipv4+ipv6', carriesClientAddress: true, lookalike: false,
    vendors: ['HAProxy PROXY protocol v2', 'DPVS (per service; TCP and UDP)', 'AWS NLB', 'Azure Private Link', 'Tencent EdgeOne L4'],
    packets: 'start of the TCP stream / each (DPVS: first) UDP datagram',
    layout: '0 signature 0D0A0D0A000D0A515549540A, 12 ver<<4|cmd, 13 family<<4|transport, 14 length u16, 16 addresses (12 IPv4, 36 IPv6, 216 unix), then TLVs (type u8, length u16)',
    decode: (bytes, offset, length) => decodeProxyV2(bytes, offset, offset + length),
    encode: encodeProxyV2,
  },
  {
    format: 'spp', aliases: ['cloudflare-spp', 'edgeone-spp'], row: 'P3',
    carrier: 'spp', kind: null, lengths: [38], family: 'ipv4+ipv6', carriesClientAddress: true, lookalike: false,
    vendors: ['Cloudflare Spectrum', 'Tencent EdgeOne'], packets: 'start of each UDP datagram',
    layout: '0 magic 0x56EC, 2 client address (16, IPv4-mapped for IPv4), 18 proxy address (16), 34 client port, 36 proxy port',
    decode: (bytes, offset, length) => decodeSpp(bytes, offset, offset + length),
    encode: encodeSpp,
  },
] satisfies CarrierFormat[]);

function vipRow(format: string, aliases: string[], row: string, kind: number, vendors: string[], packets: string): CarrierFormat {
  return {
    format, aliases, row, carrier: 'tcp-option', kind, lengths: [8], family: 'none', carriesClientAddress: false, lookalike: false,
    vendors, packets, layout: `0 kind ${kind}, 1 len 8, 2 virtual port, 4 VIP IPv4 (no client address)`,
    decode: (bytes, offset, length) => {
      const c = newCarrier('tcp-option', bytes[offset]!, length, format, offset);
      c.virtualPort = readU16(bytes, offset + VIP_OPTION.VIRTUAL_PORT);
      c.virtualAddress = formatIpv4(bytes, offset + VIP_OPTION.VIRTUAL_ADDRESS);
      return c;
    },
    encode: (f) => {
      const out = header(kind, 8);
      writeU16(out, VIP_OPTION.VIRTUAL_PORT, integerField(f.virtualPort, 0xffff, 'virtualPort', format));
      out.set(addressField(f.virtualAddress, 4, 'virtualAddress', format), VIP_OPTION.VIRTUAL_ADDRESS);
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Lookups built once from the table

const BY_NAME = new Map<string, CarrierFormat>();
for (const f of FORMATS) {
  BY_NAME.set(f.format, f);
  for (const a of f.aliases) BY_NAME.set(a, f);
}

/** Index: carrier kind → (kind/type * 256 + length) → formats in table order (look-alikes excluded). */
const BY_KIND_LENGTH = new Map<CarrierKind, Map<number, CarrierFormat[]>>();
for (const f of FORMATS) {
  if (f.kind === null || f.lookalike) continue;
  let m = BY_KIND_LENGTH.get(f.carrier);
  if (!m) BY_KIND_LENGTH.set(f.carrier, (m = new Map()));
  for (const len of f.lengths) {
    const key = f.kind * 256 + len;
    const list = m.get(key);
    if (list) list.push(f);
    else m.set(key, [f]);
  }
}

/** Format by name or alias; undefined when unknown. */
export function resolveFormat(name: string): CarrierFormat | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** Format by name or alias; throws MalformedError listing the known names when unknown. */
export function requireFormat(name: string): CarrierFormat {
  const f = resolveFormat(name);
  if (!f) throw new MalformedError('carrier', 0, 'format', name, `unknown carrier format (known: ${FORMATS.map((x) => x.format).join(', ')})`);
  return f;
}

/**
 * The registry row that reads (kind, length) in `carrier`, honouring `accepts` predicates;
 * undefined when none does. No allocation.
 */
export function lookupFormat(carrier: CarrierKind, kind: number, length: number, bytes: Uint8Array, offset: number): CarrierFormat | undefined {
  const list = BY_KIND_LENGTH.get(carrier)?.get(kind * 256 + length);
  if (!list) return undefined;
  for (const f of list) if (!f.accepts || f.accepts(bytes, offset, length)) return f;
  return undefined;
}

/** Per carrier kind: a 256-entry flag table of the kinds/types some registry row uses. */
const KIND_FLAGS = new Map<CarrierKind, Uint8Array>();
for (const f of FORMATS) {
  if (f.kind === null || f.lookalike) continue;
  let t = KIND_FLAGS.get(f.carrier);
  if (!t) KIND_FLAGS.set(f.carrier, (t = new Uint8Array(256)));
  t[f.kind] = 1;
}

/** True when some registry row of `carrier` uses this kind at any length (table lookup, no allocation). */
export function isCarrierKind(carrier: CarrierKind, kind: number): boolean {
  return KIND_FLAGS.get(carrier)?.[kind] === 1;
}

/** Lengths the registry reads for a TCP kind (for --kinds "254" shorthand). */
export function registryLengths(carrier: CarrierKind, kind: number): number[] {
  const out: number[] = [];
  for (const f of FORMATS) if (f.carrier === carrier && f.kind === kind && !f.lookalike) for (const l of f.lengths) if (!out.includes(l)) out.push(l);
  return out.sort((a, b) => a - b);
}

export interface FormatDescription {
  row: string;
  format: string;
  carrier: CarrierKind;
  kind: string;
  lengths: string;
  family: string;
  address: 'client' | 'none' | 'not a carrier';
  vendors: string;
  packets: string;
  layout: string;
  aliases: string;
}

/** Plain rows for `toa decode --help`, README tables and `--json` listings. */
export function describeFormats(): FormatDescription[] {
  return FORMATS.map((f) => ({
    row: f.row,
    format: f.format,
    carrier: f.carrier,
    kind: f.kind === null ? '-' : f.format === 'host-id' ? '253/254' : String(f.kind),
    lengths: f.lengths.length === 0 ? 'variable' : f.lengths.join('/'),
    family: f.family,
    address: f.lookalike ? 'not a carrier' : f.carriesClientAddress ? 'client' : 'none',
    vendors: f.vendors.join('; '),
    packets: f.packets,
    layout: f.layout,
    aliases: f.aliases.join(', '),
  }));
}
