/** VXLAN (RFC 7348): the 8-byte header carried in UDP to port 4789, followed by an Ethernet frame. */
import { readU32, writeU32 } from './bytes.js';

export const VXLAN = Object.freeze({
  FLAGS: 0,
  /** VNI: bytes 4..6 (24 bits); byte 7 is reserved. */
  VNI: 4,
  HEADER: 8,
  /** The I flag: the VNI is valid. */
  FLAG_VNI_VALID: 0x08,
  UDP_PORT: 4789,
  VNI_MAX: 0xffffff,
});

/** True when the 8 bytes at `offset` look like a VXLAN header (I flag set); the caller checks the length. */
export function isVxlanHeader(bytes: Uint8Array, offset: number): boolean {
  return (bytes[offset + VXLAN.FLAGS]! & VXLAN.FLAG_VNI_VALID) !== 0;
}

/** The 24-bit VNI of the header at `offset`. */
export function vxlanVni(bytes: Uint8Array, offset: number): number {
  return readU32(bytes, offset + VXLAN.VNI) >>> 8;
}

/** Write a VXLAN header (I flag, reserved bytes zero) with `vni` at `offset`. */
export function writeVxlanHeader(bytes: Uint8Array, offset: number, vni: number): void {
  writeU32(bytes, offset + VXLAN.FLAGS, VXLAN.FLAG_VNI_VALID << 24);
  writeU32(bytes, offset + VXLAN.VNI, ((vni & VXLAN.VNI_MAX) << 8) >>> 0);
}
