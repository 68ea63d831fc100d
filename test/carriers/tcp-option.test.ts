import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/codec/bytes.js';
import { CliError } from '../../src/codec/errors.js';
import { describeKindFilter, isPlainToaV4Option, parseKindSpec, scanTcpOptions, type Carrier, type CarrierNote, type KindFilter } from '../../src/carriers/index.js';

function scan(hex: string, isSyn = false, kinds?: KindFilter) {
  const b = fromHex(hex);
  const out: Carrier[] = [];
  const notes: CarrierNote[] = [];
  const n = scanTcpOptions(b, 0, b.length, isSyn, out, notes, kinds);
  expect(n).toBe(out.length);
  return { out, notes };
}

const IP4 = 'c0000201';
const IP6 = '20010db8000000000000000000000001';

describe('kind 254 with ExID 0xF989 (TCP Fast Open) — rule 1', () => {
  it('254/8 and 254/20 on a SYN are TFO notes', () => {
    for (const hex of ['fe08f989' + IP4, 'fe14f989' + IP6, 'fe10f989' + IP4 + '0000' + '0050' + IP4]) {
      const { out, notes } = scan(hex, true);
      expect(out).toEqual([]);
      expect(notes).toMatchObject([{ code: 'tcp-fast-open', kind: 254, exid: 0xf989, severity: 'info', offset: 0 }]);
    }
  });
  it('254/8, 254/16 and 254/20 on a non-SYN segment are TOAs with client port 63881 plus an exid-collision warning', () => {
    const cases: [string, string, string][] = [
      ['fe08f989' + IP4, 'toa-v4', '192.0.2.1'],
      ['fe14f989' + IP6, 'toa-v6', '2001:db8::1'],
      ['fe10f989' + IP4 + '0000' + '0050' + IP4, 'toa-extra-v4', '192.0.2.1'],
    ];
    for (const [hex, format, address] of cases) {
      const { out, notes } = scan(hex, false);
      expect(out).toMatchObject([{ format, clientPort: 63881, clientAddress: address, exidCollision: 'TCP Fast Open' }]);
      expect(notes).toMatchObject([{ code: 'exid-collision', severity: 'warning', exid: 0xf989 }]);
    }
  });
  it('254 with 0xF989 at another length is TFO on any segment (a cookie of 4..12 bytes)', () => {
    for (const syn of [false, true]) {
      const { out, notes } = scan('fe0cf9890102030405060708', syn);
      expect(out).toEqual([]);
      expect(notes).toMatchObject([{ code: 'tcp-fast-open', length: 12 }]);
    }
    // cookie request: 254/4 with only the ExID
    expect(scan('fe04f989', true).notes).toMatchObject([{ code: 'tcp-fast-open', length: 4 }]);
  });
  it('a 254/8 TOA on a SYN without the TFO ExID is still a TOA (LVS puts TOA on the SYN)', () => {
    expect(scan('fe089c40' + IP4, true).out).toMatchObject([{ format: 'toa-v4', clientPort: 40000 }]);
  });
});

describe('RFC 7974 Host ID (ExID 0x0348) is never a client address', () => {
  it('253/8, 254/8, 254/20 and 253/20 with 0x0348 are host-id notes', () => {
    for (const hex of ['fd080348' + IP4, 'fe080348' + IP4, 'fe140348' + IP6, 'fd140348' + IP6, 'fd0c034801020304aabbccdd']) {
      for (const syn of [false, true]) {
        const { out, notes } = scan(hex, syn);
        expect(out).toEqual([]);
        expect(notes).toMatchObject([{ code: 'host-id', exid: 0x0348 }]);
      }
    }
  });
  it('253/8 with another port is the UCloud/Akamai port+IPv4 reading', () => {
    expect(scan('fd08c822cb007107').out).toMatchObject([{ format: 'toa-v4-253', clientPort: 51234, clientAddress: '203.0.113.7' }]);
  });
  it('253/20 is the LVS IPv6 TOA', () => {
    expect(scan('fd149c40' + IP6).out).toMatchObject([{ format: 'toa-v6-253', kind: 253, clientAddress: '2001:db8::1' }]);
  });
  it('a TOA whose port equals another known ExID (AccECN 0xACC0) is decoded and flagged', () => {
    const { out, notes } = scan('fe08acc0' + IP4);
    expect(out).toMatchObject([{ clientPort: 0xacc0, exidCollision: 'AccECN' }]);
    expect(notes).toMatchObject([{ code: 'exid-collision' }]);
  });
});

