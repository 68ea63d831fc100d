/**
 * `decode --json`: the `"options":[...]` array of a TCP header, written from pre-encoded fragments
 * (AsciiWords).
 *
 * Each walked option is written as one fragment made on first use per (state, kind, length,
 * offset): the separator owed to what came before (`,"options":[` for the first option, `,` after
 * a closed object, `},` after an object whose `}` is still owed), `{"kind":K,"length":L,"offset":O`
 * and, for the kinds whose text depends only on kind and length, the name and the key of the
 * first value (`,"name":"TS","tsval":`). The owed `}` lets the next fragment (or the closing one)
 * carry it, so a typical options array is a few native copies and the option values.
 */
import type { Carrier } from '../carriers/index.js';
import { readU16, readU32 } from '../codec/bytes.js';
import { TCP_OPTION } from '../codec/tcp.js';
import { TCP_OPTION_LENGTH, TCP_OPTION_WALK, TFO_EXPERIMENT_ID, TcpOptionCursor, tcpOptionName } from '../codec/tcp-options.js';
import { MPTCP_SUBTYPES, carrierLabel, findCarrier, hexBytes } from './common.js';
import { putAscii, putHex, putUint } from './json-bytes.js';
import { AsciiWords, putU32, putWords } from './writer.js';

/** Where the array stands before the next option (the separator the next fragment starts with). */
export const OPTIONS_STATE = Object.freeze({
  /** Nothing written yet: the next fragment starts with `,"options":[`. */
  EMPTY: 0,
  /** After a closed option object: `,`. */
  CLOSED: 1,
  /** After an option object whose `}` is owed: `},`. */
  OPEN: 2,
});

const STATE_PREFIX = [',"options":[', ',', '},'];
/** What closes the array in each state. */
const STATE_CLOSE = [',"options":[]', ']', '}]'];

/** How an option's text continues after its fragment. */
const BODY = Object.freeze({
  /** The fragment ends with `{..."offset":O`: name and fields are written by the caller. */
  HEAD: 0,
  /** The fragment is the whole object, `}` included. */
  FULL: 1,
  /** The fragment ends with `"mss":`: a 16-bit value at data+2 follows, `}` owed. */
  U16: 2,
  /** The fragment ends with `"shift":`: the byte at data+2 follows, `}` owed. */
  U8: 3,
  /** The fragment ends with `"tsval":`: tsval, `,"tsecr":`, tsecr follow, `}` owed. */
  TS: 4,
});

/** The longest option a TCP options area (at most 40 bytes) can hold. */
const MAX_LENGTH = 40;

/** BODY of each (kind, length ≤ 40) of a non-carrier option. */
function bodyOf(kind: number, length: number): number {
  switch (kind) {
    case TCP_OPTION.EOL:
    case TCP_OPTION.NOP:
    case TCP_OPTION.SACK_PERMITTED:
      return BODY.FULL;
    case TCP_OPTION.MSS:
      return length === TCP_OPTION_LENGTH.MSS ? BODY.U16 : BODY.FULL;
    case TCP_OPTION.WSCALE:
      return length === TCP_OPTION_LENGTH.WSCALE ? BODY.U8 : BODY.FULL;
    case TCP_OPTION.TIMESTAMP:
      return length === TCP_OPTION_LENGTH.TIMESTAMP ? BODY.TS : BODY.FULL;
    default:
      return BODY.HEAD;
  }
}

/** The text after `"offset":O` of an option whose BODY is not HEAD (same text as tcpOptionJsonFields). */
function bodyText(kind: number, length: number, body: number): string {
  const name = ',"name":"' + tcpOptionName(kind) + '"';
  switch (body) {
    case BODY.U16:
      return name + ',"mss":';
    case BODY.U8:
      return name + ',"shift":';
    case BODY.TS:
      return name + ',"tsval":';
    default: {
      const valid = kind === TCP_OPTION.EOL || kind === TCP_OPTION.NOP || length === TCP_OPTION_LENGTH.SACK_PERMITTED;
      return name + (valid ? '' : ',"invalid":true') + '}';
    }
  }
}

/** Kinds of value in an options template. */
const VALUE = Object.freeze({ U16: 0, U8: 1, U32: 2 });

/**
 * The text of one options array shape (start offset and the kind/length of each option, all of
 * them EOL, NOP or a BODY other than HEAD): `texts[i]` before value i, the last text after the
 * last value. Written as a few copies however many options there are.
 */
class OptionsTemplate {
  constructor(
    readonly start: number,
    /** kind, length per option (length 1 for EOL and NOP). */
    readonly skeleton: Uint8Array,
    readonly texts: readonly AsciiWords[],
    readonly valueKinds: Uint8Array,
    readonly valueOffsets: Int32Array,
    /** OPTIONS_STATE after the last option. */
    readonly state: number,
  ) {}
}

