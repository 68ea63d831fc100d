/** ICMP (RFC 792) and ICMPv6 (RFC 4443): header offsets and the message types we name. */

export const ICMP = Object.freeze({
  TYPE: 0,
  CODE: 1,
  CHECKSUM: 2,
  /** Echo identifier / sequence (the second word of every ICMP header is type-specific). */
  IDENTIFIER: 4,
  SEQUENCE: 6,
  /** Type, code, checksum. */
  MIN_HEADER: 4,
  /** Type, code, checksum and the 4-byte rest-of-header word. */
  HEADER: 8,
});

export const ICMP_TYPE = Object.freeze({
  ECHO_REPLY: 0,
  DESTINATION_UNREACHABLE: 3,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
});

export const ICMPV6_TYPE = Object.freeze({
  DESTINATION_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAMETER_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  NEIGHBOR_SOLICITATION: 135,
  NEIGHBOR_ADVERTISEMENT: 136,
});

/** True for ICMP/ICMPv6 error messages (which quote the offending packet after the header). */
export function isIcmpError(ipVersion: number, type: number): boolean {
  if (ipVersion === 6) return type < 128;
  return (
    type === ICMP_TYPE.DESTINATION_UNREACHABLE ||
    type === ICMP_TYPE.REDIRECT ||
    type === ICMP_TYPE.TIME_EXCEEDED ||
    type === ICMP_TYPE.PARAMETER_PROBLEM
  );
}
