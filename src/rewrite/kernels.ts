/**
 * WebAssembly over the checksum module's memory for inject-toa's and strip's commonest work (issue 3: in a
 * run on bench/out/big*.pcap the per-packet JavaScript and V8's optimizing compiler, which needs it hot,
 * competed with the I/O thread for this machine's two CPUs; WebAssembly is ready at once and needs neither).
 *
 *   insertAtHead  inject-toa's leanInsertFast: a TCP option put right after the fixed TCP header.
 *   cutOption     strip's fast cut: a TCP option removed with the NOP padding that makes the span a
 *                 multiple of 4 (removeOptionAt's rule), or overwritten with NOPs when it cannot be.
 *   stripScan     strip's record lane: classify (and cutOption) over whole runs of pcap records.
 *   injectScan    inject-toa's record lane: leanRecord, the flow lookup (and a new flow), leanTcp and
 *                 insertAtHead over whole runs of pcap records.
 *
 * The lanes stop, changing nothing, at the first record they do not take; that record takes the JavaScript
 * path, which stays the reference (the tests run both and compare bytes and counts).
 *
 * insertAtHead and cutOption first check the stored checksums exactly as the JavaScript paths do (IPv4 header checksum
 * equal to the recomputed one; the TCP sum folding to 0xFFFF) and write nothing when a check fails
 * (KERNEL_DECLINED); then they build the new frame in `dst` in one pass (the frame's bytes copied
 * around the change with memory.copy) and store the new lengths, data offset and checksums.
 *
 * Checksums are summed as little-endian words by the SIMD module's `sum` (imported with its memory):
 * every range starts at an even distance from the header it belongs to, so its little-endian sum is
 * 256⁻¹ times its big-endian sum modulo 0xFFFF, and `be` turns a folded little-endian sum into the
 * folded big-endian one. Every sum here is zero only when its bytes are (fold keeps a non-zero value
 * non-zero), and a TCP pseudo-header is never all zero, so the folded totals equal the ones the
 * JavaScript paths get from their exact sums, including the 0 / 0xFFFF choice of the result.
 *
 * Bytes must be in the module memory: the capture reader's chunk buffers of a large input and the
 * rewrite engine's scratch buffer are (checksum.ts checksumBuffer); callers use the JavaScript path
 * when moduleMemoryOffset says otherwise. test/rewrite/kernels.test.ts compares both on generated
 * packets.
 */
import { readU16, writeU16 } from '../codec/bytes.js';
import { checksumBuffer, congruentSum16, copyInModuleMemory, finish, fold, ipv4HeaderChecksum, moduleMemoryOffset, simdModule, sum16 } from '../codec/checksum.js';
import { IPV4, fillIpv4Checksum } from '../codec/ipv4.js';
import { IPV6 } from '../codec/ipv6.js';
import { IPPROTO } from '../codec/ipproto.js';
import { setTcpHeaderLength, TCP, TCP_OPTION } from '../codec/tcp.js';
import { PacketLayout, parseLayout, pseudoSum } from '../dpvs/l4fix.js';
import { removeOptionAt } from '../dpvs/toa-insert.js';
import { ROW } from './flows.js';
import { LEAN, LEAN_ROW } from './lean-rows.js';
import {
  add, and, br, brIf, block, c, call, type Code, END, eq, eqz, funcBody, funcType, geU, get, gtU, I32, ifThen, leU, load32, load8, loadBe16, ltS, ltU, mul, store32,
  loop, memCopy, memFill, MODULE_HEADER, name, ne, or, ret, section, SECTION, set, shl, shrU, store8, storeBe16, sub, uleb,
  vec, wasmApi, xor,
} from '../codec/wasm-emit.js';

/** What the kernels return when a checksum check fails (nothing was written). */
export const KERNEL_DECLINED = -2;

// function indices: the imports first (the SIMD module's `sum`, strip's option test), then the module's own
const SUM = 0;
const SELECTED = 1;
const FOLD = 2;
const BE = 3;
const IPV4_CHECK = 4;
const ADDRESS_SUM = 5;
const CHECKED_PAYLOAD = 6;
const TCP_FINISH = 7;
const INSERT_AT_HEAD = 8;
const CUT_OPTION = 9;
const STRIP_SCAN = 10;
const MIX_SIDE = 11;
const INJECT_SCAN = 12;

const TCP_PROTOCOL = 6;
const NOP = 1;

/** fold(x): end-around carries until x fits 16 bits (non-zero stays non-zero). */
function foldBody(): number[] {
  const X = 0;
  return funcBody(
    [],
    [
      ...block(loop([...brIf(1, leU(get(X), c(0xffff))), ...set(X, add(and(get(X), c(0xffff)), shrU(get(X), c(16)))), ...br(0)])),
      ...get(X),
      END,
    ],
  );
}

/** be(x): the folded big-endian sum of bytes whose little-endian sum is congruent to x (x below 2^24). */
function beBody(): number[] {
  return funcBody([], [...call(FOLD, shl(call(FOLD, get(0)), c(8))), END]);
}

/** ipv4Check(p, ihl): the checksum of the IPv4 header at p, its checksum field taken as zero. */
function ipv4CheckBody(): number[] {
  const P = 0;
  const IHL = 1;
  const lower = call(FOLD, call(SUM, get(P), c(10)));
  const upper = call(FOLD, call(SUM, add(get(P), c(12)), sub(get(IHL), c(12))));
  return funcBody([], [...and(xor(call(BE, add(lower, upper)), c(-1)), c(0xffff)), END]);
}

/** addressSum(p3, af): the folded little-endian sum of the source and destination addresses. */
function addressSumBody(): number[] {
  const P3 = 0;
  const AF = 1;
  const R = 2;
  return funcBody(
    [[1, I32]],
    [
      ...set(R, call(FOLD, call(SUM, add(get(P3), c(12)), c(8)))),
      ...ifThen(ne(get(AF), c(4)), set(R, call(FOLD, call(SUM, add(get(P3), c(8)), c(32))))),
      ...get(R),
      END,
    ],
  );
}

// checkedPayload(src, l3, l4, doff, ipLength, captured, af): the folded little-endian sum of the TCP
// payload, or -1 when the IPv4 header checksum or the TCP checksum is wrong
function checkedPayloadBody(): number[] {
  const [SRC, L3, L4, DOFF, IP_LENGTH, CAPTURED, AF, P3, PAY, PAY_SUM] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  return funcBody(
    [[3, I32]],
    [
      ...set(P3, add(get(SRC), get(L3))),
      ...ifThen(eq(get(AF), c(4)), ifThen(ne(call(IPV4_CHECK, get(P3), sub(get(L4), get(L3))), loadBe16(get(P3), 10)), ret(c(-1)))),
      ...set(PAY, add(add(get(SRC), get(L4)), get(DOFF))),
      ...set(PAY_SUM, call(FOLD, call(SUM, get(PAY), sub(add(get(P3), get(CAPTURED)), get(PAY))))),
      // pseudo-header (addresses little-endian; protocol and length big-endian), header, payload
      ...ifThen(
        ne(
          call(
            FOLD,
            add(
              add(
                call(BE, add(add(call(ADDRESS_SUM, get(P3), get(AF)), call(FOLD, call(SUM, add(get(SRC), get(L4)), get(DOFF)))), get(PAY_SUM))),
                c(TCP_PROTOCOL),
              ),
              sub(get(IP_LENGTH), sub(get(L4), get(L3))),
            ),
          ),
          c(0xffff),
        ),
        ret(c(-1)),
      ),
      ...get(PAY_SUM),
      END,
    ],
  );
}

