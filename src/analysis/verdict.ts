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
import type { PeerResult } from './modules.js';
import type { FlowRecord } from './flows.js';

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
export function carrierLength(flow: FlowRecord): number {
  const known = flow.firstCarrier;
  if (known !== null && known.carrier === 'tcp-option') return known.length;
  return flow.ackIpVersion === 6 ? 20 : 8;
}

function hasClientCarrier(list: readonly { clientAddress: string | null }[] | null): boolean {
  if (list === null) return false;
  for (const c of list) if (c.clientAddress !== null) return true;
  return false;
}

/** Classify a finished connection. `peer` is the chosen module's result; `clientLeg` from the leg heuristic. */
export function classifyFlow(flow: FlowRecord, peer: PeerResult, clientLeg: boolean, options: VerdictOptions): Verdict {
  if (clientLeg) return 'client-leg';
  if (flow.synCount === 0 || flow.ackPacket === 0) return 'no-handshake';
  if (peer.outcome !== 'lb') return 'ok';
  if (hasClientCarrier(flow.ackCarriers)) return 'unread-kind';
  const need = carrierLength(flow);
  if (flow.ackIpLength > options.mtu - need) return 'mtu';
  if (60 - flow.ackTcpHeaderLength < need) return 'no-room';
  if (hasClientCarrier(flow.synCarriers)) return 'syn-only';
  if (flow.laterCarrier !== null) return 'data-only';
  if (flow.proxyHeader) return 'proxy-protocol';
  return 'no-carrier';
}
