/**
 * DPVS v1.10.2 full-NAT model on raw L3 packets (spec/dpvs.md §2-§4, §6, §7).
 *
 * ===================================================================================== API
 * Connection record (one per flow, mutable, owned by the caller):
 *   createFnatConnection(init: FnatConnectionInit): FnatConnection
 *
 * Handlers (edit buf in place, return the reused result object; never throw on bad packets):
 *   fnatInbound(conn, buf, l3, len, opts?, result?): FnatResult          client -> RS (tcp_fnat_in_handler + xmit)
 *   fnatOutbound(conn, buf, l3, len, opts?, result?): FnatResult         RS -> client (tcp_fnat_out_handler + xmit)
 *   fnatOutboundInverse(conn, buf, l3, len, opts?, result?): FnatResult  V->C packet  -> the R->L packet DPVS got
 *   fnatInboundInverse(conn, buf, l3, len, opts?, result?): FnatResult   L->R packet  -> the C->V packet (TOA removed)
 *   buildExpiryRst(conn, toward, out, offset): number                     tcp_send_rst on expiry
 * Low-level pieces (DPVS names):
 *   adjustSeqInbound (tcp_in_adjust_seq + synproxy dnat), adjustSeqOutbound (tcp_out_adjust_seq +
 *   synproxy snat incl. the ACK-storm check), isAckStorm (syn_proxy_is_ack_storm), sackAdjust,
 *   adjustMss (tcp_out_adjust_mss), adjustWindow (tcp_out_adjust_window), toaEligible;
 *   addToa/pruneOptions/removeTimestamp in toa-insert.ts and prune.ts; UOA in uoa.ts; PROXY in
 *   proxy-protocol.ts; mbuf_6to4/4to6 in nat64.ts; lengths/checksums in l4fix.ts.
 *
 * Buffer contract: buf holds an IP packet at l3 with `len` captured bytes (may be fewer than the IP
 * length says: snaplen) and at least 128 spare bytes after it (buf.length >= l3 + len + 128):
 * TOA needs 20 (40 at most for a custom carrier), PROXY v1 up to 107, NAT46 20, opp shim 24.
 * The handlers return the new captured L3 length in result.newLength. Bytes after the IP length
 * (link padding) are dropped, as DPVS trims them. IP fragments are left untouched
 * (status 'fragment'); so are unparsable packets ('not-ip', 'truncated-header', 'malformed').
 *
 * Hot path: no allocation per packet (a PROXY header is built once per connection, by the
 * registry's encoders). `result` defaults to one module-level object; pass your own
 * (one per call site) when results must survive the next call or when handlers nest.
 * ========================================================================================
 */
import { readU16, readU32, writeU16, writeU32 } from '../codec/bytes.js';
import { finish, fillIpv4HeaderChecksum, pseudoHeaderV4, pseudoHeaderV6, sum16 } from '../codec/checksum.js';
import { IPPROTO } from '../codec/ipproto.js';
import { IPV4 } from '../codec/ipv4.js';
import { IPV6 } from '../codec/ipv6.js';
import { TCP, TCP_FLAG, TCP_OPTION } from '../codec/tcp.js';
import { UDP } from '../codec/udp.js';
import {
  ChecksumState,
  PacketLayout,
  checksumBegin,
  checksumEnd,
  parseLayout,
  tcpOptionsOf,
  type ChecksumMode,
  type LayoutStatus,
} from './l4fix.js';
import { writeTcpCarrier } from '../carriers/tcp-option.js';
import { nat46FourToSix, nat64SixToFour } from './nat64.js';
import { pruneOptions, removeTimestamp } from './prune.js';
import { ProxyHeaderInfo, encodeProxyHeader, insertProxyProtocol, parseProxyHeader } from './proxy-protocol.js';
import { TOA_KIND, addToa, findOption, nopOptions, removeOptionAt, type ToaError, type ToaPlacement } from './toa-insert.js';
import { OPP_HEADER_LENGTH, UOA_LENGTH_V4, UOA_LENGTH_V6, buildStandaloneUoa, insertUoaIpo, insertUoaOpp, type UoaMode } from './uoa.js';

/**
 * When TOA is attempted (the insertion mechanics are always DPVS's):
 * - 'dpvs': v1.9.6+ (v1.10.2): ack == fdata_seq, SYN and RST clear (FIN allowed).
 * - 'dpvs-legacy': ≤ 1.9.4: also every SYN; a failed insert only NOPs existing TOAs, no prune.
 * - 'lvs': alibaba/LVS: every SYN, plus ack == fdata_seq with SYN, RST and FIN clear.
 * - 'handshake-ack': only the segment starting at c_isn+1 with ACK set, ack == fdata_seq, SYN/RST clear.
 * - 'every': every client->RS TCP packet.
 * - 'off': never.
 */
export type ToaWhen = 'dpvs' | 'dpvs-legacy' | 'lvs' | 'handshake-ack' | 'every' | 'off';

