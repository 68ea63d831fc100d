/**
 * Carriers at the start of an L4 payload: PROXY v1 (TCP only), PROXY v2 (TCP and UDP) and
 * SPP (UDP only, magic 0x56EC). Never throws.
 */
import { decodeProxyV1, decodeProxyV2, looksLikeProxyV1, looksLikeProxyV2 } from './proxy.js';
import { decodeSpp, looksLikeSpp } from './spp.js';
import type { Carrier, CarrierNote } from './types.js';

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
  let c: Carrier | null = null;
  if (transport === 'tcp' && looksLikeProxyV1(bytes, start, end)) c = decodeProxyV1(bytes, start, end, notes);
  else if (looksLikeProxyV2(bytes, start, end)) c = decodeProxyV2(bytes, start, end, notes);
  else if (transport === 'udp' && options?.spp !== false && looksLikeSpp(bytes, start, end)) c = decodeSpp(bytes, start, end, notes);
  if (!c) return 0;
  out.push(c);
  return 1;
}
