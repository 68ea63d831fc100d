/**
 * IPv4/IPv6 address formatting and parsing on byte views, plus "IP:PORT" endpoint parsing.
 * Formatting follows RFC 5952 (lower case, longest zero run compressed, IPv4-mapped shown dotted).
 */

/** Dotted quad of the 4 bytes at offset. */
export function formatIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 text of the 16 bytes at offset. */
export function formatIpv6(bytes: Uint8Array, offset: number): string {
  const w: number[] = new Array(8);
  for (let i = 0; i < 8; i++) w[i] = (bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!;
  // IPv4-mapped ::ffff:a.b.c.d
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return `::ffff:${formatIpv4(bytes, offset + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (n: number) => n.toString(16);
  if (bestStart < 0) return w.map(hex).join(':');
  const head = w.slice(0, bestStart).map(hex).join(':');
  const tail = w.slice(bestStart + bestLen).map(hex).join(':');
  return `${head}::${tail}`;
}

/** Format 4 or 16 bytes as an address. */
export function formatIp(bytes: Uint8Array, offset: number, length: 4 | 16): string {
  return length === 4 ? formatIpv4(bytes, offset) : formatIpv6(bytes, offset);
}

/** Parse dotted-quad IPv4 text; returns null when it is not one. */
export function parseIpv4(text: string): Uint8Array | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const n = Number(m[i + 1]);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** Parse IPv6 text (with :: compression and an optional trailing dotted IPv4); null when invalid. */
export function parseIpv6(text: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length < 2) return null;
  let head = text;
  let v4: Uint8Array | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) >= 0) {
    v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return null;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const parts = head.split('::');
  if (parts.length > 2) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const groups = s.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const a = parseGroups(parts[0]!);
  const b = parts.length === 2 ? parseGroups(parts[1]!) : [];
  if (!a || !b) return null;
  let words: number[];
  if (parts.length === 2) {
    if (a.length + b.length > 7) return null;
    words = [...a, ...new Array(8 - a.length - b.length).fill(0), ...b];
  } else {
    if (a.length !== 8) return null;
    words = a;
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i]! >>> 8;
    out[2 * i + 1] = words[i]! & 0xff;
  }
  if (v4) out.set(v4, 12);
  return out;
}

/** Parse an IPv4 or IPv6 address; null when it is neither. */
export function parseIp(text: string): Uint8Array | null {
  return parseIpv4(text) ?? parseIpv6(text);
}

export interface Endpoint {
  address: Uint8Array; // 4 or 16 bytes
  port: number | null; // null when no port was given
}

/**
 * Parse "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 address. Throws an Error with a
 * one-line message naming the text when it is not valid.
 */
export function parseEndpoint(text: string, requirePort = false): Endpoint {
  let host = text;
  let port: number | null = null;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else if (/^[^:]+:\d+$/.test(text)) {
    const i = text.lastIndexOf(':');
    host = text.slice(0, i);
    port = Number(text.slice(i + 1));
  }
  const address = parseIp(host);
  if (!address) throw new Error(`'${text}' is not an IP address${requirePort ? ' and port' : ''} (use 192.0.2.1:80 or [2001:db8::1]:80)`);
  if (port !== null && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new Error(`port in '${text}' is not 0..65535`);
  if (requirePort && port === null) throw new Error(`'${text}' needs a port (use IP:PORT or [IPv6]:PORT)`);
  return { address, port };
}

/** "a.b.c.d:port" or "[v6]:port". */
export function formatEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export function bytesEqual(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}
