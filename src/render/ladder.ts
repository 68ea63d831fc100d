/**
 * Ladder (sequence) diagram of a SYN-proxy replay: three columns client | DPVS | RS, one arrow
 * per packet with its flags, then relative and absolute seq/ack, window, payload length, the
 * options, and the model's decision. Decisions without a packet (stored, cookie ok, consumed,
 * dropped) get a line of their own at the DPVS column.
 *
 * Relative numbers: client-side seq/ack count from the client ISN and the cookie K, rs-side ones
 * from F and the RS ISN, as soon as the model knows them (absolute only before that).
 * Colour comes from the caller's chalk (chalkFor(stdout): plain when not a TTY or NO_COLOR).
 */
import type { ChalkInstance } from 'chalk';
import { readU16, readU32 } from '../codec/bytes.js';
import { TCP, TCP_FLAG } from '../codec/tcp.js';
import type { SynproxyDecision } from '../dpvs/synproxy.js';
import { locateTcp } from '../dpvs/synproxy-packets.js';
import type { ReplayNote, ReplayPacket } from '../replay/driver.js';
import type { ConnectionState } from '../replay/report.js';
import { hex32, optionText } from '../replay/packet.js';

const SEGMENT = 22;

/** tcpdump-style flag letters: S, F, R, P, U, E, W, then '.' for ACK. */
export function flagLetters(flags: number): string {
  let out = '';
  if (flags & TCP_FLAG.SYN) out += 'S';
  if (flags & TCP_FLAG.FIN) out += 'F';
  if (flags & TCP_FLAG.RST) out += 'R';
  if (flags & TCP_FLAG.PSH) out += 'P';
  if (flags & TCP_FLAG.URG) out += 'U';
  if (flags & TCP_FLAG.ECE) out += 'E';
  if (flags & TCP_FLAG.CWR) out += 'W';
  if (flags & TCP_FLAG.ACK) out += '.';
  return out === '' ? 'none' : out;
}

function rightArrow(label: string): string {
  const body = `──${label}`;
  return body + '─'.repeat(Math.max(1, SEGMENT - body.length - 1)) + '▶';
}

function leftArrow(label: string): string {
  const body = `◀──${label}`;
  return body + '─'.repeat(Math.max(1, SEGMENT - body.length));
}

function parseHex(text: string | null): number | null {
  return text === null ? null : parseInt(text, 16) >>> 0;
}

