/**
 * SPP header (Cloudflare Spectrum / Tencent EdgeOne "Simple Proxy Protocol") at the start of a
 * UDP datagram (toa-formats.md table 1c P3): magic 0x56EC, client address (16 bytes, IPv4-mapped
 * for IPv4), proxy address (16), client port, proxy port; 38 bytes.
 */
import { formatIpv4, formatIpv6 } from '../codec/addr.js';
import { readU16, writeU16 } from '../codec/bytes.js';
import { addressField, integerField, isIpv4Mapped, newCarrier } from './fields.js';
import type { Carrier, CarrierFields, CarrierNote } from './types.js';

export const SPP = Object.freeze({ MAGIC: 0, CLIENT_ADDRESS: 2, PROXY_ADDRESS: 18, CLIENT_PORT: 34, PROXY_PORT: 36, HEADER: 38, MAGIC_VALUE: 0x56ec });

function addressText(bytes: Uint8Array, offset: number): string {
  return isIpv4Mapped(bytes, offset) ? formatIpv4(bytes, offset + 12) : formatIpv6(bytes, offset);
}

/** True when the range starts with the SPP magic. */
export function looksLikeSpp(bytes: Uint8Array, start: number, end: number): boolean {
  return end - start >= 2 && start + 1 < bytes.length && readU16(bytes, start) === SPP.MAGIC_VALUE;
}

/** Decode an SPP header at `start`; null (with a note) when the datagram is shorter than 38 bytes. */
export function decodeSpp(bytes: Uint8Array, start: number, end: number, notes?: CarrierNote[]): Carrier | null {
  if (end > bytes.length) end = bytes.length;
  if (!looksLikeSpp(bytes, start, end)) return null;
  if (end - start < SPP.HEADER) {
    notes?.push({ code: 'spp-truncated', carrier: 'spp', offset: start, kind: null, length: end - start, severity: 'warning', message: `SPP magic at byte ${start} but only ${end - start} of 38 header bytes` });
    return null;
  }
  const c = newCarrier('spp', null, SPP.HEADER, 'spp', start);
  c.clientAddress = addressText(bytes, start + SPP.CLIENT_ADDRESS);
  c.virtualAddress = addressText(bytes, start + SPP.PROXY_ADDRESS);
  c.clientPort = readU16(bytes, start + SPP.CLIENT_PORT);
  c.virtualPort = readU16(bytes, start + SPP.PROXY_PORT);
  return c;
}

function mapped(a: Uint8Array): Uint8Array {
  if (a.length === 16) return a;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(a, 12);
  return out;
}

/** 38-byte SPP header; IPv4 addresses are written IPv4-mapped. */
export function encodeSpp(f: CarrierFields): Uint8Array {
  const out = new Uint8Array(SPP.HEADER);
  writeU16(out, SPP.MAGIC, SPP.MAGIC_VALUE);
  out.set(mapped(addressField(f.clientAddress, 0, 'clientAddress', 'spp')), SPP.CLIENT_ADDRESS);
  out.set(mapped(addressField(f.virtualAddress, 0, 'virtualAddress', 'spp')), SPP.PROXY_ADDRESS);
  writeU16(out, SPP.CLIENT_PORT, integerField(f.clientPort, 0xffff, 'clientPort', 'spp'));
  writeU16(out, SPP.PROXY_PORT, integerField(f.virtualPort, 0xffff, 'virtualPort', 'spp'));
  return out;
}
