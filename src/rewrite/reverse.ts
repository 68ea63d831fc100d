/**
 * `inject-toa --reverse`: a backend-leg capture (LIP <-> RS, client->server packets carrying TOA)
 * becomes the client-leg capture (client <-> VIP), the exact inverse of `--fnat` where DPVS's
 * translation is invertible.
 *
 * Two passes over the input:
 *   1. prescan: every TCP flow's first carrier (kind 254, 253 for an IPv6 client with --format lvs,
 *      200 for tencent/ucloud/jd; length 8 or 20) seen on a LIP->RS packet gives the flow's client
 *      address and port. Packets before the carrier (the SYN, the SYN-ACK) need it too, hence the pass.
 *   2. rewrite: LIP->RS packets through fnatInboundInverse (carrier read and removed, seq −= Δf,
 *      addresses client -> VIP, ports cport -> vport, 4to6 when the carrier is 254/20 in IPv4 and
 *      --vip is IPv6); RS->LIP packets through fnatOutbound (they are what DPVS received from the
 *      RS: window scaling, SYN-ACK MSS −8/−20, ack −= Δf, SACK −= Δf, addresses VIP -> client).
 *
 * Not recoverable (documented, not guessed): options DPVS pruned to make room, SYN timestamps it
 * turned into NOPs (they stay NOPs), PROXY headers, the IPv4 ID/TOS/flags dropped by NAT46, and
 * Δf: it is 0 (the client ISN is the LIP's ISN, as `--fnat` without `--fnat-isn` produces) unless
 * `--client-isn N` names the client's ISN (one connection). A later connection on the same 4-tuple
 * uses the first connection's client until its own carrier appears (fnatInboundInverse then
 * switches to it). Flows without any carrier, UDP and other protocols pass through unchanged and
 * are counted (skipped 'no-carrier', other-protocol).
 */
import type { Endpoint } from '../codec/addr.js';
import { readU32 } from '../codec/bytes.js';
import { openCapture } from '../codec/capture.js';
import type { BufferedRecord } from '../codec/capture.js';
import type { PacketRecord } from '../codec/capture-types.js';
import { CliError } from '../codec/errors.js';
import { IPPROTO } from '../codec/ipproto.js';
import { TCP, TCP_FLAG } from '../codec/tcp.js';
import { FnatResult, createFnatConnection, fnatInboundInverse, fnatOutbound, type FnatConnection, type FnatOptions } from '../dpvs/fnat.js';
import { PacketLayout, parseLayout, type ChecksumMode } from '../dpvs/l4fix.js';
import { findOption } from '../dpvs/toa-insert.js';
import { ChecksumAudit } from './checksum-audit.js';
import type { PacketRewriter, RewriteEngine } from './engine.js';
import { FlowTable, portAIsServer, type Flow } from './flows.js';
import { FrameLayout, locateIp, setLinkFamily } from './link.js';
import type { RewriteSummary } from './summary.js';

export interface ReverseOptions {
  /** The virtual service the client connected to (family of the client leg). */
  vip: Endpoint & { port: number };
  /** Option kind of the carrier for IPv4 clients (8 bytes) and IPv6 clients (20 bytes). */
  kindV4: number;
  kindV6: number;
  /** The client's ISN (Δf = LIP ISN − this), or null: Δf = 0. */
  clientIsn: number | null;
  wscaleRs: number;
  wscaleVs: number;
  checksum: ChecksumMode;
  server: Endpoint | null;
}

const SYN_ACK = TCP_FLAG.SYN | TCP_FLAG.ACK;

export class ReverseRewriter implements PacketRewriter {
  readonly flows = new FlowTable();
  private readonly layout = new PacketLayout();
  private readonly audit = new ChecksumAudit();
  private readonly result = new FnatResult();
  private readonly good: FnatOptions;
  private readonly bad: FnatOptions;
  private readonly inverseGood: FnatOptions[];
  private readonly inverseBad: FnatOptions[];