/** Direct-mapped template slots (an options area has few shapes in a capture). */
const TEMPLATE_SLOTS = 1024;
/** Options in a 40-byte area: at most 40 (all one-byte). */
const MAX_OPTIONS = 40;

/** The template for the options in `skeleton` (`count` kind/length pairs) starting at `start`. */
function buildTemplate(start: number, skeleton: Uint8Array, count: number): OptionsTemplate {
  const texts: AsciiWords[] = [];
  const kinds: number[] = [];
  const offsets: number[] = [];
  let text = '';
  let state: number = OPTIONS_STATE.EMPTY;
  let q = start;
  for (let i = 0; i < count; i += 2) {
    const kind = skeleton[i]!;
    const length = skeleton[i + 1]!;
    const body = bodyOf(kind, length);
    text += STATE_PREFIX[state] + '{"kind":' + kind + ',"length":' + length + ',"offset":' + q + bodyText(kind, length, body);
    state = OPTIONS_STATE.OPEN;
    if (body === BODY.FULL) {
      state = OPTIONS_STATE.CLOSED;
    } else if (body === BODY.TS) {
      texts.push(new AsciiWords(text), new AsciiWords(',"tsecr":'));
      kinds.push(VALUE.U32, VALUE.U32);
      offsets.push(q + 2, q + 6);
      text = '';
    } else {
      texts.push(new AsciiWords(text));
      kinds.push(body === BODY.U16 ? VALUE.U16 : VALUE.U8);
      offsets.push(q + 2);
      text = '';
    }
    q += length;
  }
  texts.push(new AsciiWords(text));
  return new OptionsTemplate(start, skeleton.slice(0, count), texts, Uint8Array.from(kinds), Int32Array.from(offsets), state);
}

const K_TSECR = new AsciiWords(',"tsecr":');
const K_QUOTE_END = new AsciiWords('"}');
const CLOSE = STATE_CLOSE.map((text) => new AsciiWords(text));

/** Writes TCP options arrays; one per renderer (the fragment tables are its own). */
export class JsonOptionsWriter {
  private readonly cursor = new TcpOptionCursor();
  /**
   * Fragments by ((kind * 41 + length) * 3 + state) * 2 + (carrier ? 1 : 0), then by offset.
   * Lengths above 40 (impossible in a TCP header) are never cached.
   */
  private readonly fragments = new Map<number, AsciiWords[]>();
  /** `,"name":"toa","carrier":"toa-v4","data":"` per carrier format. */
  private readonly carrierNames = new Map<string, AsciiWords>();
  /** Options templates by skeleton hash. */
  private readonly templates: (OptionsTemplate | undefined)[] = new Array<OptionsTemplate | undefined>(TEMPLATE_SLOTS);
  /** The skeleton (kind, length pairs) of the options being written. */
  private readonly skeleton = new Uint8Array(2 * MAX_OPTIONS);
  /** The state after the options `write` wrote last (see OPTIONS_STATE). */
  state: number = OPTIONS_STATE.EMPTY;

  /** `templates` false: every option through its own fragment (same bytes; for tests). */
  constructor(private readonly useTemplates = true) {}

