/**
 * Field-level differences between the packet the model sends and the packet captured, for the
 * `--check` report: "seq expected 0x4eeb1b40, got 0x4eeb1b41; options differ".
 */
import { formatIp } from '../codec/addr.js';
import { readU16, readU32, toHex } from '../codec/bytes.js';
import { IPV4 } from '../codec/ipv4.js';
import { IPV6 } from '../codec/ipv6.js';
import { TCP } from '../codec/tcp.js';
import { locateTcp, newTcpLocation } from '../dpvs/synproxy-packets.js';
import { hex32 } from './packet.js';

type Field = { name: string; read: (b: Uint8Array) => string };

function ipv4Fields(): Field[] {
  const u8 = (name: string, at: number): Field => ({ name, read: (b) => `0x${b[at]!.toString(16).padStart(2, '0')}` });
  const u16 = (name: string, at: number): Field => ({ name, read: (b) => `0x${readU16(b, at).toString(16).padStart(4, '0')}` });
  return [
    u8('version/ihl', IPV4.VER_IHL),
    u8('tos', IPV4.TOS),
    u16('total length', IPV4.TOTAL_LENGTH),
    u16('ip id', IPV4.ID),
    u16('flags/fragment', IPV4.FLAGS_FRAG),
    { name: 'ttl', read: (b) => String(b[IPV4.TTL]) },
    u8('protocol', IPV4.PROTOCOL),
    u16('ip checksum', IPV4.CHECKSUM),
    { name: 'source', read: (b) => formatIp(b, IPV4.SRC, 4) },
    { name: 'destination', read: (b) => formatIp(b, IPV4.DST, 4) },
  ];
}

function ipv6Fields(): Field[] {
  return [
    { name: 'version/class/flow', read: (b) => hex32(readU32(b, IPV6.VER_TC_FLOW)) },
    { name: 'payload length', read: (b) => String(readU16(b, IPV6.PAYLOAD_LENGTH)) },
    { name: 'next header', read: (b) => String(b[IPV6.NEXT_HEADER]) },
    { name: 'hop limit', read: (b) => String(b[IPV6.HOP_LIMIT]) },
    { name: 'source', read: (b) => formatIp(b, IPV6.SRC, 16) },
    { name: 'destination', read: (b) => formatIp(b, IPV6.DST, 16) },
  ];
}

/** Human-readable differences between expected (model) and got (captured); ignores the IPv4 ID/checksum when asked. */
export function describeDifferences(expected: Uint8Array, got: Uint8Array, ignoreIpv4Id = false): string[] {
  const out: string[] = [];
  const ve = expected[0]! >>> 4;
  const vg = got[0]! >>> 4;
  if (ve !== vg) return [`IP version expected ${ve}, got ${vg}`];
  const fields = ve === 4 ? ipv4Fields() : ipv6Fields();
  for (const f of fields) {
    if (ignoreIpv4Id && (f.name === 'ip id' || f.name === 'ip checksum')) continue;
    const a = f.read(expected);
    const b = f.read(got);
    if (a !== b) out.push(`${f.name} expected ${a}, got ${b}`);
  }
  let le;
  let lg;
  try {
    le = locateTcp(expected, 0, expected.length, newTcpLocation());
    lg = locateTcp(got, 0, got.length, newTcpLocation());
  } catch {
    if (out.length === 0) out.push('bytes differ');
    return out;
  }
  const tcp: Array<[string, (b: Uint8Array, t: number) => string]> = [
    ['source port', (b, t) => String(readU16(b, t + TCP.SRC_PORT))],
    ['destination port', (b, t) => String(readU16(b, t + TCP.DST_PORT))],
    ['seq', (b, t) => hex32(readU32(b, t + TCP.SEQ))],
    ['ack', (b, t) => hex32(readU32(b, t + TCP.ACK))],
    ['data offset', (b, t) => String(b[t + TCP.DATA_OFFSET]! >>> 4)],
    ['flags', (b, t) => `0x${b[t + TCP.FLAGS]!.toString(16).padStart(2, '0')}`],
    ['window', (b, t) => String(readU16(b, t + TCP.WINDOW))],
    ['tcp checksum', (b, t) => `0x${readU16(b, t + TCP.CHECKSUM).toString(16).padStart(4, '0')}`],
    ['urgent pointer', (b, t) => String(readU16(b, t + TCP.URGENT))],
  ];
  for (const [name, read] of tcp) {
    const a = read(expected, le.tcp);
    const b = read(got, lg.tcp);
    if (a !== b) out.push(`${name} expected ${a}, got ${b}`);
  }
  const oe = toHex(expected, le.tcp + TCP.MIN_HEADER, le.tcp + le.tcpHeaderLength);
  const og = toHex(got, lg.tcp + TCP.MIN_HEADER, lg.tcp + lg.tcpHeaderLength);
  if (oe !== og) out.push(`options expected [${oe}], got [${og}]`);
  const pe = toHex(expected, le.tcp + le.tcpHeaderLength, le.l3 + le.ipLength);
  const pg = toHex(got, lg.tcp + lg.tcpHeaderLength, lg.l3 + lg.ipLength);
  if (pe !== pg) out.push(`payload differs (${le.payloadLength} bytes expected, ${lg.payloadLength} captured)`);
  if (out.length === 0 && expected.length !== got.length) out.push(`length expected ${expected.length}, got ${got.length}`);
  if (out.length === 0) out.push('bytes differ');
  return out;
}
