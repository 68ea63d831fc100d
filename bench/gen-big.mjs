#!/usr/bin/env node
// Deterministic generator of the benchmark capture described in docs (peers.md §4a):
// pcap µs little-endian (or pcapng), Ethernet, DPVS full-NAT backend flows (LB local address -> RS)
// of 20 packets each:
//   1 SYN            MSS, SACK-permitted, timestamps, NOP, window scale
//   2 SYN-ACK        same options
//   3 ACK            TOA 254/8 as the FIRST option, then NOP NOP timestamps   (handshake-completing ACK)
//   4..17            7 request/response pairs; the first request also carries TOA first
//   18 FIN-ACK, 19 FIN-ACK, 20 ACK
// With the defaults (50,000 flows) the file has 1,000,000 packets, 100,000 of them carrying TOA, and is
// exactly 445,000,325 bytes (pcap), as the peer measurements' big1m.pcap. Every IPv4 and TCP checksum is valid.
//
// Usage: node bench/gen-big.mjs OUT [--flows N] [--repeat K] [--format pcap|pcapng] [--batch B] [--no-toa]
//   --flows N    number of distinct flows (4-tuples), default 50000 (20 packets each)
//   --repeat K   emit the same N flows K times (new ISNs, later timestamps): K×20×N packets, still N flows
//   --format     pcap (default, µs LE) or pcapng (one SHB + IDB, EPBs, µs resolution)
//   --batch B    flows interleaved at a time (default 500): packet step s of all B flows, then step s+1
//   --no-toa     the same packets without the TOA option (each of those 2 packets per flow is 8 bytes shorter):
//                the input for timing `inject-toa`
//
// No dependencies and no imports from src/: it must work while the codec is being written.

import { openSync, writeSync, closeSync, renameSync } from 'node:fs';

// ---- arguments ------------------------------------------------------------------------------------------
function usage(message) {
  if (message) process.stderr.write(`gen-big: ${message}\n`);
  (message ? process.stderr : process.stdout).write(
    'usage: node bench/gen-big.mjs OUT [--flows N] [--repeat K] [--format pcap|pcapng] [--batch B] [--no-toa]\n',
  );
  process.exit(message ? 2 : 0);
}
const argv = process.argv.slice(2);
let outPath = null;
let flowCount = 50000;
let repeatCount = 1;
let format = 'pcap';
let batchSize = 500;
let withToa = true;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const intArg = () => {
    const v = Number(argv[++i]);
    if (!Number.isInteger(v) || v < 1) usage(`${a} needs a positive integer`);
    return v;
  };
  if (a === '--flows') flowCount = intArg();
  else if (a === '--repeat') repeatCount = intArg();
  else if (a === '--batch') batchSize = intArg();
  else if (a === '--no-toa') withToa = false;
  else if (a === '--format') {
    format = argv[++i];
    if (format !== 'pcap' && format !== 'pcapng') usage('--format is pcap or pcapng');
  } else if (a === '-h' || a === '--help') usage();
  else if (a.startsWith('-')) usage(`unknown option ${a}`);
  else if (outPath === null) outPath = a;
  else usage(`unexpected argument ${a}`);
}
if (outPath === null) usage('missing output path');
// 4-tuples are unique up to 2^14 local ports × 240 local addresses.
if (flowCount > 16384 * 240) usage('--flows at most 3932160');

// ---- layout constants -----------------------------------------------------------------------------------
const ETHERNET_HEADER = 14;
const IPV4_HEADER = 20;
const TCP_HEADER = 20;
const L3_OFFSET = ETHERNET_HEADER;
const L4_OFFSET = ETHERNET_HEADER + IPV4_HEADER;
const ETHERTYPE_IPV4 = 0x0800;
const IPPROTO_TCP = 6;
const IPV4_DONT_FRAGMENT = 0x4000;
const TTL = 64;

const FLAG_FIN = 0x01;
const FLAG_SYN = 0x02;
const FLAG_PSH = 0x08;
const FLAG_ACK = 0x10;

const OPTION_NOP = 1;
const OPTION_MSS = 2;
const OPTION_WINDOW_SCALE = 3;
const OPTION_SACK_PERMITTED = 4;
const OPTION_TIMESTAMPS = 8;
const OPTION_TOA = 254;
const TOA_LENGTH = 8;

