import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex } from '../../src/codec/bytes.js';
import { MalformedError } from '../../src/codec/errors.js';
import {
  TCP_OPTION_WALK,
  TcpOptionCursor,
  decodeTcpOptions,
  encodeTcpOptions,
  interpretTcpOption,
  parseTcpOptions,
  tcpOptionMss,
  tcpOptionMptcpSubtype,
  tcpOptionName,
  tcpOptionSackBlockCount,
  tcpOptionTsecr,
  tcpOptionTsval,
  tcpOptionWindowScale,
  tcpOptionWalkError,
  tcpOptionsEncodedLength,
  walkTcpOptions,
} from '../../src/codec/tcp-options.js';
import { arbTcpOptions } from '../arbitraries.js';

function walk(hex: string): { kinds: number[]; offsets: number[]; lengths: number[]; cursor: TcpOptionCursor } {
  const bytes = fromHex(hex);
  const cursor = new TcpOptionCursor().reset(bytes, 0, bytes.length);
  const kinds: number[] = [];
  const offsets: number[] = [];
  const lengths: number[] = [];
  while (cursor.next()) {
    kinds.push(cursor.kind);
    offsets.push(cursor.offset);
    lengths.push(cursor.length);
  }
  return { kinds, offsets, lengths, cursor };
}

