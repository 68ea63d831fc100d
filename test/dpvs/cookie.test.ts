import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  COOKIE_DATA,
  MSS_TABLE,
  checkCookie,
  cookieHashV4,
  cookieHashV6,
  defaultCookieSecret,
  encodeCookieData,
  mintCookie,
  mssTableIndex,
  parseCookieSecret,
  rawPort,
  type CookieOptions,
} from '../../src/dpvs/cookie.js';
import { ip } from './synproxy-fixtures.js';

const COUNT = 0x12345678;
const secret = defaultCookieSecret();

describe('cookie secret', () => {
  it('default secret is the TV-15 pattern secret[c][i] = 0x01020304·(c+1)+i', () => {
    expect(secret.length).toBe(32);
    expect(secret[0]).toBe(0x01020304);
    expect(secret[15]).toBe(0x01020304 + 15);
    expect(secret[16]).toBe(0x02040608);
    expect(secret[31]).toBe(0x02040608 + 15);
  });

  it('parses 256 hex digits as 32 big-endian words and round-trips the default', () => {
    const text = Array.from(secret, (w) => w.toString(16).padStart(8, '0')).join('');
    expect(text.length).toBe(256);
    expect(Array.from(parseCookieSecret(text))).toEqual(Array.from(secret));
    expect(Array.from(parseCookieSecret(`0x${text.slice(0, 128)}\n${text.slice(128)}`))).toEqual(Array.from(secret));
  });

  it('rejects a secret of the wrong length or with non-hex digits', () => {
    expect(() => parseCookieSecret('00'.repeat(127))).toThrow(/256 hex digits/);
    expect(() => parseCookieSecret('zz'.repeat(128))).toThrow(/256 hex digits/);
  });
});

describe('MSS table (spec §5.1)', () => {
  it('follows the observed mapping list', () => {
    const observed: Array<[number, number]> = [
      [0, 64],
      [40, 64],
      [100, 64],
      [256, 256],
      [536, 536],
      [1000, 536],
      [1400, 1280],
      [1440, 1440],
      [1452, 1452],
      [1460, 1460],
      [1500, 1460],
      [9000, 4312],
      [65535, 4312],
    ];
    for (const [mss, value] of observed) expect([mss, MSS_TABLE[mssTableIndex(mss)]]).toEqual([mss, value]);
  });

  it('rounds every value down to a table entry (≤ 255 → 64)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), (mss) => {
        const value = MSS_TABLE[mssTableIndex(mss)]!;
        if (mss < 256) expect(value).toBe(64);
        else {
          expect(value).toBeLessThanOrEqual(mss);
          const next = MSS_TABLE[mssTableIndex(mss) + 1];
          if (next !== undefined) expect(next).toBeGreaterThan(mss);
        }
      }),
    );
  });
});

describe('TV-15: IPv4 cookie', () => {
  const client = ip('192.0.2.1');
  const vip = ip('198.51.100.10');
  it('raw ports are the wire bytes read little-endian', () => {
    expect(rawPort(40000)).toBe(0x409c);
    expect(rawPort(80)).toBe(0x5000);
  });
  it('intermediate hashes H(0,0) and H(count,1)', () => {
    expect(cookieHashV4(secret, 0, 0, client, vip, rawPort(40000), rawPort(80))).toBe(0xc59343db);
    expect(cookieHashV4(secret, COUNT, 1, client, vip, rawPort(40000), rawPort(80))).toBe(0x0a153420);
  });
  const tuple = { clientAddress: client, virtualAddress: vip, clientPort: 40000, virtualPort: 80 };
  const options: CookieOptions = { mssIndex: mssTableIndex(1452), sackOk: true, timestampOk: false, wscale: 0 };
  it('data and K', () => {
    const minted = mintCookie({ ...tuple, secret, count: COUNT, isn: 0x11223344, options });
    expect(minted.data).toBe(0x00207000);
    expect(minted.h0).toBe(0xc59343db);
    expect(minted.h1).toBe(0x0a153420);
    expect(minted.cookie).toBe(0x4eeb1b3f);
  });
  it('the ACK passes at count+0..3, fails at count+4 and with ack K+2', () => {
    const ack = { ...tuple, secret, sequenceNumber: 0x11223345, acknowledgmentNumber: 0x4eeb1b40 };
    for (let tick = 0; tick < 4; tick++) {
      const check = checkCookie(ack, COUNT + tick);
      expect(check.valid).toBe(true);
      expect(check.diff).toBe(tick);
      expect(check.data).toBe(0x00207000);
      expect(check.mss).toBe(1452);
      expect(check.sackOk).toBe(true);
      expect(check.timestampOk).toBe(false);
      expect(check.wscaleOk).toBe(false);
    }
    const late = checkCookie(ack, COUNT + 4);
    expect(late.valid).toBe(false);
    expect(late.reason).toBe('expired');
    expect(checkCookie({ ...ack, acknowledgmentNumber: 0x4eeb1b41 }, COUNT).valid).toBe(false);
  });
});

