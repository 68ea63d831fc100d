/**
 * Backend (real-server) TOA modules as toa-formats.md §2 and dpvs.md §8 describe them: which
 * carrier formats each one reads, from which packet of the handshake, and what peer address the
 * application then gets. Used by `toa stats` to answer "what would my backend see?".
 *
 * Common rules (from the specs): a module walks the options of the packet it hooks and takes the
 * first option it accepts; a carrier only in packets the module does not hook is invisible to it.
 * "Socket family" is the family of the packets reaching the backend: an IPv4 packet lands on an
 * IPv4 (or dual-stack) socket, an IPv6 packet on an IPv6 socket.
 *
 * Outcomes:
 * - 'client': getpeername() returns the client address (IPv4-mapped `::ffff:a.b.c.d` when an
 *   IPv4 client reaches an IPv6 socket);
 * - 'client-getsockopt': NAT64 (an IPv6 client address on an IPv4 socket): getpeername() still
 *   returns the load balancer, the application must call getsockopt(IPPROTO_IP,
 *   TOA_SO_GET_LOOKUP = 4096) to get the client;
 * - 'lb': the module found nothing it reads; the application sees the packet's source (the
 *   load balancer's local address in full-NAT).
 */
import type { Carrier } from '../carriers/index.js';

export const MODULE_NAMES = ['dpvs', 'alibaba-lvs', 'huawei', 'ucloud', 'tencent', 'bytedance', 'alibaba-cdn', 'alibaba-vtoa'] as const;
export type ModuleName = (typeof MODULE_NAMES)[number];

export type PeerOutcome = 'client' | 'client-getsockopt' | 'lb';

export interface PeerResult {
  outcome: PeerOutcome;
  /** The address the application gets (getpeername, or getsockopt for NAT64). */
  address: string;
  port: number | null;
  /** Registry format of the carrier that was read (null for 'lb'). */
  format: string | null;
  /** Which packet it was read from. */
  packet: 'syn' | 'ack' | null;
}

/** The fields of a carrier that decide what a module reads. */
export type ModuleCarrier = Pick<Carrier, 'clientAddress' | 'clientPort' | 'format' | 'firstOption'>;

export interface ModuleInput {
  /** Family of the packets reaching the backend (4 or 6). */
  socketFamily: 4 | 6;
  /** Client-address carriers of the client SYN / of the handshake-completing ACK (null: none or not seen). */
  synCarriers: readonly ModuleCarrier[] | null;
  ackCarriers: readonly ModuleCarrier[] | null;
  /** What getpeername returns without a carrier: the packet source (LB local address) and port. */
  lbAddress: string;
  lbPort: number;
}

/** One accepted format: name, and how the address reaches the application. */
interface Accept {
  format: string;
  /** 'v4': port + IPv4; 'v6': port + IPv6 (NAT64 on an IPv4 socket); 'v4-no-port': IPv4 only. */
  shape: 'v4' | 'v6' | 'v4-no-port';
  /** Only the first IPv4 option counts (ByteDance reads iph+1 only). */
  firstOptionOnly?: boolean;
}

export interface BackendModule {
  name: ModuleName;
  title: string;
  /** The packets it hooks, in the order it looks at them. */
  packets: readonly ('syn' | 'ack')[];
  accepts: readonly Accept[];
  /** What happens with IPv6 packets: 'read' (IPv6 sockets supported) or 'ignore' (IPv4 module only). */
  ipv6: 'read' | 'ignore';
  /** One line for tables and --help. */
  reads: string;
  source: string;
}

const v4 = (format: string): Accept => ({ format, shape: 'v4' });
const v6 = (format: string): Accept => ({ format, shape: 'v6' });