/** The DPVS connection state the FNAT handlers read and update (spec names in comments). */
export interface FnatConnection {
  /** conn->af: client-side family; picks TOA length 8/20 and MSS -8/-20. */
  af: 4 | 6;
  /** tuplehash_out(conn).af: RS-side family (4 with af 6 = NAT64). */
  outerAf: 4 | 6;
  clientAddress: Uint8Array;
  clientPort: number;
  vipAddress: Uint8Array;
  vipPort: number;
  /** laddr / lport (RS-side family). */
  localAddress: Uint8Array;
  localPort: number;
  /** rip / rport (RS-side family). */
  realAddress: Uint8Array;
  realPort: number;
  /** F: conn->fnat_seq.isn (given; DPVS derives it from SHA1 + clock, not reproducible). */
  fnatIsn: number;
  /** False until a client SYN set Δf (tcp_in_init_seq); a retransmitted SYN keeps the old Δf. */
  fnatIsnSet: boolean;
  /** Δf = F − c_isn (conn->fnat_seq.delta), plus the PROXY header length once pp_sent. */
  fnatDelta: number;
  /** conn->fnat_seq.fdata_seq: RS SYN-ACK seq + 1 (non-synproxy) or K + 1 (synproxy). */
  fdataSeq: number;
  /** DP_VS_CONN_F_SYNPROXY: enables the ACK-storm check. */
  synproxy: boolean;
  /** Δs = K − r_isn (conn->syn_proxy_seq.delta). */
  synproxyDelta: number;
  /** WS of the RS (wscale_rs) and the one DPVS advertised to the client (wscale_vs). */
  wscaleRs: number;
  wscaleVs: number;
  /** ack_storm_thresh (10) and syn_proxy_is_ack_storm state. */
  ackStormThreshold: number;
  ackStormCount: number;
  ackStormLastSeq: number;
  ackStormLastAck: number;
  /** tcp_out_save_seq: used only by the expiry RSTs. */
  rsEndSeq: number;
  rsEndAck: number;
  /** Service proxy-protocol setting: 0 disable, 1 or 2; insecure variants keep existing PP data. */
  proxyProtocol: 0 | 1 | 2;
  proxyProtocolInsecure: boolean;
  /** pp_sent: Δf was already grown by the PROXY header. */
  proxyProtocolSent: boolean;
  /** UOA: mode ('off' = uoa_max_trail 0), uoa_max_trail (3) and the sent counter. */
  uoaMode: UoaMode | 'off';
  uoaMaxTrail: number;
  uoaSent: number;
  /** TOA policy (default 'dpvs'); FnatOptions.when overrides it per call. */
  toaWhen: ToaWhen;
  /** The DPVS TOA option bytes (254/8 or 254/20 from cport/caddr), built once. */
  toaOption: Uint8Array;
}

export interface FnatConnectionInit {
  client: Uint8Array;
  clientPort: number;
  vip: Uint8Array;
  vipPort: number;
  local: Uint8Array;
  localPort: number;
  real: Uint8Array;
  realPort: number;
  /** F; when given with clientIsn, Δf is set at once (fnatIsnSet true). */
  fnatIsn?: number;
  clientIsn?: number;
  fdataSeq?: number;
  synproxy?: boolean;
  synproxyDelta?: number;
  wscaleRs?: number;
  wscaleVs?: number;
  ackStormThreshold?: number;
  proxyProtocol?: 0 | 1 | 2;
  proxyProtocolInsecure?: boolean;
  uoaMode?: UoaMode | 'off';
  uoaMaxTrail?: number;
  toaWhen?: ToaWhen;
}

export function createFnatConnection(init: FnatConnectionInit): FnatConnection {
  const af = init.client.length === 16 ? 6 : 4;
  const outerAf = init.real.length === 16 ? 6 : 4;
  const toaOption = new Uint8Array(af === 6 ? 20 : 8);
  writeTcpCarrier(toaOption, 0, af === 6 ? 'toa-v6' : 'toa-v4', init.clientPort, init.client);
  const fnatIsn = (init.fnatIsn ?? 0) >>> 0;
  const isnKnown = init.fnatIsn !== undefined && init.clientIsn !== undefined;
  return {
    af,
    outerAf,
    clientAddress: init.client,
    clientPort: init.clientPort,
    vipAddress: init.vip,
    vipPort: init.vipPort,
    localAddress: init.local,
    localPort: init.localPort,
    realAddress: init.real,
    realPort: init.realPort,
    fnatIsn,
    fnatIsnSet: isnKnown,
    fnatDelta: isnKnown ? (fnatIsn - init.clientIsn!) >>> 0 : 0,
    fdataSeq: (init.fdataSeq ?? 0) >>> 0,
    synproxy: init.synproxy ?? false,
    synproxyDelta: (init.synproxyDelta ?? 0) >>> 0,
    wscaleRs: init.wscaleRs ?? 0,
    wscaleVs: init.wscaleVs ?? 0,
    ackStormThreshold: init.ackStormThreshold ?? 10,
    ackStormCount: 0,
    ackStormLastSeq: 0,
    ackStormLastAck: 0,
    rsEndSeq: 0,
    rsEndAck: 0,
    proxyProtocol: init.proxyProtocol ?? 0,
    proxyProtocolInsecure: init.proxyProtocolInsecure ?? false,
    proxyProtocolSent: false,
    uoaMode: init.uoaMode ?? 'opp',
    uoaMaxTrail: init.uoaMaxTrail ?? 3,
    uoaSent: 0,
    toaWhen: init.toaWhen ?? 'dpvs',
    toaOption,
  };
}

export interface FnatOptions {
  /** Route / device MTU; default 1500; null = no MTU source (TOA fails with NOROUTE). */
  mtu?: number | null;
  /** TOA policy for this call (default conn.toaWhen). */
  when?: ToaWhen;
  /** Complete TCP option bytes to insert instead of the DPVS TOA (e.g. from src/carriers encoders). */
  carrier?: Uint8Array | null;
  /** 'first' (DPVS, default) or 'last' (JD style: after the existing options). */
  placement?: ToaPlacement;
  /** Transport checksum handling (l4fix.ts). Default 'auto'. */
  checksum?: ChecksumMode;
  /** DPVS xmit_ttl keyword: decrement TTL / hop limit on the way (default off). */
  xmitTtl?: boolean;
  /** IPv4 ID for standalone UOA packets (ip4_select_id is not reproducible). Default 0. */
  standaloneId?: number;
  /** Inverse inbound: take the client address from the TOA and remove it (default true). */
  removeCarrier?: boolean;
  /** Inverse inbound: option kind of the carrier (default 254). */
  carrierKind?: number;
  /** Run tcp_in_prune_options and the one retry when the first TOA insert fails (default true). */
  prune?: boolean;
}

export type FnatStatus = 'ok' | LayoutStatus | 'not-tcp-udp' | 'nat64-unsupported' | 'no-room';
export type ToaOutcome = 'inserted' | 'not-eligible' | 'failed' | 'not-applicable';