// tcpFinish(dst, l3, l4, doff, af, l4Length, paySum): store the TCP checksum of the packet at dst + l3
// (header of doff bytes, payload sum paySum) and, for IPv4, its header checksum
function tcpFinishBody(): number[] {
  const [DST, L3, L4, DOFF, AF, L4_LENGTH, PAY_SUM, P3, P4, V] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const header = add(call(FOLD, call(SUM, get(P4), c(16))), call(FOLD, call(SUM, add(get(P4), c(18)), sub(get(DOFF), c(18)))));
  const total = add(add(call(BE, add(add(call(ADDRESS_SUM, get(P3), get(AF)), header), get(PAY_SUM))), c(TCP_PROTOCOL)), get(L4_LENGTH));
  return funcBody(
    [[3, I32]],
    [
      ...set(P3, add(get(DST), get(L3))),
      ...set(P4, add(get(DST), get(L4))),
      ...set(V, and(xor(call(FOLD, total), c(-1)), c(0xffff))),
      ...storeBe16(get(P4), get(V), 16),
      ...ifThen(eq(get(AF), c(4)), [...set(V, call(IPV4_CHECK, get(P3), sub(get(L4), get(L3)))), ...storeBe16(get(P3), get(V), 10)]),
      ...c(0),
      END,
    ],
  );
}

/** Store the IP length field of the packet at p3 (family af) for an IP length of `ipLength`. */
function storeIpLength(p3: Code, af: Code, ipLength: number): Code {
  return ifThen(eq(af, c(4)), storeBe16(p3, get(ipLength), 2), storeBe16(p3, sub(get(ipLength), c(40)), 4));
}

/** Store the TCP data offset nibble at p4 for a header of `doff` bytes (the low nibble kept). */
function storeDataOffset(p4: Code, doff: Code): Code {
  return store8(p4, or(shl(shrU(doff, c(2)), c(4)), and(load8(p4, 12), c(0x0f))), 12);
}

// insertAtHead(src, frameLength, l3, l4, doff, ipLength, captured, af, carrier, optionLength, dst)
function insertAtHeadBody(): number[] {
  const [SRC, FRAME_LENGTH, L3, L4, DOFF, IP_LENGTH, CAPTURED, AF, CARRIER, OPTION_LENGTH, DST, PAY_SUM, HEAD, NEW_IP_LENGTH] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
  ];
  return funcBody(
    [[3, I32]],
    [
      ...set(PAY_SUM, call(CHECKED_PAYLOAD, get(SRC), get(L3), get(L4), get(DOFF), get(IP_LENGTH), get(CAPTURED), get(AF))),
      ...ifThen(eq(get(PAY_SUM), c(-1)), ret(c(KERNEL_DECLINED))),
      ...set(HEAD, add(get(L4), c(20))),
      ...memCopy(get(DST), get(SRC), get(HEAD)),
      ...memCopy(add(get(DST), get(HEAD)), get(CARRIER), get(OPTION_LENGTH)),
      ...memCopy(add(add(get(DST), get(HEAD)), get(OPTION_LENGTH)), add(get(SRC), get(HEAD)), sub(get(FRAME_LENGTH), get(HEAD))),
      ...set(NEW_IP_LENGTH, add(get(IP_LENGTH), get(OPTION_LENGTH))),
      ...storeIpLength(add(get(DST), get(L3)), get(AF), NEW_IP_LENGTH),
      ...storeDataOffset(add(get(DST), get(L4)), add(get(DOFF), get(OPTION_LENGTH))),
      ...call(
        TCP_FINISH,
        get(DST),
        get(L3),
        get(L4),
        add(get(DOFF), get(OPTION_LENGTH)),
        get(AF),
        sub(get(NEW_IP_LENGTH), sub(get(L4), get(L3))),
        get(PAY_SUM),
      ),
      0x1a, // drop
      ...add(get(FRAME_LENGTH), get(OPTION_LENGTH)),
      END,
    ],
  );
}

// cutOption(src, frameLength, l3, l4, doff, ipLength, captured, af, at, nop, dst)
function cutOptionBody(): number[] {
  const [SRC, FRAME_LENGTH, L3, L4, DOFF, IP_LENGTH, CAPTURED, AF, AT, NOP_FILL, DST, PAY_SUM, LENGTH, START, STOP, COUNT, NEW_IP_LENGTH] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
  ];
  const unaligned = and(sub(get(STOP), get(START)), c(3));
  return funcBody(
    [[6, I32]],
    [
      ...set(PAY_SUM, call(CHECKED_PAYLOAD, get(SRC), get(L3), get(L4), get(DOFF), get(IP_LENGTH), get(CAPTURED), get(AF))),
      ...ifThen(eq(get(PAY_SUM), c(-1)), ret(c(KERNEL_DECLINED))),
      ...set(LENGTH, load8(add(get(SRC), get(AT)), 1)),
      ...set(START, get(AT)),
      ...set(STOP, add(get(AT), get(LENGTH))),
      ...ifThen(eqz(get(NOP_FILL)), [
        // NOPs right after the option, then right before it, until the span is a multiple of 4
        ...block(
          loop([
            ...brIf(1, eqz(unaligned)),
            ...brIf(1, geU(get(STOP), add(get(L4), get(DOFF)))),
            ...brIf(1, ne(load8(add(get(SRC), get(STOP))), c(NOP))),
            ...set(STOP, add(get(STOP), c(1))),
            ...br(0),
          ]),
        ),
        ...block(
          loop([
            ...brIf(1, eqz(unaligned)),
            ...brIf(1, leU(get(START), add(get(L4), c(20)))),
            ...brIf(1, ne(load8(add(get(SRC), sub(get(START), c(1)))), c(NOP))),
            ...set(START, sub(get(START), c(1))),
            ...br(0),
          ]),
        ),
        ...ifThen(ne(unaligned, c(0)), set(NOP_FILL, c(1))),
      ]),
      ...ifThen(
        get(NOP_FILL),
        [...memCopy(get(DST), get(SRC), get(FRAME_LENGTH)), ...memFill(add(get(DST), get(AT)), c(NOP), get(LENGTH)), ...set(COUNT, c(0))],
        [
          ...set(COUNT, sub(get(STOP), get(START))),
          ...memCopy(get(DST), get(SRC), get(START)),
          ...memCopy(add(get(DST), get(START)), add(get(SRC), get(STOP)), sub(get(FRAME_LENGTH), get(STOP))),
          ...set(NEW_IP_LENGTH, sub(get(IP_LENGTH), get(COUNT))),
          ...storeIpLength(add(get(DST), get(L3)), get(AF), NEW_IP_LENGTH),
          ...storeDataOffset(add(get(DST), get(L4)), sub(get(DOFF), get(COUNT))),
        ],
      ),
      ...call(
        TCP_FINISH,
        get(DST),
        get(L3),
        get(L4),
        sub(get(DOFF), get(COUNT)),
        get(AF),
        sub(sub(get(IP_LENGTH), get(COUNT)), sub(get(L4), get(L3))),
        get(PAY_SUM),
      ),
      0x1a, // drop
      ...sub(get(FRAME_LENGTH), get(COUNT)),
      END,
    ],
  );
}

/**
 * The start of both lanes' $record block: stop (branch to depth 2) unless a whole record is at P that the pcap
 * reader takes without a word (captured length at most `maxRecord`, within [P, END_AT), at most the original
 * length and the snapshot length `snap` when that is set); then CAP, ORIG and F (the frame's address) are set.
 */
function recordChecks(P: number, END_AT: number, CAP: number, ORIG: number, F: number, maxRecord: Code, snap: Code): Code {
  return [
    ...brIf(2, ltU(sub(get(END_AT), get(P)), c(16))),
    ...set(CAP, load32(get(P), 8)),
    ...set(ORIG, load32(get(P), 12)),
    ...brIf(2, gtU(get(CAP), maxRecord)),
    ...brIf(2, ltU(sub(sub(get(END_AT), get(P)), c(16)), get(CAP))),
    ...brIf(2, gtU(get(CAP), get(ORIG))),
    ...brIf(2, and(ne(snap, c(0)), gtU(get(CAP), snap))),
    ...set(F, add(get(P), c(16))),
  ];
}

/**
 * The record header of a rewritten record at `staging` (its frame of N bytes follows): the timestamp fields of the
 * input record at P as they are, captured length N, the original length ORIG moved as much as the captured CAP.
 */
