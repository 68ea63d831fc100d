/**
 * Small helpers shared by the carrier decoders and encoders: address/port validation for
 * encoders (structured MalformedError, layer 'carrier'), and a Carrier constructor.
 */
import { parseIp } from '../codec/addr.js';
import { MalformedError } from '../codec/errors.js';
import type { Carrier, CarrierKind } from './types.js';

/** A fresh Carrier with only the common fields set (allocated only when something was found). */
export function newCarrier(carrier: CarrierKind, kind: number | null, length: number, format: string, offset: number): Carrier {
  return { carrier, kind, length, format, clientAddress: null, clientPort: null, offset };
}

/**
 * Address bytes for an encoder field: accepts 4/16 bytes or text. `size` 4 or 16 demands that
 * family; 0 accepts either. Throws MalformedError (layer 'carrier') naming the format and field.
 */
export function addressField(value: Uint8Array | string | undefined, size: 0 | 4 | 16, field: string, format: string): Uint8Array {
  if (value === undefined) throw new MalformedError('carrier', 0, field, 'missing', `format ${format} needs ${field}`);
  const bytes = typeof value === 'string' ? parseIp(value) : value;
  if (!bytes || (bytes.length !== 4 && bytes.length !== 16)) {
    throw new MalformedError('carrier', 0, field, String(typeof value === 'string' ? value : `${value.length} bytes`), `${field} of ${format} is not an IPv4 or IPv6 address`);
  }
  if (size !== 0 && bytes.length !== size) {
    throw new MalformedError('carrier', 0, field, typeof value === 'string' ? value : `${bytes.length} bytes`, `format ${format} carries an ${size === 4 ? 'IPv4' : 'IPv6'} ${field}`);
  }
  return bytes;
}

/** Integer field in [0, max]; throws MalformedError when missing or out of range. */
export function integerField(value: number | undefined, max: number, field: string, format: string, fallback?: number): number {
  const v = value ?? fallback;
  if (v === undefined) throw new MalformedError('carrier', 0, field, 'missing', `format ${format} needs ${field}`);
  if (!Number.isInteger(v) || v < 0 || v > max) throw new MalformedError('carrier', 0, field, v, `${field} of ${format} must be an integer 0..${max}`);
  return v;
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) check on 16 bytes at offset. */
export function isIpv4Mapped(bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 10; i++) if (bytes[offset + i] !== 0) return false;
  return bytes[offset + 10] === 0xff && bytes[offset + 11] === 0xff;
}