describe('other RFC 6994 experiments and kind-28 look-alikes', () => {
  it('254 and 253 at non-carrier lengths are rfc6994-experiment notes', () => {
    expect(scan('fe0a454e010203040506').notes).toMatchObject([{ code: 'rfc6994-experiment', kind: 254, length: 10, exid: 0x454e }]);
    expect(scan('fd0c1234' + '0102030405060708').notes).toMatchObject([{ code: 'rfc6994-experiment', kind: 253, exid: 0x1234 }]);
    expect(scan('fe0201').notes[0]).toMatchObject({ code: 'rfc6994-experiment', length: 2 });
    expect(scan('fe0201').notes[0]!.exid).toBeUndefined();
  });
  it('28/4 is the real User-Timeout; 28/7 version 1 is Alibaba CDN; 28/7 version 2 is neither', () => {
    const uto = scan('1c048258');
    expect(uto.out).toEqual([]);
    expect(uto.notes).toMatchObject([{ code: 'user-timeout', kind: 28, length: 4 }]);
    expect(scan('1c0701' + IP4 + '01').out).toMatchObject([{ format: 'alibaba-cdn-v4', clientAddress: '192.0.2.1', clientPort: null, length: 7 }]);
    const v2 = scan('1c0702' + IP4 + '01');
    expect(v2.out).toEqual([]);
    expect(v2.notes).toMatchObject([{ code: 'unknown-length', kind: 28, severity: 'warning' }]);
    expect(scan('1c13' + '02' + IP6).out).toMatchObject([{ format: 'alibaba-cdn-v6', clientAddress: '2001:db8::1' }]);
  });
  it('200 at a wrong length is an unknown-length warning; ordinary options produce nothing', () => {
    expect(scan('c80a9c40c00002010000').notes).toMatchObject([{ code: 'unknown-length', kind: 200, length: 10 }]);
    const plain = scan('020405b40402080a000000010000000001030307');
    expect(plain.out).toEqual([]);
    expect(plain.notes).toEqual([]);
  });
  it('Tencent 201/6 and 202/8 are carriers without a client address', () => {
    const { out } = scan('0101c9060000abcd' + 'ca080050c633640a' + 'c8089c40' + IP4);
    expect(out).toMatchObject([
      { format: 'tencent-vpc-id', vpcId: 0xabcd, clientAddress: null, offset: 2 },
      { format: 'tencent-vip', virtualAddress: '198.51.100.10', virtualPort: 80, clientAddress: null, offset: 8 },
      { format: 'toa-v4-200', clientAddress: '192.0.2.1', offset: 16 },
    ]);
  });
  it('Alibaba 254/8 followed by 250/8 (VIP) gives both', () => {
    expect(scan('fe089c40' + IP4 + 'fa080050c633640a').out.map((c) => c.format)).toEqual(['toa-v4', 'alibaba-vtoa-vip']);
  });
});

describe('malformed option walks stop with a note carrying the offset', () => {
  it('length 0 and length 1 stop the walk', () => {
    for (const len of ['00', '01']) {
      const { out, notes } = scan('0101' + 'fe' + len + 'fe089c40' + IP4);
      expect(out).toEqual([]);
      expect(notes).toMatchObject([{ code: 'malformed-option', offset: 2, kind: 254, length: Number(len) }]);
    }
  });
  it('an option overrunning the area stops the walk, after earlier carriers', () => {
    const { out, notes } = scan('c8089c40' + IP4 + 'fe149c40c000');
    expect(out).toHaveLength(1);
    expect(notes).toMatchObject([{ code: 'malformed-option', offset: 8, length: 20 }]);
    expect(notes[0]!.message).toMatch(/overruns/);
  });
  it('a kind byte with no length byte at the end is noted', () => {
    expect(scan('010101fe').notes).toMatchObject([{ code: 'malformed-option', offset: 3, length: 1 }]);
  });
  it('EOL stops the walk: zero padding is silent, a hidden TOA after EOL is reported', () => {
    expect(scan('fe089c40' + IP4 + '000000')).toEqual({ out: [{ carrier: 'tcp-option', kind: 254, length: 8, format: 'toa-v4', clientAddress: '192.0.2.1', clientPort: 40000, offset: 0 }], notes: [] });
    const hidden = scan('00fe089c40' + IP4);
    expect(hidden.out).toEqual([]);
    expect(hidden.notes).toMatchObject([{ code: 'data-after-eol', offset: 0 }]);
  });
  it('end beyond the buffer is clamped; scanning a sub-range ignores bytes outside it', () => {
    const b = fromHex('fe089c40' + IP4);
    const out: Carrier[] = [];
    expect(scanTcpOptions(b, 0, 100, false, out)).toBe(1);
    expect(scanTcpOptions(b, 0, 7, false, out)).toBe(0);
  });
});

