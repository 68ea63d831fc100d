/** pcap/pcapng link types (LINKTYPE_* values from the tcpdump.org registry) that the codec understands. */
export const LINKTYPE = Object.freeze({
  NULL: 0,
  ETHERNET: 1,
  RAW_OLD12: 12, // LINKTYPE_RAW on some BSDs (DLT_RAW = 12)
  RAW_OLD14: 14, // DLT_RAW on OpenBSD
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
});

const NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'EN10MB',
  12: 'RAW',
  14: 'RAW',
  101: 'RAW',
  108: 'LOOP',
  113: 'LINUX_SLL',
  228: 'IPV4',
  229: 'IPV6',
  276: 'LINUX_SLL2',
};

/** Name of a link type, `unknown(N)` when we do not decode it. */
export function linkTypeName(lt: number): string {
  return NAMES[lt] ?? `unknown(${lt})`;
}