/** Result of one handler call; reuse one per call site. */
export class FnatResult {
  status: FnatStatus = 'ok';
  /** New captured L3 length (== len when untouched). */
  newLength = 0;
  toa: ToaOutcome = 'not-applicable';
  /** Final TOA error (null when inserted or not attempted). */
  toaError: ToaError | null = null;
  /** Error of the first tcp_in_add_toa attempt. */
  toaFirstError: ToaError | null = null;
  /** Bytes removed by tcp_in_prune_options (0 when it only rewrote in place or did nothing). */
  pruned = 0;
  /** The legacy path turned this many existing TOAs into NOPs. */
  toaNopped = 0;
  /** SYN: a timestamp option was turned into NOPs. */
  timestampRemoved = false;
  proxyProtocol: 'none' | 'inserted' | 'kept' | 'standalone' | 'failed' = 'none';
  /** new − old PROXY bytes at the start of the payload. */
  proxyProtocolRoom = 0;
  uoa: 'none' | 'inserted' | 'standalone' | 'skipped' = 'none';
  /** Outbound: the ACK-storm check fired, seq/ack/SACK left raw. */
  ackStorm = false;
  /** A packet DPVS sends BEFORE this one (standalone UOA or PROXY header), or length 0. */
  readonly standaloneBuffer = new Uint8Array(256);
  standaloneLength = 0;
  /** Inverse inbound: the client address/port found in the carrier. */
  carrierFound = false;
  readonly carrierAddress = new Uint8Array(16);
  carrierAddressLength = 0;
  carrierPort = 0;
  /** Scratch (reused). */
  readonly layout = new PacketLayout();
  readonly checksum = new ChecksumState();
  readonly proxyInfo = new ProxyHeaderInfo();

  /** The standalone packet as a view (empty when none). */
  get standalone(): Uint8Array {
    return this.standaloneBuffer.subarray(0, this.standaloneLength);
  }

  reset(len: number): void {
    this.status = 'ok';
    this.newLength = len;
    this.toa = 'not-applicable';
    this.toaError = null;
    this.toaFirstError = null;
    this.pruned = 0;
    this.toaNopped = 0;
    this.timestampRemoved = false;
    this.proxyProtocol = 'none';
    this.proxyProtocolRoom = 0;
    this.uoa = 'none';
    this.ackStorm = false;
    this.standaloneLength = 0;
    this.carrierFound = false;
    this.carrierAddressLength = 0;
    this.carrierPort = 0;
  }
}

const DEFAULT_OPTIONS: FnatOptions = Object.freeze({});
const SHARED_RESULT = new FnatResult();
const DEFAULT_MTU = 1500;

// ------------------------------------------------------------------ small pieces

/** Write source/destination addresses of the IP header (same family as the packet). */
function writeAddresses(buf: Uint8Array, layout: PacketLayout, source: Uint8Array, destination: Uint8Array): void {
  if (layout.af === 4) {
    buf.set(source.subarray(0, 4), layout.l3 + IPV4.SRC);
    buf.set(destination.subarray(0, 4), layout.l3 + IPV4.DST);
  } else {
    buf.set(source.subarray(0, 16), layout.l3 + IPV6.SRC);
    buf.set(destination.subarray(0, 16), layout.l3 + IPV6.DST);
  }
}

function decrementTtl(buf: Uint8Array, layout: PacketLayout): void {
  const at = layout.l3 + (layout.af === 4 ? IPV4.TTL : IPV6.HOP_LIMIT);
  if (buf[at]! > 0) buf[at] = buf[at]! - 1;
}

/**
 * Add `delta` (mod 2^32) to every block edge of the FIRST SACK option (length 10/18/26/34).
 * Skipped entirely when the options are exactly `01 01 08 0a` + 8 bytes (the 12-byte shortcut).
 * Returns true when a SACK option was adjusted.
 */
export function sackAdjust(buf: Uint8Array, layout: PacketLayout, delta: number): boolean {
  const start = layout.l4 + TCP.MIN_HEADER;
  const end = layout.l4 + layout.l4HeaderLength;
  if (end - start === 12 && buf[start] === 1 && buf[start + 1] === 1 && buf[start + 2] === 8 && buf[start + 3] === 10) return false;
  const option = tcpOptionsOf(buf, layout);
  while (option.next()) {
    const length = option.length;
    if (option.kind === TCP_OPTION.SACK && length >= 10 && (length - 2) % 8 === 0) {
      const stop = option.offset + length;
      for (let edge = option.dataOffset; edge < stop; edge += 4) writeU32(buf, edge, (readU32(buf, edge) + delta) >>> 0);
      return true;
    }
  }
  return false;
}

/**
 * tcp_out_adjust_mss: on a SYN-ACK, the first MSS option with length 4 is reduced by `reduce`
 * (8 for an IPv4 client, 20 for IPv6/NAT64); no lower bound (uint16 wrap). Returns the new MSS or -1.
 */
export function adjustMss(buf: Uint8Array, layout: PacketLayout, reduce: number): number {
  const option = tcpOptionsOf(buf, layout);
  while (option.next()) {
    if (option.kind === TCP_OPTION.MSS && option.length === 4) {
      const mss = (readU16(buf, option.dataOffset) - reduce) & 0xffff;
      writeU16(buf, option.dataOffset, mss);
      return mss;
    }
  }
  return -1;
}

/** tcp_out_adjust_window: win * 2^rs / 2^vs (integer division), capped at 65535. */
export function adjustWindow(buf: Uint8Array, l4: number, wscaleRs: number, wscaleVs: number): number {
  const window = readU16(buf, l4 + TCP.WINDOW);
  const scaled = Math.min(0xffff, Math.floor((window * 2 ** wscaleRs) / 2 ** wscaleVs));
  writeU16(buf, l4 + TCP.WINDOW, scaled);
  return scaled;
}

/**
 * syn_proxy_is_ack_storm: identical raw (seq, ack) to the previous outbound ACK increments the
 * counter, anything else resets it; a storm is reported once the counter reaches the threshold.
 */
