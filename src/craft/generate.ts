/**
 * CraftSpec → CraftedCapture: resolve defaults, expand --count, build each connection's client leg
 * (connection.ts), its backend leg through the full-NAT model (legs.ts), wrap both in their link
 * layers, stamp times, add the literal packets, and write the capture.
 */
import { extname } from 'node:path';
import { buildPacket, linkTypeOf, type Ipv4Spec, type Ipv6Spec, type LinkSpec, type PacketSpec, type TransportSpec } from '../codec/build.js';
import { createCaptureWriter } from '../codec/capture-writer.js';
import { CliError, CodecError } from '../codec/errors.js';
import { encodeCarrier, encodeTcpCarrier, resolveFormat, type CarrierFields } from '../carriers/index.js';
import { planCarrier } from './carrier.js';
import { generateClientLeg, hash32, type ResolvedConnection } from './connection.js';
import { buildBackendLeg, frame, linkHeader, type LinkEnds } from './legs.js';
import { CRAFT_DEFAULTS, type ConnectionSpec, type CraftedCapture, type CraftedPacket, type CraftSpec, type ExchangeSpec, type Leg, type RawPacketSpec } from './model.js';
import {
  encodeRawTcpOption, flagsValue, hexValue, parseDurationValue, parseEndpointValue, parseIntegerValue, parseLinkValue, parseStartValue, parseTcpOptionValue, payloadBytes, unescapeText,
} from './parse.js';

const CONNECTION_KEYS = [
  'protocol', 'client', 'vip', 'lip', 'rs', 'nat64', 'ipv6', 'count', 'increment', 'clientIsn', 'serverIsn', 'fnatIsn', 'mss', 'wscale', 'sack', 'timestamps',
  'tcpOptions', 'tcpOptionsEverywhere', 'exchanges', 'close', 'retransmit', 'ttl', 'format', 'when', 'mtu', 'vpcId', 'vni', 'overrides',
];
const TOP_KEYS = [...CONNECTION_KEYS, 'leg', 'link', 'backendLink', 'pcapng', 'nanosecond', 'byteOrder', 'snaplen', 'start', 'rtt', 'clientMac', 'serverMac', 'interfaces', 'connections', 'packets'];
const PACKET_KEYS = ['time', 'interface', 'frameHex', 'ip', 'tcp', 'udp', 'icmp', 'payloadText', 'payloadHex', 'carrier', 'fixLengths', 'computeChecksums', 'originalLength', 'capturedLength'];
const OVERRIDE_KEYS = ['packet', 'flags', 'optionsHex', 'payloadText', 'payloadHex', 'ttl', 'window', 'sequenceNumber', 'acknowledgmentNumber', 'drop'];

function usage(message: string): CliError {
  return new CliError(message, 2);
}

function checkKeys(value: unknown, allowed: readonly string[], where: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw usage(`${where} must be a JSON object`);
  for (const k of Object.keys(value)) if (!allowed.includes(k)) throw usage(`${where}: unknown key '${k}' (see docs/craft-spec.md)`);
}

/** Check a parsed spec file's shape (keys only; values are checked where they are used). */
export function validateSpec(spec: unknown, where = 'spec'): CraftSpec {
  checkKeys(spec, TOP_KEYS, where);
  const s = spec as CraftSpec;
  s.connections?.forEach((c, i) => {
    checkKeys(c, CONNECTION_KEYS, `${where}.connections[${i}]`);
    c.overrides?.forEach((o, j) => checkKeys(o, OVERRIDE_KEYS, `${where}.connections[${i}].overrides[${j}]`));
  });
  s.overrides?.forEach((o, j) => checkKeys(o, OVERRIDE_KEYS, `${where}.overrides[${j}]`));
  s.packets?.forEach((p, i) => checkKeys(p, PACKET_KEYS, `${where}.packets[${i}]`));
  return s;
}

/**
 * Output format: pcapng when asked (--pcapng / "pcapng": true) or when OUT ends in .pcapng; on
 * stdout (`-`) also when several interfaces are needed. Otherwise pcap (one interface only).
 */
