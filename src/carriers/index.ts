/** Public API of the client-address carrier registry (see registry.ts for the format table). */
export type { Carrier, CarrierFields, CarrierKind, CarrierNote, CarrierNoteCode, ProxyTlv, AddressFamily } from './types.js';
export {
  FORMATS, KNOWN_EXIDS, describeFormats, resolveFormat, requireFormat, lookupFormat, isCarrierKind, registryLengths, wrapDestinationOptions, writePortAddress, writeOppShim,
  PORT_ADDRESS, TOA_EXTRA, TENCENT_VPC_ID, VIP_OPTION, VTOA_VPC, VTOA_VPC6, CDN_TOA, RFC6994, TTGW_IPV4, TTGW_IPV6, TTGW_V2_IPV4, TTGW_V2_IPV6, OPP, DEST_OPTS,
  type CarrierFormat, type FormatDescription,
} from './registry.js';
export { scanTcpOptions, classifyTcpOption, tcpOptionFormat, isPlainToaV4Option, encodeTcpCarrier, writeTcpCarrier, TCP_CARRIER, type TcpEncodeOptions, type PortAddressTcpFormat } from './tcp-option.js';
export { parseKindSpec, filterFormat, describeKindFilter, CUSTOM_FORMATS, type KindFilter } from './kinds.js';
export { scanIpv4Options, encodeIpv4OptionCarrier, writeIpv4OptionCarrier } from './ip-option.js';
export { scanIpv6DestOpts, encodeIpv6DestOptCarrier } from './ipv6-dstopt.js';
export { decodeOpp, encodeOppHeader, writeOppHeader, oppLength } from './opp.js';
export { scanPayload, PROXY_V1_FIRST, PROXY_V2_FIRST, SPP_FIRST, type PayloadScanOptions } from './payload.js';
export {
  decodeProxyV1, decodeProxyV2, encodeProxyV1, encodeProxyV2, looksLikeProxyV1, looksLikeProxyV2, proxyTlvName, crc32c,
  PROXY_V1, PROXY_V2, PROXY_V2_SIGNATURE, PROXY_TLV,
} from './proxy.js';
export { decodeSpp, encodeSpp, looksLikeSpp, SPP } from './spp.js';
export { decodeIpVsCaNotification, encodeIpVsCaNotification, IP_VS_CA } from './icmp-notify.js';

import { MalformedError, TruncatedError } from '../codec/errors.js';
import { requireFormat } from './registry.js';
import type { Carrier, CarrierFields } from './types.js';

/** Encode any registry format by name (dispatches through the table). */
export function encodeCarrier(format: string, fields: CarrierFields): Uint8Array {
  return requireFormat(format).encode(fields);
}

/**
 * Decode one occurrence of a named format at `offset`. Option rows: `length` is the length byte
 * and must be one of the row's lengths (MalformedError otherwise; TruncatedError when the bytes
 * end first). Payload rows: `length` is the number of bytes available; null when not a header.
 */
export function decodeCarrier(format: string, bytes: Uint8Array, offset: number, length: number): Carrier | null {
  const f = requireFormat(format);
  if (f.kind !== null && !f.lookalike) {
    if (!f.lengths.includes(length)) throw new MalformedError('carrier', offset, 'length', length, `format ${f.format} has length ${f.lengths.join(' or ')}`);
    const total = f.carrier === 'ipv6-dstopt' ? length + 2 : f.carrier === 'opp' ? length + 4 : length;
    if (offset < 0 || offset + total > bytes.length) throw new TruncatedError('carrier', offset, total, Math.max(0, bytes.length - offset), 'carrier length');
  } else if (offset < 0 || offset > bytes.length) {
    throw new TruncatedError('carrier', offset, 1, 0, 'carrier offset');
  }
  return f.decode(bytes, offset, Math.min(length, bytes.length - offset));
}