  constructor(private readonly options: ReverseOptions) {
    this.good = { checksum: options.checksum };
    this.bad = { checksum: 'incremental' };
    // per carrier kind (index 0: IPv4 client, 1: IPv6 client)
    this.inverseGood = [options.kindV4, options.kindV6].map((carrierKind) => ({ checksum: options.checksum, carrierKind }));
    this.inverseBad = [options.kindV4, options.kindV6].map((carrierKind) => ({ checksum: 'incremental' as ChecksumMode, carrierKind }));
  }

  /** Pass 1: the client address and port of every TCP flow, from its first carrier. */
  async prescan(input: string): Promise<void> {
    const reader = await openCapture(input);
    const frame = new FrameLayout();
    const layout = this.layout;
    const flows = this.flows;
    try {
      await reader.read((rec: PacketRecord) => {
        const data = rec.data;
        if (!locateIp(data, rec.linkType, frame)) return;
        if (parseLayout(data, frame.l3, frame.ipCaptured, layout) !== 'ok' || layout.protocol !== IPPROTO.TCP) return;
        const flow = flows.lookup(IPPROTO.TCP, data, frame.l3, layout.af, layout.l4);
        if (flows.created) this.decideSides(flow);
        const flags = data[layout.l4 + TCP.FLAGS]!;
        this.sideFromSyn(flow, flags, flows.lastForward);
        if (flow.carrier !== null || flows.lastForward !== flow.clientIsA) return;
        const at = this.findCarrier(data, layout);
        if (at >= 0) flow.carrier = data.slice(at, at + data[at + 1]!);
      });
    } catch {
      // damage: pass 2 meets it again at the same packet and reports it
    } finally {
      await reader.close();
    }
  }

  /** The first 8- or 20-byte carrier of the kinds in use, or -1. */
  private findCarrier(data: Uint8Array, layout: PacketLayout): number {
    const { kindV4, kindV6 } = this.options;
    const a = findOption(data, layout, kindV4, 8);
    const b = findOption(data, layout, kindV6, 20);
    if (a < 0) return b;
    if (b < 0) return a;
    return Math.min(a, b);
  }

  private decideSides(flow: Flow): void {
    const server = this.options.server;
    if (server !== null) {
      const matchA = sameAddress(flow.addressA, server.address) && (server.port === null || server.port === flow.portA);
      const matchB = sameAddress(flow.addressB, server.address) && (server.port === null || server.port === flow.portB);
      if (matchA !== matchB) {
        flow.clientIsA = matchB;
        flow.sideFrom = 'server-option';
        return;
      }
    }
    flow.clientIsA = !portAIsServer(flow.portA, flow.portB);
    flow.sideFrom = 'ports';
  }

  private sideFromSyn(flow: Flow, flags: number, forward: boolean): void {
    if ((flags & TCP_FLAG.SYN) === 0) return;
    flow.clientIsA = (flags & TCP_FLAG.ACK) === 0 ? forward : !forward;
    flow.sideFrom = 'syn';
  }

