/**
 * The counters of one rewriting run (`inject-toa`, `strip`) and the per-flow report.
 *
 * Invariant checked at the end of every run: packetsOut == packetsIn + standalone packets
 * (UOA and PROXY standalone packets are extra packets DPVS sends before the original).
 * JSON keys are fixed (`--json` prints RewriteSummary as it is).
 */
import { formatIp } from '../codec/addr.js';
import { SKIP_REASONS, type Flow, type SkipReason } from './flows.js';

export interface RewriteSummary {
  command: 'inject-toa' | 'strip';
  input: string;
  output: string;
  packetsIn: number;
  packetsOut: number;
  /** Packets whose bytes were rewritten (a carrier, a translation, a sequence shift, a prune side effect). */
  packetsRewritten: number;
  carriersInserted: number;
  carriersRemoved: number;
  /** TCP carriers overwritten with NOPs (strip --nop, or DPVS ≤ 1.9.4 failure path). */
  carriersNopped: number;
  standaloneUoa: number;
  standaloneProxy: number;
  /** Client->server packets without a carrier, by reason (inject). */
  skipped: Record<SkipReason, number>;
  /** Packets where DPVS's option pruning changed bytes. */
  prunedPackets: number;
  fragmentsPassed: number;
  /** Frames with no IP packet (ARP, unknown link types) or with an IP/transport header cut or damaged. */
  nonIpPassed: number;
  unparsedPassed: number;
  /** Neither TCP nor UDP (ICMP, ...): passed unchanged. */
  otherProtocolPassed: number;
  /** Rewritten packets whose input IP or transport checksum was already wrong: kept wrong by the same amount. */
  badChecksumsKept: number;
  /** Rewritten packets cut by the snap length: transport checksum updated incrementally (RFC 1624). */
  truncatedIncremental: number;
  flows: number;
  /** Flows whose client side was inferred from ports (no SYN / SYN-ACK seen and no --server match). */
  flowsSideFromPorts: number;
  /** The error that stopped the run (damaged input), or null. */
  error: string | null;
}

export function emptySkipped(): Record<SkipReason, number> {
  const out = {} as Record<SkipReason, number>;
  for (const r of SKIP_REASONS) out[r] = 0;
  return out;
}

export function newSummary(command: RewriteSummary['command'], input: string, output: string): RewriteSummary {
  return {
    command,
    input,
    output,
    packetsIn: 0,
    packetsOut: 0,
    packetsRewritten: 0,
    carriersInserted: 0,
    carriersRemoved: 0,
    carriersNopped: 0,
    standaloneUoa: 0,
    standaloneProxy: 0,
    skipped: emptySkipped(),
    prunedPackets: 0,
    fragmentsPassed: 0,
    nonIpPassed: 0,
    unparsedPassed: 0,
    otherProtocolPassed: 0,
    badChecksumsKept: 0,
    truncatedIncremental: 0,
    flows: 0,
    flowsSideFromPorts: 0,
    error: null,
  };
}

export interface FlowReport {
  flow: number;
  protocol: 'tcp' | 'udp';
  client: string;
  clientPort: number;
  server: string;
  serverPort: number;
  clientSide: 'syn' | 'server-option' | 'ports';
  packetsClientToServer: number;
  packetsServerToClient: number;
  carriersInserted: number;
  carriersRemoved: number;
  standalonePackets: number;
  skipped: Partial<Record<SkipReason, number>>;
}

export function flowReport(flow: Flow): FlowReport {
  const size = flow.af === 4 ? 4 : 16;
  const skipped: Partial<Record<SkipReason, number>> = {};
  for (const [k, v] of flow.skipped) skipped[k] = v;
  return {
    flow: flow.id,
    protocol: flow.protocol === 6 ? 'tcp' : 'udp',
    client: formatIp(flow.clientAddress, 0, size),
    clientPort: flow.clientPort,
    server: formatIp(flow.serverAddress, 0, size),
    serverPort: flow.serverPort,
    clientSide: flow.sideFrom,
    packetsClientToServer: flow.packetsClientToServer,
    packetsServerToClient: flow.packetsServerToClient,
    carriersInserted: flow.carriersInserted,
    carriersRemoved: flow.carriersRemoved,
    standalonePackets: flow.standalonePackets,
    skipped,
  };
}