function stagedRecordHeader(staging: Code, P: number, N: number, ORIG: number, CAP: number): Code {
  return [
    ...store32(staging, load32(get(P), 0), 0),
    ...store32(staging, load32(get(P), 4), 4),
    ...store32(staging, get(N), 8),
    ...store32(staging, sub(add(get(ORIG), get(N)), get(CAP)), 12),
  ];
}

/**
 * The loop both lanes run: `record` (the body of a $record block, which branches out to depth 2 to stop) falls
 * through to take its record as plain: counted, and the next one read. At a stop the run's end and counts are
 * stored and LANE_STOP returned. Locals: P the record address, CAP its captured length, COUNT and BYTES.
 */
function scanLoop(
  record: Code, P: number, CAP: number, COUNT: number, BYTES: number,
  storeEnd: (value: Code) => Code, storePackets: (value: Code) => Code, storeBytes: (value: Code) => Code,
): Code {
  return [
    ...block(
      loop([
        ...block(record),
        ...set(COUNT, add(get(COUNT), c(1))),
        ...set(BYTES, add(get(BYTES), get(CAP))),
        ...set(P, add(add(get(P), c(16)), get(CAP))),
        ...br(0),
      ]),
    ),
    ...storeEnd(get(P)),
    ...storePackets(get(COUNT)),
    ...storeBytes(get(BYTES)),
    ...c(LANE_STOP),
    END,
  ];
}

/**
 * Words of strip's lane block (StripLane), at `cfg` in the module memory: settings written once, results
 * of each stripScan call.
 */
export const LANE = Object.freeze({
  MAX_RECORD: 0, // in: the reader's largest record
  SNAP_LENGTH: 1, // in: the file's snapshot length (0: none)
  FLAGS: 2, // in: LANE_FLAG bits
  STAGING: 3, // in: where a cut record is built (16-byte record header, then the frame)
  STAGING_SIZE: 4, // in: bytes there
  KINDS: 5, // in: 256 bytes, 1 for the TCP option kinds that may be a selected carrier
  PROXY_V1_FIRST: 6, // in: first bytes of the payload carriers
  PROXY_V2_FIRST: 7,
  SPP_FIRST: 8,
  RUN_END: 9, // out: records before this address are plain and taken
  RUN_PACKETS: 10, // out: how many
  RUN_BYTES: 11, // out: their captured bytes
  STAGED_LENGTH: 12, // out (CUT): record header + new frame
  CUT_L3: 13, // out (CUT): the cut record's IP header, family, TCP header (addresses)
  CUT_AF: 14,
  CUT_L4: 15,
  CUT_CAPTURED: 16, // out (CUT): the cut record's captured length
  WORDS: 17,
});

/** LANE.FLAGS bits. */
export const LANE_FLAG = Object.freeze({ NOP: 1, PROXY_V1: 2, PROXY_V2: 4, SPP: 8, TIMESTAMP_KIND: 16, CUTS: 32 });

/** stripScan's answers. */
export const LANE_STOP = 0;
export const LANE_CUT = 1;

const NOP_NOP_TIMESTAMP_LE = 0x0a080101; // 01 01 08 0a read as a little-endian word

// stripScan(pos, end, cfg): strip's classify over the pcap records (little-endian headers, Ethernet) at
// [pos, end), taking plain records until one needs more (LANE_STOP at RUN_END) or one had its single
// carrier option cut into the staging area (LANE_CUT: the record at RUN_END, consumed). See StripLane.
function stripScanBody(): number[] {
  let next = 3;
  const local = (): number => next++;
  const [P, END_AT, CFG] = [0, 1, 2];
  const CAP = local(), ORIG = local(), F = local(), ET = local(), L3 = local(), AVAIL = local(), IP_LENGTH = local();
  const CAPT = local(), PROTO = local(), L4 = local(), AF = local(), IP_END = local(), L4_LENGTH = local(), DOFF = local();
  const C = local(), I = local(), OE = local(), KIND = local(), LEN = local(), FOUND = local(), COUNT = local(), BYTES = local();
  const N = local(), FLAGS = local(), MAX_RECORD = local(), SNAP = local(), KINDS = local(), STAGING = local(), STAGING_SIZE = local();
  const V1 = local(), V2 = local(), SPP_BYTE = local(), SYN = local();
  const word = (w: number): Code => load32(get(CFG), w * 4);
  const setWord = (w: number, value: Code): Code => store32(get(CFG), value, w * 4);
  const flag = (bit: number): Code => ne(and(get(FLAGS), c(bit)), c(0));
  // depths inside the $plain block: 0 = $plain (take the record as plain), 1 = $rec (loop), 2 = $exit
  const record: Code = [
    ...recordChecks(P, END_AT, CAP, ORIG, F, get(MAX_RECORD), get(SNAP)),
    ...brIf(2, ltU(get(CAP), c(14))),
    ...set(ET, loadBe16(get(F), 12)),
    ...set(L3, add(get(F), c(14))),
    ...set(AVAIL, sub(get(CAP), c(14))),
    ...ifThen(
      eq(get(ET), c(0x0800)),
      [
        ...brIf(3, ltU(get(AVAIL), c(20))),
        ...brIf(3, ne(load8(get(L3)), c(0x45))),
        ...set(IP_LENGTH, loadBe16(get(L3), 2)),
        ...brIf(3, ltU(get(IP_LENGTH), c(20))),
        ...brIf(3, and(loadBe16(get(L3), 6), c(0x3fff))),
        ...set(PROTO, load8(get(L3), 9)),
        ...set(L4, add(get(L3), c(20))),
        ...set(AF, c(4)),
      ],
      [
        ...brIf(3, ne(get(ET), c(0x86dd))),
        ...brIf(3, ltU(get(AVAIL), c(40))),
        ...brIf(3, ne(shrU(load8(get(L3)), c(4)), c(6))),
        ...set(IP_LENGTH, loadBe16(get(L3), 4)),
        ...brIf(3, eqz(get(IP_LENGTH))),
        ...set(PROTO, load8(get(L3), 6)),
        ...brIf(3, or(or(eqz(get(PROTO)), eq(get(PROTO), c(43))), or(eq(get(PROTO), c(60)), eq(get(PROTO), c(44))))),
        ...set(IP_LENGTH, add(get(IP_LENGTH), c(40))),
        ...set(L4, add(get(L3), c(40))),
        ...set(AF, c(6)),
      ],
    ),
    ...ifThen(ltU(get(AVAIL), get(IP_LENGTH)), set(CAPT, get(AVAIL)), set(CAPT, get(IP_LENGTH))),
    ...set(IP_END, add(get(L3), get(CAPT))),
    ...set(L4_LENGTH, sub(get(IP_LENGTH), sub(get(L4), get(L3)))),
    ...brIf(2, eq(get(PROTO), c(248))),
    ...ifThen(eq(get(PROTO), c(17)), [
      ...brIf(3, ltU(get(L4_LENGTH), c(8))),
      ...brIf(3, ltU(sub(get(IP_END), get(L4)), c(8))),
      ...brIf(1, leU(get(L4_LENGTH), c(8))),
      ...brIf(1, geU(add(get(L4), c(8)), get(IP_END))),
      ...set(C, load8(get(L4), 8)),
      ...brIf(3, and(eq(get(C), get(V2)), flag(LANE_FLAG.PROXY_V2))),
      ...brIf(3, and(eq(get(C), get(SPP_BYTE)), flag(LANE_FLAG.SPP))),
      ...br(1),
    ]),
    ...brIf(0, ne(get(PROTO), c(6))),
    ...brIf(2, ltU(sub(get(IP_END), get(L4)), c(20))),
    ...set(DOFF, shl(shrU(load8(get(L4), 12), c(4)), c(2))),
    ...brIf(2, ltU(get(DOFF), c(20))),
    ...brIf(2, gtU(get(DOFF), get(L4_LENGTH))),
    ...brIf(2, ltU(sub(get(IP_END), get(L4)), get(DOFF))),
    ...ifThen(and(gtU(get(L4_LENGTH), get(DOFF)), ltU(add(get(L4), get(DOFF)), get(IP_END))), [
      ...set(C, load8(add(get(L4), get(DOFF)))),
      ...brIf(3, and(eq(get(C), get(V1)), flag(LANE_FLAG.PROXY_V1))),
      ...brIf(3, and(eq(get(C), get(V2)), flag(LANE_FLAG.PROXY_V2))),
    ]),
    ...brIf(0, eq(get(DOFF), c(20))),
    ...brIf(0, and(eqz(flag(LANE_FLAG.TIMESTAMP_KIND)), and(eq(get(DOFF), c(32)), eq(load32(get(L4), 20), c(NOP_NOP_TIMESTAMP_LE))))),
    // the options: at most one selected carrier (scanOptions' walk)
    ...set(SYN, ne(and(load8(get(L4), 13), c(2)), c(0))),
    ...set(I, add(get(L4), c(20))),
    ...set(OE, add(get(L4), get(DOFF))),
    ...set(FOUND, c(-1)),
    // depths in the loop: 0 = loop, 1 = options block, 2 = $plain, 4 = $exit
    ...block(
      loop([
        ...brIf(1, geU(get(I), get(OE))),
        ...set(KIND, load8(get(I))),
        ...brIf(1, eqz(get(KIND))),
        ...ifThen(eq(get(KIND), c(1)), [...set(I, add(get(I), c(1))), ...br(1)]),
        ...brIf(1, geU(add(get(I), c(1)), get(OE))),
        ...set(LEN, load8(get(I), 1)),
        ...brIf(1, ltU(get(LEN), c(2))),
        ...brIf(1, gtU(add(get(I), get(LEN)), get(OE))),
        ...ifThen(
          ne(load8(add(get(KINDS), get(KIND))), c(0)),
          ifThen(call(SELECTED, get(I), get(SYN)), [...brIf(6, ne(get(FOUND), c(-1))), ...set(FOUND, get(I))]),
        ),
        ...set(I, add(get(I), get(LEN))),
        ...br(0),
      ]),
    ),
    ...brIf(0, eq(get(FOUND), c(-1))),
    // one carrier: cut it into the staging area (a complete packet with right checksums), or leave the record to JavaScript
    ...brIf(2, eqz(flag(LANE_FLAG.CUTS))),
    ...brIf(2, ne(get(CAPT), get(IP_LENGTH))),
    ...brIf(2, gtU(add(get(CAP), c(16)), get(STAGING_SIZE))),
    ...set(
      N,
      call(
        CUT_OPTION,
        get(F), get(CAP), sub(get(L3), get(F)), sub(get(L4), get(F)), get(DOFF), get(IP_LENGTH), get(CAPT), get(AF),
        sub(get(FOUND), get(F)), and(get(FLAGS), c(LANE_FLAG.NOP)), add(get(STAGING), c(16)),
      ),
    ),
    ...brIf(2, eq(get(N), c(KERNEL_DECLINED))),
    ...stagedRecordHeader(get(STAGING), P, N, ORIG, CAP),
    ...setWord(LANE.RUN_END, get(P)),
    ...setWord(LANE.RUN_PACKETS, get(COUNT)),
    ...setWord(LANE.RUN_BYTES, get(BYTES)),
    ...setWord(LANE.STAGED_LENGTH, add(get(N), c(16))),
    ...setWord(LANE.CUT_L3, get(L3)),
    ...setWord(LANE.CUT_AF, get(AF)),
    ...setWord(LANE.CUT_L4, get(L4)),
    ...setWord(LANE.CUT_CAPTURED, get(CAP)),
    ...ret(c(LANE_CUT)),
  ];
  return funcBody(
    [[next - 3, I32]],
    [
      ...set(MAX_RECORD, word(LANE.MAX_RECORD)),
      ...set(SNAP, word(LANE.SNAP_LENGTH)),
      ...set(FLAGS, word(LANE.FLAGS)),
      ...set(STAGING, word(LANE.STAGING)),
      ...set(STAGING_SIZE, word(LANE.STAGING_SIZE)),
      ...set(KINDS, word(LANE.KINDS)),
      ...set(V1, word(LANE.PROXY_V1_FIRST)),
      ...set(V2, word(LANE.PROXY_V2_FIRST)),
      ...set(SPP_BYTE, word(LANE.SPP_FIRST)),
      ...scanLoop(record, P, CAP, COUNT, BYTES, (value) => setWord(LANE.RUN_END, value), (value) => setWord(LANE.RUN_PACKETS, value), (value) => setWord(LANE.RUN_BYTES, value)),
    ],
  );
}

