import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex } from '../../src/codec/bytes.js';
import { LINK_RESULT, LinkInfo, isSupportedLinkType, parseLinkLayer, sllPacketTypeName } from '../../src/codec/link.js';
import { LINKTYPE } from '../../src/codec/linktype.js';
import { SUPPORTED_LINK_TYPES } from '../arbitraries.js';

const IPV4_START = '4500';
const IPV6_START = '6000';

function parse(hex: string, linkType: number): { result: number; info: LinkInfo } {
  const info = new LinkInfo();
  const bytes = fromHex(hex);
  return { result: parseLinkLayer(bytes, 0, bytes.length, linkType, info), info };
}

describe('link layers', () => {
  it('Ethernet II IPv4 and IPv6', () => {
    // dst 02:00:00:00:00:02 src 02:00:00:00:00:01 type 0800
    let r = parse('020000000002 020000000001 0800' + IPV4_START, LINKTYPE.ETHERNET);
    expect(r.result).toBe(LINK_RESULT.IPV4);
    expect(r.info.linkHeaderLength).toBe(14);
    expect(r.info.etherType).toBe(0x0800);
    expect(r.info.vlanCount).toBe(0);
    r = parse('020000000002 020000000001 86dd' + IPV6_START, LINKTYPE.ETHERNET);
    expect(r.result).toBe(LINK_RESULT.IPV6);
  });

  it('802.1Q, QinQ (88a8 + 8100) and 9100 stacks record ids and TPIDs', () => {
    let r = parse('020000000002 020000000001 8100 a064 0800' + IPV4_START, LINKTYPE.ETHERNET);
    expect(r.result).toBe(LINK_RESULT.IPV4);
    expect(r.info.linkHeaderLength).toBe(18);
    expect(r.info.vlanCount).toBe(1);
    expect(r.info.vlanIds[0]).toBe(100); // TCI a064: priority 5, id 100
    r = parse('020000000002 020000000001 88a8 00c8 8100 0064 86dd' + IPV6_START, LINKTYPE.ETHERNET);
    expect(r.result).toBe(LINK_RESULT.IPV6);
    expect(r.info.linkHeaderLength).toBe(22);
    expect(r.info.vlanCount).toBe(2);
    expect([r.info.vlanIds[0], r.info.vlanIds[1]]).toEqual([200, 100]);
    expect([r.info.vlanTpids[0], r.info.vlanTpids[1]]).toEqual([0x88a8, 0x8100]);
    r = parse('020000000002 020000000001 9100 0fff 8100 0001 8100 0002 8100 0003 8100 0004 0800' + IPV4_START, LINKTYPE.ETHERNET);
    expect(r.result).toBe(LINK_RESULT.IPV4);
    expect(r.info.vlanCount).toBe(5);
    expect(Array.from(r.info.vlanIds)).toEqual([4095, 1, 2, 3]); // only 4 recorded
    expect(r.info.linkHeaderLength).toBe(14 + 5 * 4);
  });

  it('stops at a too deep or truncated tag stack', () => {
    const tags = '8100 0001 '.repeat(9);
    expect(parse('020000000002 020000000001 ' + tags + '0800', LINKTYPE.ETHERNET).result).toBe(LINK_RESULT.VLAN_TOO_DEEP);
    expect(parse('020000000002 020000000001 8100 00', LINKTYPE.ETHERNET).result).toBe(LINK_RESULT.TRUNCATED);
    expect(parse('0200000000', LINKTYPE.ETHERNET).result).toBe(LINK_RESULT.TRUNCATED);
  });

  it('802.3 length field and ARP are not IP', () => {
    const r = parse('0180c2000000 020000000001 0026 4242 03', LINKTYPE.ETHERNET);
    expect(r.result).toBe(LINK_RESULT.NOT_IP);
    expect(r.info.etherType).toBe(0x26);
    expect(parse('ffffffffffff 020000000001 0806 0001', LINKTYPE.ETHERNET).result).toBe(LINK_RESULT.NOT_IP);
  });

  it('Linux SLL: packet type, hardware type, protocol at 14', () => {
    // packet type 4 (Out), ARPHRD 1, addr len 6, addr, pad, protocol 0800
    const r = parse('0004 0001 0006 020000000001 0000 0800' + IPV4_START, LINKTYPE.LINUX_SLL);
    expect(r.result).toBe(LINK_RESULT.IPV4);
    expect(r.info.linkHeaderLength).toBe(16);
    expect(r.info.sllPacketType).toBe(4);
    expect(sllPacketTypeName(r.info.sllPacketType)).toBe('Out');
    expect(r.info.sllHardwareType).toBe(1);
    expect(r.info.sllInterfaceIndex).toBe(-1);
    expect(parse('0004 0001 0006 020000000001 0000 0806', LINKTYPE.LINUX_SLL).result).toBe(LINK_RESULT.NOT_IP);
  });

  it('Linux SLL2: protocol at 0, interface index, packet type at 10', () => {
    const r = parse('86dd 0000 00000007 0001 00 06 020000000001 0000' + IPV6_START, LINKTYPE.LINUX_SLL2);
    expect(r.result).toBe(LINK_RESULT.IPV6);
    expect(r.info.linkHeaderLength).toBe(20);
    expect(r.info.sllInterfaceIndex).toBe(7);
    expect(r.info.sllPacketType).toBe(0);
    expect(parse('86dd 0000 00000007 0001 00 06 0200', LINKTYPE.LINUX_SLL2).result).toBe(LINK_RESULT.TRUNCATED);
  });

  it('raw IP decides by the version nibble; 228/229 are fixed', () => {
    for (const lt of [LINKTYPE.RAW, LINKTYPE.RAW_OLD12, LINKTYPE.RAW_OLD14]) {
      expect(parse(IPV4_START, lt).result).toBe(LINK_RESULT.IPV4);
      expect(parse(IPV6_START, lt).result).toBe(LINK_RESULT.IPV6);
      expect(parse('5000', lt).result).toBe(LINK_RESULT.BAD_IP_VERSION);
      expect(parse('', lt).result).toBe(LINK_RESULT.TRUNCATED);
    }
    expect(parse(IPV4_START, LINKTYPE.IPV4).result).toBe(LINK_RESULT.IPV4);
    expect(parse(IPV6_START, LINKTYPE.IPV6).result).toBe(LINK_RESULT.IPV6);
    expect(parse(IPV4_START, LINKTYPE.RAW).info.linkHeaderLength).toBe(0);
  });

  it('NULL reads the family in either byte order; LOOP is big-endian', () => {
    let r = parse('02000000' + IPV4_START, LINKTYPE.NULL);
    expect(r.result).toBe(LINK_RESULT.IPV4);
    expect(r.info.linkFamily).toBe(2);
    r = parse('00000002' + IPV4_START, LINKTYPE.NULL);
    expect(r.result).toBe(LINK_RESULT.IPV4);
    for (const family of ['18000000', '1c000000', '1e000000', '0000001e', '00000018']) {
      expect(parse(family + IPV6_START, LINKTYPE.NULL).result).toBe(LINK_RESULT.IPV6);
    }
    expect(parse('07000000', LINKTYPE.NULL).result).toBe(LINK_RESULT.NOT_IP);
    expect(parse('00000002' + IPV4_START, LINKTYPE.LOOP).result).toBe(LINK_RESULT.IPV4);
    expect(parse('02000000' + IPV4_START, LINKTYPE.LOOP).result).toBe(LINK_RESULT.NOT_IP);
    expect(parse('0000001c' + IPV6_START, LINKTYPE.LOOP).result).toBe(LINK_RESULT.IPV6);
    expect(parse('000000', LINKTYPE.LOOP).result).toBe(LINK_RESULT.TRUNCATED);
  });

  it('unknown link types give no L3', () => {
    expect(parse('4500', 147).result).toBe(LINK_RESULT.UNKNOWN_LINK_TYPE);
    expect(isSupportedLinkType(147)).toBe(false);
    for (const lt of SUPPORTED_LINK_TYPES) expect(isSupportedLinkType(lt)).toBe(true);
  });

  it('never reads past the limit or throws on random bytes', () => {
    const info = new LinkInfo();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...SUPPORTED_LINK_TYPES, 147), (bytes, lt) => {
        // Poison everything after the limit: reading it would change nothing, so instead check the result is in range.
        const result = parseLinkLayer(bytes, 0, bytes.length, lt, info);
        expect(Object.values(LINK_RESULT)).toContain(result);
        if (result === LINK_RESULT.IPV4 || result === LINK_RESULT.IPV6) expect(info.linkHeaderLength).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 2000 },
    );
  });
});
