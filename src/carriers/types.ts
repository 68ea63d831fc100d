/**
 * The JSON-facing data model of client-address carriers (used by `toa decode --json`).
 *
 * A `Carrier` is one decoded occurrence of a registry format (see registry.ts) in a packet.
 * A `CarrierNote` is everything that is *not* a client address but must still be reported:
 * look-alikes (TCP Fast Open and other RFC 6994 experiments on kinds 253/254, RFC 7974 Host ID,
 * the real User-Timeout option on kind 28), ExID collisions (a TOA whose port tshark/tcpdump
 * would read as an experiment id), and damage (malformed option walks, bad PROXY headers).
 *
 * Decision on address-less formats: Tencent VPC id (201/6), Tencent VIP (202/8) and Alibaba VIP
 * (250/8) ARE carriers (registry rows T7, T8, T9), with `clientAddress: null` and the field they
 * do carry (`vpcId`, `virtualAddress`/`virtualPort`). Things that only look like carriers are
 * notes, never carriers.
 */

export type CarrierKind =
  | 'tcp-option'
  | 'ipv4-option'
  | 'ipv6-dstopt'
  | 'opp'
  | 'proxy-v1'
  | 'proxy-v2'
  /** SPP (Cloudflare Spectrum / Tencent EdgeOne) header at the start of a UDP datagram. */
  | 'spp'
  /** yubo/ip_vs_ca notification carried in a separate ICMP echo request payload. */
  | 'icmp-echo';

export type AddressFamily = 'ipv4' | 'ipv6';

/** A PROXY protocol v2 TLV (type u8, length u16 BE, value). */
export interface ProxyTlv {
  type: number;
  /** Standard name (haproxy proxy-protocol.txt), e.g. 'ALPN', 'SSL', 'AWS'; 'unknown' otherwise. */
  name: string;
  length: number;
  /** Absolute offset of the TLV type byte. */
  offset: number;
  /** Value as lower-case hex. */
  value: string;
  /** Printable text for text-valued TLVs (ALPN, AUTHORITY, NETNS, AWS VPCE id). */
  text?: string;
  /** Sub-TLVs (SSL 0x20). */
  sub?: ProxyTlv[];
  /** CRC32C TLV: whether the checksum over the whole header matched. */
  crcOk?: boolean;
}

export interface Carrier {
  carrier: CarrierKind;
  /** TCP option kind / IP option type / opp inner option type (31) / null for PROXY, SPP, ICMP. */
  kind: number | null;
  /** Option length byte (IPv6 dst-opt: the optlen byte) / header length in bytes for PROXY, SPP, ICMP. */
  length: number;
  /** Registry format name (stable; see FORMATS in registry.ts). */
  format: string;
  /** Text form of the client address (RFC 5952 for IPv6); null where the format has none. */
  clientAddress: string | null;
  clientPort: number | null;
  virtualAddress?: string;
  virtualPort?: number;
  vni?: number;
  vpcId?: number;
  /** Absolute byte offset of the option/header start in the given buffer. */
  offset: number;

  /** TTGW: the operation byte (lowest bit = inner family on IPv4). */
  operation?: number;
  /** TTGW type 30 / 'asym' variants. */
  asymmetric?: boolean;
  /** IPv4 options: true when this option is the first one after the fixed header (ByteDance only reads that one). */
  firstOption?: boolean;
  /** opp: version nibble and next protocol of the shim. */
  oppVersion?: number;
  nextProtocol?: number;
  /** A 254/253 carrier whose client port equals a known RFC 6994 ExID: the name other tools will show. */
  exidCollision?: string;