/** Words of inject-toa's lane block (InjectRewriter.take), at `cfg` in the module memory. */
export const INJECT_LANE = Object.freeze({
  MAX_RECORD: 0, // in: the reader's largest record
  SNAP_LENGTH: 1, // in: the file's snapshot length (0: none)
  FLAGS: 2, // in: INJECT_FLAG bits
  STAGING: 3, // in: where a record with its carrier is built (16-byte record header, then the frame)
  STAGING_SIZE: 4, // in: bytes there
  SLOTS: 5, // in: the flow table's slots (FlowTable.tables), address
  ROWS: 6, // in: its key rows, address
  MASK: 7, // in: its slot mask
  LEAN_ROWS: 8, // in: the lean rows (LEAN_ROW), address
  LEAN_CAPACITY: 9, // in: flows the lean rows have room for
  WHEN: 10, // in: WHEN_CODE of the policy
  MTU: 11, // in: --mtu
  KIND: 12, // in: the IPv4 carrier's option kind
  CLIENT_PORT: 13, // in: --client's port, -1: the packet's source port
  CARRIER: 14, // in: 8 bytes where the carrier is built; with CLIENT_GIVEN its bytes 4..7 hold --client's address
  RUN_END: 15, // out: records before this address are taken
  RUN_PACKETS: 16, // out: how many (a carrier record not included)
  RUN_BYTES: 17, // out: their captured bytes
  STAGED_LENGTH: 18, // out (LANE_CUT): record header + new frame
  STAGED_CAPTURED: 19, // out (LANE_CUT): the input record's captured length
  NOT_ELIGIBLE: 20, // out, added up: client->server packets skipped as not eligible
  INSERTED: 21, // out, added up: carriers inserted
  FLOW_COUNT: 22, // in and out: flows in the table (the lane adds the ones it makes)
  FLOW_CAPACITY: 23, // in: flows the table's rows have room for
  WORDS: 24,
});

/** INJECT_LANE.FLAGS bits. */
export const INJECT_FLAG = Object.freeze({ INSERT: 1, CLIENT_GIVEN: 2, CREATE: 4 });

/** The --when policies as injectScan numbers them. */
export const WHEN_CODE: Readonly<Record<string, number>> = Object.freeze({ dpvs: 0, 'dpvs-legacy': 1, lvs: 2, 'handshake-ack': 3, every: 4, syn: 5 });

/** mixSide(word, port): flows.ts mixSide. */
function mixSideBody(): number[] {
  const [WORD, PORT, X] = [0, 1, 2];
  return funcBody(
    [[1, I32]],
    [
      ...set(X, mul(xor(get(WORD), or(shl(get(PORT), c(16)), get(PORT))), c(0x9e3779b1))),
      ...set(X, xor(get(X), shrU(get(X), c(15)))),
      ...set(X, mul(get(X), c(0x85ebca6b))),
      ...xor(get(X), shrU(get(X), c(13))),
      END,
    ],
  );
}

/** A big-endian 32-bit field. */
function loadBe32(address: Code, offset = 0): Code {
  return or(or(shl(load8(address, offset), c(24)), shl(load8(address, offset + 1), c(16))), or(shl(load8(address, offset + 2), c(8)), load8(address, offset + 3)));
}