describe('TCP option walker', () => {
  it('walks a SYN with many options, unknown kinds 254/253/200 by their length byte', () => {
    // mss 1460, sackOK, TS, nop, wscale 7, TOA 254/8, 253/20, 200/8, unknown 99/3
    const hex =
      '020405b4 0402 080a0001e24000000000 01 030307 fe089c40c0000201 fd14 9c40 20010db8000000000000000000000001 c8089c40c0000201 630301';
    const { kinds, offsets, lengths, cursor } = walk(hex);
    expect(kinds).toEqual([2, 4, 8, 1, 3, 254, 253, 200, 99]);
    expect(lengths).toEqual([4, 2, 10, 1, 3, 8, 20, 8, 3]);
    expect(offsets).toEqual([0, 4, 6, 16, 17, 20, 28, 48, 56]);
    expect(cursor.status).toBe(TCP_OPTION_WALK.OK);
    expect(cursor.endOffset).toBe(59);
  });

  it('stops at EOL and reports the rest as padding', () => {
    const { kinds, cursor } = walk('01 01 00 00 fe');
    expect(kinds).toEqual([1, 1, 0]);
    expect(cursor.status).toBe(TCP_OPTION_WALK.OK);
    expect(cursor.endOffset).toBe(3);
    const list = decodeTcpOptions(fromHex('0101000000'), 0, 5);
    expect(list.trailing.length).toBe(2);
  });

  it('reports a length below 2 and an overrun with the option offset', () => {
    let r = walk('01 02 01 0000');
    expect(r.kinds).toEqual([1]);
    expect(r.cursor.status).toBe(TCP_OPTION_WALK.BAD_LENGTH);
    expect(r.cursor.errorOffset).toBe(1);
    r = walk('0101 080a 0000');
    expect(r.cursor.status).toBe(TCP_OPTION_WALK.OVERRUN);
    expect(r.cursor.errorOffset).toBe(2);
    r = walk('0101 fe'); // kind without its length byte
    expect(r.cursor.status).toBe(TCP_OPTION_WALK.BAD_LENGTH);
    expect(r.cursor.errorOffset).toBe(2);
    expect(() => parseTcpOptions(fromHex('0101080a0000'), 0, 6)).toThrow(MalformedError);
    try {
      parseTcpOptions(fromHex('0101080a0000'), 0, 6);
    } catch (e) {
      expect((e as MalformedError).offset).toBe(2);
      expect((e as MalformedError).layer).toBe('tcp-option');
    }
  });

  it('clamps an end beyond the bytes: an option crossing the real end is an overrun, never an endless walk', () => {
    const bytes = fromHex('0101 080a 0000');
    const cursor = new TcpOptionCursor().reset(bytes, 0, 40);
    let n = 0;
    while (cursor.next()) n++;
    expect(n).toBe(2);
    expect(cursor.status).toBe(TCP_OPTION_WALK.OVERRUN);
    expect(cursor.errorOffset).toBe(2);
    const fine = new TcpOptionCursor().reset(fromHex('020405b4'), 0, Number.NaN);
    expect(fine.next()).toBe(true);
    expect(fine.next()).toBe(false);
  });

  it('walks a sub-range with absolute offsets and the callback form', () => {
    const bytes = fromHex('aaaa 020405b4 0103 0307 bbbb');
    const seen: Array<[number, number, number]> = [];
    const status = walkTcpOptions(bytes, 2, 10, (kind, offset, length) => {
      seen.push([kind, offset, length]);
    });
    expect(status).toBe(TCP_OPTION_WALK.OK);
    expect(seen).toEqual([
      [2, 2, 4],
      [1, 6, 1],
      [3, 7, 3],
    ]);
    expect(walkTcpOptions(bytes, 2, 9, () => {})).toBe(TCP_OPTION_WALK.OVERRUN);
    expect(tcpOptionWalkError.offset).toBe(7);
  });

  it('interprets the well-known kinds', () => {
    const b = fromHex('020405b4 030307 0402 080a0001e2400000007b 050a0000000100000002 0a');
    expect(interpretTcpOption(b, 0, 4)).toEqual({ type: 'mss', mss: 1460 });
    expect(tcpOptionMss(b, 0, 4)).toBe(1460);
    expect(tcpOptionMss(b, 0, 3)).toBe(-1);
    expect(interpretTcpOption(b, 4, 3)).toEqual({ type: 'wscale', shift: 7 });
    expect(tcpOptionWindowScale(b, 4, 3)).toBe(7);
    expect(interpretTcpOption(b, 7, 2)).toEqual({ type: 'sackOK' });
    expect(interpretTcpOption(b, 9, 10)).toEqual({ type: 'timestamp', tsval: 123456, tsecr: 123 });
    expect(tcpOptionTsval(b, 9, 10)).toBe(123456);
    expect(tcpOptionTsecr(b, 9, 10)).toBe(123);
    expect(interpretTcpOption(b, 19, 10)).toEqual({ type: 'sack', blocks: [{ left: 1, right: 2 }] });
    expect(tcpOptionSackBlockCount(b, 19, 10)).toBe(1);
    expect(interpretTcpOption(b, 0, 5).type).toBe('invalid');

    const md5 = fromHex('1312' + '11'.repeat(16));
    const v = interpretTcpOption(md5, 0, 18);
    expect(v.type).toBe('md5');
    const mptcp = fromHex('1e0c 1081 0102030405060708');
    expect(interpretTcpOption(mptcp, 0, 12)).toMatchObject({ type: 'mptcp', subtype: 1 });
    expect(tcpOptionMptcpSubtype(mptcp, 0, 12)).toBe(1);
    const tfo = fromHex('220a 0102030405060708');
    expect(interpretTcpOption(tfo, 0, 10)).toMatchObject({ type: 'tfo', experimental: false });
    const tfoExp = fromHex('fe0c f989 0102030405060708');
    expect(interpretTcpOption(tfoExp, 0, 12)).toMatchObject({ type: 'tfo', experimental: true });
    const toa = fromHex('fe08 9c40 c0000201');
    expect(interpretTcpOption(toa, 0, 8)).toMatchObject({ type: 'exp', kind: 254, experimentId: 0x9c40 });
    const uto = fromHex('1c04 8005');
    expect(interpretTcpOption(uto, 0, 4)).toEqual({ type: 'uto', granularity: 'minutes', timeout: 5 });
    const unknown = fromHex('c808 9c40 c0000201');
    const u = interpretTcpOption(unknown, 0, 8);
    expect(u.type).toBe('unknown');
  });

  it("names kinds as tcpdump does", () => {
    expect([2, 3, 4, 5, 8, 19, 30, 34, 28, 254].map(tcpOptionName)).toEqual(['mss', 'wscale', 'sackOK', 'sack', 'TS', 'md5', 'mptcp', 'tfo', 'uto', 'exp']);
    expect(tcpOptionName(253)).toBe('unknown-253');
    expect(tcpOptionName(200)).toBe('unknown-200');
  });

  it('encode then walk gives the same kinds and data (property)', () => {
    fc.assert(
      fc.property(arbTcpOptions(), (options) => {
        const length = tcpOptionsEncodedLength(options);
        const out = new Uint8Array(length + 4).fill(0xa5);
        expect(encodeTcpOptions(options, out, 2)).toBe(length);
        const list = parseTcpOptions(out, 2, 2 + length);
        expect(list.options.map((o) => o.kind)).toEqual(options.map((o) => o.kind));
        list.options.forEach((o, i) => {
          if (o.kind > 1) expect(Array.from(o.data)).toEqual(Array.from(options[i]!.data ?? []));
        });
      }),
      { numRuns: 500 },
    );
  });

  it('never throws and stays inside [start, end) on random bytes (property)', () => {
    const cursor = new TcpOptionCursor();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => {
        cursor.reset(bytes, 0, bytes.length);
        let last = -1;
        while (cursor.next()) {
          expect(cursor.offset).toBeGreaterThan(last);
          expect(cursor.offset + cursor.length).toBeLessThanOrEqual(bytes.length);
          last = cursor.offset;
        }
        if (cursor.status !== TCP_OPTION_WALK.OK) expect(cursor.errorOffset).toBeLessThan(bytes.length);
      }),
      { numRuns: 3000 },
    );
  });
});