describe('TV-16: IPv6 cookie', () => {
  const client = ip('2001:db8::1');
  const vip = ip('2001:db8::80');
  const tuple = { clientAddress: client, virtualAddress: vip, clientPort: 40000, virtualPort: 80 };
  it('intermediate hashes, data and K', () => {
    expect(cookieHashV6(secret, 0, 0, client, vip, rawPort(40000), rawPort(80))).toBe(0x992392ee);
    expect(cookieHashV6(secret, COUNT, 1, client, vip, rawPort(40000), rawPort(80))).toBe(0x78d47ccb);
    const minted = mintCookie({ ...tuple, secret, count: COUNT, isn: 0x11223344, options: { mssIndex: 7, sackOk: true, timestampOk: false, wscale: 0 } });
    expect(minted.data).toBe(0x207000);
    expect(minted.cookie).toBe(0x233ab2fd);
  });
  it('the check at count+3 returns data 0x00207000; count+4 fails', () => {
    const ack = { ...tuple, secret, sequenceNumber: 0x11223345, acknowledgmentNumber: 0x233ab2fe };
    const check = checkCookie(ack, COUNT + 3);
    expect(check.valid).toBe(true);
    expect(check.data).toBe(0x00207000);
    expect(checkCookie(ack, COUNT + 4).valid).toBe(false);
  });
});

describe('TV-17: data word with timestamps and wscale', () => {
  it('SACK + TS + client wscale 8 + MSS 1452 packs to 0x387000 and K = 0x4f031b3f', () => {
    const options = { mssIndex: 7, sackOk: true, timestampOk: true, wscale: 8 };
    expect(encodeCookieData(options)).toBe(0x387000);
    const minted = mintCookie({
      clientAddress: ip('192.0.2.1'),
      virtualAddress: ip('198.51.100.10'),
      clientPort: 40000,
      virtualPort: 80,
      secret,
      count: COUNT,
      isn: 0x11223344,
      options,
    });
    expect(minted.cookie).toBe(0x4f031b3f);
  });
});

describe('cookie properties', () => {
  const v4 = fc.uint8Array({ minLength: 4, maxLength: 4 });
  const v6 = fc.uint8Array({ minLength: 16, maxLength: 16 });
  const addressPair = fc.oneof(fc.tuple(v4, v4), fc.tuple(v6, v6));
  const port = fc.integer({ min: 0, max: 65535 });
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const cookieOptions = fc.record({
    mssIndex: fc.integer({ min: 0, max: 9 }),
    sackOk: fc.boolean(),
    timestampOk: fc.boolean(),
    wscale: fc.integer({ min: 0, max: 14 }),
  });
  const secretArb = fc.uint32Array({ minLength: 32, maxLength: 32 });

  it('a minted cookie validates for its ACK at ticks 0..3, fails at tick 4 and for ack+1, and decodes what was encoded', () => {
    fc.assert(
      fc.property(addressPair, port, port, u32, u32, cookieOptions, secretArb, ([client, vip], sport, dport, isn, count, options, randomSecret) => {
        const tuple = { clientAddress: client, virtualAddress: vip, clientPort: sport, virtualPort: dport };
        const minted = mintCookie({ ...tuple, secret: randomSecret, count, isn, options });
        const ack = { ...tuple, secret: randomSecret, sequenceNumber: (isn + 1) >>> 0, acknowledgmentNumber: (minted.cookie + 1) >>> 0 };
        for (let tick = 0; tick < COOKIE_DATA.COUNTER_TRIES; tick++) {
          const check = checkCookie(ack, (count + tick) >>> 0);
          expect(check.valid).toBe(true);
          expect(check.data).toBe(minted.data);
          expect(check.mssIndex).toBe(options.mssIndex);
          expect(check.mss).toBe(MSS_TABLE[options.mssIndex]);
          expect(check.sackOk).toBe(options.sackOk);
          expect(check.timestampOk).toBe(options.timestampOk);
          expect(check.wscale).toBe(options.wscale);
          expect(check.wscaleOk).toBe(options.wscale >= 1);
        }
        expect(checkCookie(ack, (count + 4) >>> 0).valid).toBe(false);
        // ack+1 shifts t by one: data's reserved bits become non-zero (or the age changes).
        expect(checkCookie({ ...ack, acknowledgmentNumber: (minted.cookie + 2) >>> 0 }, count).valid).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