  rewrite(rec: BufferedRecord, frame: FrameLayout, engine: RewriteEngine): number {
    const s = engine.summary;
    const data = rec.data;
    const layout = this.layout;
    const status = parseLayout(data, frame.l3, frame.ipCaptured, layout);
    if (status === 'fragment') {
      s.fragmentsPassed++;
      return -1;
    }
    if (status !== 'ok') {
      s.unparsedPassed++;
      return -1;
    }
    if (layout.protocol !== IPPROTO.TCP) {
      s.otherProtocolPassed++;
      return -1;
    }
    const flows = this.flows;
    const flow = flows.lookup(IPPROTO.TCP, data, frame.l3, layout.af, layout.l4);
    if (flows.created) this.decideSides(flow);
    const forward = flows.lastForward;
    const flags = data[layout.l4 + TCP.FLAGS]!;
    if (flows.created) this.sideFromSyn(flow, flags, forward); // sides were settled by the prescan otherwise
    const fromClient = forward === flow.clientIsA;
    if (fromClient) flow.packetsClientToServer++;
    else flow.packetsServerToClient++;
    const conn = this.connection(flow, data, layout.l4, flags, fromClient);
    if (conn === null) {
      if (fromClient) {
        s.skipped['no-carrier']++;
        flow.skip('no-carrier');
      }
      return -1;
    }
    const buf = engine.copyFrame(rec);
    this.audit.audit(buf, layout);
    const cut = !layout.complete;
    const transportBad = this.audit.transportBad;
    const v6Client = conn.af === 6 ? 1 : 0;
    const r = fromClient
      ? fnatInboundInverse(conn, buf, frame.l3, frame.ipCaptured, transportBad ? this.inverseBad[v6Client] : this.inverseGood[v6Client], this.result)
      : fnatOutbound(conn, buf, frame.l3, frame.ipCaptured, transportBad ? this.bad : this.good, this.result);
    if (r.status !== 'ok') {
      if (r.status === 'fragment') s.fragmentsPassed++;
      else s.unparsedPassed++;
      return -1;
    }
    if (r.carrierFound) {
      s.carriersRemoved++;
      flow.carriersRemoved++;
    }
    const newAf = r.layout.af;
    if (newAf !== frame.af && !setLinkFamily(buf, rec.linkType, frame, newAf)) {
      throw new CliError(`packet ${rec.index}: link type ${rec.linkType} fixes the IP version, so the NAT46 translation cannot be written in it`, 1);
    }
    if (frame.af === 4 && newAf === 4) this.audit.restoreIpv4Error(buf, frame.l3);
    if (this.audit.bad) s.badChecksumsKept++;
    if (cut && this.options.checksum !== 'keep') s.truncatedIncremental++;
    return engine.finishFrame(rec, r.newLength);
  }

  /** The flow's FNAT connection (client from the carrier), or null when the flow has no usable carrier. */
  private connection(flow: Flow, data: Uint8Array, l4: number, flags: number, fromClient: boolean): FnatConnection | null {
    const seq = fromClient ? readU32(data, l4 + TCP.SEQ) : 0;
    if (fromClient && !flow.clientIsnKnown) {
      flow.clientIsn = (flags & SYN_ACK) === TCP_FLAG.SYN ? seq : (seq - 1) >>> 0;
      flow.clientIsnKnown = true;
    }
    let conn = flow.connection;
    if (conn !== null) return conn;
    const carrier = flow.carrier;
    if (carrier === null) return null;
    const vip = this.options.vip;
    const clientLength = carrier[1] === 20 ? 16 : 4;
    if (clientLength !== vip.address.length) return null;
    const client = carrier.slice(4, 4 + clientLength);
    const localIsn = flow.clientIsnKnown ? flow.clientIsn : 0;
    const clientIsn = this.options.clientIsn ?? localIsn;
    conn = createFnatConnection({
      client,
      clientPort: (carrier[2]! << 8) | carrier[3]!,
      vip: vip.address,
      vipPort: vip.port,
      local: flow.clientAddress,
      localPort: flow.clientPort,
      real: flow.serverAddress,
      realPort: flow.serverPort,
      fnatIsn: localIsn,
      clientIsn,
      wscaleRs: this.options.wscaleRs,
      wscaleVs: this.options.wscaleVs,
      uoaMode: 'off',
      toaWhen: 'off',
    });
    flow.connection = conn;
    return conn;
  }

  finish(summary: RewriteSummary): void {
    summary.flows = this.flows.size;
    let ports = 0;
    for (const f of this.flows.flows) if (f.sideFrom === 'ports') ports++;
    summary.flowsSideFromPorts = ports;
  }
}

function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
