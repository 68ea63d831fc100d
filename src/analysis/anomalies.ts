/**
 * Anomalies reported by `toa stats`: counters with the first few examples each (bounded memory).
 *
 * How the client→VIP leg is told apart from the LB→backend leg (full-NAT), documented here
 * because several anomalies depend on it:
 * - On the client→VIP leg the packet's own source IS the client, so any carrier there was put in
 *   by the client (or a proxy in front of it): the load balancer must strip it, otherwise a
 *   backend trusting it can be fooled (iqiyi/dpvs#925, peers.md §5 pain 5).
 * - On the LB→backend leg the source is the load balancer's local address and the carrier names
 *   a *different* address: the client's.
 * - A capture taken on the load balancer holds both legs. A connection is taken to be on the
 *   client leg when its client endpoint (address and port) is the client endpoint named by a
 *   carrier of another connection (the backend-leg twin of the same full-NAT session), or, with
 *   `--vip IP[:PORT]`, when its server side is a named VIP. Connections finished before their
 *   twin's carrier was seen (4-tuple reused mid-capture) are judged with the carriers seen so far.
 * - Independently, a carrier whose address equals the packet's own source address is reported
 *   ('carrier-is-source'): on a real backend leg that cannot happen.
 */

export const ANOMALIES = {
  'multiple-carriers': { unit: 'packets', description: 'more than one client-address carrier in one packet (which one does the backend read?)' },
  'carrier-server-to-client': { unit: 'packets', description: 'a client-address carrier on a server→client packet' },
  'carrier-on-client-leg': {
    unit: 'connections',
    description: 'carriers on the client→VIP leg: client-supplied, the load balancer must strip them (spoofing risk)',
  },
  'carrier-is-source': { unit: 'packets', description: "a carrier's client address equals the packet's own source address" },
  'tcp-fast-open': { unit: 'packets', description: 'kind 254 with ExID 0xF989 read as TCP Fast Open, not as a client address' },
  'exid-collision': {
    unit: 'packets',
    description: 'a TOA whose client port equals an RFC 6994 ExID (tcpdump/tshark misread it as an experiment)',
  },
  'host-id': { unit: 'packets', description: 'kind 253/254 with ExID 0x0348: RFC 7974 Host ID, not a client address' },
  'malformed-option': { unit: 'packets', description: 'malformed options or carrier headers (bad length, overrun, damaged shim or PROXY header)' },
  'synack-window-zero': { unit: 'connections', description: 'SYN-ACK with window 0 (DPVS SYN proxy close_client_window); time until the window opened' },
  'rst-ttl-63': { unit: 'connections', description: 'server RST with TTL 63 before any server data (DPVS SYN-proxy bad-cookie RST signature)' },
  'syn-retransmission': { unit: 'connections', description: 'the client SYN was retransmitted (same sequence number)' },
  'handshake-no-data': { unit: 'connections', description: 'the handshake completed and no payload followed in either direction' },
} as const;

export type AnomalyCode = keyof typeof ANOMALIES;
export const ANOMALY_CODES = Object.keys(ANOMALIES) as AnomalyCode[];

export interface AnomalyExample {
  /** "client > server" (or "source > destination" for packets outside a TCP connection). */
  flow: string;
  file: string;
  /** Packet number in that file (1-based). */
  packet: number;
  detail: string;
}

export interface AnomalyEntry {
  code: AnomalyCode;
  unit: 'packets' | 'connections';
  description: string;
  count: number;
  examples: AnomalyExample[];
}

export class AnomalyTally {
  private readonly counts = new Map<AnomalyCode, number>();
  private readonly examples = new Map<AnomalyCode, AnomalyExample[]>();

  /** `limit`: examples kept per code (0 = all). */
  constructor(private readonly limit: number) {}

  /** True when an example for `code` would still be kept (lets callers skip building text). */
  wantsExample(code: AnomalyCode): boolean {
    if (this.limit === 0) return true;
    const list = this.examples.get(code);
    return list === undefined || list.length < this.limit;
  }

  /** Count one occurrence; `example` is built only when kept. */
  add(code: AnomalyCode, example?: () => AnomalyExample): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
    if (example !== undefined && this.wantsExample(code)) {
      let list = this.examples.get(code);
      if (list === undefined) this.examples.set(code, (list = []));
      list.push(example());
    }
  }

  count(code: AnomalyCode): number {
    return this.counts.get(code) ?? 0;
  }

  /** Every code, in the table order, zero counts included. */
  entries(): AnomalyEntry[] {
    return ANOMALY_CODES.map((code) => ({
      code,
      unit: ANOMALIES[code].unit,
      description: ANOMALIES[code].description,
      count: this.counts.get(code) ?? 0,
      examples: this.examples.get(code) ?? [],
    }));
  }
}
