/**
 * WebAssembly SIMD summing for checksum.ts: a module of a few hundred bytes, emitted here from
 * TypeScript (no toolchain), that adds up 16-bit words 16 bytes per vector instruction.
 *
 * The module exports its memory and one function `sum(ptr, len) -> i32`, which returns a number
 * congruent modulo 0xFFFF to the sum of the little-endian 16-bit words of memory[ptr, ptr+len)
 * (an odd trailing byte as the low byte of a last word), and zero only when that sum is zero.
 * Bytes must be in the module's memory: checksum.ts allocates the capture reader's chunk buffers
 * there (checksumBuffer) and sums them in place.
 */

import {
  BLOCK, BR, BR_IF, END, I32, I32_ADD, I32_CONST, I32_LOAD16_U, I32_LOAD8_U, I32_LT_U, I32_SUB, IF, LOCAL_GET, LOCAL_SET, LOOP,
  memarg, MODULE_HEADER, name, section, sleb, uleb, V128, vec, VOID, wasmApi,
} from './wasm-emit.js';

/** Bytes per `sum` call at most: 16384 iterations of 64 bytes add < 16384 × 2 × 0xFFFF < 2^32 to a lane. */
export const SIMD_CALL_MAX = 1 << 20;

// SIMD instructions: prefix 0xFD, then the opcode as unsigned LEB128
const SIMD = 0xfd;
const V128_LOAD = uleb(0x00); // v128.load <memarg>
const I32X4_SPLAT = uleb(0x11); // i32x4.splat
const I32X4_EXTRACT_LANE = uleb(0x1b); // i32x4.extract_lane <lane byte>
const V128_AND = uleb(0x4e); // v128.and
const I32X4_EXTADD_PAIRWISE_I16X8_U = uleb(0x7f); // i32x4.extadd_pairwise_i16x8_u
const I32X4_SHR_U = uleb(0xad); // i32x4.shr_u (lane shift count from an i32)
const I32X4_ADD = uleb(0xae); // i32x4.add

// locals of `sum`: parameters 0 and 1, then the declared ones
const PTR = 0; // i32 parameter: current address
const LEN = 1; // i32 parameter: byte count
const END_AT = 2; // i32: ptr + len
const TOTAL = 3; // i32: the scalar result
const ACC = [4, 5, 6, 7]; // v128 × 4: independent accumulators (4 lanes of i32 each)

/** `local.get END_AT; local.get PTR; i32.sub; i32.const n; i32.lt_u; br_if depth`: leave when fewer than n bytes remain. */
function exitWhenBelow(n: number, depth: number): number[] {
  return [LOCAL_GET, END_AT, LOCAL_GET, PTR, I32_SUB, I32_CONST, ...sleb(n), I32_LT_U, BR_IF, depth];
}

/** `acc[k] += extadd_pairwise_u(v128.load(ptr + offset))`: 8 words into 4 lanes. */
function addVector(k: number, offset: number): number[] {
  return [
    LOCAL_GET, ACC[k]!,
    LOCAL_GET, PTR,
    SIMD, ...V128_LOAD, ...memarg(offset), // 16 bytes = 8 little-endian u16
    SIMD, ...I32X4_EXTADD_PAIRWISE_I16X8_U, // adjacent pairs added: 4 × u32 (< 2^17)
    SIMD, ...I32X4_ADD,
    LOCAL_SET, ACC[k]!,
  ];
}

/** `ptr += n`. */
function advance(n: number): number[] {
  return [LOCAL_GET, PTR, I32_CONST, ...sleb(n), I32_ADD, LOCAL_SET, PTR];
}

/** Push `(acc[k] & 0xFFFF) + (acc[k] >>> 16)` per lane: below 2^17, congruent mod 0xFFFF, zero only when acc[k] is. */
function foldedAcc(k: number): number[] {
  return [
    LOCAL_GET, ACC[k]!,
    I32_CONST, ...sleb(0xffff), SIMD, ...I32X4_SPLAT, // mask 0x0000FFFF in every lane
    SIMD, ...V128_AND,
    LOCAL_GET, ACC[k]!,
    I32_CONST, 16, SIMD, ...I32X4_SHR_U,
    SIMD, ...I32X4_ADD,
  ];
}

