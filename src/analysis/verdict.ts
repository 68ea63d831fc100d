/**
 * The per-connection verdict of `toa stats`, seen from the backend: does the ACK that completes
 * the handshake (the only packet backend modules read, toa-formats.md §1 legend "ACK3") carry a
 * client address the chosen module reads? If not, the first matching reason, in this order:
 *
 * | verdict        | meaning |
 * |----------------|---------|
 * | client-leg     | the connection is the client→VIP leg (see anomalies.ts): not judged |
 * | no-handshake   | the SYN or the handshake ACK is not in the capture |
 * | ok             | the module reads a client address (NAT64: through getsockopt) |
 * | unread-kind    | the handshake ACK carries a client address in a format the module does not read |
 * | mtu            | the handshake ACK is longer than MTU − carrier length (DPVS EDPVS_FRAG, dpvs.md §3 row 3) |
 * | no-room        | the TCP header has less than carrier-length bytes left (60 − doff·4; DPVS EDPVS_NOROOM) |
 * | syn-only       | a carrier is on the SYN only (LVS before toa_entry / DPVS ≤ 1.9.4 style); modules read the ACK |
 * | data-only      | a carrier is only on later client packets |
 * | proxy-protocol | no carrier, but a PROXY protocol header starts the client payload (the backend must parse it) |
 * | no-carrier     | nothing at all: the load balancer did not insert one |
 *
 * The carrier length used for the MTU and room checks is the one of a carrier seen elsewhere in the
 * connection, else 8 for IPv4 packets and 20 for IPv6 packets (DPVS picks it by client family,
 * unknown without a carrier; for NAT64 flows with no carrier at all the check uses 8).
 */
import type { PeerOutcome } from './modules.js';
import { CARRIER_SLOT, D, FLOW_FLAG, I, type FlowTable } from './flows.js';

export const VERDICTS = [
  'ok', 'unread-kind', 'mtu', 'no-room', 'syn-only', 'data-only', 'proxy-protocol', 'no-carrier', 'no-handshake', 'client-leg',
] as const;
export type Verdict = (typeof VERDICTS)[number];

/** One-line explanation per verdict (text report and JSON `meaning`). */
export const VERDICT_MEANING: Readonly<Record<Verdict, string>> = Object.freeze({
  ok: 'the handshake ACK carries a client address the backend module reads',
  'unread-kind': 'the handshake ACK carries a client address in a kind/length the backend module does not read',
  mtu: 'the handshake ACK plus the carrier would exceed the MTU (load balancer skips the carrier: DPVS EDPVS_FRAG)',
  'no-room': 'the TCP header of the handshake ACK has no room left for the carrier (DPVS EDPVS_NOROOM)',
  'syn-only': 'the carrier is only on the SYN; backend modules read the handshake ACK',
  'data-only': 'the carrier is only on later client packets, not on the handshake ACK',
  'proxy-protocol': 'no carrier option, but a PROXY protocol header starts the client data',
  'no-carrier': 'no client-address carrier on any client packet of the connection',
  'no-handshake': 'the SYN or the handshake-completing ACK is not in the capture',
  'client-leg': 'client→VIP leg (the packet source is the client): not judged',
});

/** Verdicts that count as "the backend misses the client address" (for --fail-on-missing). */
export const MISSING_VERDICTS: ReadonlySet<Verdict> = new Set<Verdict>(['unread-kind', 'mtu', 'no-room', 'syn-only', 'data-only', 'no-carrier']);

export interface VerdictOptions {
  /** --mtu (default 1500). */
  mtu: number;
}

/** Carrier length in the TCP header that the load balancer would have to add. */
export function carrierLength(table: FlowTable, flow: number): number {
  const known = table.carrier(flow, CARRIER_SLOT.FIRST);
  if (known !== null && known.carrier === 'tcp-option') return known.length;
  return table.int(flow, I.ACK_IP_VERSION) === 6 ? 20 : 8;
}

/**
 * Classify the finished connection of row `flow`. `outcome` is what the chosen module returns;
 * `clientLeg` from the leg heuristic.
 */
export function classifyFlow(table: FlowTable, flow: number, outcome: PeerOutcome, clientLeg: boolean, options: VerdictOptions): Verdict {
  if (clientLeg) return 'client-leg';
  if (table.double(flow, D.SYN_COUNT) === 0 || table.double(flow, D.ACK_PACKET) === 0) return 'no-handshake';
  if (outcome !== 'lb') return 'ok';
  // the SYN and ACK slots only hold carriers that name a client address
  if (table.hasCarrier(flow, CARRIER_SLOT.ACK)) return 'unread-kind';
  const need = carrierLength(table, flow);
  if (table.int(flow, I.ACK_IP_LENGTH) > options.mtu - need) return 'mtu';
  if (60 - table.int(flow, I.ACK_TCP_HEADER_LENGTH) < need) return 'no-room';
  if (table.hasCarrier(flow, CARRIER_SLOT.SYN)) return 'syn-only';
  if (table.hasCarrier(flow, CARRIER_SLOT.LATER)) return 'data-only';
  if ((table.flags(flow) & FLOW_FLAG.PROXY_HEADER) !== 0) return 'proxy-protocol';
  return 'no-carrier';
}