const PACKETS_PER_FLOW = 20;
const PAIRS = 7;
// Payload sizes per flow: 708 request bytes + 6520 response bytes. With 1352 bytes of headers per flow
// this gives 8580 captured bytes per flow; `extraBytes` flows get one more response byte so that the default
// file lands exactly on the reference size (445,000,325 bytes = 24 + 1e6×16 + 429,000,301).
const REQUEST_SIZES = [120, 80, 96, 64, 150, 88, 110];
const RESPONSE_SIZES = [1448, 1448, 512, 1448, 300, 1000, 364];
const extraByteFlows = Math.round((301 * flowCount) / 50000);

const SYN_OPTIONS_LENGTH = 20; // MSS(4) SACKOK(2) TS(10) NOP(1) WS(3)
const TS_OPTIONS_LENGTH = 12; // NOP NOP TS(10)

const CLIENT_MAC = [0x02, 0x00, 0x0a, 0x00, 0x00, 0x01]; // the LB's backend interface
const SERVER_MAC = [0x02, 0x00, 0xc0, 0xa8, 0x01, 0x0a]; // the RS
const SERVER_ADDRESS_BASE = (192 << 24 | 168 << 16 | 1 << 8 | 10) >>> 0; // 192.168.1.10 .. .17
const SERVER_PORT = 80;
const CLIENT_ADDRESS_BASE = (198 << 24 | 51 << 16) >>> 0; // TOA: real clients 198.51.0.0 + flow

// ---- payload templates (sums precomputed per length) ----------------------------------------------------
function makeTemplate(head, fill) {
  const template = Buffer.alloc(1600);
  let o = template.write(head, 0, 'latin1');
  for (let i = 0; o < template.length; i++, o++) template[o] = fill.charCodeAt(i % fill.length);
  return template;
}
const REQUEST_TEMPLATE = makeTemplate(
  'GET /api/v1/items?page=1 HTTP/1.1\r\nHost: vip.example\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n',
  'x-pad: 0123456789abcdef\r\n',
);
const RESPONSE_TEMPLATE = makeTemplate(
  'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nServer: rs\r\n\r\n',
  '{"id":12345,"name":"item","tags":["a","b","c"]},',
);

function onesSum(bytes, start, end, accumulator) {
  let sum = accumulator;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  return sum;
}
function fold(sum) {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}
// prefix sums of a template (payloads always start at an even offset inside the TCP segment)
function prefixSums(template) {
  const sums = new Float64Array(template.length + 1);
  let acc = 0;
  for (let i = 0; i < template.length; i++) {
    acc += i % 2 === 0 ? template[i] << 8 : template[i];
    sums[i + 1] = acc;
  }
  return sums;
}
const REQUEST_SUMS = prefixSums(REQUEST_TEMPLATE);
const RESPONSE_SUMS = prefixSums(RESPONSE_TEMPLATE);

// ---- output buffering -----------------------------------------------------------------------------------
const CHUNK = 8 * 1024 * 1024;
const MAX_RECORD = 32 + 1600 + 4;
const chunk = Buffer.allocUnsafe(CHUNK);
let used = 0;
const temporaryPath = `${outPath}.tmp`;
const fd = openSync(temporaryPath, 'w');
let totalBytes = 0;
function flush() {
  let written = 0;
  while (written < used) written += writeSync(fd, chunk, written, used - written);
  totalBytes += used;
  used = 0;
}

function writeFileHeader() {
  if (format === 'pcap') {
    chunk.writeUInt32LE(0xa1b2c3d4, 0);
    chunk.writeUInt16LE(2, 4);
    chunk.writeUInt16LE(4, 6);
    chunk.writeInt32LE(0, 8); // thiszone
    chunk.writeUInt32LE(0, 12); // sigfigs
    chunk.writeUInt32LE(65535, 16); // snaplen
    chunk.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
    used = 24;
  } else {
    // Section Header Block, no options
    chunk.writeUInt32LE(0x0a0d0d0a, 0);
    chunk.writeUInt32LE(28, 4);
    chunk.writeUInt32LE(0x1a2b3c4d, 8);
    chunk.writeUInt16LE(1, 12);
    chunk.writeUInt16LE(0, 14);
    chunk.writeInt32LE(-1, 16); // section length unknown
    chunk.writeInt32LE(-1, 20);
    chunk.writeUInt32LE(28, 24);
    // Interface Description Block: Ethernet, snaplen 65535, no options (µs resolution by default)
    chunk.writeUInt32LE(1, 28);
    chunk.writeUInt32LE(20, 32);
    chunk.writeUInt16LE(1, 36);
    chunk.writeUInt16LE(0, 38);
    chunk.writeUInt32LE(65535, 40);
    chunk.writeUInt32LE(20, 44);
    used = 48;
  }
}