describe('--kinds', () => {
  it('parses kind:length pairs and bare kinds', () => {
    expect(describeKindFilter(parseKindSpec('254:8,254:20,200:8'))).toBe('200:8,254:8,254:20');
    expect(describeKindFilter(parseKindSpec('254, 200'))).toBe('200:8,254:8,254:16,254:20');
    expect(describeKindFilter(parseKindSpec('28'))).toBe('28:7,28:19');
    expect(describeKindFilter(parseKindSpec('100'))).toBe('100:8,100:20');
    expect(parseKindSpec('252:20').pairs.get(252 * 256 + 20)!.format).toBe('alibaba-vtoa-vpc');
    expect(parseKindSpec('100:16').pairs.get(100 * 256 + 16)!.format).toBe('custom-extra-v4');
  });
  it('rejects bad specs with usage errors (exit code 2) naming the item', () => {
    const bad: [string, RegExp][] = [
      ['', /empty/],
      ['254:', /'254:' is not KIND or KIND:LENGTH/],
      ['abc', /'abc'/],
      ['256', /kind 256 is not 2\.\.255/],
      ['1:8', /kind 1/],
      ['254:41', /length 41 is not 2\.\.40/],
      ['254:12', /no client-address layout has length 12/],
      ['254:8,,200', /'' is not KIND/],
    ];
    for (const [spec, re] of bad) {
      let err: unknown;
      try {
        parseKindSpec(spec);
      } catch (e) {
        err = e;
      }
      expect(err, spec).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(2);
      expect((err as CliError).message, spec).toMatch(re);
    }
  });
  it('replaces the registry: only the listed pairs become carriers', () => {
    const hex = 'c8089c40' + IP4 + 'fe089c40' + IP4;
    expect(scan(hex, false, parseKindSpec('200:8')).out.map((c) => c.format)).toEqual(['toa-v4-200']);
    expect(scan(hex, false, parseKindSpec('254')).out.map((c) => c.format)).toEqual(['toa-v4']);
    expect(scan(hex, false).out.map((c) => c.format)).toEqual(['toa-v4-200', 'toa-v4']);
  });
  it('reads an unregistered kind with the standard layout for its length', () => {
    const { out } = scan('64089c40' + IP4 + '65149c40' + IP6, false, parseKindSpec('100:8,101:20'));
    expect(out).toMatchObject([
      { format: 'custom-v4', kind: 100, clientAddress: '192.0.2.1', clientPort: 40000 },
      { format: 'custom-v6', kind: 101, clientAddress: '2001:db8::1', clientPort: 40000 },
    ]);
    expect(scan('64089c40' + IP4).out).toEqual([]); // without --kinds, kind 100 is not a carrier
  });
  it('look-alike rules still apply under --kinds', () => {
    const { out, notes } = scan('fe08f989' + IP4, true, parseKindSpec('254:8'));
    expect(out).toEqual([]);
    expect(notes).toMatchObject([{ code: 'tcp-fast-open' }]);
    expect(scan('fd080348' + IP4, false, parseKindSpec('253:8')).notes).toMatchObject([{ code: 'host-id' }]);
  });
});

describe('skipPlainToa: the plain DPVS TOAs a caller reads from the bytes itself', () => {
  it('leaves out exactly the 254/8 options read as a toa-v4 carrier with no note, for every port', () => {
    const b = fromHex('fe080000' + IP4 + '0101080a0000000100000002');
    let plain = 0;
    const wrong: string[] = [];
    for (let port = 0; port < 0x10000; port++) {
      b[2] = port >>> 8;
      b[3] = port & 0xff;
      for (const isSyn of [false, true]) {
        const out: Carrier[] = [];
        const notes: CarrierNote[] = [];
        scanTcpOptions(b, 0, b.length, isSyn, out, notes);
        const skippedOut: Carrier[] = [];
        const skippedNotes: CarrierNote[] = [];
        const n = scanTcpOptions(b, 0, b.length, isSyn, skippedOut, skippedNotes, undefined, true);
        if (n !== skippedOut.length) wrong.push(`port ${port}: count ${n}`);
        if (isPlainToaV4Option(b, 0)) {
          if (!isSyn) plain++;
          // what the caller writes instead: `toa 192.0.2.1:PORT`
          const c = out[0];
          if (out.length !== 1 || notes.length !== 0 || c!.format !== 'toa-v4' || c!.clientPort !== port || c!.clientAddress !== '192.0.2.1') wrong.push(`port ${port}: not a plain toa-v4`);
          if (skippedOut.length + skippedNotes.length !== 0) wrong.push(`port ${port}: not skipped`);
        } else if (JSON.stringify([skippedOut, skippedNotes]) !== JSON.stringify([out, notes])) {
          wrong.push(`port ${port}: skipPlainToa changed the result`);
        }
      }
    }
    expect(wrong).toEqual([]);
    // every port but the 14 known ExIDs (Host ID and TCP Fast Open among them)
    expect(plain).toBe(0x10000 - 14);
  });
  it('only kind 254 length 8 qualifies, and never under --kinds', () => {
    expect(isPlainToaV4Option(fromHex('fe089c40' + IP4), 0)).toBe(true);
    expect(isPlainToaV4Option(fromHex('fd089c40' + IP4), 0)).toBe(false);
    expect(isPlainToaV4Option(fromHex('c8089c40' + IP4), 0)).toBe(false);
    expect(isPlainToaV4Option(fromHex('fe149c40' + IP6), 0)).toBe(false);
    const hex = 'fe089c40' + IP4;
    expect(scan(hex, false, parseKindSpec('254:8')).out).toHaveLength(1);
    const b = fromHex(hex);
    const out: Carrier[] = [];
    scanTcpOptions(b, 0, b.length, false, out, [], parseKindSpec('254:8'), true);
    expect(out).toMatchObject([{ format: 'toa-v4', clientPort: 40000 }]);
  });
});