// injectScan(pos, end, cfg): inject-toa's lean path (leanRecord, leanTcp, the carrier of leanInsertFast) over the
// pcap records at [pos, end) (Ethernet, little-endian headers, IPv4 TCP of flows already in the table), taking
// records until one needs more (LANE_STOP at RUN_END) or one got its carrier in the staging area (LANE_CUT).
// A record it stops at is left as it found it: no state or count of its flow changed.
function injectScanBody(): number[] {
  let next = 3;
  const local = (): number => next++;
  const [P, END_AT, CFG] = [0, 1, 2];
  const CAP = local(), ORIG = local(), F = local(), L3 = local(), AVAIL = local(), IHL = local(), IP_LENGTH = local(), CAPT = local();
  const L4 = local(), DOFF = local(), PORTS = local(), WA = local(), WB = local(), H = local(), I = local(), IDX = local(), ROW_AT = local();
  const FORWARD = local(), ST = local(), FLAGS_TCP = local(), CLIENT_IS_A = local(), FROM_CLIENT = local(), SEQ = local(), ACK = local();
  const ISN = local(), FDATA = local(), LR = local(), ELIGIBLE = local(), DATA_ACK = local(), N = local(), COUNT = local(), BYTES = local();
  const WHEN = local(), KEY = local();
  const word = (w: number): Code => load32(get(CFG), w * 4);
  const setWord = (w: number, value: Code): Code => store32(get(CFG), value, w * 4);
  const lean = (w: number): Code => load32(get(LR), w * 4);
  const setLean = (w: number, value: Code): Code => store32(get(LR), value, w * 4);
  const bit = (value: Code, b: number): Code => ne(and(value, c(b)), c(0));
  const SYN = 2, RST = 4, FIN = 1, ACKF = 16;
  // depths at the top of $record: 0 = $record (take), 1 = $rec loop, 2 = $exit
  const record: Code = [
    ...recordChecks(P, END_AT, CAP, ORIG, F, word(INJECT_LANE.MAX_RECORD), word(INJECT_LANE.SNAP_LENGTH)),
    ...brIf(2, ltU(get(CAP), c(14))),
    ...brIf(2, ne(loadBe16(get(F), 12), c(0x0800))),
    ...set(L3, add(get(F), c(14))),
    ...set(AVAIL, sub(get(CAP), c(14))),
    ...brIf(2, ltU(get(AVAIL), c(20))),
    ...brIf(2, ne(shrU(load8(get(L3)), c(4)), c(4))),
    ...set(IHL, shl(and(load8(get(L3)), c(15)), c(2))),
    ...set(IP_LENGTH, loadBe16(get(L3), 2)),
    ...ifThen(ltU(get(AVAIL), get(IP_LENGTH)), set(CAPT, get(AVAIL)), set(CAPT, get(IP_LENGTH))),
    ...brIf(2, ltU(get(IHL), c(20))),
    ...brIf(2, ltU(get(IP_LENGTH), get(IHL))),
    ...brIf(2, ltU(get(CAPT), get(IHL))),
    ...brIf(2, ne(load8(get(L3), 9), c(6))),
    ...brIf(2, and(loadBe16(get(L3), 6), c(0x3fff))),
    ...set(L4, add(get(L3), get(IHL))),
    ...brIf(2, ltU(sub(get(CAPT), get(IHL)), c(20))),
    ...set(DOFF, shl(shrU(load8(get(L4), 12), c(4)), c(2))),
    ...brIf(2, ltU(get(DOFF), c(20))),
    ...brIf(2, gtU(get(DOFF), sub(get(IP_LENGTH), get(IHL)))),
    ...brIf(2, ltU(sub(get(CAPT), get(IHL)), get(DOFF))),
    // the flow (FlowTable.lookupIndex; a new one below as it and leanCreate make it)
    ...set(PORTS, loadBe32(get(L4))),
    ...set(WA, loadBe32(get(L3), 12)),
    ...set(WB, loadBe32(get(L3), 16)),
    ...set(H, add(add(call(MIX_SIDE, get(WA), shrU(get(PORTS), c(16))), call(MIX_SIDE, get(WB), and(get(PORTS), c(0xffff)))), c(Math.imul(6, 0x27d4eb2d)))),
    ...set(H, xor(get(H), shrU(get(H), c(16)))),
    ...set(H, mul(get(H), c(0x7feb352d))),
    ...set(H, xor(get(H), shrU(get(H), c(15)))),
    ...set(I, and(get(H), word(INJECT_LANE.MASK))),
    ...set(FORWARD, c(-1)),
    // depths in the probe loop: 0 = loop, 1 = probe block, 2 = $record, 4 = $exit
    ...block(
      loop([
        ...set(KEY, add(word(INJECT_LANE.SLOTS), shl(get(I), c(3)))),
        ...set(IDX, sub(load32(get(KEY)), c(1))),
        // a new flow: made here as lookupIndex and leanCreate make it (without --server, and while nothing must grow)
        ...ifThen(eq(get(IDX), c(-1)), [
          // depths: 0 = this if, 1 = loop, 2 = probe block, 5 = $exit
          ...brIf(5, eqz(bit(word(INJECT_LANE.FLAGS), INJECT_FLAG.CREATE))),
          ...set(IDX, word(INJECT_LANE.FLOW_COUNT)),
          ...brIf(5, geU(get(IDX), word(INJECT_LANE.FLOW_CAPACITY))),
          ...brIf(5, gtU(shl(add(get(IDX), c(1)), c(1)), word(INJECT_LANE.MASK))),
          ...brIf(5, geU(get(IDX), word(INJECT_LANE.LEAN_CAPACITY))),
          ...set(ROW_AT, add(word(INJECT_LANE.ROWS), shl(get(IDX), c(5)))),
          ...store32(get(ROW_AT), get(H), ROW.HASH * 4),
          ...store32(get(ROW_AT), c(6 | (4 << 8)), ROW.PROTOCOL_FAMILY * 4),
          ...store32(get(ROW_AT), get(PORTS), ROW.PORTS * 4),
          ...store32(get(ROW_AT), get(WA), ROW.WORD_A * 4),
          ...store32(get(ROW_AT), get(WB), ROW.WORD_B * 4),
          ...store32(get(KEY), add(get(IDX), c(1)), 0),
          ...store32(get(KEY), get(H), 4),
          ...setWord(INJECT_LANE.FLOW_COUNT, add(get(IDX), c(1))),
          // leanCreate: side A (this packet's source) is the client unless portAIsServer says its port is the server's
          ...set(SEQ, shrU(get(PORTS), c(16))),
          ...set(ACK, and(get(PORTS), c(0xffff))),
          ...set(CLIENT_IS_A, c(1)),
          ...ifThen(
            ne(ltU(get(SEQ), c(1024)), ltU(get(ACK), c(1024))),
            set(CLIENT_IS_A, eqz(ltU(get(SEQ), c(1024)))),
            ifThen(ne(get(SEQ), get(ACK)), set(CLIENT_IS_A, eqz(ltU(get(SEQ), get(ACK))))),
          ),
          ...store32(add(word(INJECT_LANE.LEAN_ROWS), shl(get(IDX), c(5))), or(c(LEAN.FLOW), get(CLIENT_IS_A)), LEAN_ROW.STATE * 4),
          ...set(FORWARD, c(1)),
          ...br(2),
        ]),
        ...ifThen(eq(load32(get(KEY), 4), get(H)), [
          ...set(ROW_AT, add(word(INJECT_LANE.ROWS), shl(get(IDX), c(5)))),
          ...ifThen(eq(load32(get(ROW_AT), 4), c(6 | (4 << 8))), [
            ...ifThen(and(eq(load32(get(ROW_AT), 8), get(PORTS)), and(eq(get(WA), load32(get(ROW_AT), 12)), eq(get(WB), load32(get(ROW_AT), 16)))), [
              ...set(FORWARD, c(1)),
              ...br(4),
            ]),
            ...ifThen(
              and(eq(load32(get(ROW_AT), 8), or(shl(get(PORTS), c(16)), shrU(get(PORTS), c(16)))), and(eq(get(WA), load32(get(ROW_AT), 16)), eq(get(WB), load32(get(ROW_AT), 12)))),
              [...set(FORWARD, c(0)), ...br(4)],
            ),
          ]),
        ]),
        ...set(I, and(add(get(I), c(1)), word(INJECT_LANE.MASK))),
        ...br(0),
      ]),
    ),
    ...brIf(2, geU(get(IDX), word(INJECT_LANE.LEAN_CAPACITY))),
    // leanTcp, into locals (stored only when the record is taken)
    ...set(LR, add(word(INJECT_LANE.LEAN_ROWS), shl(get(IDX), c(5)))),
    ...set(ST, lean(LEAN_ROW.STATE)),
    ...set(ISN, lean(LEAN_ROW.CLIENT_ISN)),
    ...set(FDATA, lean(LEAN_ROW.FDATA_SEQ)),
    ...set(FLAGS_TCP, load8(get(L4), 13)),
    ...ifThen(bit(get(FLAGS_TCP), SYN), [
      ...ifThen(eqz(and(get(FLAGS_TCP), c(ACKF))), set(CLIENT_IS_A, get(FORWARD)), set(CLIENT_IS_A, eqz(get(FORWARD)))),
      ...ifThen(or(eqz(and(get(ST), c(LEAN.SIDE_SYN))), ne(bit(get(ST), LEAN.CLIENT_IS_A), get(CLIENT_IS_A))), [
        ...ifThen(ne(bit(get(ST), LEAN.CLIENT_IS_A), get(CLIENT_IS_A)), [
          ...set(ST, and(get(ST), c(~(LEAN.ISN_KNOWN | LEAN.FDATA_KNOWN | LEAN.FDATA_GUESSED)))),
          ...set(FDATA, c(0)),
        ]),
        ...set(ST, or(or(and(get(ST), c(~(LEAN.CLIENT_IS_A | LEAN.SIDE_SERVER))), c(LEAN.SIDE_SYN)), mul(get(CLIENT_IS_A), c(LEAN.CLIENT_IS_A)))),
      ]),
    ]),
    ...set(FROM_CLIENT, eq(get(FORWARD), bit(get(ST), LEAN.CLIENT_IS_A))),
    ...set(SEQ, loadBe32(get(L4), 4)),
    ...set(ACK, loadBe32(get(L4), 8)),
    ...ifThen(
      get(FROM_CLIENT),
      [
        ...ifThen(
          eq(and(get(FLAGS_TCP), c(SYN | ACKF)), c(SYN)),
          [
            ...ifThen(and(bit(get(ST), LEAN.ISN_KNOWN), ne(get(SEQ), get(ISN))), [
              ...set(ST, and(get(ST), c(~(LEAN.FDATA_KNOWN | LEAN.FDATA_GUESSED)))),
              ...set(FDATA, c(0)),
            ]),
            ...set(ISN, get(SEQ)),
            ...set(ST, or(get(ST), c(LEAN.ISN_KNOWN))),
          ],
          [
            ...ifThen(eqz(and(get(ST), c(LEAN.ISN_KNOWN))), [...set(ISN, sub(get(SEQ), c(1))), ...set(ST, or(get(ST), c(LEAN.ISN_KNOWN)))]),
            ...ifThen(and(eqz(and(get(ST), c(LEAN.FDATA_KNOWN))), eq(and(get(FLAGS_TCP), c(SYN | ACKF)), c(ACKF))), [
              ...set(FDATA, get(ACK)),
              ...set(ST, or(get(ST), c(LEAN.FDATA_KNOWN | LEAN.FDATA_GUESSED))),
            ]),
          ],
        ),
      ],
      ifThen(eq(and(get(FLAGS_TCP), c(SYN | ACKF)), c(SYN | ACKF)), [
        ...set(FDATA, add(get(SEQ), c(1))),
        ...set(ST, and(or(get(ST), c(LEAN.FDATA_KNOWN)), c(~LEAN.FDATA_GUESSED))),
      ]),
    ),
    // eligibleBy(when, ...)
    ...set(ELIGIBLE, c(0)),
    ...ifThen(get(FROM_CLIENT), [
      ...set(WHEN, word(INJECT_LANE.WHEN)),
      ...set(DATA_ACK, and(bit(get(ST), LEAN.FDATA_KNOWN), eq(get(ACK), get(FDATA)))),
      ...ifThen(eq(get(WHEN), c(WHEN_CODE['dpvs']!)), set(ELIGIBLE, and(get(DATA_ACK), eqz(and(get(FLAGS_TCP), c(SYN | RST)))))),
      ...ifThen(
        eq(get(WHEN), c(WHEN_CODE['dpvs-legacy']!)),
        set(ELIGIBLE, and(eqz(and(get(FLAGS_TCP), c(RST))), or(bit(get(FLAGS_TCP), SYN), get(DATA_ACK)))),
      ),
      ...ifThen(
        eq(get(WHEN), c(WHEN_CODE['lvs']!)),
        set(ELIGIBLE, and(eqz(and(get(FLAGS_TCP), c(RST))), or(bit(get(FLAGS_TCP), SYN), and(get(DATA_ACK), eqz(and(get(FLAGS_TCP), c(FIN))))))),
      ),
      ...ifThen(
        eq(get(WHEN), c(WHEN_CODE['handshake-ack']!)),
        set(
          ELIGIBLE,
          and(and(get(DATA_ACK), eqz(and(get(FLAGS_TCP), c(SYN | RST)))), and(bit(get(FLAGS_TCP), ACKF), eq(get(SEQ), add(get(ISN), c(1))))),
        ),
      ),
      ...ifThen(eq(get(WHEN), c(WHEN_CODE['every']!)), set(ELIGIBLE, c(1))),
      ...ifThen(eq(get(WHEN), c(WHEN_CODE['syn']!)), set(ELIGIBLE, eq(and(get(FLAGS_TCP), c(SYN | ACKF)), c(SYN)))),
    ]),
    ...ifThen(get(ELIGIBLE), [
      // leanInsertFast's case (8-byte IPv4 carrier at the head of the options), or the record is left to JavaScript
      ...brIf(3, eqz(bit(word(INJECT_LANE.FLAGS), INJECT_FLAG.INSERT))),
      ...brIf(3, ne(get(CAPT), get(IP_LENGTH))),
      ...brIf(3, gtU(get(IP_LENGTH), sub(word(INJECT_LANE.MTU), c(8)))),
      ...brIf(3, gtU(get(DOFF), c(52))),
      ...brIf(3, gtU(add(get(CAP), c(24)), word(INJECT_LANE.STAGING_SIZE))),
      ...set(KEY, word(INJECT_LANE.CARRIER)),
      ...store8(get(KEY), word(INJECT_LANE.KIND), 0),
      ...store8(get(KEY), c(8), 1),
      ...ifThen(
        ltS(word(INJECT_LANE.CLIENT_PORT), c(0)),
        [...store8(get(KEY), load8(get(L4)), 2), ...store8(get(KEY), load8(get(L4), 1), 3)],
        [...set(N, word(INJECT_LANE.CLIENT_PORT)), ...storeBe16(get(KEY), get(N), 2)],
      ),
      ...ifThen(eqz(bit(word(INJECT_LANE.FLAGS), INJECT_FLAG.CLIENT_GIVEN)), store32(get(KEY), load32(get(L3), 12), 4)),
      ...set(
        N,
        call(
          INSERT_AT_HEAD,
          get(F), get(CAP), sub(get(L3), get(F)), sub(get(L4), get(F)), get(DOFF), get(IP_LENGTH), get(CAPT), c(4),
          get(KEY), c(8), add(word(INJECT_LANE.STAGING), c(16)),
        ),
      ),
      ...brIf(3, eq(get(N), c(KERNEL_DECLINED))),
    ]),
    // taken: the flow's state and counters
    ...setLean(LEAN_ROW.STATE, get(ST)),
    ...setLean(LEAN_ROW.CLIENT_ISN, get(ISN)),
    ...setLean(LEAN_ROW.FDATA_SEQ, get(FDATA)),
    ...ifThen(
      get(FROM_CLIENT),
      setLean(LEAN_ROW.CLIENT_TO_SERVER, add(lean(LEAN_ROW.CLIENT_TO_SERVER), c(1))),
      setLean(LEAN_ROW.SERVER_TO_CLIENT, add(lean(LEAN_ROW.SERVER_TO_CLIENT), c(1))),
    ),
    ...brIf(0, eqz(get(FROM_CLIENT))),
    ...ifThen(eqz(get(ELIGIBLE)), [
      ...setLean(LEAN_ROW.NOT_ELIGIBLE, add(lean(LEAN_ROW.NOT_ELIGIBLE), c(1))),
      ...setWord(INJECT_LANE.NOT_ELIGIBLE, add(word(INJECT_LANE.NOT_ELIGIBLE), c(1))),
      ...br(1),
    ]),
    // the carrier went in: its record header, counts, and back to JavaScript to write it
    ...setLean(LEAN_ROW.INSERTED, add(lean(LEAN_ROW.INSERTED), c(1))),
    ...setWord(INJECT_LANE.INSERTED, add(word(INJECT_LANE.INSERTED), c(1))),
    ...stagedRecordHeader(word(INJECT_LANE.STAGING), P, N, ORIG, CAP),
    ...setWord(INJECT_LANE.RUN_END, get(P)),
    ...setWord(INJECT_LANE.RUN_PACKETS, get(COUNT)),
    ...setWord(INJECT_LANE.RUN_BYTES, get(BYTES)),
    ...setWord(INJECT_LANE.STAGED_LENGTH, add(get(N), c(16))),
    ...setWord(INJECT_LANE.STAGED_CAPTURED, get(CAP)),
    ...ret(c(LANE_CUT)),
  ];
  return funcBody(
    [[next - 3, I32]],
    [
      ...scanLoop(
        record, P, CAP, COUNT, BYTES,
        (value) => setWord(INJECT_LANE.RUN_END, value), (value) => setWord(INJECT_LANE.RUN_PACKETS, value), (value) => setWord(INJECT_LANE.RUN_BYTES, value),
      ),
    ],
  );
}

