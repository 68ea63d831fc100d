/**
 * yubo/ip_vs_ca UDP notification (toa-formats.md table 1b I8): a separate ICMP echo request
 * (type 8 code 0, id 0x1234, seq 0; ICMPv6 128 variant) whose payload is
 *   0 code 123, 1 protocol (6/17), 2 port, 4 port (the FNAT'd flow; which side is UNVERIFIED),
 *   6 a TOA struct: kind (sysctl tcpopt_addr, default 200; IPv6 variant 253), len 8|20, port, address.
 * Payload length 14 (IPv4) or 26 (IPv6). The carrier's `kind` is the inner TOA kind.
 */
import { formatIpv4, formatIpv6 } from '../codec/addr.js';
import { readU16, writeU16 } from '../codec/bytes.js';
import { addressField, integerField, newCarrier } from './fields.js';
import type { Carrier, CarrierFields } from './types.js';

export const IP_VS_CA = Object.freeze({
  CODE: 0,
  PROTOCOL: 1,
  SOURCE_PORT: 2,
  DESTINATION_PORT: 4,
  TOA: 6,
  TOA_KIND: 6,
  TOA_LENGTH: 7,
  TOA_PORT: 8,
  TOA_ADDRESS: 10,
  CODE_VALUE: 123,
  ECHO_ID: 0x1234,
  TOA_KIND_IPV4: 200,
  TOA_KIND_IPV6: 253,
});

/**
 * Decode an ip_vs_ca notification from an ICMP echo payload [start, end). Returns null when the
 * code byte is not 123, the protocol is not TCP/UDP, or the TOA struct is not len 8/20 within range.
 */
export function decodeIpVsCaNotification(bytes: Uint8Array, start: number, end: number): Carrier | null {
  if (end > bytes.length) end = bytes.length;
  if (end - start < IP_VS_CA.TOA_ADDRESS + 4) return null;
  if (bytes[start + IP_VS_CA.CODE] !== IP_VS_CA.CODE_VALUE) return null;
  const protocol = bytes[start + IP_VS_CA.PROTOCOL]!;
  if (protocol !== 6 && protocol !== 17) return null;
  const toaLength = bytes[start + IP_VS_CA.TOA_LENGTH]!;
  if ((toaLength !== 8 && toaLength !== 20) || end - start < IP_VS_CA.TOA + toaLength) return null;
  const c = newCarrier('icmp-echo', bytes[start + IP_VS_CA.TOA_KIND]!, IP_VS_CA.TOA + toaLength, 'ip-vs-ca-icmp', start);
  c.protocol = protocol;
  c.flowSourcePort = readU16(bytes, start + IP_VS_CA.SOURCE_PORT);
  c.flowDestinationPort = readU16(bytes, start + IP_VS_CA.DESTINATION_PORT);
  c.clientPort = readU16(bytes, start + IP_VS_CA.TOA_PORT);
  c.clientAddress = toaLength === 8 ? formatIpv4(bytes, start + IP_VS_CA.TOA_ADDRESS) : formatIpv6(bytes, start + IP_VS_CA.TOA_ADDRESS);
  return c;
}

/** The 14/26-byte echo payload (the caller builds the ICMP header: type 8, id 0x1234, seq 0). */
export function encodeIpVsCaNotification(f: CarrierFields): Uint8Array {
  const addr = addressField(f.clientAddress, 0, 'clientAddress', 'ip-vs-ca-icmp');
  const toaLength = addr.length + 4;
  const out = new Uint8Array(IP_VS_CA.TOA + toaLength);
  out[IP_VS_CA.CODE] = IP_VS_CA.CODE_VALUE;
  out[IP_VS_CA.PROTOCOL] = integerField(f.protocol, 0xff, 'protocol', 'ip-vs-ca-icmp', 17);
  writeU16(out, IP_VS_CA.SOURCE_PORT, integerField(f.flowSourcePort, 0xffff, 'flowSourcePort', 'ip-vs-ca-icmp', 0));
  writeU16(out, IP_VS_CA.DESTINATION_PORT, integerField(f.flowDestinationPort, 0xffff, 'flowDestinationPort', 'ip-vs-ca-icmp', 0));
  out[IP_VS_CA.TOA_KIND] = integerField(f.toaKind, 0xff, 'toaKind', 'ip-vs-ca-icmp', addr.length === 4 ? IP_VS_CA.TOA_KIND_IPV4 : IP_VS_CA.TOA_KIND_IPV6);
  out[IP_VS_CA.TOA_LENGTH] = toaLength;
  writeU16(out, IP_VS_CA.TOA_PORT, integerField(f.clientPort, 0xffff, 'clientPort', 'ip-vs-ca-icmp'));
  out.set(addr, IP_VS_CA.TOA_ADDRESS);
  return out;
}