/** The body of `sum(ptr, len) -> i32` (see the file comment). */
function sumBody(): number[] {
  const locals = vec(2, [2, I32, 4, V128]); // END_AT, TOTAL; ACC[0..3] (all start at zero)
  const code = [
    LOCAL_GET, PTR, LOCAL_GET, LEN, I32_ADD, LOCAL_SET, END_AT,
    // 64 bytes per iteration into 4 accumulators
    BLOCK, VOID,
    LOOP, VOID,
    ...exitWhenBelow(64, 1),
    ...addVector(0, 0), ...addVector(1, 16), ...addVector(2, 32), ...addVector(3, 48),
    ...advance(64),
    BR, 0,
    END,
    END,
    // then 16 bytes per iteration into the first
    BLOCK, VOID,
    LOOP, VOID,
    ...exitWhenBelow(16, 1),
    ...addVector(0, 0),
    ...advance(16),
    BR, 0,
    END,
    END,
    // the four accumulators folded and added: 4 lanes below 2^19
    ...foldedAcc(0), ...foldedAcc(1), SIMD, ...I32X4_ADD,
    ...foldedAcc(2), SIMD, ...I32X4_ADD,
    ...foldedAcc(3), SIMD, ...I32X4_ADD,
    LOCAL_SET, ACC[0]!,
    // TOTAL = lane 0 + lane 1 + lane 2 + lane 3
    LOCAL_GET, ACC[0]!, SIMD, ...I32X4_EXTRACT_LANE, 0,
    LOCAL_GET, ACC[0]!, SIMD, ...I32X4_EXTRACT_LANE, 1, I32_ADD,
    LOCAL_GET, ACC[0]!, SIMD, ...I32X4_EXTRACT_LANE, 2, I32_ADD,
    LOCAL_GET, ACC[0]!, SIMD, ...I32X4_EXTRACT_LANE, 3, I32_ADD,
    LOCAL_SET, TOTAL,
    // the last 0..15 bytes: 16-bit words, then an odd byte
    BLOCK, VOID,
    LOOP, VOID,
    ...exitWhenBelow(2, 1),
    LOCAL_GET, TOTAL, LOCAL_GET, PTR, I32_LOAD16_U, ...memarg(0), I32_ADD, LOCAL_SET, TOTAL,
    ...advance(2),
    BR, 0,
    END,
    END,
    LOCAL_GET, PTR, LOCAL_GET, END_AT, I32_LT_U,
    IF, VOID,
    LOCAL_GET, TOTAL, LOCAL_GET, PTR, I32_LOAD8_U, ...memarg(0), I32_ADD, LOCAL_SET, TOTAL,
    END,
    LOCAL_GET, TOTAL,
    END, // function
  ];
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

/** The whole module: memory of `pages` × 64 KiB (fixed: never grown), exported as "memory"; function "sum". */
export function simdModuleBytes(pages: number): Uint8Array<ArrayBuffer> {
  const bytes = [
    ...MODULE_HEADER,
    ...section(1, vec(1, [0x60, ...vec(2, [I32, I32]), ...vec(1, [I32])])), // type 0: (i32, i32) -> i32
    ...section(3, vec(1, [0])), // function 0 has type 0
    ...section(5, vec(1, [0x01, ...uleb(pages), ...uleb(pages)])), // memory 0: min = max = pages
    ...section(7, vec(2, [...name('memory'), 0x02, 0, ...name('sum'), 0x00, 0])), // exports: memory 0, function 0
    ...section(10, vec(1, sumBody())), // code of function 0
  ];
  return Uint8Array.from(bytes);
}

// ---- instantiation --------------------------------------------------------------------------

/** An instantiated module: its memory's bytes and its `sum`. */
export interface SimdSummer {
  readonly memory: Uint8Array;
  /** The WebAssembly.Memory itself (rewrite/kernels.ts imports it into a module of its own). */
  readonly wasmMemory: object;
  sum(ptr: number, len: number): number;
}

/** A new instance with `pages` of memory, or null where WebAssembly or SIMD is unavailable. */
export function createSimdSummer(pages: number): SimdSummer | null {
  const wasm = wasmApi();
  if (wasm === undefined) return null;
  try {
    const bytes = simdModuleBytes(pages);
    if (!wasm.validate(bytes)) return null;
    const { exports } = new wasm.Instance(new wasm.Module(bytes));
    const memory = exports['memory'] as { buffer: ArrayBuffer };
    return { memory: new Uint8Array(memory.buffer), wasmMemory: memory, sum: exports['sum'] as (ptr: number, len: number) => number };
  } catch {
    return null;
  }
}