/**
 * The kernel module's bytes in base64, put in by scripts/bundle.mjs (esbuild define) from kernelModuleBytes at
 * build time; undefined outside the bundles (the compiled modules under dist/, tests), which emit them.
 */
declare const __TOA_KERNEL_MODULE__: string | undefined;

/** The kernel module's bytes: the bundle's copy made at build time, else emitted now. */
function kernelModule(): Uint8Array {
  return typeof __TOA_KERNEL_MODULE__ === 'string' ? Buffer.from(__TOA_KERNEL_MODULE__, 'base64') : kernelModuleBytes();
}

/** The kernel module, importing memory ("m", "memory", any size), `sum` and `selected` ("m"). */
export function kernelModuleBytes(): Uint8Array<ArrayBuffer> {
  const i32s = (n: number): number[] => new Array<number>(n).fill(I32);
  const types = [
    funcType(i32s(2), [I32]), // 0: sum, ipv4Check, addressSum
    funcType(i32s(1), [I32]), // 1: fold, be
    funcType(i32s(7), [I32]), // 2: checkedPayload, tcpFinish
    funcType(i32s(11), [I32]), // 3: insertAtHead, cutOption
    funcType(i32s(3), [I32]), // 4: stripScan
  ];
  // own functions, in index order from 1 (FOLD .. CUT_OPTION): their types and bodies
  const own: Array<[number, number[]]> = [
    [1, foldBody()],
    [1, beBody()],
    [0, ipv4CheckBody()],
    [0, addressSumBody()],
    [2, checkedPayloadBody()],
    [2, tcpFinishBody()],
    [3, insertAtHeadBody()],
    [3, cutOptionBody()],
    [4, stripScanBody()],
    [0, mixSideBody()],
    [4, injectScanBody()],
  ];
  const imports = [
    ...name('m'), ...name('sum'), 0x00, ...uleb(0), // func of type 0
    ...name('m'), ...name('selected'), 0x00, ...uleb(0), // func of type 0: (option address, SYN) -> 0/1
    ...name('m'), ...name('memory'), 0x02, 0x00, ...uleb(0), // memory: no minimum, no maximum
  ];
  const exports = [
    ...name('insertAtHead'), 0x00, ...uleb(INSERT_AT_HEAD),
    ...name('cutOption'), 0x00, ...uleb(CUT_OPTION),
    ...name('stripScan'), 0x00, ...uleb(STRIP_SCAN),
    ...name('injectScan'), 0x00, ...uleb(INJECT_SCAN),
  ];
  const bytes = [
    ...MODULE_HEADER,
    ...section(SECTION.TYPE, vec(types.length, types.flat())),
    ...section(SECTION.IMPORT, vec(3, imports)),
    ...section(SECTION.FUNCTION, vec(own.length, own.map(([type]) => type))),
    ...section(SECTION.EXPORT, vec(4, exports)),
    ...section(SECTION.CODE, vec(own.length, own.flatMap(([, body]) => body))),
  ];
  return Uint8Array.from(bytes);
}

