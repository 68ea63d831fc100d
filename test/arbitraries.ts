/**
 * fast-check arbitraries for packets, shared by every test that needs one.
 *
 * `arbPacketSpec()` gives a valid `PacketSpec` for src/codec/build.ts (any link type, VLAN
 * stacks, IPv4 with options or IPv6 with extension headers, an optional opp shim, TCP with
 * options / UDP / ICMP, a payload, sometimes Ethernet padding). `arbFrame()` builds it and
 * returns the bytes with their link type.
 */
import fc from 'fast-check';
import {
  buildPacket,
  ipv6FragmentHeader,
  ipv6OptionsHeader,
  ipv6RoutingHeader,
  linkTypeOf,
  oppShim,
  type Ipv4Spec,
  type Ipv6ExtensionSpec,
  type Ipv6Spec,
  type LinkSpec,
  type PacketSpec,
  type TcpOptionSpec,
  type TransportSpec,
} from '../src/codec/build.js';

/** Link types the dissector decodes (and the builder emits). */
export const SUPPORTED_LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276] as const;

export const arbPort = (): fc.Arbitrary<number> => fc.integer({ min: 0, max: 65535 });
export const arbU32 = (): fc.Arbitrary<number> => fc.integer({ min: 0, max: 0xffffffff });
export const arbIpv4 = (): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: 4, maxLength: 4 });
export const arbIpv6 = (): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: 16, maxLength: 16 });
export const arbMac = (): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: 6, maxLength: 6 });

export const arbVlanTag = () =>
  fc.record({
    id: fc.integer({ min: 0, max: 4095 }),
    priority: fc.integer({ min: 0, max: 7 }),
    tpid: fc.constantFrom(0x8100, 0x88a8, 0x9100),
  });

export const arbLink = (): fc.Arbitrary<LinkSpec> =>
  fc.oneof(
    fc.record({
      type: fc.constant('ethernet' as const),
      source: arbMac(),
      destination: arbMac(),
      vlans: fc.array(arbVlanTag(), { maxLength: 3 }),
    }),
    fc.record({ type: fc.constant('sll' as const), packetType: fc.integer({ min: 0, max: 4 }) }),
    fc.record({
      type: fc.constant('sll2' as const),
      packetType: fc.integer({ min: 0, max: 4 }),
      interfaceIndex: fc.integer({ min: 0, max: 1000 }),
    }),
    fc.constant({ type: 'raw' as const }),
    fc.record({ type: fc.constant('null' as const), byteOrder: fc.constantFrom('little' as const, 'big' as const) }),
    fc.constant({ type: 'loop' as const }),
  );

/** Well-formed TCP options, unknown kinds (254/253/200 carriers, others) included. */
export const arbTcpOption = (): fc.Arbitrary<TcpOptionSpec> =>
  fc.oneof(
    fc.constant({ kind: 1 }),
    fc.integer({ min: 0, max: 65535 }).map((mss) => ({ kind: 2, data: [mss >>> 8, mss & 0xff] })),
    fc.integer({ min: 0, max: 14 }).map((shift) => ({ kind: 3, data: [shift] })),
    fc.constant({ kind: 4, data: [] }),
    fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 8, maxLength: 8 }).map((ts) => ({ kind: 8, data: ts })),
    fc.uint8Array({ minLength: 6, maxLength: 6 }).map((data) => ({ kind: 254, data: Array.from(data) })),
    fc.uint8Array({ minLength: 18, maxLength: 18 }).map((data) => ({ kind: 253, data: Array.from(data) })),
    fc.uint8Array({ minLength: 6, maxLength: 6 }).map((data) => ({ kind: 200, data: Array.from(data) })),
    fc
      .record({ kind: fc.integer({ min: 9, max: 252 }), data: fc.uint8Array({ maxLength: 6 }) })
      .map(({ kind, data }) => ({ kind, data: Array.from(data) })),
  );

/** A list of TCP options that fits in 40 bytes once padded. */
export const arbTcpOptions = (): fc.Arbitrary<TcpOptionSpec[]> =>
  fc.array(arbTcpOption(), { maxLength: 6 }).map((list) => {
    const out: TcpOptionSpec[] = [];
    let n = 0;
    for (const o of list) {
      const size = o.kind <= 1 ? 1 : 2 + (o.data?.length ?? 0);
      if (n + size > 40) break;
      out.push(o);
      n += size;
    }
    return out;
  });

