/**
 * Carriers at the start of an L4 payload: PROXY v1 (TCP only), PROXY v2 (TCP and UDP) and
 * SPP (UDP only, magic 0x56EC). Never throws.
 */
import { decodeProxyV1, decodeProxyV2, looksLikeProxyV1, looksLikeProxyV2, PROXY_V1, PROXY_V2_SIGNATURE } from './proxy.js';
import { decodeSpp, looksLikeSpp, SPP } from './spp.js';
import type { Carrier, CarrierNote } from './types.js';

/** The first byte of each header looked for: a payload starting with none of them has none (nearly all). */
export const PROXY_V1_FIRST = PROXY_V1.PREFIX.charCodeAt(0);
export const PROXY_V2_FIRST = PROXY_V2_SIGNATURE[0]!;
export const SPP_FIRST = SPP.MAGIC_VALUE >>> 8;

export interface PayloadScanOptions {
  /** Look for SPP in UDP payloads (default true). */
  spp?: boolean;
}

/** Decode a carrier header at the start of the payload [start, end); returns the count pushed (0 or 1). */
export function scanPayload(
  bytes: Uint8Array, start: number, end: number, transport: 'tcp' | 'udp', out: Carrier[], notes?: CarrierNote[], options?: PayloadScanOptions,
): number {
  if (end > bytes.length) end = bytes.length;
  if (start < 0 || start >= end) return 0;
  const first = bytes[start];
  if (first !== PROXY_V1_FIRST && first !== PROXY_V2_FIRST && first !== SPP_FIRST) return 0;
  let c: Carrier | null = null;
  if (transport === 'tcp' && looksLikeProxyV1(bytes, start, end)) c = decodeProxyV1(bytes, start, end, notes);
  else if (looksLikeProxyV2(bytes, start, end)) c = decodeProxyV2(bytes, start, end, notes);
  else if (transport === 'udp' && options?.spp !== false && looksLikeSpp(bytes, start, end)) c = decodeSpp(bytes, start, end, notes);
  if (!c) return 0;
  out.push(c);
  return 1;
}