type KernelFunction = (
  src: number,
  frameLength: number,
  l3: number,
  l4: number,
  doff: number,
  ipLength: number,
  captured: number,
  af: number,
  extra: number,
  extra2: number,
  dst: number,
) => number;

/** The selected-carrier test stripScan calls for candidate options (set by the lane that scans). */
let selectedTest: (at: number, syn: number) => number = () => 0;

/** The instantiated kernels and the module-memory area insertAtHead takes its option bytes from. */
export class TcpKernels {
  private constructor(
    private readonly insert: KernelFunction,
    private readonly cut: KernelFunction,
    /** stripScan(pos, end, cfg) (see stripScanBody), addresses in the module memory. */
    readonly stripScan: (pos: number, end: number, cfg: number) => number,
    /** injectScan(pos, end, cfg) (see injectScanBody). */
    readonly injectScan: (pos: number, end: number, cfg: number) => number,
    /** The whole module memory. */
    readonly memory: Uint8Array,
    private readonly optionArea: Uint8Array,
    private readonly optionAt: number,
  ) {}

  /** The kernels, or null where the SIMD module (WebAssembly SIMD, a little-endian host) is missing or switched off. */
  static create(): TcpKernels | null {
    const simd = simdModule();
    const wasm = wasmApi();
    if (simd === null || wasm === undefined) return null;
    try {
      const bytes = kernelModule();
      const selected = (at: number, syn: number): number => selectedTest(at, syn);
      const { exports } = new wasm.Instance(new wasm.Module(bytes), { m: { memory: simd.wasmMemory, sum: simd.sum, selected } });
      const optionArea = checksumBuffer(64);
      const optionAt = moduleMemoryOffset(optionArea);
      if (optionAt < 0) return null;
      return new TcpKernels(
        exports['insertAtHead'] as KernelFunction,
        exports['cutOption'] as KernelFunction,
        exports['stripScan'] as (pos: number, end: number, cfg: number) => number,
        exports['injectScan'] as (pos: number, end: number, cfg: number) => number,
        simd.memory,
        optionArea,
        optionAt,
      );
    } catch {
      return null;
    }
  }

  /** The test stripScan applies to a candidate option at `at` of a segment (syn 1: a SYN): 1 when it is a selected carrier. */
  setSelectedTest(test: (at: number, syn: number) => number): void {
    selectedTest = test;
  }

  /**
   * The frame src[base, base + frameLength) with `option` (at most 40 bytes) put right after its fixed TCP
   * header, written to dst from 0: its new length, KERNEL_DECLINED (a checksum is wrong, dst untouched),
   * or -1 when src or dst is not in the module memory (nothing done: use the JavaScript path).
   * Offsets l3 and l4 are relative to the frame; the packet is complete (captured == ipLength).
   */
  insertAtHead(
    src: Uint8Array, base: number, frameLength: number, l3: number, l4: number, doff: number, ipLength: number, captured: number,
    af: 4 | 6, option: Uint8Array, dst: Uint8Array,
  ): number {
    const from = moduleMemoryOffset(src);
    const to = from < 0 ? -1 : moduleMemoryOffset(dst);
    if (to < 0 || base + frameLength > src.length || frameLength + option.length > dst.length) return -1;
    this.optionArea.set(option, 0);
    return this.insert(from + base, frameLength, l3, l4, doff, ipLength, captured, af, this.optionAt, option.length, to);
  }