export function isAckStorm(conn: FnatConnection, seq: number, ack: number): boolean {
  if (seq === conn.ackStormLastSeq && ack === conn.ackStormLastAck) {
    conn.ackStormCount++;
    return conn.ackStormCount >= conn.ackStormThreshold;
  }
  conn.ackStormLastSeq = seq;
  conn.ackStormLastAck = ack;
  conn.ackStormCount = 0;
  return false;
}

/** tcp_in_adjust_seq + dp_vs_synproxy_dnat_handler: seq += Δf; if Δs ≠ 0, ack −= Δs and first SACK −= Δs. */
export function adjustSeqInbound(conn: FnatConnection, buf: Uint8Array, layout: PacketLayout): void {
  const l4 = layout.l4;
  writeU32(buf, l4 + TCP.SEQ, (readU32(buf, l4 + TCP.SEQ) + conn.fnatDelta) >>> 0);
  if (conn.synproxyDelta !== 0) {
    writeU32(buf, l4 + TCP.ACK, (readU32(buf, l4 + TCP.ACK) - conn.synproxyDelta) >>> 0);
    sackAdjust(buf, layout, -conn.synproxyDelta);
  }
}

/**
 * tcp_out_adjust_seq: synproxy snat step (ACK-storm check on synproxy connections for packets
 * with ACK; on a storm return at once, leaving seq/ack/SACK raw; else seq += Δs when Δs ≠ 0),
 * then ack −= Δf and first SACK −= Δf. Returns true on an ACK storm.
 */
export function adjustSeqOutbound(conn: FnatConnection, buf: Uint8Array, layout: PacketLayout): boolean {
  const l4 = layout.l4;
  const seq = readU32(buf, l4 + TCP.SEQ);
  const ack = readU32(buf, l4 + TCP.ACK);
  if (conn.synproxy && (buf[l4 + TCP.FLAGS]! & TCP_FLAG.ACK) !== 0 && isAckStorm(conn, seq, ack)) return true;
  if (conn.synproxyDelta !== 0) writeU32(buf, l4 + TCP.SEQ, (seq + conn.synproxyDelta) >>> 0);
  writeU32(buf, l4 + TCP.ACK, (ack - conn.fnatDelta) >>> 0);
  sackAdjust(buf, layout, -conn.fnatDelta);
  return false;
}

/** The TOA condition of `when` for a client->RS segment (raw ack, before translation). */
export function toaEligible(conn: FnatConnection, when: ToaWhen, flags: number, seq: number, ack: number): boolean {
  return whenEligible(when, flags, seq, ack === conn.fdataSeq, conn.fnatIsn - conn.fnatDelta);
}

/**
 * The TOA condition of `when` for a client->server segment with these flags and seq, given whether
 * its ack is fdata_seq (`dataAck`) and the client ISN (client-leg numbering).
 */
export function whenEligible(when: ToaWhen, flags: number, seq: number, dataAck: boolean, clientIsn: number): boolean {
  const syn = (flags & TCP_FLAG.SYN) !== 0;
  const rst = (flags & TCP_FLAG.RST) !== 0;
  const fin = (flags & TCP_FLAG.FIN) !== 0;
  switch (when) {
    case 'dpvs':
      return dataAck && !syn && !rst;
    case 'dpvs-legacy':
      return (syn && !rst) || (dataAck && !syn && !rst);
    case 'lvs':
      return (syn && !rst) || (dataAck && !syn && !rst && !fin);
    case 'handshake-ack':
      return dataAck && !syn && !rst && (flags & TCP_FLAG.ACK) !== 0 && seq === ((clientIsn + 1) >>> 0);
    case 'every':
      return true;
    default:
      return false;
  }
}

/**
 * The start every handler shares: reset `result`, parse the layout into result.layout. Returns
 * null (result.status set) when the packet is unparsable or not TCP (or UDP when `udp`).
 */
function beginHandler(buf: Uint8Array, l3: number, len: number, udp: boolean, result: FnatResult): PacketLayout | null {
  result.reset(len);
  const layout = result.layout;
  const status = parseLayout(buf, l3, len, layout);
  if (status !== 'ok') {
    result.status = status;
    return null;
  }
  if (layout.protocol !== IPPROTO.TCP && (!udp || layout.protocol !== IPPROTO.UDP)) {
    result.status = 'not-tcp-udp';
    return null;
  }
  return layout;
}

/** The end every outbound/inverse handler shares: transport and IPv4 checksums, new length. */
function endHandler(buf: Uint8Array, layout: PacketLayout, cs: ChecksumState, result: FnatResult): FnatResult {
  checksumEnd(buf, layout, cs);
  result.newLength = layout.captured;
  return result;
}

/** Source and destination port of the TCP or UDP header at `l4` (both keep them at offsets 0 and 2). */
function writePorts(buf: Uint8Array, l4: number, source: number, destination: number): void {
  writeU16(buf, l4 + TCP.SRC_PORT, source);
  writeU16(buf, l4 + TCP.DST_PORT, destination);
}

// ------------------------------------------------------------------ inbound

/** Client -> RS. See the file header. */
export function fnatInbound(
  conn: FnatConnection,
  buf: Uint8Array,
  l3: number,
  len: number,
  opts: FnatOptions = DEFAULT_OPTIONS,
  result: FnatResult = SHARED_RESULT,
): FnatResult {
  const layout = beginHandler(buf, l3, len, true, result);
  if (layout === null) return result;
  if (layout.protocol === IPPROTO.TCP) inboundTcp(conn, buf, layout, opts, result);
  else inboundUdp(conn, buf, layout, opts, result);
  return result;
}

/** L3 rewrite toward the RS (laddr -> rip), 6to4 for NAT64. Returns false when untranslatable. */
function inboundL3(conn: FnatConnection, buf: Uint8Array, layout: PacketLayout, opts: FnatOptions): boolean {
  if (conn.af === 6 && conn.outerAf === 4) {
    if (layout.af !== 6) return false;
    if (nat64SixToFour(buf, layout, conn.localAddress, conn.realAddress) !== 'ok') return false;
  } else {
    writeAddresses(buf, layout, conn.localAddress, conn.realAddress);
  }
  if (opts.xmitTtl) decrementTtl(buf, layout);
  return true;
}

