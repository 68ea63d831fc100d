/**
 * The fast path's flow lookups, batched. strip counts the flows of the packets it rewrites
 * (summary.flows = FlowTable.size) but, without PROXY shifts, needs nothing else from the table.
 * So the fast path only writes each packet's addresses and ports into a fixed log (a sequential
 * write), and the log is fed to FlowTable.lookupIndex in order, in one tight loop, when it is full,
 * before the general path looks a flow up, and at the end: the table sees the same lookups in the
 * same order as if each packet had looked its flow up at once (same flows, indices and directions),
 * at a fraction of the cost (one lookup after another, their cache misses overlap).
 */
import { IPV4 } from '../codec/ipv4.js';
import { IPV6 } from '../codec/ipv6.js';
import { IPPROTO } from '../codec/ipproto.js';
import type { FlowTable } from './flows.js';

/**
 * One entry: a stand-in packet, 40 bytes: [0, 40) as an IPv6 header ([8, 24) source, [24, 40)
 * destination) or, for IPv4, as an IPv4 header at offset 0 ([12, 16) source, [16, 20) destination),
 * then 4 bytes of ports. 44 bytes per entry, family in `families`.
 */
const ENTRY = 44;
const PORTS_AT = 40;
const ENTRIES = 2048;
/**
 * The first flush comes after this many entries: a flush in the first packets gives add() the type
 * feedback of its flush branch before add() is optimized (optimized before its first flush at 2048,
 * add() deoptimized there: node --trace-deopt, "Insufficient type feedback", every run of strip).
 */
const FIRST_FLUSH = 8;

export class FlowLog {
  private readonly bytes = new Uint8Array(ENTRIES * ENTRY);
  private readonly families = new Uint8Array(ENTRIES);
  private count = 0;
  private limit = FIRST_FLUSH;

  constructor(private readonly table: FlowTable) {}

  /** Log the flow of the TCP packet at data[l3] (family af, ports at l4). */
  add(data: Uint8Array, l3: number, af: 4 | 6, l4: number): void {
    if (this.count === this.limit) {
      this.flush();
      this.limit = ENTRIES;
    }
    const i = this.count++;
    const at = i * ENTRY;
    const bytes = this.bytes;
    this.families[i] = af;
    // source and destination address, adjacent in both headers
    const from = l3 + (af === 4 ? IPV4.SRC : IPV6.SRC);
    const to = at + (af === 4 ? IPV4.SRC : IPV6.SRC);
    const n = af === 4 ? 8 : 32;
    for (let k = 0; k < n; k++) bytes[to + k] = data[from + k]!;
    bytes[at + PORTS_AT] = data[l4]!;
    bytes[at + PORTS_AT + 1] = data[l4 + 1]!;
    bytes[at + PORTS_AT + 2] = data[l4 + 2]!;
    bytes[at + PORTS_AT + 3] = data[l4 + 3]!;
  }

  /** Look every logged flow up in the table, in order, and empty the log. */
  flush(): void {
    const table = this.table;
    const bytes = this.bytes;
    const families = this.families;
    const n = this.count;
    for (let i = 0; i < n; i++) {
      const at = i * ENTRY;
      table.lookupIndex(IPPROTO.TCP, bytes, at, families[i] === 4 ? 4 : 6, at + PORTS_AT);
    }
    this.count = 0;
  }
}