export function outputIsPcapng(spec: CraftSpec, outPath: string): boolean {
  if (spec.pcapng !== undefined) return spec.pcapng;
  if (extname(outPath).toLowerCase() === '.pcapng') return true;
  return outPath === '-' && (spec.leg === 'both' || (spec.interfaces?.length ?? 1) > 1);
}

class Clock {
  seconds: number;
  nanos: number;
  constructor(start: [number, number], readonly step: number) {
    this.seconds = start[0];
    this.nanos = start[1];
  }
  set(t: [number, number]): void {
    this.seconds = t[0];
    this.nanos = t[1];
  }
  advance(): void {
    const total = this.nanos + this.step;
    this.seconds += Math.floor(total / 1e9);
    this.nanos = total % 1e9;
  }
}

function macValue(text: string | undefined, fallback: string, what: string): Uint8Array {
  const value = text ?? fallback;
  const parts = value.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw usage(`${what} '${value}' is not a MAC address (02:00:00:00:00:01)`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

function addToAddress(address: Uint8Array, n: number): Uint8Array {
  const out = address.slice();
  let carry = n;
  for (let i = out.length - 1; i >= 0 && carry > 0; i--) {
    const v = out[i]! + carry;
    out[i] = v & 0xff;
    carry = Math.floor(v / 256);
  }
  return out;
}

const DEFAULT_TCP_EXCHANGE: ExchangeSpec = { request: 'GET / HTTP/1.1\\r\\nHost: example.test\\r\\n\\r\\n', response: 'HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok' };

function resolveConnections(c: ConnectionSpec): { resolved: ResolvedConnection; backend: BackendEnds; plan: ReturnType<typeof planCarrier>; mtu: number }[] {
  const protocol = c.protocol ?? 'tcp';
  if (protocol !== 'tcp' && protocol !== 'udp') throw usage(`protocol '${String(protocol)}' is not tcp or udp`);
  const v6 = c.ipv6 === true || c.nat64 === true;
  const client = parseEndpointValue(c.client ?? (v6 ? CRAFT_DEFAULTS.clientV6 : CRAFT_DEFAULTS.client), '--client', true);
  const clientFamily = client.address.length;
  const vip = parseEndpointValue(c.vip ?? (clientFamily === 16 ? CRAFT_DEFAULTS.vipV6 : CRAFT_DEFAULTS.vip), '--vip', true);
  if (vip.address.length !== clientFamily) throw usage('--client and --vip must be the same address family');
  // backend family: from --rs, else --lip, else NAT64 → IPv4, else the client's
  const givenRs = c.rs === undefined ? null : parseEndpointValue(c.rs, '--rs', true);
  const givenLip = c.lip === undefined ? null : parseEndpointValue(c.lip, '--lip', false);
  const backend6 = givenRs ? givenRs.address.length === 16 : givenLip ? givenLip.address.length === 16 : c.nat64 === true ? false : clientFamily === 16;
  const rs = givenRs ?? parseEndpointValue(backend6 ? CRAFT_DEFAULTS.rsV6 : CRAFT_DEFAULTS.rs, '--rs', true);
  const lip = givenLip ?? parseEndpointValue(backend6 ? CRAFT_DEFAULTS.lipV6 : CRAFT_DEFAULTS.lip, '--lip', false);
  if (lip.address.length !== rs.address.length) throw usage('--lip and --rs must be the same address family');
  if (clientFamily === 4 && rs.address.length === 16) throw usage('an IPv4 client with an IPv6 backend (NAT46) is not something DPVS full-NAT does; use an IPv6 client for NAT64');
  const count = c.count === undefined ? 1 : parseIntegerValue(c.count, '--count', 1, 65535);
  const increment = c.increment ?? 'port';
  if (increment !== 'port' && increment !== 'address') throw usage(`--increment '${String(increment)}' is not port or address`);
  const mss = c.mss === undefined ? undefined : parseIntegerValue(c.mss, '--mss', 0, 65535);
  const wscale = c.wscale === undefined || c.wscale === null ? null : parseIntegerValue(c.wscale, '--wscale', 0, 14);
  const ttl = c.ttl === undefined ? CRAFT_DEFAULTS.ttl : parseIntegerValue(c.ttl, '--ttl', 0, 255);
  const mtu = c.mtu === undefined ? 1500 : parseIntegerValue(c.mtu, '--mtu', 68, 65535);
  const extraOptions = (c.tcpOptions ?? []).map((t) => encodeRawTcpOption(parseTcpOptionValue(t)));
  const close = c.close ?? (protocol === 'tcp' ? 'fin' : 'none');
  if (!['fin', 'rst', 'none'].includes(close)) throw usage(`--close '${close}' is not fin, rst or none`);
  const exchangeSpecs = c.exchanges ?? (protocol === 'tcp' ? [DEFAULT_TCP_EXCHANGE] : [1, 2, 3, 4].map((i) => ({ request: `request ${i}\\n`, response: `response ${i}\\n` })));
  const exchanges = exchangeSpecs.map((e, i) => ({
    request: e.request === undefined ? null : payloadBytes(e.request, `exchange ${i + 1} request`),
    response: e.response === undefined ? null : payloadBytes(e.response, `exchange ${i + 1} response`),
  }));
  const out = [];
  for (let i = 0; i < count; i++) {
    const clientAddress = increment === 'address' ? addToAddress(client.address, i) : client.address;
    const clientPort = increment === 'port' ? client.port! + i : client.port!;
    if (clientPort > 65535 || (lip.port ?? 0) + i > 65535) throw usage(`--count ${count} runs the client or local port past 65535`);
    const key = `${Array.from(clientAddress).join('.')}|${clientPort}|${Array.from(vip.address).join('.')}|${vip.port}|${protocol}`;
    const reduce = clientFamily === 16 ? 20 : 8;
    const resolved: ResolvedConnection = {
      protocol,
      client: clientAddress,
      clientPort,
      vip: vip.address,
      vipPort: vip.port!,
      clientIsn: c.clientIsn === undefined ? hash32(`isn-client|${key}`) : parseIntegerValue(c.clientIsn, '--client-isn', 0, 0xffffffff),
      serverIsn: c.serverIsn === undefined ? hash32(`isn-server|${key}`) : parseIntegerValue(c.serverIsn, '--server-isn', 0, 0xffffffff),
      clientMss: mss ?? (clientFamily === 16 ? 1440 : 1460),
      rsMss: mss ?? (rs.address.length === 16 ? 1440 : 1460),
      mssReduce: reduce,
      wscale,
      sack: c.sack ?? false,
      timestamps: c.timestamps ?? false,
      extraOptions,
      extraOptionsEverywhere: c.tcpOptionsEverywhere ?? false,
      exchanges,
      close,
      retransmit: c.retransmit ?? false,
      ttl,
      overrides: c.overrides ?? [],
    };
    const plan = planCarrier(c.format, c.when, {
      protocol, clientAddress, clientPort, vipAddress: vip.address, vipPort: vip.port!, backendVersion: rs.address.length === 16 ? 6 : 4, vpcId: c.vpcId, vni: c.vni,
    });
    const backend: BackendEnds = {
      lip: lip.address,
      // the first local port; one more per connection (DPVS gives each connection its own lport)
      lipPort: lip.port !== null ? lip.port + i : clientPort,
      rs: rs.address,
      rsPort: rs.port!,
      fnatIsn: c.fnatIsn === undefined ? hash32(`isn-fnat|${key}`) : parseIntegerValue(c.fnatIsn, '--fnat-isn', 0, 0xffffffff),
    };
    out.push({ resolved, backend, plan, mtu });
  }
  return out;
}

interface BackendEnds {
  lip: Uint8Array;
  lipPort: number;
  rs: Uint8Array;
  rsPort: number;
  fnatIsn: number;
}

function versionOf(l3: Uint8Array): 4 | 6 {
  return l3[0]! >>> 4 === 6 ? 6 : 4;
}

/** Build the capture a spec describes (no file written). `outPath` only picks pcap vs pcapng. */
export function craft(spec: CraftSpec, outPath: string): CraftedCapture {
  const leg: Leg = spec.leg ?? 'client';
  if (!['client', 'backend', 'both'].includes(leg)) throw usage(`--leg '${String(leg)}' is not client, backend or both`);
  const pcapng = outputIsPcapng(spec, outPath);
  if (leg === 'both' && !pcapng) throw usage('--leg both writes two interfaces: it needs pcapng output (--pcapng or an .pcapng file name)');
  const byteOrder = spec.byteOrder ?? 'le';
  if (byteOrder !== 'le' && byteOrder !== 'be') throw usage(`--byte-order '${String(byteOrder)}' is not le or be`);
  const snaplen = spec.snaplen === undefined ? CRAFT_DEFAULTS.snaplen : parseIntegerValue(spec.snaplen, '--snaplen', 1, 0x7fffffff);
  const nanosecond = spec.nanosecond ?? false;

  // interfaces
  const ifaceCount = Math.max(leg === 'both' ? 2 : 1, spec.interfaces?.length ?? 0);
  const links: LinkSpec[] = [];
  const names: (string | undefined)[] = [];
  const snaplens: number[] = [];
  for (let i = 0; i < ifaceCount; i++) {
    const declared = spec.interfaces?.[i];
    const text = declared?.link ?? (i === 0 && leg !== 'backend' ? spec.link : spec.backendLink ?? spec.link) ?? 'ethernet';
    links.push(parseLinkValue(text, declared ? `interfaces[${i}].link` : i === 0 && leg !== 'backend' ? '--link' : '--backend-link'));
    names.push(declared?.name ?? (pcapng ? (leg === 'both' ? ['client', 'backend'][i] : leg) : undefined));
    snaplens.push(declared?.snaplen === undefined ? snaplen : parseIntegerValue(declared.snaplen, `interfaces[${i}].snaplen`, 1, 0x7fffffff));
  }
  if (!pcapng && ifaceCount > 1) throw usage('a pcap file has one interface; use --pcapng for several');
  const ends: LinkEnds = {
    clientMac: macValue(spec.clientMac, CRAFT_DEFAULTS.clientMac, '--client-mac'),
    serverMac: macValue(spec.serverMac, CRAFT_DEFAULTS.serverMac, '--server-mac'),
  };
  const clock = new Clock(parseStartValue(spec.start ?? CRAFT_DEFAULTS.start), spec.rtt === undefined ? CRAFT_DEFAULTS.rttNanos : parseDurationValue(spec.rtt));
  const packets: CraftedPacket[] = [];
  const emit = (interfaceId: number, data: Uint8Array, originalLength = data.length): void => {
    const cut = Math.min(data.length, snaplens[interfaceId]!);
    packets.push({ interfaceId, timestampSeconds: clock.seconds, timestampNanos: clock.nanos, data: cut < data.length ? data.subarray(0, cut) : data, originalLength: Math.max(originalLength, data.length) });
  };
  const clientIface = 0;
  const backendIface = leg === 'both' ? 1 : 0;

  // connections: `connections` entries inherit the top-level fields; none = the top level is the one connection
  const { connections, packets: rawPackets, ...top } = spec;
  const list: ConnectionSpec[] = connections && connections.length > 0 ? connections.map((c) => ({ ...top, ...c })) : rawPackets && rawPackets.length > 0 && !hasConnectionFields(spec) ? [] : [top];
  for (const c of list) {
    for (const { resolved, backend, plan, mtu } of resolveConnections(c)) {
      const clientLeg = generateClientLeg(resolved);
      const backendLeg =
        leg === 'client'
          ? []
          : buildBackendLeg(clientLeg, {
              client: resolved.client, clientPort: resolved.clientPort, vip: resolved.vip, vipPort: resolved.vipPort,
              lip: backend.lip, lipPort: backend.lipPort, rs: backend.rs, rsPort: backend.rsPort, fnatIsn: backend.fnatIsn, plan, mtu,
            });
      let b = 0;
      for (const p of clientLeg) {
        const clientFrame = () => frame(linkHeader(links[clientIface]!, versionOf(p.l3), p.toServer, ends), p.l3);
        const backendFrames = (): void => {
          // the standalone packets DPVS sent first, then the packet itself
          while (b < backendLeg.length) {
            const q = backendLeg[b++]!;
            emit(backendIface, frame(linkHeader(links[backendIface]!, versionOf(q.l3), q.toServer, ends), q.l3));
            if (!q.extra) break;
          }
        };
        if (leg === 'client') emit(clientIface, clientFrame());
        else if (leg === 'backend') backendFrames();
        else if (p.toServer) {
          emit(clientIface, clientFrame());
          backendFrames();
        } else {
          backendFrames();
          emit(clientIface, clientFrame());
        }
        clock.advance();
      }
    }
  }
  rawPackets?.forEach((p, i) => {
    if (p.time !== undefined) clock.set(parseStartValue(p.time));
    const interfaceId = p.interface ?? 0;
    if (!Number.isInteger(interfaceId) || interfaceId < 0 || interfaceId >= ifaceCount) throw usage(`packets[${i}].interface ${interfaceId} is not one of the ${ifaceCount} interfaces`);
    const data = rawPacket(p, links[interfaceId]!, ends, `packets[${i}]`);
    let bytes = data;
    if (p.capturedLength !== undefined) bytes = data.subarray(0, Math.min(data.length, parseIntegerValue(p.capturedLength, `packets[${i}].capturedLength`, 0, 0x7fffffff)));
    emit(interfaceId, bytes, p.originalLength ?? data.length);
    clock.advance();
  });
  return {
    format: pcapng ? 'pcapng' : 'pcap',
    nanosecond,
    byteOrder,
    interfaces: links.map((l, i) => ({ linkType: linkTypeOf(l), name: names[i], snapLength: snaplens[i]! })),
    packets,
  };
}

function hasConnectionFields(spec: CraftSpec): boolean {
  return spec.client !== undefined || spec.vip !== undefined || spec.exchanges !== undefined || spec.protocol !== undefined;
}

/** A literal packet of the spec. */
function rawPacket(p: RawPacketSpec, link: LinkSpec, ends: LinkEnds, where: string): Uint8Array {
  if (p.frameHex !== undefined) return hexValue(p.frameHex, `${where}.frameHex`);
  if (!p.ip) throw usage(`${where}: a packet needs frameHex or ip`);
  const source = parseEndpointValue(p.ip.source, `${where}.ip.source`, false).address;
  const destination = parseEndpointValue(p.ip.destination, `${where}.ip.destination`, false).address;
  if (source.length !== destination.length) throw usage(`${where}.ip: source and destination are different families`);
  const version = source.length === 16 ? 6 : 4;
  let ipOptions = p.ip.optionsHex !== undefined ? hexValue(p.ip.optionsHex, `${where}.ip.optionsHex`) : undefined;
  const extensions = (p.ip.extensions ?? []).map((e) => ({ type: e.type, bytes: hexValue(e.hex, `${where}.ip.extensions`) }));
  let tcpOptions = p.tcp?.optionsHex !== undefined ? hexValue(p.tcp.optionsHex, `${where}.tcp.optionsHex`) : undefined;
  let payload: Uint8Array = p.payloadHex !== undefined ? hexValue(p.payloadHex, `${where}.payloadHex`) : p.payloadText !== undefined ? unescapeText(p.payloadText) : new Uint8Array(0);
  let opp: Uint8Array | undefined;
  let transport: TransportSpec;
  if (p.tcp) {
    transport = {
      type: 'tcp', sourcePort: p.tcp.sourcePort, destinationPort: p.tcp.destinationPort, sequenceNumber: p.tcp.sequenceNumber ?? 1, acknowledgmentNumber: p.tcp.acknowledgmentNumber ?? 0,
      flags: p.tcp.flags === undefined ? 'A' : flagsValue(p.tcp.flags, `${where}.tcp.flags`), windowSize: p.tcp.window ?? CRAFT_DEFAULTS.window, dataOffset: p.tcp.dataOffset,
    };
  } else if (p.udp) {
    transport = { type: 'udp', sourcePort: p.udp.sourcePort, destinationPort: p.udp.destinationPort };
  } else if (p.icmp) {
    transport = { type: 'icmp', icmpType: p.icmp.type, code: p.icmp.code, identifier: p.icmp.identifier, sequence: p.icmp.sequence };
  } else throw usage(`${where}: a packet needs tcp, udp or icmp`);

  if (p.carrier) {
    const c = p.carrier;
    const row = resolveFormat(c.format);
    if (!row) throw usage(`${where}.carrier.format '${c.format}' is not a registry format`);
    const client = parseEndpointValue(c.client ?? CRAFT_DEFAULTS.client, `${where}.carrier.client`, false);
    const vip = parseEndpointValue(c.vip ?? CRAFT_DEFAULTS.vip, `${where}.carrier.vip`, false);
    const fields: CarrierFields = {
      clientAddress: client.address, clientPort: client.port ?? 0, virtualAddress: vip.address, virtualPort: vip.port ?? 0, vpcId: c.vpcId ?? 1, vni: c.vni ?? 1,
      nextHeader: transport.type === 'tcp' ? 6 : transport.type === 'udp' ? 17 : version === 4 ? 1 : 58,
    };
    const bytes = encodeFields(() =>
      row.carrier === 'tcp-option' ? encodeTcpCarrier(row.format, fields, { align: true, kind: c.kind }) : encodeCarrier(row.format, fields), `${where}.carrier`);
    const concat = (a: Uint8Array, b: Uint8Array | undefined): Uint8Array => {
      const out = new Uint8Array(a.length + (b?.length ?? 0));
      out.set(a, 0);
      if (b) out.set(b, a.length);
      return out;
    };
    switch (row.carrier) {
      case 'tcp-option':
        if (transport.type !== 'tcp') throw usage(`${where}.carrier: ${row.format} needs a tcp packet`);
        tcpOptions = concat(bytes, tcpOptions);
        break;
      case 'ipv4-option':
        if (version !== 4) throw usage(`${where}.carrier: ${row.format} needs an IPv4 packet`);
        ipOptions = concat(bytes, ipOptions);
        break;
      case 'ipv6-dstopt':
        if (version !== 6) throw usage(`${where}.carrier: ${row.format} needs an IPv6 packet`);
        extensions.unshift({ type: 60, bytes });
        break;
      case 'opp':
        opp = bytes;
        break;
      default:
        payload = concat(bytes, payload);
    }
  }
  const ip: Ipv4Spec | Ipv6Spec =
    version === 4
      ? { version: 4, source, destination, ttl: p.ip.ttl ?? 64, tos: p.ip.tos, identification: p.ip.identification, dontFragment: p.ip.dontFragment ?? true, options: ipOptions, protocol: p.ip.protocol }
      : { version: 6, source, destination, hopLimit: p.ip.ttl ?? 64, extensions, nextHeader: p.ip.protocol };
  if (transport.type === 'tcp' && tcpOptions) transport.options = tcpOptions;
  const spec: PacketSpec = { link: { type: 'raw' }, ip, opp, transport, payload };
  let l3: Uint8Array;
  try {
    l3 = buildPacket(spec, { fixLengths: p.fixLengths ?? true, computeChecksums: p.computeChecksums ?? true });
  } catch (e) {
    throw usage(`${where} cannot be built: ${(e as Error).message}`);
  }
  return frame(linkHeader(link, version, true, ends), l3);
}

function encodeFields(f: () => Uint8Array, where: string): Uint8Array {
  try {
    return f();
  } catch (e) {
    if (e instanceof CodecError || e instanceof Error) throw usage(`${where}: ${e.message}`);
    throw e;
  }
}

/** Write a crafted capture to `outPath` (atomic: temporary file renamed by close). */
export function writeCrafted(capture: CraftedCapture, outPath: string): void {
  const writer =
    capture.format === 'pcap'
      ? createCaptureWriter(outPath, { format: 'pcap', linkType: capture.interfaces[0]!.linkType, nanosecond: capture.nanosecond, byteOrder: capture.byteOrder, snapLength: capture.interfaces[0]!.snapLength })
      : createCaptureWriter(outPath, {
          format: 'pcapng',
          byteOrder: capture.byteOrder,
          interfaces: capture.interfaces.map((i) => ({ linkType: i.linkType, name: i.name, nanosecond: capture.nanosecond, snapLength: i.snapLength })),
        });
  try {
    for (const p of capture.packets) {
      writer.writePacket({ interfaceId: p.interfaceId, timestampSeconds: p.timestampSeconds, timestampNanos: p.timestampNanos, originalLength: p.originalLength }, p.data, p.originalLength);
    }
    writer.close();
  } catch (e) {
    writer.abort();
    throw e;
  }
}