function inboundCheckFamily(conn: FnatConnection, layout: PacketLayout, result: FnatResult): boolean {
  if (layout.af !== conn.af) {
    result.status = 'nat64-unsupported';
    return false;
  }
  if (conn.af === 6 && conn.outerAf === 4 && layout.hasExtensionHeaders) {
    result.status = 'nat64-unsupported';
    return false;
  }
  return true;
}

function inboundTcp(conn: FnatConnection, buf: Uint8Array, layout: PacketLayout, opts: FnatOptions, result: FnatResult): void {
  if (!inboundCheckFamily(conn, layout, result)) return;
  const cs = result.checksum;
  checksumBegin(buf, layout, opts.checksum ?? 'auto', cs);
  inboundL3(conn, buf, layout, opts);
  let l4 = layout.l4;
  const flags = buf[l4 + TCP.FLAGS]!;
  const syn = (flags & TCP_FLAG.SYN) !== 0;
  const seq = readU32(buf, l4 + TCP.SEQ);
  const ack = readU32(buf, l4 + TCP.ACK);
  // 2. SYN only: remove TS, init seq
  if (syn && (flags & TCP_FLAG.ACK) === 0) {
    result.timestampRemoved = removeTimestamp(buf, layout);
    if (!conn.fnatIsnSet) {
      conn.fnatIsnSet = true;
      conn.fnatDelta = (conn.fnatIsn - seq) >>> 0;
    }
  }
  const mtu = opts.mtu === undefined ? DEFAULT_MTU : opts.mtu;
  // 3. TOA or PROXY protocol
  if (conn.proxyProtocol !== 0) {
    if (toaEligible(conn, 'dpvs', flags, seq, ack) && seq === ((conn.fnatIsn - conn.fnatDelta + 1) >>> 0) && layout.payloadLength > 0) {
      inboundProxyTcp(conn, buf, layout, mtu ?? DEFAULT_MTU, seq, ack, flags, result);
    }
  } else {
    const when = opts.when ?? conn.toaWhen;
    if (when === 'off') result.toa = 'not-applicable';
    else if (!toaEligible(conn, when, flags, seq, ack)) result.toa = 'not-eligible';
    else insertToaWithFallback(conn, buf, layout, opts, mtu, when === 'dpvs-legacy', syn, result);
  }
  l4 = layout.l4;
  // 4. seq/ack/SACK
  adjustSeqInbound(conn, buf, layout);
  // 5. ports
  writePorts(buf, l4, conn.localPort, conn.realPort);
  // 6, 7. checksums
  checksumEnd(buf, layout, cs);
  result.newLength = layout.captured;
}

function insertToaWithFallback(
  conn: FnatConnection,
  buf: Uint8Array,
  layout: PacketLayout,
  opts: FnatOptions,
  mtu: number | null,
  legacy: boolean,
  syn: boolean,
  result: FnatResult,
): void {
  const option = opts.carrier ?? conn.toaOption;
  const placement = opts.placement ?? 'first';
  let error = addToa(buf, layout, option, mtu, placement);
  result.toaFirstError = error;
  if (error !== null) {
    if (legacy) {
      result.toaNopped = nopOptions(buf, layout, option[0]);
    } else if (opts.prune !== false) {
      const required = (option.length + 3) & ~3;
      const pruned = pruneOptions(buf, layout, required, syn);
      result.pruned = pruned;
      if (pruned >= required && (error === 'NOROOM' || error === 'FRAG')) error = addToa(buf, layout, option, mtu, placement);
    }
  }
  result.toaError = error;
  result.toa = error === null ? 'inserted' : 'failed';
}

function inboundProxyTcp(
  conn: FnatConnection,
  buf: Uint8Array,
  layout: PacketLayout,
  mtu: number,
  seq: number,
  ack: number,
  flags: number,
  result: FnatResult,
): void {
  const l4 = layout.l4;
  const payloadAt = l4 + layout.l4HeaderLength;
  const info = parseProxyHeader(buf, payloadAt, layout.end, result.proxyInfo);
  const version = conn.proxyProtocol as 1 | 2;
  let header: Uint8Array;
  let oldLength = 0;
  if (info.version !== 0 && conn.proxyProtocolInsecure && info.version === version) {
    result.proxyProtocol = 'kept';
    return;
  }
  if (info.version !== 0 && conn.proxyProtocolInsecure && info.af !== 0) {
    const n = info.af === 6 ? 16 : 4;
    header = encodeProxyHeader(version, 'tcp', info.source.subarray(0, n), info.destination.subarray(0, n), info.sourcePort, info.destinationPort);
    oldLength = info.length;
  } else {
    header = encodeProxyHeader(version, 'tcp', conn.clientAddress, conn.vipAddress, conn.clientPort, conn.vipPort);
    oldLength = info.version !== 0 ? info.length : 0;
  }
  const room = header.length - oldLength;
  if (layout.ipLength + room > mtu) {
    if (oldLength === 0) {
      // standalone packet with the header, sent first (seq/ack translated, doff 5, ACK + PSH copied)
      result.standaloneLength = buildProxyStandalone(conn, buf, layout, header, seq, ack, flags, result.standaloneBuffer);
      result.proxyProtocol = 'standalone';
      result.proxyProtocolRoom = room;
      if (!conn.proxyProtocolSent) {
        conn.fnatDelta = (conn.fnatDelta + room) >>> 0;
        conn.proxyProtocolSent = true;
      }
    } else {
      result.proxyProtocol = 'failed';
    }
    return;
  }
  if (room > 0 && layout.end + room > buf.length) {
    result.proxyProtocol = 'failed';
    return;
  }
  insertProxyProtocol(buf, layout, payloadAt, header, oldLength);
  writeU32(buf, l4 + TCP.SEQ, (seq - room) >>> 0);
  if (!conn.proxyProtocolSent) {
    conn.fnatDelta = (conn.fnatDelta + room) >>> 0;
    conn.proxyProtocolSent = true;
  }
  result.proxyProtocol = 'inserted';
  result.proxyProtocolRoom = room;
}