export class LadderRenderer {
  private start: number | null = null;
  private readonly announced = new Set<ConnectionState>();
  private readonly announcedRs = new Set<ConnectionState>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly chalk: ChalkInstance,
  ) {}

  header(): void {
    const pad = ' '.repeat(12);
    this.write(`${pad}client${' '.repeat(SEGMENT - 6)}DPVS${' '.repeat(SEGMENT - 4)}RS`);
  }

  private time(seconds: number, nanoseconds: number): string {
    const at = seconds + nanoseconds / 1e9;
    if (this.start === null) this.start = at;
    return `+${(at - this.start).toFixed(6)}`.padStart(11);
  }

  private announce(state: ConnectionState | null): void {
    if (!state) return;
    const r = state.report;
    if (!this.announced.has(state)) {
      this.announced.add(state);
      this.write(this.chalk.bold(`── connection ${r.id}: ${r.client} → ${r.vip}`));
    }
    if (r.local && r.rs && !this.announcedRs.has(state)) {
      this.announcedRs.add(state);
      this.write(this.chalk.dim(`   rs-side of connection ${r.id}: ${r.local} → ${r.rs}`));
    }
  }

  packet(p: ReplayPacket): void {
    const loc = locateTcp(p.packet, 0, p.packet.length);
    const buf = p.packet;
    const flags = buf[loc.tcp + TCP.FLAGS]!;
    const seq = readU32(buf, loc.tcp + TCP.SEQ);
    const ack = readU32(buf, loc.tcp + TCP.ACK);
    const window = readU16(buf, loc.tcp + TCP.WINDOW);
    const label = flagLetters(flags);
    const blank = ' '.repeat(SEGMENT);
    let diagram: string;
    switch (p.direction) {
      case 'to-vip':
        diagram = `│${rightArrow(label)}│${blank}│`;
        break;
      case 'to-client':
        diagram = `│${leftArrow(label)}│${blank}│`;
        break;
      case 'to-rs':
        diagram = `│${blank}│${rightArrow(label)}│`;
        break;
      case 'from-rs':
        diagram = `│${blank}│${leftArrow(label)}│`;
        break;
    }
    // Announce after the packet's own decision has updated the record (the rs-side endpoints).
    this.announce(p.connection);
    const r = p.connection?.report ?? null;
    const clientIsn = parseHex(r?.clientIsn ?? null);
    const cookie = parseHex(r?.cookie?.value ?? null);
    const fnatIsn = parseHex(r?.fnatIsn ?? null);
    const rsIsn = parseHex(r?.rsIsn ?? null);
    let seqBase: number | null;
    let ackBase: number | null;
    if (p.direction === 'to-vip') [seqBase, ackBase] = [clientIsn, cookie];
    else if (p.direction === 'to-client') [seqBase, ackBase] = [cookie, clientIsn];
    else if (p.direction === 'to-rs') [seqBase, ackBase] = [fnatIsn, rsIsn];
    else [seqBase, ackBase] = [rsIsn, fnatIsn];
    const parts: string[] = [`seq ${relative(seq, seqBase)}`];
    if (flags & TCP_FLAG.ACK || ack !== 0) parts.push(`ack ${relative(ack, ackBase)}`);
    parts.push(`win ${window}`);
    if (loc.payloadLength > 0) parts.push(`len ${loc.payloadLength}`);
    const options = optionText(buf, loc);
    if (options !== '') parts.push(`[${options}]`);
    const decision = p.decision ? this.decisionText(p.decision) : '';
    const source = p.source === 'modelled-rs' ? this.chalk.dim(' (modelled RS)') : p.source === 'recorded-response' ? this.chalk.dim(` (recorded #${p.inputIndex})`) : '';
    const index = p.source === 'input' && p.inputIndex !== null ? this.chalk.dim(` #${p.inputIndex}`) : '';
    this.write(`${this.time(p.seconds, p.nanoseconds)} ${diagram} ${parts.join(' ')}${decision ? ` ${decision}` : ''}${source}${index}`);
  }

  note(n: ReplayNote): void {
    if (n.decision.kind === 'rs-modelled') return;
    this.announce(n.connection);
    const blank = ' '.repeat(SEGMENT);
    const index = n.inputIndex !== null ? this.chalk.dim(` (#${n.inputIndex})`) : '';
    this.write(`${this.time(n.seconds, n.nanoseconds)} │${blank}◆${blank}│ ${this.decisionText(n.decision)}${index}`);
  }

  decisionText(d: SynproxyDecision): string {
    const c = this.chalk;
    switch (d.kind) {
      case 'syn-ack': {
        const bits = [`mss ${d.mss}`];
        if (d.sackOk) bits.push('sack');
        if (d.timestampOk) bits.push('ts');
        if (d.wscale) bits.push(`ws ${d.wscale}`);
        return c.cyan(`cookie ${hex32(d.cookie)} minted (${bits.join(', ')}; count ${hex32(d.count)})${d.window === 0 ? ', window closed' : ''}`);
      }
      case 'cookie-ok':
        return c.green(`cookie ok (${d.diff} tick${d.diff === 1 ? '' : 's'} old, mss ${d.mss}${d.sackOk ? ', sack' : ''}${d.timestampOk ? ', ts' : ''}${d.wscaleOk ? `, ws ${d.wscale}` : ''})`);
      case 'cookie-bad':
        return c.red.bold(`bad cookie (${d.reason || 'invalid'}) → RST`);
      case 'null-ack-dropped':
        return c.yellow('ACK without data dropped (defer-rs-syn)');
      case 'stored':
        return c.yellow(`stored #${d.number}`);
      case 'dropped':
        return c.red(`dropped (${d.reason}${d.detail ? `: ${d.detail}` : ''})`);
      case 'rs-syn':
        return c.cyan(d.retry === 0 ? `RS SYN, F ${hex32(d.fnatIsn)}, Δf ${hex32(d.deltaF)}` : `RS SYN retry ${d.retry}`);
      case 'rs-syn-exhausted':
        return c.red.bold(`RS SYN retries exhausted (${d.retries})`);
      case 'rs-syn-ack-consumed':
        return c.green(`RS SYN-ACK consumed: r_isn ${hex32(d.rsIsn)}, Δs ${hex32(d.deltaS)}${d.wscaleRs ? `, ws_rs ${d.wscaleRs}` : ''}`);
      case 'window-update':
        return c.cyan('window update');
      case 'forward': {
        const stored = d.stored > 0 ? `stored #${d.stored} forwarded` : '';
        const toa =
          d.toa === 'inserted' ? c.green.bold('TOA inserted') : d.toa === 'failed' ? c.red(`TOA failed (${d.toaError ?? 'error'})`) : '';
        return [stored && c.yellow(stored), toa].filter((x) => x).join(', ');
      }
      case 'standalone':
        return c.cyan('standalone packet');
      case 'outbound':
        return d.storm ? c.red.bold('ACK storm: sent untranslated') : '';
      case 'rs-rst':
        return c.red.bold(`RST from the RS in SYN_SENT (Δs ${hex32(d.deltaS)})`);
      case 'reuse':
        return c.magenta(`connection reused: cookie ${hex32(d.cookie)} replaces ${hex32(d.previousCookie)}`);
      case 'rs-modelled':
        return '';
    }
  }
}

function relative(value: number, base: number | null): string {
  if (base === null) return hex32(value);
  return `${(value - base) >>> 0} (${hex32(value)})`;
}