// ---- packet emission ------------------------------------------------------------------------------------
let packetCount = 0;
let toaPacketCount = 0;
const BASE_SECONDS = 1700000000;
const PACKET_GAP_MICROS = 10;

/**
 * Writes one record: Ethernet + IPv4 + TCP(options) + payload. A non-zero `toaAddress` adds TOA 254/8 as the
 * first option; `synOptions` selects MSS/SACKOK/TS/NOP/WS, otherwise NOP NOP TS.
 */
function emit(fromClient, source, destination, sourcePort, destinationPort, sequence, acknowledgment, flags,
  ipId, synOptions, toaAddress, toaPort, tsValue, tsEcho, payloadTemplate, payloadSums, payloadLength) {
  if (used + MAX_RECORD > CHUNK) flush();
  const optionsLength = (synOptions ? SYN_OPTIONS_LENGTH : TS_OPTIONS_LENGTH) + (toaAddress !== 0 ? TOA_LENGTH : 0);
  const tcpLength = TCP_HEADER + optionsLength + payloadLength;
  const frameLength = ETHERNET_HEADER + IPV4_HEADER + tcpLength;
  const micros = packetCount * PACKET_GAP_MICROS;
  const seconds = BASE_SECONDS + Math.floor(micros / 1e6);
  const fraction = micros % 1e6;
  let p;
  if (format === 'pcap') {
    chunk.writeUInt32LE(seconds, used);
    chunk.writeUInt32LE(fraction, used + 4);
    chunk.writeUInt32LE(frameLength, used + 8);
    chunk.writeUInt32LE(frameLength, used + 12);
    p = used + 16;
  } else {
    const padded = (frameLength + 3) & ~3;
    const blockLength = 32 + padded;
    const units = seconds * 1e6 + fraction;
    chunk.writeUInt32LE(6, used);
    chunk.writeUInt32LE(blockLength, used + 4);
    chunk.writeUInt32LE(0, used + 8);
    chunk.writeUInt32LE(Math.floor(units / 0x100000000), used + 12);
    chunk.writeUInt32LE(units >>> 0, used + 16);
    chunk.writeUInt32LE(frameLength, used + 20);
    chunk.writeUInt32LE(frameLength, used + 24);
    p = used + 28;
    chunk.fill(0, p + frameLength, p + padded);
    chunk.writeUInt32LE(blockLength, p + padded);
  }
  const frame = p;
  // Ethernet
  const dstMac = fromClient ? SERVER_MAC : CLIENT_MAC;
  const srcMac = fromClient ? CLIENT_MAC : SERVER_MAC;
  for (let i = 0; i < 6; i++) {
    chunk[frame + i] = dstMac[i];
    chunk[frame + 6 + i] = srcMac[i];
  }
  chunk.writeUInt16BE(ETHERTYPE_IPV4, frame + 12);
  // IPv4
  const ip = frame + L3_OFFSET;
  chunk[ip] = 0x45;
  chunk[ip + 1] = 0;
  chunk.writeUInt16BE(IPV4_HEADER + tcpLength, ip + 2);
  chunk.writeUInt16BE(ipId & 0xffff, ip + 4);
  chunk.writeUInt16BE(IPV4_DONT_FRAGMENT, ip + 6);
  chunk[ip + 8] = TTL;
  chunk[ip + 9] = IPPROTO_TCP;
  chunk.writeUInt16BE(0, ip + 10);
  chunk.writeUInt32BE(source, ip + 12);
  chunk.writeUInt32BE(destination, ip + 16);
  chunk.writeUInt16BE(0xffff ^ fold(onesSum(chunk, ip, ip + IPV4_HEADER, 0)), ip + 10);
  // TCP
  const tcp = frame + L4_OFFSET;
  chunk.writeUInt16BE(sourcePort, tcp);
  chunk.writeUInt16BE(destinationPort, tcp + 2);
  chunk.writeUInt32BE(sequence >>> 0, tcp + 4);
  chunk.writeUInt32BE(acknowledgment >>> 0, tcp + 8);
  chunk[tcp + 12] = ((TCP_HEADER + optionsLength) / 4) << 4;
  chunk[tcp + 13] = flags;
  chunk.writeUInt16BE(synOptions ? 64240 : 502, tcp + 14);
  chunk.writeUInt16BE(0, tcp + 16); // checksum, below
  chunk.writeUInt16BE(0, tcp + 18); // urgent pointer
  let o = tcp + TCP_HEADER;
  if (toaAddress !== 0) {
    chunk[o] = OPTION_TOA;
    chunk[o + 1] = TOA_LENGTH;
    chunk.writeUInt16BE(toaPort, o + 2);
    chunk.writeUInt32BE(toaAddress, o + 4);
    o += TOA_LENGTH;
    toaPacketCount++;
  }
  if (synOptions) {
    chunk[o] = OPTION_MSS; chunk[o + 1] = 4; chunk.writeUInt16BE(1460, o + 2);
    chunk[o + 4] = OPTION_SACK_PERMITTED; chunk[o + 5] = 2;
    chunk[o + 6] = OPTION_TIMESTAMPS; chunk[o + 7] = 10;
    chunk.writeUInt32BE(tsValue >>> 0, o + 8); chunk.writeUInt32BE(tsEcho >>> 0, o + 12);
    chunk[o + 16] = OPTION_NOP;
    chunk[o + 17] = OPTION_WINDOW_SCALE; chunk[o + 18] = 3; chunk[o + 19] = 7;
    o += SYN_OPTIONS_LENGTH;
  } else {
    chunk[o] = OPTION_NOP; chunk[o + 1] = OPTION_NOP;
    chunk[o + 2] = OPTION_TIMESTAMPS; chunk[o + 3] = 10;
    chunk.writeUInt32BE(tsValue >>> 0, o + 4); chunk.writeUInt32BE(tsEcho >>> 0, o + 8);
    o += TS_OPTIONS_LENGTH;
  }
  let sum = 0;
  if (payloadLength > 0) {
    payloadTemplate.copy(chunk, o, 0, payloadLength);
    sum = payloadSums[payloadLength];
  }
  // pseudo-header + TCP header and options (header length is a multiple of 4, so the payload is word aligned)
  sum += (source >>> 16) + (source & 0xffff) + (destination >>> 16) + (destination & 0xffff) + IPPROTO_TCP + tcpLength;
  sum = onesSum(chunk, tcp, o, sum);
  chunk.writeUInt16BE(0xffff ^ fold(sum), tcp + 16);
  used = format === 'pcap' ? p + frameLength : p + ((frameLength + 3) & ~3) + 4;
  packetCount++;
}