/** The standalone PROXY packet: IP header copied from the (translated) original, TCP doff 5. */
function buildProxyStandalone(
  conn: FnatConnection,
  buf: Uint8Array,
  layout: PacketLayout,
  header: Uint8Array,
  seq: number,
  ack: number,
  flags: number,
  out: Uint8Array,
): number {
  const v4 = layout.af === 4;
  const ipHeader = v4 ? IPV4.MIN_HEADER : IPV6.HEADER;
  const total = ipHeader + TCP.MIN_HEADER + header.length;
  if (total > out.length) return 0;
  out.fill(0, 0, total);
  if (v4) {
    out[0] = 0x45;
    out[IPV4.TOS] = buf[layout.l3 + IPV4.TOS]!;
    writeU16(out, IPV4.TOTAL_LENGTH, total);
    out[IPV4.ID] = buf[layout.l3 + IPV4.ID]!;
    out[IPV4.ID + 1] = buf[layout.l3 + IPV4.ID + 1]!;
    out[IPV4.TTL] = buf[layout.l3 + IPV4.TTL]!;
    out[IPV4.PROTOCOL] = IPPROTO.TCP;
    out.set(buf.subarray(layout.l3 + IPV4.SRC, layout.l3 + IPV4.SRC + 8), IPV4.SRC);
  } else {
    out.set(buf.subarray(layout.l3, layout.l3 + 4), 0);
    writeU16(out, IPV6.PAYLOAD_LENGTH, total - IPV6.HEADER);
    out[IPV6.NEXT_HEADER] = IPPROTO.TCP;
    out[IPV6.HOP_LIMIT] = buf[layout.l3 + IPV6.HOP_LIMIT]!;
    out.set(buf.subarray(layout.l3 + IPV6.SRC, layout.l3 + IPV6.SRC + 32), IPV6.SRC);
  }
  const t = ipHeader;
  writeU16(out, t + TCP.SRC_PORT, conn.localPort);
  writeU16(out, t + TCP.DST_PORT, conn.realPort);
  writeU32(out, t + TCP.SEQ, (seq + conn.fnatDelta) >>> 0);
  writeU32(out, t + TCP.ACK, (ack - conn.synproxyDelta) >>> 0);
  out[t + TCP.DATA_OFFSET] = 0x50;
  out[t + TCP.FLAGS] = TCP_FLAG.ACK | (flags & TCP_FLAG.PSH);
  writeU16(out, t + TCP.WINDOW, readU16(buf, layout.l4 + TCP.WINDOW));
  out.set(header, t + TCP.MIN_HEADER);
  const l4Length = TCP.MIN_HEADER + header.length;
  const pseudo = v4 ? pseudoHeaderV4(out, IPV4.SRC, IPV4.DST, IPPROTO.TCP, l4Length) : pseudoHeaderV6(out, IPV6.SRC, IPV6.DST, IPPROTO.TCP, l4Length);
  writeU16(out, t + TCP.CHECKSUM, finish(sum16(out, t, t + l4Length, pseudo)));
  if (v4) fillIpv4HeaderChecksum(out, 0, IPV4.MIN_HEADER);
  return total;
}

function inboundUdp(conn: FnatConnection, buf: Uint8Array, layout: PacketLayout, opts: FnatOptions, result: FnatResult): void {
  if (!inboundCheckFamily(conn, layout, result)) return;
  const cs = result.checksum;
  checksumBegin(buf, layout, opts.checksum ?? 'auto', cs);
  const mtu = (opts.mtu === undefined ? DEFAULT_MTU : opts.mtu) ?? DEFAULT_MTU;
  let udpAt = layout.l4;
  let opp = false;
  // pre-handler: UOA before translation (original client source)
  if (conn.uoaMode !== 'off' && conn.uoaSent < conn.uoaMaxTrail && conn.proxyProtocol !== 2) {
    const status =
      conn.uoaMode === 'ipo'
        ? insertUoaIpo(buf, layout, conn.clientPort, conn.clientAddress, mtu)
        : insertUoaOpp(buf, layout, conn.clientPort, conn.clientAddress, mtu);
    if (status === 'inserted') {
      conn.uoaSent++;
      result.uoa = 'inserted';
      if (conn.uoaMode === 'opp') {
        opp = true;
        udpAt = layout.l4 + OPP_HEADER_LENGTH + (conn.af === 6 ? UOA_LENGTH_V6 : UOA_LENGTH_V4);
      } else {
        udpAt = layout.l4;
      }
    } else if (status === 'skipped') {
      conn.uoaSent++;
      result.uoa = 'skipped';
    } else if (status === 'standalone') {
      result.standaloneLength = buildUoaStandalone(conn, buf, layout, opts, result.standaloneBuffer);
      conn.uoaSent++;
      result.uoa = 'standalone';
    }
  }
  // PROXY v2 on the first UDP packet only (pp_sent even if it fails)
  if (conn.proxyProtocol === 2 && !conn.proxyProtocolSent) {
    conn.proxyProtocolSent = true;
    const header = encodeProxyHeader(2, 'udp', conn.clientAddress, conn.vipAddress, conn.clientPort, conn.vipPort);
    const n = header.length;
    if (layout.ipLength + n <= mtu && layout.end + n <= buf.length) {
      insertProxyProtocol(buf, layout, udpAt + UDP.HEADER, header, 0);
      writeU16(buf, udpAt + UDP.LENGTH, readU16(buf, udpAt + UDP.LENGTH) + n);
      result.proxyProtocol = 'inserted';
      result.proxyProtocolRoom = n;
    } else {
      result.proxyProtocol = 'failed';
    }
  }
  const shim = udpAt - layout.l4;
  inboundL3(conn, buf, layout, opts);
  udpAt = layout.l4 + shim;
  writePorts(buf, udpAt, conn.localPort, conn.realPort);
  if (opp && layout.af === 4) cs.forceZero = true;
  checksumEnd(buf, layout, cs, udpAt, IPPROTO.UDP);
  result.newLength = layout.captured;
}