  /**
   * Write the options walked in data[start, end) (`start` < 0: no options area) at `p` of `dv`
   * (ByteWriter.view with VIEW_RESERVE bytes of room: a TCP options area needs far less). Returns the
   * position after them and leaves the state in `state`; the caller closes the array with
   * `close` or a fragment that starts with the same closing text (optionsCloseText).
   */
  write(dv: DataView, p: number, data: Uint8Array, start: number, end: number, carriers: readonly Carrier[]): number {
    let state: number = OPTIONS_STATE.EMPTY;
    if (start < 0) {
      this.state = state;
      return p;
    }
    const haveCarriers = carriers.length > 0;
    if (!haveCarriers && this.useTemplates) {
      const after = this.writeTemplate(dv, p, data, start, end);
      if (after >= 0) return after;
    }
    const cursor = this.cursor.reset(data, start, end);
    while (cursor.next()) {
      const at = cursor.offset;
      const length = cursor.length;
      const kind = cursor.kind;
      const c = haveCarriers && length > 1 ? findCarrier(carriers, 'tcp-option', at) : null;
      if (c !== null) {
        p = putWords(dv, p, this.fragment(kind, length, at, state, true));
        p = putWords(dv, p, this.carrierName(c));
        p = putHex(dv, p, data, at + 2, at + length);
        p = putWords(dv, p, K_QUOTE_END);
        state = OPTIONS_STATE.CLOSED;
        continue;
      }
      p = putWords(dv, p, this.fragment(kind, length, at, state, false));
      switch (length <= MAX_LENGTH ? bodyOf(kind, length) : BODY.HEAD) {
        case BODY.FULL:
          state = OPTIONS_STATE.CLOSED;
          break;
        case BODY.U16:
          p = putUint(dv, p, readU16(data, at + 2));
          state = OPTIONS_STATE.OPEN;
          break;
        case BODY.U8:
          p = putUint(dv, p, data[at + 2]!);
          state = OPTIONS_STATE.OPEN;
          break;
        case BODY.TS:
          p = putUint(dv, p, readU32(data, at + 2));
          p = putWords(dv, p, K_TSECR);
          p = putUint(dv, p, readU32(data, at + 6));
          state = OPTIONS_STATE.OPEN;
          break;
        default:
          // names and typed fields are ASCII (names, digits, hex)
          p = putAscii(dv, p, ',"name":"' + optionName(data, at, length) + '"' + tcpOptionJsonFields(data, at, length) + '}');
          state = OPTIONS_STATE.CLOSED;
      }
    }
    if (cursor.status !== TCP_OPTION_WALK.OK) {
      const e = cursor.errorOffset;
      p = putAscii(dv, p, STATE_PREFIX[state] + '{"kind":' + data[e] + ',"offset":' + e + ',"name":"malformed","malformed":true}');
      state = OPTIONS_STATE.CLOSED;
    }
    this.state = state;
    return p;
  }

  /**
   * The options of data[start, end) from their template (made on first use); -1 when the walk
   * meets damage or an option whose text depends on its data beyond a number (SACK, hex, ...).
   * The walk is inline: with TcpOptionCursor, `write` of SYN and NOP,NOP,TS options took 1.18x as
   * long (median of 25 paired runs, two processes, 2026-12-07).
   */
  private writeTemplate(dv: DataView, p: number, data: Uint8Array, start: number, end: number): number {
    if (end > data.length) return -1;
    const skeleton = this.skeleton;
    let count = 0;
    let hash = start;
    let q = start;
    while (q < end) {
      const kind = data[q]!;
      let length = 1;
      if (kind !== TCP_OPTION.EOL && kind !== TCP_OPTION.NOP) {
        if (q + 1 >= end) return -1;
        length = data[q + 1]!;
        if (length < 2 || q + length > end || length > MAX_LENGTH || bodyOf(kind, length) === BODY.HEAD) return -1;
      }
      if (count >= 2 * MAX_OPTIONS) return -1;
      skeleton[count++] = kind;
      skeleton[count++] = length;
      hash = Math.imul(hash ^ ((kind << 8) | length), 0x9e3779b1);
      q += length;
      if (kind === TCP_OPTION.EOL) break;
    }
    if (count === 0) return -1;
    const slot = (hash ^ (hash >>> 15)) & (TEMPLATE_SLOTS - 1);
    let t = this.templates[slot];
    if (t === undefined || t.start !== start || !sameSkeleton(t.skeleton, skeleton, count)) {
      t = buildTemplate(start, skeleton, count);
      this.templates[slot] = t;
    }
    const texts = t.texts;
    const kinds = t.valueKinds;
    const offsets = t.valueOffsets;
    for (let i = 0; i < kinds.length; i++) {
      p = putWords(dv, p, texts[i]!);
      const o = offsets[i]!;
      const k = kinds[i]!;
      p = putU32(dv, p, k === VALUE.U32 ? readU32(data, o) : k === VALUE.U16 ? readU16(data, o) : data[o]!);
    }
    this.state = t.state;
    return putWords(dv, p, texts[kinds.length]!);
  }

  /** Close the array (and the owed `}`) in `state`; returns the position after it. */
  close(dv: DataView, p: number, state: number): number {
    return putWords(dv, p, CLOSE[state]!);
  }

  private fragment(kind: number, length: number, offset: number, state: number, carrier: boolean): AsciiWords {
    if (length > MAX_LENGTH) return new AsciiWords(STATE_PREFIX[state] + '{"kind":' + kind + ',"length":' + length + ',"offset":' + offset);
    const key = ((kind * 41 + length) * 3 + state) * 2 + (carrier ? 1 : 0);
    let byOffset = this.fragments.get(key);
    if (byOffset === undefined) {
      byOffset = [];
      this.fragments.set(key, byOffset);
    }
    let f = byOffset[offset];
    if (f === undefined) {
      const body = carrier ? BODY.HEAD : bodyOf(kind, length);
      const text = STATE_PREFIX[state] + '{"kind":' + kind + ',"length":' + length + ',"offset":' + offset;
      f = new AsciiWords(body === BODY.HEAD ? text : text + bodyText(kind, length, body));
      byOffset[offset] = f;
    }
    return f;
  }