export const BACKEND_MODULES: readonly BackendModule[] = Object.freeze([
  {
    name: 'dpvs', title: 'iQIYI DPVS kmod/toa 2.0', packets: ['ack'], accepts: [v4('toa-v4'), v6('toa-v6')], ipv6: 'read',
    reads: '254/8, 254/20 from the handshake ACK; IPv4 client on IPv6 socket -> ::ffff:; 254/20 on IPv4 socket -> NAT64 getsockopt',
    source: 'dpvs.md §8',
  },
  {
    name: 'alibaba-lvs', title: 'Alibaba LVS toa.ko', packets: ['ack'], accepts: [v4('toa-v4')], ipv6: 'read',
    reads: '254/8 from the handshake ACK (253/20 is not parsed); IPv6 socket -> ::ffff:', source: 'toa-formats.md §2.1',
  },
  {
    name: 'huawei', title: 'Huawei TCP_option_address', packets: ['ack'], accepts: [v4('toa-v4')], ipv6: 'ignore',
    reads: '254/8 from the handshake ACK, IPv4 only', source: 'toa-formats.md §2.3',
  },
  {
    name: 'ucloud', title: 'UCloud ucloud-toa', packets: ['ack'], accepts: [v4('toa-v4-200'), v4('toa-v4'), v4('toa-v4-253')], ipv6: 'read',
    reads: '200/8, 254/8, 253/8 from the handshake ACK; IPv6 socket -> ::ffff:', source: 'toa-formats.md §2.4',
  },
  {
    name: 'tencent', title: 'Tencent CLB/TGW toa (TencentOS net/toa)', packets: ['ack'], accepts: [v4('toa-v4-200'), v6('toa-v6-253')], ipv6: 'read',
    reads: '200/8 from the handshake ACK; NAT64 253/20 via getsockopt (253 length UNVERIFIED)', source: 'toa-formats.md §2.6',
  },
  {
    name: 'bytedance', title: 'ByteDance TTGW toa.ko', packets: ['ack'],
    accepts: [
      { format: 'ttgw-v4', shape: 'v4', firstOptionOnly: true }, { format: 'ttgw-v4-asym', shape: 'v4', firstOptionOnly: true },
      { format: 'ttgw-v2', shape: 'v4', firstOptionOnly: true },
      v4('ttgw-v6'), v4('ttgw-v6-asym'), v4('ttgw-v2-v6'),
      v4('toa-v4'), v4('toa-extra-v4'), v6('toa-v6'),
    ],
    ipv6: 'read',
    reads: 'IP option 31/30/29 (first IPv4 option; IPv6 dst-opt) from the handshake ACK, TCP fallback 254/8, 254/16, 254/20',
    source: 'toa-formats.md §2.9',
  },
  {
    name: 'alibaba-cdn', title: 'Alibaba CDN toa (kmod + eBPF)', packets: ['syn', 'ack'],
    accepts: [{ format: 'alibaba-cdn-v4', shape: 'v4-no-port' }, { format: 'alibaba-cdn-v6', shape: 'v6' }, v4('toa-v4'), v6('toa-v6')],
    ipv6: 'read',
    reads: '28/7 (no port), 28/19 from the SYN, then the handshake ACK (eBPF); 254/8, 254/20 (eBPF port kind)',
    source: 'toa-formats.md §2.8',
  },
  {
    name: 'alibaba-vtoa', title: 'Alibaba Cloud Linux vtoa', packets: ['ack'],
    accepts: [v4('toa-v4'), v4('alibaba-vtoa-vpc'), v6('alibaba-vtoa-vpc-v6'), v6('toa-v6-253'), v6('toa-v6')], ipv6: 'read',
    reads: '254/8, 252/20, 249/40, 253/20, 254/20 from the handshake ACK', source: 'toa-formats.md §2.7',
  },
]);

/** Per module: format → accept rule (built once). */
const ACCEPT_BY_FORMAT = new Map<BackendModule, ReadonlyMap<string, Accept>>(
  BACKEND_MODULES.map((m) => [m, new Map(m.accepts.map((a) => [a.format, a]))]),
);

/** The module of that name; undefined when unknown. */
export function findModule(name: string): BackendModule | undefined {
  return BACKEND_MODULES.find((m) => m.name === name.toLowerCase());
}

function isIpv6Text(address: string): boolean {
  return address.includes(':');
}

/** Which packet `pickCarrier` took its carrier from ('syn' | 'ack'); valid right after a non-null result. */
let pickedPacket: 'syn' | 'ack' = 'ack';
/** The accept rule of the carrier `pickCarrier` returned. */
let pickedAccept: Accept | null = null;

/**
 * The carrier a backend module reads for one connection (null: none, the application sees the
 * load balancer). Allocation-free; sets pickedPacket / pickedAccept.
 */
function pickCarrier(module: BackendModule, socketFamily: 4 | 6, synCarriers: readonly ModuleCarrier[] | null, ackCarriers: readonly ModuleCarrier[] | null): ModuleCarrier | null {
  if (socketFamily === 6 && module.ipv6 === 'ignore') return null;
  const accepts = ACCEPT_BY_FORMAT.get(module) ?? new Map(module.accepts.map((a) => [a.format, a]));
  for (const which of module.packets) {
    const carriers = which === 'syn' ? synCarriers : ackCarriers;
    if (carriers === null) continue;
    for (const c of carriers) {
      if (c.clientAddress === null) continue;
      const accept = accepts.get(c.format);
      if (accept === undefined) continue;
      if (accept.firstOptionOnly && c.firstOption === false) continue;
      pickedPacket = which;
      pickedAccept = accept;
      return c;
    }
  }
  return null;
}

function outcomeOf(socketFamily: 4 | 6, address: string): PeerOutcome {
  // An IPv6 client: visible through getpeername on an IPv6 socket, through getsockopt on an IPv4 one.
  return isIpv6Text(address) && socketFamily !== 6 ? 'client-getsockopt' : 'client';
}

/** The outcome alone of resolvePeer(module, input) (no allocation; for tallies over every connection). */
export function peerOutcome(module: BackendModule, socketFamily: 4 | 6, synCarriers: readonly ModuleCarrier[] | null, ackCarriers: readonly ModuleCarrier[] | null): PeerOutcome {
  const c = pickCarrier(module, socketFamily, synCarriers, ackCarriers);
  return c === null ? 'lb' : outcomeOf(socketFamily, c.clientAddress!);
}

/**
 * The peer address a backend module would report for one connection. Pure; allocates the result.
 */
export function resolvePeer(module: BackendModule, input: ModuleInput): PeerResult {
  const c = pickCarrier(module, input.socketFamily, input.synCarriers, input.ackCarriers);
  if (c === null) return { outcome: 'lb', address: input.lbAddress, port: input.lbPort, format: null, packet: null };
  const address = c.clientAddress!;
  const port = pickedAccept!.shape === 'v4-no-port' ? input.lbPort : c.clientPort;
  const outcome = outcomeOf(input.socketFamily, address);
  return { outcome, address: isIpv6Text(address) || input.socketFamily !== 6 ? address : `::ffff:${address}`, port, format: c.format, packet: pickedPacket };
}
