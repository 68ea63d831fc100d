/**
 * Structured, positional errors for the codec (house style §8).
 *
 * - TruncatedError: the bytes end before a length says they should (need more bytes).
 * - MalformedError: the bytes are there but a field holds an impossible value.
 * - CaptureError: a capture file cannot be read past some point; names the file,
 *   the packet number (1-based, the packet being read when it broke) and the byte offset.
 * - CliError: a command-level failure with its own exit code (1 runtime, 2 usage).
 *
 * Messages are one full sentence; `main` prints `toa: <message>` and never a stack
 * unless --debug is given.
 */

export type Layer =
  | 'pcap'
  | 'pcapng'
  | 'link'
  | 'ethernet'
  | 'vlan'
  | 'sll'
  | 'sll2'
  | 'null'
  | 'ipv4'
  | 'ipv6'
  | 'tcp'
  | 'tcp-option'
  | 'udp'
  | 'icmp'
  | 'opp'
  | 'vxlan'
  | 'carrier'
  | 'proxy';

export class CodecError extends Error {
  readonly layer: Layer;
  /** Byte offset of the problem, relative to the start of whatever buffer was handed in (absolute after rebasing). */
  offset: number;
  readonly code: string;
  constructor(layer: Layer, code: string, offset: number, message: string) {
    super(message);
    this.name = 'CodecError';
    this.layer = layer;
    this.code = code;
    this.offset = offset;
  }
  /** Shift the offset by `base` (used when an error propagates from an inner buffer). */
  rebase(base: number): this {
    this.offset += base;
    return this;
  }
}

export class TruncatedError extends CodecError {
  readonly required: number;
  readonly available: number;
  readonly lengthSource: string;
  constructor(layer: Layer, offset: number, required: number, available: number, lengthSource = 'capture') {
    super(
      layer,
      'truncated',
      offset,
      `${layer} truncated at byte ${offset}: needs ${required} bytes, ${available} available (length from ${lengthSource})`,
    );
    this.name = 'TruncatedError';
    this.required = required;
    this.available = available;
    this.lengthSource = lengthSource;
  }
}

export class MalformedError extends CodecError {
  readonly field: string;
  readonly value: number | string;
  constructor(layer: Layer, offset: number, field: string, value: number | string, reason: string) {
    super(layer, 'malformed', offset, `${layer} ${field} ${String(value)} at byte ${offset}: ${reason}`);
    this.name = 'MalformedError';
    this.field = field;
    this.value = value;
  }
}

/** A capture file could not be read further. `packet` is the 1-based number of the packet being read. */
export class CaptureError extends Error {
  readonly file: string;
  readonly packet: number;
  readonly offset: number;
  readonly reason: string;
  constructor(file: string, packet: number, offset: number, reason: string) {
    super(`${file}: packet ${packet} at byte offset ${offset}: ${reason}`);
    this.name = 'CaptureError';
    this.file = file;
    this.packet = packet;
    this.offset = offset;
    this.reason = reason;
  }
}

/** A command-level error with an exit code: 1 for runtime failures, 2 for usage errors. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly hint?: string;
  constructor(message: string, exitCode = 1, hint?: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

export function isCodecError(e: unknown): e is CodecError {
  return e instanceof CodecError;
}