export const arbTransport = (): fc.Arbitrary<TransportSpec> =>
  fc.oneof(
    fc.record({
      type: fc.constant('tcp' as const),
      sourcePort: arbPort(),
      destinationPort: arbPort(),
      sequenceNumber: arbU32(),
      acknowledgmentNumber: arbU32(),
      flags: fc.integer({ min: 0, max: 255 }),
      windowSize: arbPort(),
      options: arbTcpOptions(),
      optionPadding: fc.constantFrom('eol' as const, 'nop' as const),
    }),
    fc.record({
      type: fc.constant('udp' as const),
      sourcePort: arbPort(),
      // avoid 4789 here: VXLAN decapsulation has its own tests
      destinationPort: arbPort().filter((p) => p !== 4789),
    }),
    fc.record({ type: fc.constant('icmp' as const), identifier: arbPort(), sequence: arbPort() }),
  );

export const arbIpv4Spec = (): fc.Arbitrary<Ipv4Spec> =>
  fc.record({
    version: fc.constant(4 as const),
    source: arbIpv4(),
    destination: arbIpv4(),
    tos: fc.integer({ min: 0, max: 255 }),
    identification: arbPort(),
    dontFragment: fc.boolean(),
    ttl: fc.integer({ min: 1, max: 255 }),
    options: fc.oneof(
      fc.constant(new Uint8Array(0)),
      fc.uint8Array({ minLength: 6, maxLength: 6 }).map((a) => Uint8Array.of(0x1f, 8, ...a)),
      fc.constant(Uint8Array.of(1, 1, 1, 0)),
    ),
  });

export const arbExtensions = (): fc.Arbitrary<Ipv6ExtensionSpec[]> =>
  fc
    .record({
      hopByHop: fc.boolean(),
      routing: fc.boolean(),
      fragment: fc.boolean(),
      destination: fc.option(fc.uint8Array({ minLength: 12, maxLength: 12 }), { nil: undefined }),
      identification: arbU32(),
    })
    .map(({ hopByHop, routing, fragment, destination, identification }) => {
      const list: Ipv6ExtensionSpec[] = [];
      if (hopByHop) list.push(ipv6OptionsHeader(0, Uint8Array.of(1, 2, 0, 0)));
      // segments left 0 so the pseudo-header uses the fixed destination
      if (routing) list.push(ipv6RoutingHeader(4, 0, new Uint8Array(20)));
      // an atomic fragment (offset 0, no M): the transport stays verifiable
      if (fragment) list.push(ipv6FragmentHeader(0, false, identification));
      if (destination) list.push(ipv6OptionsHeader(60, Uint8Array.of(31, 10, ...destination)));
      return list;
    });

export const arbIpv6Spec = (): fc.Arbitrary<Ipv6Spec> =>
  fc.record({
    version: fc.constant(6 as const),
    source: arbIpv6(),
    destination: arbIpv6(),
    trafficClass: fc.integer({ min: 0, max: 255 }),
    flowLabel: fc.integer({ min: 0, max: 0xfffff }),
    hopLimit: fc.integer({ min: 1, max: 255 }),
    extensions: arbExtensions(),
  });

/** A valid packet description. The opp shim only goes with UDP/TCP. */
export const arbPacketSpec = (): fc.Arbitrary<PacketSpec> =>
  fc
    .record({
      link: arbLink(),
      ip: fc.oneof(arbIpv4Spec(), arbIpv6Spec()),
      transport: arbTransport(),
      payload: fc.uint8Array({ maxLength: 64 }),
      withOpp: fc.boolean(),
      padTo: fc.option(fc.constant(60), { nil: undefined }),
      client: fc.uint8Array({ minLength: 6, maxLength: 6 }),
    })
    .map(({ link, ip, transport, payload, withOpp, padTo, client }) => {
      const spec: PacketSpec = { link, ip, transport, payload };
      if (withOpp && transport.type !== 'icmp') spec.opp = oppShim(1, Uint8Array.of(0x1f, 8, ...client));
      if (padTo !== undefined && link.type === 'ethernet') spec.padTo = padTo;
      return spec;
    });

export interface Frame {
  spec: PacketSpec;
  linkType: number;
  data: Uint8Array;
}

export const arbFrame = (): fc.Arbitrary<Frame> =>
  arbPacketSpec().map((spec) => ({ spec, linkType: linkTypeOf(spec.link), data: buildPacket(spec) }));
