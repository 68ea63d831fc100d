/**
 * `decode --json`: the `"toa":[...]` array. A carrier with only the fields every carrier has
 * (newCarrier's order: carrier, kind, length, format, clientAddress, clientPort, offset) and
 * possibly `exidCollision` (set after decoding, so it comes last) is written field by field from
 * fragments; any other carrier, or one with a string that would need escaping, is written with
 * JSON.stringify. The first carrier of each format is written both ways and compared, and the
 * format keeps JSON.stringify if they differ, so the bytes are always JSON.stringify's.
 */
import type { Carrier } from '../carriers/index.js';
import { VIEW_RESERVE, putAscii, putUint } from './json-bytes.js';
import { AsciiWords, putWords, type ByteWriter } from './writer.js';

/** Carrier fields the field-by-field writer does not write: each must be undefined for it. */
const OTHER_FIELDS = {
  virtualAddress: 1,
  virtualPort: 1,
  vni: 1,
  vpcId: 1,
  operation: 1,
  asymmetric: 1,
  firstOption: 1,
  oppVersion: 1,
  nextProtocol: 1,
  command: 1,
  family: 1,
  transport: 1,
  sourcePath: 1,
  destinationPath: 1,
  tlvs: 1,
  protocol: 1,
  flowSourcePort: 1,
  flowDestinationPort: 1,
} as const satisfies Record<Exclude<keyof Carrier, 'carrier' | 'kind' | 'length' | 'format' | 'clientAddress' | 'clientPort' | 'offset' | 'exidCollision'>, 1>;

/** The test of OTHER_FIELDS, spelled out so each is a plain property load. */
function onlyCommonFields(c: Carrier): boolean {
  return (
    c.virtualAddress === undefined &&
    c.virtualPort === undefined &&
    c.vni === undefined &&
    c.vpcId === undefined &&
    c.operation === undefined &&
    c.asymmetric === undefined &&
    c.firstOption === undefined &&
    c.oppVersion === undefined &&
    c.nextProtocol === undefined &&
    c.command === undefined &&
    c.family === undefined &&
    c.transport === undefined &&
    c.sourcePath === undefined &&
    c.destinationPath === undefined &&
    c.tlvs === undefined &&
    c.protocol === undefined &&
    c.flowSourcePort === undefined &&
    c.flowDestinationPort === undefined
  );
}

/** Every key of OTHER_FIELDS (for tests: each one set must send a carrier to JSON.stringify). */
export const CARRIER_OTHER_FIELDS: readonly string[] = Object.keys(OTHER_FIELDS);

/** `{"carrier":"C","kind":K,"length":L,"format":"F","clientAddress":` for one (carrier, kind, length, format). */
interface Head {
  carrier: string;
  kind: number | null;
  length: number;
  fragment: AsciiWords;
}

const F_NULL = new AsciiWords('null');
const F_CLIENTPORT = new AsciiWords(',"clientPort":');
const F_OFFSET = new AsciiWords(',"offset":');
const F_EXIDCOLLISION = new AsciiWords(',"exidCollision":');
/** Longest string written field by field (VIEW_RESERVE holds far more). */
const MAX_STRING = 1024;

/** Writes carriers arrays; one per renderer. */
export class JsonCarriersWriter {
  /** Head fragment per format (remade when a carrier of that format differs in carrier/kind/length). */
  private readonly heads = new Map<string, Head>();
  /** Per format: true once the field-by-field bytes matched JSON.stringify's, false if they did not. */
  private readonly verified = new Map<string, boolean>();

  /** Append `[...]` with the JSON of each carrier to `w`. */
  write(w: ByteWriter, carriers: readonly Carrier[]): void {
    w.byte(91);
    for (let i = 0; i < carriers.length; i++) {
      if (i > 0) w.byte(44);
      this.writeOne(w, carriers[i]!);
    }
    w.byte(93);
  }

  private writeOne(w: ByteWriter, c: Carrier): void {
    const ok = this.verified.get(c.format);
    if (ok !== false && onlyCommonFields(c)) {
      const start = w.position;
      const end = this.fields(w.at(VIEW_RESERVE), start, c);
      if (end >= 0) {
        if (ok === true) {
          w.position = end;
          return;
        }
        // first carrier of this format: keep the fields only if they are JSON.stringify's bytes
        w.position = end;
        const fields = w.takeFrom(start);
        const same = fields === JSON.stringify(c);
        this.verified.set(c.format, same);
      }
    }
    w.text(JSON.stringify(c));
  }

  /** The carrier field by field at `p`; -1 when a value is not of the expected kind. */
  private fields(dv: DataView, p: number, c: Carrier): number {
    let head = this.heads.get(c.format);
    if (head === undefined || head.carrier !== c.carrier || head.kind !== c.kind || head.length !== c.length) {
      if (!plain(c.carrier) || !plain(c.format) || !isNumberOrNull(c.kind) || !isNumberOrNull(c.length)) return -1;
      head = {
        carrier: c.carrier,
        kind: c.kind,
        length: c.length,
        fragment: new AsciiWords('{"carrier":"' + c.carrier + '","kind":' + c.kind + ',"length":' + c.length + ',"format":"' + c.format + '","clientAddress":'),
      };
      this.heads.set(c.format, head);
    }
    p = putWords(dv, p, head.fragment);
    const address = c.clientAddress;
    if (address === null) p = putWords(dv, p, F_NULL);
    else if (typeof address === 'string' && plain(address)) p = putQuoted(dv, p, address);
    else return -1;
    p = putWords(dv, p, F_CLIENTPORT);
    const port = c.clientPort;
    if (port === null) p = putWords(dv, p, F_NULL);
    else if (isNumberOrNull(port)) p = putUint(dv, p, port);
    else return -1;
    p = putWords(dv, p, F_OFFSET);
    if (!isNumberOrNull(c.offset) || c.offset === null) return -1;
    p = putUint(dv, p, c.offset);
    const exid = c.exidCollision;
    if (exid !== undefined) {
      if (typeof exid !== 'string' || !plain(exid)) return -1;
      p = putWords(dv, p, F_EXIDCOLLISION);
      p = putQuoted(dv, p, exid);
    }
    dv.setUint8(p, 125);
    return p + 1;
  }
}

/** A whole number ≥ 0 (written the same by putUint and JSON.stringify) or null. */
function isNumberOrNull(v: unknown): boolean {
  return v === null || (typeof v === 'number' && v >= 0 && Number.isSafeInteger(v));
}

/** Printable ASCII without `"` or `\`: JSON.stringify writes it unchanged between quotes. */
function plain(s: string): boolean {
  if (typeof s !== 'string' || s.length > MAX_STRING) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 34 || c === 92) return false;
  }
  return true;
}

/** `"s"` for a plain string s (room reserved by the caller). */
function putQuoted(dv: DataView, p: number, s: string): number {
  dv.setUint8(p, 34);
  p = putAscii(dv, p + 1, s);
  dv.setUint8(p, 34);
  return p + 1;
}