  /**
   * The frame src[base, base + frameLength) with the TCP option at `at` (relative to the frame) removed with
   * its NOP padding, or overwritten with NOPs (`nop`, or when no 4-byte span can be made), written to dst
   * from 0: the new length (frameLength when NOP-filled), KERNEL_DECLINED or -1 as insertAtHead.
   */
  cutOption(
    src: Uint8Array, base: number, frameLength: number, l3: number, l4: number, doff: number, ipLength: number, captured: number,
    af: 4 | 6, at: number, nop: boolean, dst: Uint8Array,
  ): number {
    const from = moduleMemoryOffset(src);
    const to = from < 0 ? -1 : moduleMemoryOffset(dst);
    if (to < 0 || base + frameLength > src.length || frameLength > dst.length) return -1;
    return this.cut(from + base, frameLength, l3, l4, doff, ipLength, captured, af, at, nop ? 1 : 0, to);
  }
}

let kernels: TcpKernels | null | undefined;

/**
 * The shared TcpKernels, made on first use; null where they are not available, or while the SIMD module is
 * switched off (setSimdChecksum('off'), not remembered: the mode may change).
 */
export function tcpKernels(): TcpKernels | null {
  if (kernels !== undefined) return kernels;
  if (simdModule() === null) return null;
  kernels = TcpKernels.create();
  return kernels;
}

/**
 * insertAtHead (see TcpKernels) by the WebAssembly kernel when src and dst are in the module memory, else
 * by insertAtHeadJs: the new frame length or KERNEL_DECLINED.
 */
export function insertAtHead(
  src: Uint8Array, base: number, frameLength: number, l3: number, l4: number, doff: number, ipLength: number, captured: number,
  af: 4 | 6, option: Uint8Array, dst: Uint8Array,
): number {
  const k = tcpKernels();
  if (k !== null) {
    const n = k.insertAtHead(src, base, frameLength, l3, l4, doff, ipLength, captured, af, option, dst);
    if (n !== -1) return n;
  }
  return insertAtHeadJs(src, base, frameLength, l3, l4, doff, ipLength, captured, af, option, dst);
}

/** cutOption (see TcpKernels) by the WebAssembly kernel when src and dst are in the module memory, else by cutOptionJs. */
export function cutOption(
  src: Uint8Array, base: number, frameLength: number, l3: number, l4: number, doff: number, ipLength: number, captured: number,
  af: 4 | 6, at: number, nop: boolean, dst: Uint8Array,
): number {
  const k = tcpKernels();
  if (k !== null) {
    const n = k.cutOption(src, base, frameLength, l3, l4, doff, ipLength, captured, af, at, nop, dst);
    if (n !== -1) return n;
  }
  return cutOptionJs(src, base, frameLength, l3, l4, doff, ipLength, captured, af, at, nop, dst);
}

/**
 * The JavaScript insertAtHead: the frame is copied once, shifted by the option length, and its head moved
 * back; the payload's sum from the checksum check is reused for the new checksum (it moves by a multiple of 4
 * bytes, so its 16-bit words stay the same), giving exactly the value a full recomputation gives.
 */
export function insertAtHeadJs(
  src: Uint8Array, base: number, frameLength: number, l3: number, l4: number, doff: number, ipLength: number, captured: number,
  af: 4 | 6, option: Uint8Array, dst: Uint8Array,
): number {
  const a3 = base + l3;
  const a4 = base + l4;
  const ipHeaderLength = l4 - l3;
  if (af === 4 && ipv4HeaderChecksum(src, a3, ipHeaderLength) !== readU16(src, a3 + IPV4.CHECKSUM)) return KERNEL_DECLINED;
  const l4Length = ipLength - ipHeaderLength;
  // congruent to the payload's sum16 modulo 0xFFFF (summed in place in the reader's chunk buffers), which is all the folds below need
  const payloadSum = congruentSum16(src, a4 + doff, a3 + captured);
  const oldSum = pseudoSum(src, a3, af, IPPROTO.TCP, l4Length) + sum16(src, a4, a4 + doff) + payloadSum;
  if (fold(oldSum) !== 0xffff) return KERNEL_DECLINED;
  const optionLength = option.length;
  const head = l4 + TCP.MIN_HEADER;
  // the frame at optionLength, its head moved back: a gap of optionLength after the TCP fixed header
  if (!copyInModuleMemory(dst, optionLength, src, base, base + frameLength)) dst.set(src.subarray(base, base + frameLength), optionLength);
  dst.copyWithin(0, optionLength, optionLength + head);
  dst.set(option, head);
  if (af === 4) writeU16(dst, l3 + IPV4.TOTAL_LENGTH, ipLength + optionLength);
  else writeU16(dst, l3 + IPV6.PAYLOAD_LENGTH, ipLength + optionLength - IPV6.HEADER);
  setTcpHeaderLength(dst, l4, doff + optionLength);
  let sum = pseudoSum(dst, l3, af, IPPROTO.TCP, l4Length + optionLength);
  sum = sum16(dst, l4, l4 + TCP.CHECKSUM, sum);
  sum = sum16(dst, l4 + TCP.CHECKSUM + 2, l4 + doff + optionLength, sum);
  writeU16(dst, l4 + TCP.CHECKSUM, finish(sum + payloadSum));
  if (af === 4) fillIpv4Checksum(dst, l3);
  return frameLength + optionLength;
}

const cutLayout = new PacketLayout();

/**
 * The JavaScript cutOption: the frame copied to dst and parsed there, the option removed by removeOptionAt (or
 * NOP-filled), the checksums recomputed with the payload's sum from the check, the link trailer moved up.
 * Takes l4, doff and af from its own parse (the arguments are the kernel's; the tests compare the two).
 */
export function cutOptionJs(
  src: Uint8Array, base: number, frameLength: number, l3: number, l4: number, doff: number, ipLength: number, captured: number,
  af: 4 | 6, at: number, nop: boolean, dst: Uint8Array,
): number {
  void l4;
  void doff;
  void ipLength;
  void af;
  if (!copyInModuleMemory(dst, 0, src, base, base + frameLength)) dst.set(src.subarray(base, base + frameLength), 0);
  const layout = cutLayout;
  parseLayout(dst, l3, captured, layout);
  if (layout.af === 4 && readU16(dst, l3 + IPV4.CHECKSUM) !== ipv4HeaderChecksum(dst, l3, layout.ipHeaderLength)) return KERNEL_DECLINED;
  const pl4 = layout.l4;
  const ipEnd = layout.end;
  // the payload is summed where the reader put it (in place by the SIMD module for its chunk buffers)
  const payloadSum = congruentSum16(src, base + pl4 + layout.l4HeaderLength, base + ipEnd);
  if (fold(sum16(dst, pl4, pl4 + layout.l4HeaderLength, payloadSum) + pseudoHeader(dst, layout)) !== 0xffff) return KERNEL_DECLINED;
  const optionLength = dst[at + 1]!;
  if (nop || removeOptionAt(dst, layout, at) === 0) dst.fill(TCP_OPTION.NOP, at, at + optionLength);
  const header = sum16(dst, pl4, pl4 + layout.l4HeaderLength) - readU16(dst, pl4 + TCP.CHECKSUM);
  writeU16(dst, pl4 + TCP.CHECKSUM, finish(header + payloadSum + pseudoHeader(dst, layout)));
  if (layout.af === 4) fillIpv4Checksum(dst, l3);
  // the link trailer (Ethernet padding) follows the packet wherever it now ends
  const trailer = frameLength - ipEnd;
  const newEnd = layout.end;
  if (trailer > 0 && newEnd !== ipEnd) dst.copyWithin(newEnd, ipEnd, ipEnd + trailer);
  return newEnd + trailer;
}

/** The TCP pseudo-header sum of the packet `layout` describes, at its current length. */
function pseudoHeader(buf: Uint8Array, layout: PacketLayout): number {
  return pseudoSum(buf, layout.l3, layout.af, IPPROTO.TCP, layout.ipLength - layout.ipHeaderLength);
}
