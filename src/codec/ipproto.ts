/** IP protocol / IPv6 next-header numbers used by the codec. */
export const IPPROTO = Object.freeze({
  HOPOPTS: 0,
  ICMP: 1,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
  SCTP: 132,
  /** DPVS / ByteDance UOA "opp" shim protocol. */
  OPP: 248,
});