function buildUoaStandalone(conn: FnatConnection, buf: Uint8Array, layout: PacketLayout, opts: FnatOptions, out: Uint8Array): number {
  const l3 = layout.l3;
  const fromV4 = layout.af === 4;
  const mode: UoaMode = conn.uoaMode === 'ipo' ? 'ipo' : 'opp';
  return buildStandaloneUoa(out, 0, {
    mode,
    source: conn.localAddress,
    destination: conn.realAddress,
    sourcePort: conn.localPort,
    destinationPort: conn.realPort,
    clientPort: conn.clientPort,
    clientAddress: conn.clientAddress,
    tos: fromV4 ? buf[l3 + IPV4.TOS]! : 0,
    ttl: fromV4 ? buf[l3 + IPV4.TTL]! : buf[l3 + IPV6.HOP_LIMIT]!,
    id: opts.standaloneId ?? 0,
    versionClassFlow: fromV4 ? 0x60000000 : readU32(buf, l3),
  });
}

// ------------------------------------------------------------------ outbound

/** RS -> client. See the file header. */
export function fnatOutbound(
  conn: FnatConnection,
  buf: Uint8Array,
  l3: number,
  len: number,
  opts: FnatOptions = DEFAULT_OPTIONS,
  result: FnatResult = SHARED_RESULT,
): FnatResult {
  const layout = beginHandler(buf, l3, len, true, result);
  if (layout === null) return result;
  if (layout.af !== conn.outerAf) {
    result.status = 'nat64-unsupported';
    return result;
  }
  const nat46 = conn.af === 6 && conn.outerAf === 4;
  if (nat46 && layout.end + 20 > buf.length) {
    result.status = 'no-room';
    return result;
  }
  const cs = result.checksum;
  checksumBegin(buf, layout, opts.checksum ?? 'auto', cs);
  if (nat46) nat46FourToSix(buf, layout, conn.vipAddress, conn.clientAddress);
  else writeAddresses(buf, layout, conn.vipAddress, conn.clientAddress);
  if (opts.xmitTtl) decrementTtl(buf, layout);
  const l4 = layout.l4;
  writePorts(buf, l4, conn.vipPort, conn.clientPort);
  if (layout.protocol === IPPROTO.TCP) {
    const flags = buf[l4 + TCP.FLAGS]!;
    // tcp_out_save_seq (end seq = seq + payload length; only used by expiry RSTs)
    conn.rsEndSeq = (readU32(buf, l4 + TCP.SEQ) + layout.payloadLength) >>> 0;
    conn.rsEndAck = readU32(buf, l4 + TCP.ACK);
    adjustWindow(buf, l4, conn.wscaleRs, conn.wscaleVs);
    const synAck = (flags & (TCP_FLAG.SYN | TCP_FLAG.ACK)) === (TCP_FLAG.SYN | TCP_FLAG.ACK);
    if (synAck) adjustMss(buf, layout, conn.af === 6 ? 20 : 8);
    result.ackStorm = adjustSeqOutbound(conn, buf, layout);
    if (synAck) conn.fdataSeq = (readU32(buf, l4 + TCP.SEQ) + 1) >>> 0;
  }
  return endHandler(buf, layout, cs, result);
}

// ------------------------------------------------------------------ inverses

/**
 * Inverse of fnatOutbound: a V->C packet becomes the R->L packet DPVS would have received.
 * Addresses (6to4 for NAT46), ports rport->lport, window × 2^vs / 2^rs, SYN-ACK MSS +8/+20,
 * seq −= Δs, ack += Δf, first SACK += Δf. A SYN-ACK sets fdata_seq = its (client-leg) seq + 1,
 * as DPVS learns it. The ACK-storm state is neither read nor changed. Lossy only where DPVS is:
 * window scaling by integer division, and the IPv4 ID/TOS/flags lost by mbuf_4to6.
 */
export function fnatOutboundInverse(
  conn: FnatConnection,
  buf: Uint8Array,
  l3: number,
  len: number,
  opts: FnatOptions = DEFAULT_OPTIONS,
  result: FnatResult = SHARED_RESULT,
): FnatResult {
  const layout = beginHandler(buf, l3, len, true, result);
  if (layout === null) return result;
  const nat46 = conn.af === 6 && conn.outerAf === 4;
  if (layout.af !== conn.af || (nat46 && layout.hasExtensionHeaders)) {
    result.status = 'nat64-unsupported';
    return result;
  }
  const cs = result.checksum;
  checksumBegin(buf, layout, opts.checksum ?? 'auto', cs);
  if (nat46) nat64SixToFour(buf, layout, conn.realAddress, conn.localAddress);
  else writeAddresses(buf, layout, conn.realAddress, conn.localAddress);
  const l4 = layout.l4;
  writePorts(buf, l4, conn.realPort, conn.localPort);
  if (layout.protocol === IPPROTO.TCP) {
    const flags = buf[l4 + TCP.FLAGS]!;
    adjustWindow(buf, l4, conn.wscaleVs, conn.wscaleRs);
    const synAck = (flags & (TCP_FLAG.SYN | TCP_FLAG.ACK)) === (TCP_FLAG.SYN | TCP_FLAG.ACK);
    const seq = readU32(buf, l4 + TCP.SEQ);
    if (synAck) {
      conn.fdataSeq = (seq + 1) >>> 0;
      adjustMss(buf, layout, conn.af === 6 ? -20 : -8);
    }
    if (conn.synproxyDelta !== 0) writeU32(buf, l4 + TCP.SEQ, (seq - conn.synproxyDelta) >>> 0);
    writeU32(buf, l4 + TCP.ACK, (readU32(buf, l4 + TCP.ACK) + conn.fnatDelta) >>> 0);
    sackAdjust(buf, layout, conn.fnatDelta);
  }
  return endHandler(buf, layout, cs, result);
}

