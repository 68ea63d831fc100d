/**
 * A minimal WebAssembly binary emitter: the encodings (LEB128, sections, vectors, names) and the
 * instructions the project's modules use, as functions that return bytecode. There is no toolchain:
 * checksum-simd.ts and rewrite/kernels.ts write their modules with these.
 *
 * Expressions are written in the folded form of the text format: an instruction's operands come
 * first, so `add(get(A), c(4))` emits `local.get A; i32.const 4; i32.add`. Every builder returns a
 * fresh array (`Code`), to be spread into the enclosing one.
 */

/** Bytecode. */
export type Code = number[];

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number): number[] {
  n |= 0;
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** A section: id, byte size, contents. */
export function section(id: number, contents: number[]): number[] {
  return [id, ...uleb(contents.length), ...contents];
}

/** A vector: element count, then the elements (already encoded). */
export function vec(count: number, contents: number[]): number[] {
  return [...uleb(count), ...contents];
}

/** A name: byte length, UTF-8 (ASCII here) bytes. */
export function name(s: string): number[] {
  return vec(s.length, [...s].map((c) => c.charCodeAt(0)));
}

/** The module header: magic "\0asm", version 1. */
export const MODULE_HEADER: readonly number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Section ids. */
export const SECTION = Object.freeze({ TYPE: 1, IMPORT: 2, FUNCTION: 3, MEMORY: 5, EXPORT: 7, CODE: 10 });

// value types
export const I32 = 0x7f;
export const V128 = 0x7b;

/** A function type (section 1 entry). */
export function funcType(params: number[], results: number[]): number[] {
  return [0x60, ...vec(params.length, params), ...vec(results.length, results)];
}

/** A code section entry: locals as (count, type) runs, then the body, which must end with END. */
export function funcBody(locals: Array<[number, number]>, code: Code): number[] {
  const body = [...vec(locals.length, locals.flatMap(([count, type]) => [...uleb(count), type])), ...code];
  return [...uleb(body.length), ...body];
}

// instructions (core)
export const BLOCK = 0x02; // block <blocktype>
export const LOOP = 0x03; // loop <blocktype>
export const IF = 0x04; // if <blocktype>
export const ELSE = 0x05;
export const END = 0x0b; // end of block / loop / if / function
export const BR = 0x0c; // br <label depth>
export const BR_IF = 0x0d; // br_if <label depth>
export const RETURN = 0x0f;
export const CALL = 0x10;
export const VOID = 0x40; // empty block type
export const LOCAL_GET = 0x20; // local.get <index>
export const LOCAL_SET = 0x21; // local.set <index>
export const I32_LOAD = 0x28;
export const I32_LOAD8_U = 0x2d; // i32.load8_u <memarg>
export const I32_LOAD16_U = 0x2f; // i32.load16_u <memarg>
export const I32_STORE = 0x36;
export const I32_STORE8 = 0x3a;
export const I32_STORE16 = 0x3b;
export const I32_CONST = 0x41; // i32.const <sleb>
export const I32_EQZ = 0x45;
export const I32_EQ = 0x46;
export const I32_NE = 0x47;
export const I32_LT_S = 0x48;
export const I32_LT_U = 0x49; // i32.lt_u
export const I32_GT_U = 0x4b;
export const I32_LE_U = 0x4d;
export const I32_GE_U = 0x4f;
export const I32_ADD = 0x6a; // i32.add
export const I32_SUB = 0x6b; // i32.sub
export const I32_MUL = 0x6c;
export const I32_AND = 0x71;
export const I32_OR = 0x72;
export const I32_XOR = 0x73;
export const I32_SHL = 0x74;
export const I32_SHR_U = 0x76;
/** Prefix of the bulk-memory instructions (memory.copy 10, memory.fill 11). */
export const BULK = 0xfc;

/** memarg: alignment hint 1 byte (addresses may be unaligned), offset. */
export function memarg(offset: number): number[] {
  return [0, ...uleb(offset)];
}

// ---- folded expressions -----------------------------------------------------------------------

export const get = (local: number): Code => [LOCAL_GET, ...uleb(local)];
export const set = (local: number, value: Code): Code => [...value, LOCAL_SET, ...uleb(local)];
/** i32.const */
export const c = (n: number): Code => [I32_CONST, ...sleb(n)];

const binary =
  (opcode: number) =>
  (a: Code, b: Code): Code => [...a, ...b, opcode];
export const add = binary(I32_ADD);
export const sub = binary(I32_SUB);
export const mul = binary(I32_MUL);
export const and = binary(I32_AND);
export const or = binary(I32_OR);
export const xor = binary(I32_XOR);
export const shl = binary(I32_SHL);
export const shrU = binary(I32_SHR_U);
export const eq = binary(I32_EQ);
export const ne = binary(I32_NE);
export const ltS = binary(I32_LT_S);
export const ltU = binary(I32_LT_U);
export const gtU = binary(I32_GT_U);
export const leU = binary(I32_LE_U);
export const geU = binary(I32_GE_U);
export const eqz = (a: Code): Code => [...a, I32_EQZ];

export const load8 = (address: Code, offset = 0): Code => [...address, I32_LOAD8_U, ...memarg(offset)];
export const load16 = (address: Code, offset = 0): Code => [...address, I32_LOAD16_U, ...memarg(offset)];
export const load32 = (address: Code, offset = 0): Code => [...address, I32_LOAD, ...memarg(offset)];
export const store8 = (address: Code, value: Code, offset = 0): Code => [...address, ...value, I32_STORE8, ...memarg(offset)];
export const store16 = (address: Code, value: Code, offset = 0): Code => [...address, ...value, I32_STORE16, ...memarg(offset)];
export const store32 = (address: Code, value: Code, offset = 0): Code => [...address, ...value, I32_STORE, ...memarg(offset)];

/** A big-endian 16-bit field (network order). */
export const loadBe16 = (address: Code, offset = 0): Code => or(shl(load8(address, offset), c(8)), load8(address, offset + 1));
/** Store the low 16 bits of `value` big-endian (`value` is evaluated twice: pass a local). */
export const storeBe16 = (address: Code, value: Code, offset = 0): Code => [
  ...store8(address, shrU(value, c(8)), offset),
  ...store8(address, value, offset + 1),
];

/** if (cond) { then } [else { otherwise }] (no result). */
export const ifThen = (cond: Code, then: Code, otherwise?: Code): Code =>
  otherwise === undefined ? [...cond, IF, VOID, ...then, END] : [...cond, IF, VOID, ...then, ELSE, ...otherwise, END];
export const block = (body: Code): Code => [BLOCK, VOID, ...body, END];
export const loop = (body: Code): Code => [LOOP, VOID, ...body, END];
export const br = (depth: number): Code => [BR, ...uleb(depth)];
export const brIf = (depth: number, cond: Code): Code => [...cond, BR_IF, ...uleb(depth)];
export const ret = (value: Code): Code => [...value, RETURN];
export const call = (func: number, ...args: Code[]): Code => [...args.flat(), CALL, ...uleb(func)];
/** memory.copy dst <- src, n bytes (overlap allowed). */
export const memCopy = (dst: Code, src: Code, n: Code): Code => [...dst, ...src, ...n, BULK, ...uleb(10), 0, 0];
/** memory.fill dst with the byte `value`, n bytes. */
export const memFill = (dst: Code, value: Code, n: Code): Code => [...dst, ...value, ...n, BULK, ...uleb(11), 0];

// ---- instantiation ------------------------------------------------------------------------------

/** The part of the WebAssembly JS API used here (the TypeScript libs in use do not declare it). */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}

/** The WebAssembly API of this runtime, or undefined. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}
