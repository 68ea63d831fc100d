/**
 * inject-toa's lean flow state (inject.ts), shared with its record lane (kernels.ts injectScan, which reads and
 * writes the same rows in the checksum module's memory).
 */
/**
 * Lean path (plain mode, port+address TCP formats): the state of each TCP flow lives in one row of an
 * Int32Array (LEAN_ROW, indexed by flow index; no Flow object until --report asks for them).
 */
export const LEAN_ROW = Object.freeze({ STATE: 0, CLIENT_ISN: 1, FDATA_SEQ: 2, CLIENT_TO_SERVER: 3, SERVER_TO_CLIENT: 4, INSERTED: 5, NOT_ELIGIBLE: 6, STRIDE: 8 });
/** Bits of a lean row's STATE. */
export const LEAN = Object.freeze({
  CLIENT_IS_A: 1,
  SIDE_SYN: 2,
  SIDE_SERVER: 4,
  ISN_KNOWN: 8,
  FDATA_KNOWN: 16,
  FDATA_GUESSED: 32,
  /** The flow's state is in the columns (a TCP flow of a lean run). */
  FLOW: 64,
});