/**
 * Inverse of fnatInbound for TCP: an L->R packet becomes the C->V packet. The first carrier
 * option (kind opts.carrierKind, default 254, length 8 or 20) is read into result.carrier* and the
 * connection's client address/port, then removed (with its NOP padding) unless
 * opts.removeCarrier === false. seq −= Δf; if Δs ≠ 0, ack += Δs and first SACK += Δs; addresses
 * client -> VIP (4to6 for NAT64); ports cport -> vport. Not undone: SYN timestamps turned into
 * NOPs, pruned options, PROXY headers (the caller removes those).
 */
export function fnatInboundInverse(
  conn: FnatConnection,
  buf: Uint8Array,
  l3: number,
  len: number,
  opts: FnatOptions = DEFAULT_OPTIONS,
  result: FnatResult = SHARED_RESULT,
): FnatResult {
  const layout = beginHandler(buf, l3, len, false, result);
  if (layout === null) return result;
  const nat64 = conn.af === 6 && conn.outerAf === 4;
  if (layout.af !== conn.outerAf) {
    result.status = 'nat64-unsupported';
    return result;
  }
  if (nat64 && layout.end + 40 > buf.length) {
    result.status = 'no-room';
    return result;
  }
  const cs = result.checksum;
  checksumBegin(buf, layout, opts.checksum ?? 'auto', cs);
  const kind = opts.carrierKind ?? TOA_KIND;
  let at = findOption(buf, layout, kind, 8);
  const at20 = findOption(buf, layout, kind, 20);
  if (at < 0 || (at20 >= 0 && at20 < at)) at = at20;
  if (at >= 0) {
    const n = buf[at + 1] === 20 ? 16 : 4;
    result.carrierFound = true;
    result.carrierPort = readU16(buf, at + 2);
    result.carrierAddressLength = n;
    result.carrierAddress.set(buf.subarray(at + 4, at + 4 + n));
    if (n === conn.clientAddress.length) {
      conn.clientPort = result.carrierPort;
      conn.clientAddress.set(buf.subarray(at + 4, at + 4 + n));
    }
    if (opts.removeCarrier !== false) removeOptionAt(buf, layout, at);
  }
  const l4 = layout.l4;
  writeU32(buf, l4 + TCP.SEQ, (readU32(buf, l4 + TCP.SEQ) - conn.fnatDelta) >>> 0);
  if (conn.synproxyDelta !== 0) {
    writeU32(buf, l4 + TCP.ACK, (readU32(buf, l4 + TCP.ACK) + conn.synproxyDelta) >>> 0);
    sackAdjust(buf, layout, conn.synproxyDelta);
  }
  if (nat64) nat46FourToSix(buf, layout, conn.clientAddress, conn.vipAddress);
  else writeAddresses(buf, layout, conn.clientAddress, conn.vipAddress);
  writePorts(buf, layout.l4, conn.clientPort, conn.vipPort);
  return endHandler(buf, layout, cs, result);
}

// ------------------------------------------------------------------ expiry RSTs

/**
 * tcp_send_rst on expiry (ESTABLISHED only; the caller decides): RST only, ack 0, window 0,
 * doff 5. Toward the RS: laddr:lport -> rip:rport, seq = rs_end_ack (after the inbound +Δf).
 * Toward the client: vip:vport -> client:cport, seq = rs_end_seq + Δs.
 * IPv4: 0x45, TOS 0 (UNVERIFIED), ID 0, DF, TTL 64; IPv6: hop limit 64, class/flow 0.
 * Writes at out[offset] and returns the length (40 or 60).
 */
export function buildExpiryRst(conn: FnatConnection, toward: 'rs' | 'client', out: Uint8Array, offset: number): number {
  const rs = toward === 'rs';
  const v4 = (rs ? conn.outerAf : conn.af) === 4;
  const source = rs ? conn.localAddress : conn.vipAddress;
  const destination = rs ? conn.realAddress : conn.clientAddress;
  const ipHeader = v4 ? IPV4.MIN_HEADER : IPV6.HEADER;
  const total = ipHeader + TCP.MIN_HEADER;
  out.fill(0, offset, offset + total);
  if (v4) {
    out[offset] = 0x45;
    writeU16(out, offset + IPV4.TOTAL_LENGTH, total);
    writeU16(out, offset + IPV4.FLAGS_FRAG, IPV4.FLAG_DF);
    out[offset + IPV4.TTL] = 64;
    out[offset + IPV4.PROTOCOL] = IPPROTO.TCP;
    out.set(source, offset + IPV4.SRC);
    out.set(destination, offset + IPV4.DST);
  } else {
    out[offset] = 0x60;
    writeU16(out, offset + IPV6.PAYLOAD_LENGTH, TCP.MIN_HEADER);
    out[offset + IPV6.NEXT_HEADER] = IPPROTO.TCP;
    out[offset + IPV6.HOP_LIMIT] = 64;
    out.set(source, offset + IPV6.SRC);
    out.set(destination, offset + IPV6.DST);
  }
  const t = offset + ipHeader;
  writeU16(out, t + TCP.SRC_PORT, rs ? conn.localPort : conn.vipPort);
  writeU16(out, t + TCP.DST_PORT, rs ? conn.realPort : conn.clientPort);
  writeU32(out, t + TCP.SEQ, rs ? conn.rsEndAck : (conn.rsEndSeq + conn.synproxyDelta) >>> 0);
  out[t + TCP.DATA_OFFSET] = 0x50;
  out[t + TCP.FLAGS] = TCP_FLAG.RST;
  const pseudo = v4
    ? pseudoHeaderV4(out, offset + IPV4.SRC, offset + IPV4.DST, IPPROTO.TCP, TCP.MIN_HEADER)
    : pseudoHeaderV6(out, offset + IPV6.SRC, offset + IPV6.DST, IPPROTO.TCP, TCP.MIN_HEADER);
  writeU16(out, t + TCP.CHECKSUM, finish(sum16(out, t, t + TCP.MIN_HEADER, pseudo)));
  if (v4) fillIpv4HeaderChecksum(out, offset, IPV4.MIN_HEADER);
  return total;
}
