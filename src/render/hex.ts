/**
 * `toa decode -x`: a hex dump after each packet in the layout of `tcpdump -x` (a tab, the offset
 * as 0x%04x, two spaces, 16 bytes per line in groups of two). Unlike `tcpdump -x`, which starts at
 * the network header, the dump covers the whole captured frame (like `tcpdump -xx`) so that the
 * byte offsets in warnings, notes and `-v` match the dump. On a TTY the bytes of client-address
 * carriers are highlighted.
 */
import type { Carrier } from '../carriers/index.js';
import { HEX_BYTE, PLAIN_STYLES, type Styles, carrierSpan } from './common.js';

export const HEX_BYTES_PER_LINE = 16;

function offsetText(offset: number): string {
  const s = offset.toString(16);
  return '0x' + (s.length < 4 ? '0000'.substring(s.length) : '') + s;
}

/**
 * The dump of data[0, data.length) (each line ending with '\n'); bytes inside a carrier's span
 * are wrapped with `styles.carrier` when styles are enabled.
 */
export function hexDump(data: Uint8Array, carriers: readonly Carrier[] = [], styles: Styles = PLAIN_STYLES): string {
  const highlight = styles.enabled && carriers.length > 0;
  let s = '';
  for (let line = 0; line < data.length; line += HEX_BYTES_PER_LINE) {
    s += '\t' + offsetText(line) + ': ';
    const end = Math.min(line + HEX_BYTES_PER_LINE, data.length);
    for (let i = line; i < end; i++) {
      if ((i - line) % 2 === 0) s += ' ';
      const text = HEX_BYTE[data[i]!]!;
      s += highlight && inCarrier(carriers, i) ? styles.carrier(text) : text;
    }
    s += '\n';
  }
  return s;
}

function inCarrier(carriers: readonly Carrier[], at: number): boolean {
  for (const c of carriers) if (at >= c.offset && at < c.offset + carrierSpan(c)) return true;
  return false;
}
