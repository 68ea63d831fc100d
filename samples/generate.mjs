#!/usr/bin/env node
/**
 * Regenerates every capture in samples/ with `toa craft` (node bin/toa.js craft …). Deterministic:
 * the same commands give the same bytes, and test/samples/samples.test.ts checks that the
 * committed files equal a fresh run.
 *
 * Usage: npm run build && node samples/generate.mjs [OUT_DIR]   (default: this directory)
 *        node samples/generate.mjs --list                       (print the commands as JSON)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../bin/toa.js');
const spec = (name) => join(here, 'specs', name);

/** name → [flags, what it shows]. Every sample starts at the same instant. */
export const SAMPLES = [
  ['dpvs-fnat-v4.pcap', ['--leg', 'backend', '--timestamps', '--sack', '--wscale', '7'],
    'DPVS full-NAT IPv4 connection as the real server sees it: the SYN with its timestamp turned into NOPs, TOA 254/8 (client 198.51.100.10:40000) first in the handshake ACK and the request, none after the client acks response data.'],
  ['dpvs-fnat-v6.pcap', ['--leg', 'backend', '--ipv6', '--sack'],
    'DPVS full-NAT IPv6: TOA 254/20 with the IPv6 client address in the handshake ACK and the request.'],
  ['dpvs-nat64.pcap', ['--leg', 'backend', '--nat64'],
    'DPVS NAT64: IPv6 client, IPv4 backend; the IPv4 packets carry TOA 254/20 with the IPv6 client address; the SYN-ACK MSS is 20 higher than the client saw.'],
  ['dpvs-fnat-both.pcapng', ['--leg', 'both'],
    'The same IPv4 connection on both legs: interface 0 client↔VIP, interface 1 LIP↔RS (seq shifted by the full-NAT ISN, TOA added).'],
  ['dpvs-retransmit.pcap', ['--leg', 'backend', '--retransmit', '--request-size', '3000'],
    'A request of 3000 bytes in three segments whose first one is retransmitted: DPVS puts TOA in every pre-data segment, the retransmission included.'],
  ['vendor-tcp-options.pcap', ['--spec', spec('vendor-tcp-options.json')],
    'One ACK per TCP-option format of the carrier registry (254/8, 254/20, 254/16, 253/20, 253/8, 200/8, 201/6, 202/8, 250/8, 252/20, 249/40, 28/7, 28/19) and the RFC 7974 Host ID look-alike (253, ExID 0x0348).'],
  ['ttgw-v4.pcap', ['--leg', 'backend', '--format', 'ttgw'],
    'ByteDance TTGW: IPv4 option 31/16 (client and VIP) first in the IPv4 header of every client→RS packet.'],
  ['ttgw-v6.pcap', ['--leg', 'backend', '--ipv6', '--format', 'ttgw'],
    'ByteDance TTGW over IPv6: a Destination Options header (option 31, optlen 36) right after the fixed header of every client→RS packet.'],
  ['uoa-opp.pcap', ['--leg', 'backend', '--udp', '--format', 'uoa-opp'],
    'DPVS UOA "opp" mode: IP protocol 248 shim with option 31/8 in the first 3 client datagrams (UDP checksum 0 behind the shim), the 4th without.'],
  ['uoa-ipo.pcap', ['--leg', 'backend', '--udp', '--format', 'uoa-ipo'],
    'DPVS UOA "ipo" mode: IPv4 option 31/8 in the first 3 client datagrams.'],
  ['proxy-v1.pcap', ['--leg', 'backend', '--format', 'proxy-v1'],
    'PROXY protocol v1 line in front of the first request; later client segments shifted by its length, the RS acks shifted back.'],
  ['proxy-v2.pcap', ['--leg', 'backend', '--format', 'proxy-v2'],
    'PROXY protocol v2 binary header in front of the first request.'],
  ['tfo-kind254.pcap', ['--tcp-option', '254:f989a1b2c3d4e5f6a7b8'],
    'A TCP Fast Open cookie in the RFC 6994 encoding (kind 254, length 12, ExID 0xF989) on SYN and SYN-ACK: must not be read as a client address.'],
  ['malformed-options.pcap', ['--spec', spec('malformed-options.json')],
    'TCP option areas that a walker must survive: length 1, a TOA overrunning the area, data after EOL, a kind byte without length, 254 with an unknown length; each payload says which.'],
  ['vlan.pcap', ['--leg', 'backend', '--link', 'vlan:100'], 'The DPVS IPv4 backend leg behind an 802.1Q tag (VLAN 100).'],
  ['qinq.pcap', ['--leg', 'backend', '--link', 'qinq:100,200'], 'The same behind 802.1ad + 802.1Q tags (outer 100, inner 200).'],
  ['sll.pcap', ['--leg', 'backend', '--link', 'sll'], 'Linux cooked capture v1 (tcpdump -i any).'],
  ['sll2.pcap', ['--leg', 'backend', '--link', 'sll2'], 'Linux cooked capture v2.'],
  ['raw.pcap', ['--leg', 'backend', '--link', 'raw'], 'Raw IP (link type 101), no link header.'],
  ['null.pcap', ['--leg', 'backend', '--link', 'null'], 'BSD loopback (NULL, 4-byte host-order family).'],
  ['two-interfaces.pcapng', ['--leg', 'both', '--link', 'ethernet', '--backend-link', 'sll2'],
    'pcapng with two interfaces of different link types: client leg on Ethernet, backend leg on Linux SLL2.'],
  ['nanosecond.pcap', ['--leg', 'backend', '--nanosecond', '--rtt', '1500ns'], 'Nanosecond pcap (magic a1b23c4d), packets 1.5 µs apart.'],
  ['big-endian.pcap', ['--leg', 'backend', '--byte-order', 'be'], 'Big-endian pcap (magic a1b2c3d4 written big-endian).'],
  ['snaplen-64.pcap', ['--leg', 'backend', '--snaplen', '64', '--request-size', '400', '--response-size', '600'],
    'Snap length 64: every packet cut at 64 bytes, original lengths kept (TOA still inside the captured part).'],
];

const START = ['--start', '2024-01-01T00:00:00Z'];

export function generate(outDir) {
  mkdirSync(outDir, { recursive: true });
  for (const [name, flags] of SAMPLES) {
    execFileSync(process.execPath, [bin, 'craft', '-o', join(outDir, name), ...START, ...flags], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--list') {
    console.log(JSON.stringify(SAMPLES.map(([name, flags, what]) => ({ name, command: ['toa', 'craft', '-o', `samples/${name}`, ...START, ...flags.map((f) => f.replace(here + '/', 'samples/'))].join(' '), what })), null, 2));
  } else {
    const out = resolve(process.argv[2] ?? here);
    generate(out);
    console.error(`wrote ${SAMPLES.length} samples to ${out}`);
  }
}