  private carrierName(c: Carrier): AsciiWords {
    let f = this.carrierNames.get(c.format);
    if (f === undefined) {
      // format names are ASCII registry names
      f = new AsciiWords(',"name":"' + carrierLabel(c) + '","carrier":"' + c.format + '","data":"');
      this.carrierNames.set(c.format, f);
    }
    return f;
  }
}

function sameSkeleton(a: Uint8Array, b: Uint8Array, count: number): boolean {
  if (a.length !== count) return false;
  for (let i = 0; i < count; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Closing text of the options array in `state`, followed by `tail` (for fragments that merge them). */
export function optionsCloseText(state: number, tail: string): string {
  return STATE_CLOSE[state] + tail;
}

/** JSON name of a non-carrier option (`tfo` for kind 254 with the Fast Open ExID). */
function optionName(data: Uint8Array, offset: number, length: number): string {
  const kind = data[offset]!;
  if (kind === TCP_OPTION.EXP2 && length >= 4 && readU16(data, offset + 2) === TFO_EXPERIMENT_ID) return 'tfo';
  return tcpOptionName(kind);
}

/** The typed fields (with a leading comma) of one walked TCP option. */
export function tcpOptionJsonFields(data: Uint8Array, offset: number, length: number): string {
  const kind = data[offset]!;
  const p = offset + 2;
  const end = offset + length;
  switch (kind) {
    case TCP_OPTION.EOL:
    case TCP_OPTION.NOP:
      return '';
    case TCP_OPTION.MSS:
      return length === TCP_OPTION_LENGTH.MSS ? ',"mss":' + readU16(data, p) : ',"invalid":true';
    case TCP_OPTION.WSCALE:
      return length === TCP_OPTION_LENGTH.WSCALE ? ',"shift":' + data[p]! : ',"invalid":true';
    case TCP_OPTION.SACK_PERMITTED:
      return length === TCP_OPTION_LENGTH.SACK_PERMITTED ? '' : ',"invalid":true';
    case TCP_OPTION.SACK: {
      if ((length - TCP_OPTION_LENGTH.SACK_BASE) % TCP_OPTION_LENGTH.SACK_BLOCK !== 0) return ',"invalid":true';
      let s = ',"blocks":[';
      for (let q = p; q < end; q += TCP_OPTION_LENGTH.SACK_BLOCK) s += (q === p ? '[' : ',[') + readU32(data, q) + ',' + readU32(data, q + 4) + ']';
      return s + ']';
    }
    case TCP_OPTION.TIMESTAMP:
      return length === TCP_OPTION_LENGTH.TIMESTAMP ? ',"tsval":' + readU32(data, p) + ',"tsecr":' + readU32(data, p + 4) : ',"invalid":true';
    case TCP_OPTION.MD5:
      return length === TCP_OPTION_LENGTH.MD5 ? ',"digest":"' + hexBytes(data, p, end) + '"' : ',"invalid":true';
    case TCP_OPTION.USER_TIMEOUT: {
      if (length !== TCP_OPTION_LENGTH.USER_TIMEOUT) return ',"invalid":true,"data":"' + hexBytes(data, p, end) + '"';
      const word = readU16(data, p);
      return ',"timeout":' + (word & 0x7fff) + ',"granularity":"' + (word & 0x8000 ? 'minutes' : 'seconds') + '"';
    }
    case TCP_OPTION.MPTCP:
      return length >= 3 ? ',"subtype":"' + (MPTCP_SUBTYPES[data[p]! >>> 4] ?? String(data[p]! >>> 4)) + '","data":"' + hexBytes(data, p, end) + '"' : ',"invalid":true';
    case TCP_OPTION.FAST_OPEN:
      return ',"cookie":"' + hexBytes(data, p, end) + '"';
    case TCP_OPTION.EXP1:
    case TCP_OPTION.EXP2: {
      if (length < 4) return ',"data":"' + hexBytes(data, p, end) + '"';
      const exid = readU16(data, p);
      if (kind === TCP_OPTION.EXP2 && exid === TFO_EXPERIMENT_ID) return ',"exid":' + exid + ',"cookie":"' + hexBytes(data, p + 2, end) + '"';
      return ',"exid":' + exid + ',"data":"' + hexBytes(data, p + 2, end) + '"';
    }
    default:
      return ',"data":"' + hexBytes(data, p, end) + '"';
  }
}