// ---- flows ----------------------------------------------------------------------------------------------
// Flow identity (the same for every repetition): LB local address 10.0.(1 + f>>14 / 256).(f>>14 % 256 + 1),
// local port 1024 + (f & 0x3fff), RS 192.168.1.(10 + f%8):80, TOA client 198.51.0.0 + f, client port.
function localAddress(flow) {
  const group = flow >>> 14;
  return ((10 << 24) | ((1 + Math.floor(group / 240)) << 8) | ((group % 240) + 1)) >>> 0;
}
function hash32(x) {
  // deterministic integer mix (xorshift-multiply), for ISNs and client ports
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  return (x ^ (x >>> 16)) >>> 0;
}

const state = {
  clientSequence: new Float64Array(batchSize),
  serverSequence: new Float64Array(batchSize),
  clientIpId: new Uint32Array(batchSize),
  serverIpId: new Uint32Array(batchSize),
};

writeFileHeader();
const startedAt = process.hrtime.bigint();
for (let repetition = 0; repetition < repeatCount; repetition++) {
  for (let first = 0; first < flowCount; first += batchSize) {
    const last = Math.min(flowCount, first + batchSize);
    for (let step = 0; step < PACKETS_PER_FLOW; step++) {
      for (let flow = first; flow < last; flow++) {
        const slot = flow - first;
        const lip = localAddress(flow);
        const lport = 1024 + (flow & 0x3fff);
        const rip = (SERVER_ADDRESS_BASE + (flow % 8)) >>> 0;
        const cip = withToa ? (CLIENT_ADDRESS_BASE + flow) >>> 0 : 0;
        const cport = 1024 + (hash32(flow + 7) % 64000);
        const ts = (1000000 + Math.floor((packetCount * PACKET_GAP_MICROS) / 1000)) >>> 0;
        const tsPeer = (ts + 5000 + (flow % 1000)) >>> 0;
        if (step === 0) {
          state.clientSequence[slot] = hash32(flow * 2 + 1 + repetition * 0x9e3779b1);
          state.serverSequence[slot] = hash32(flow * 2 + 2 + repetition * 0x9e3779b1);
          state.clientIpId[slot] = hash32(flow + 11) & 0xffff;
          state.serverIpId[slot] = 0;
          emit(true, lip, rip, lport, SERVER_PORT, state.clientSequence[slot], 0, FLAG_SYN,
            state.clientIpId[slot]++, true, 0, 0, ts, 0, null, null, 0);
          state.clientSequence[slot] += 1;
        } else if (step === 1) {
          emit(false, rip, lip, SERVER_PORT, lport, state.serverSequence[slot], state.clientSequence[slot],
            FLAG_SYN | FLAG_ACK, state.serverIpId[slot]++, true, 0, 0, tsPeer, ts, null, null, 0);
          state.serverSequence[slot] += 1;
        } else if (step === 2) {
          emit(true, lip, rip, lport, SERVER_PORT, state.clientSequence[slot], state.serverSequence[slot], FLAG_ACK,
            state.clientIpId[slot]++, false, cip, cport, ts, tsPeer, null, null, 0);
        } else if (step < 3 + 2 * PAIRS) {
          const pair = (step - 3) >> 1;
          if (((step - 3) & 1) === 0) {
            const length = REQUEST_SIZES[pair];
            emit(true, lip, rip, lport, SERVER_PORT, state.clientSequence[slot], state.serverSequence[slot],
              FLAG_PSH | FLAG_ACK, state.clientIpId[slot]++, false, pair === 0 ? cip : 0, cport, ts, tsPeer,
              REQUEST_TEMPLATE, REQUEST_SUMS, length);
            state.clientSequence[slot] += length;
          } else {
            const length = RESPONSE_SIZES[pair] + (pair === PAIRS - 1 && flow < extraByteFlows ? 1 : 0);
            emit(false, rip, lip, SERVER_PORT, lport, state.serverSequence[slot], state.clientSequence[slot],
              FLAG_PSH | FLAG_ACK, state.serverIpId[slot]++, false, 0, 0, tsPeer, ts,
              RESPONSE_TEMPLATE, RESPONSE_SUMS, length);
            state.serverSequence[slot] += length;
          }
        } else if (step === 17) {
          emit(true, lip, rip, lport, SERVER_PORT, state.clientSequence[slot], state.serverSequence[slot],
            FLAG_FIN | FLAG_ACK, state.clientIpId[slot]++, false, 0, 0, ts, tsPeer, null, null, 0);
          state.clientSequence[slot] += 1;
        } else if (step === 18) {
          emit(false, rip, lip, SERVER_PORT, lport, state.serverSequence[slot], state.clientSequence[slot],
            FLAG_FIN | FLAG_ACK, state.serverIpId[slot]++, false, 0, 0, tsPeer, ts, null, null, 0);
          state.serverSequence[slot] += 1;
        } else {
          emit(true, lip, rip, lport, SERVER_PORT, state.clientSequence[slot], state.serverSequence[slot], FLAG_ACK,
            state.clientIpId[slot]++, false, 0, 0, ts, tsPeer, null, null, 0);
        }
        // sequence numbers wrap modulo 2^32
        state.clientSequence[slot] %= 0x100000000;
        state.serverSequence[slot] %= 0x100000000;
      }
    }
  }
}
flush();
closeSync(fd);
renameSync(temporaryPath, outPath);
const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
const summary = {
  file: outPath,
  format,
  toa: withToa,
  flows: flowCount,
  repeat: repeatCount,
  packets: packetCount,
  toaPackets: toaPacketCount,
  bytes: totalBytes,
  seconds: Number(seconds.toFixed(3)),
};
process.stdout.write(JSON.stringify(summary) + '\n');