  /** PROXY: 'PROXY' | 'LOCAL' (v2) ; v1 is always 'PROXY'. */
  command?: 'PROXY' | 'LOCAL';
  /** PROXY: 'TCP4' | 'TCP6' | 'UNKNOWN' (v1) or 'inet' | 'inet6' | 'unix' | 'unspec' (v2). */
  family?: string;
  /** PROXY v2: 'stream' | 'dgram' | 'unspec'. */
  transport?: string;
  /** PROXY v2 unix addresses. */
  sourcePath?: string;
  destinationPath?: string;
  tlvs?: ProxyTlv[];
  /** ip_vs_ca ICMP: protocol and the two ports of the FNAT'd flow the notification is about. */
  protocol?: number;
  flowSourcePort?: number;
  flowDestinationPort?: number;
}

export type CarrierNoteCode =
  /** kind 254 with ExID 0xF989: TCP Fast Open cookie option (RFC 7413 experimental encoding). */
  | 'tcp-fast-open'
  /** kind 253/254 with ExID 0x0348: RFC 7974 HOST_ID, never a client address. */
  | 'host-id'
  /** kind 253/254 with a length no carrier uses: a generic RFC 6994 experiment. */
  | 'rfc6994-experiment'
  /** kind 28 length 4: the real User-Timeout option (RFC 5482). */
  | 'user-timeout'
  /** a carrier kind/type at a length (or version byte) no registry format uses. */
  | 'unknown-length'
  /** a carrier whose client port equals a known RFC 6994 ExID (tshark/tcpdump misread it). */
  | 'exid-collision'
  /** an option walk stopped: length byte missing, length < 2, or option overruns the area. */
  | 'malformed-option'
  /** non-zero bytes after an End-of-Option-List. */
  | 'data-after-eol'
  /** TTGW: the operation byte disagrees with the option length about the inner family. */
  | 'family-mismatch'
  /** opp shim damaged (version, length, inner option). */
  | 'opp-malformed'
  /** PROXY v1 or v2 header that starts with the signature but is invalid. */
  | 'proxy-malformed'
  /** PROXY header cut short by the end of the given range (split segment or snap length). */
  | 'proxy-truncated'
  /** PROXY v2 TLV running past the header length. */
  | 'proxy-tlv-overrun'
  /** SPP magic seen but the datagram is too short. */
  | 'spp-truncated';

export interface CarrierNote {
  code: CarrierNoteCode;
  /** Where it was seen. */
  carrier: CarrierKind;
  /** Absolute offset of the option/header start (or of the damage). */
  offset: number;
  /** Option kind/type where there is one. */
  kind: number | null;
  /** Option length byte where there is one, else bytes involved. */
  length: number;
  /** 'info' for look-alikes, 'warning' for damage and ambiguity. */
  severity: 'info' | 'warning';
  /** One full sentence. */
  message: string;
  /** RFC 6994 experiment id where relevant. */
  exid?: number;
}

/**
 * Field values handed to an encoder. Addresses may be bytes (4 or 16) or text.
 * Which fields are required depends on the format (see the registry row).
 */
export interface CarrierFields {
  clientAddress?: Uint8Array | string;
  clientPort?: number;
  virtualAddress?: Uint8Array | string;
  virtualPort?: number;
  vni?: number;
  vpcId?: number;
  /** TTGW operation byte; defaults to the inner family bit (0 IPv4, 1 IPv6). */
  operation?: number;
  /** Host ID payload (T14) or arbitrary bytes after the ExID. */
  hostId?: Uint8Array;
  /** PROXY v2: default 'PROXY'. */
  command?: 'PROXY' | 'LOCAL';
  /** PROXY v2 / SPP: 'stream' (default) or 'dgram'. */
  transport?: 'stream' | 'dgram';
  /** PROXY v2 TLVs appended after the address block. */
  tlvs?: { type: number; value: Uint8Array }[];
  /** ipv6-dstopt: next header written into the extension header (default 59, a placeholder);
   *  opp: the shim's next protocol (default 17). */
  nextHeader?: number;
  /** ip_vs_ca ICMP notification. */
  protocol?: number;
  flowSourcePort?: number;
  flowDestinationPort?: number;
  /** ip_vs_ca: the TOA kind inside the notification (default 200 for IPv4, 253 for IPv6). */
  toaKind?: number;
}
