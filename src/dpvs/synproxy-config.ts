/**
 * DPVS v1.10.2 SYN-proxy knobs (spec dpvs.md §5, knobs table), with the code defaults.
 *
 * closeClientWindow: the code default is off (since DPVS commit 24d681e9), every sample
 * dpvs.conf turns it on; the CLI decides which default to offer, the library follows the code.
 */

export interface SynproxyConfig {
  /** synack_options.mss: the largest MSS advertised in the SYN-ACK (1..65535). */
  mss: number;
  /** synack_options.ttl: TTL / hop limit of the SYN-ACK (1..255). */
  ttl: number;
  /** synack_options.sack: keep SACK-permitted (DPVS config can only turn it on). */
  sack: boolean;
  /** synack_options.wscale: 0 = off (the WS option becomes NOPs), else the scale advertised (1..14). */
  wscale: number;
  /** synack_options.timestamp: answer timestamps (else the TS option becomes NOPs). */
  timestamp: boolean;
  /** close_client_window: the SYN-ACK advertises window 0 until the RS answers. */
  closeClientWindow: boolean;
  /** defer_rs_syn: wait for the first client data before sending the RS SYN. */
  deferRsSyn: boolean;
  /** rs_syn_max_retry: RS SYN retransmissions (1..99; 0 keeps no copy). */
  rsSynMaxRetry: number;
  /** ack_storm_thresh: identical outbound ACKs before they leave untranslated (1..999). */
  ackStormThresh: number;
  /** max_ack_saved: stored-ACK limit (1..63); off by one, so max_ack_saved + 1 packets are held. */
  maxAckSaved: number;
  /** TCP syn_sent timeout in seconds: the RS SYN retransmission interval (DPVS adds up to 1 s of random delay). */
  synSentTimeout: number;
  /** conn_reuse_state: states in which a fresh valid cookie ACK reuses the connection. */
  reuseInClose: boolean;
  reuseInTimeWait: boolean;
}

export const SYNPROXY_DEFAULTS: Readonly<SynproxyConfig> = Object.freeze({
  mss: 1452,
  ttl: 63,
  sack: true,
  wscale: 0,
  timestamp: false,
  closeClientWindow: false,
  deferRsSyn: false,
  rsSynMaxRetry: 3,
  ackStormThresh: 10,
  maxAckSaved: 3,
  synSentTimeout: 3,
  reuseInClose: true,
  reuseInTimeWait: true,
});

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`synproxy ${name} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
}

/**
 * Defaults overlaid with `overrides`, validated against the DPVS keyword ranges.
 * Throws RangeError on an out-of-range knob (a usage error for the CLI to report).
 * DPVS itself, given an invalid wscale, zeroes the SYN-ACK MSS instead (quirk 7); we refuse it.
 */
export function synproxyConfig(overrides: Partial<SynproxyConfig> = {}): SynproxyConfig {
  const config: SynproxyConfig = { ...SYNPROXY_DEFAULTS, ...overrides };
  checkRange('mss', config.mss, 1, 65535);
  checkRange('ttl', config.ttl, 1, 255);
  checkRange('wscale', config.wscale, 0, 14);
  checkRange('rs_syn_max_retry', config.rsSynMaxRetry, 0, 99);
  checkRange('ack_storm_thresh', config.ackStormThresh, 1, 999);
  checkRange('max_ack_saved', config.maxAckSaved, 1, 63);
  if (!(config.synSentTimeout > 0)) throw new RangeError(`synproxy syn_sent timeout must be positive, got ${config.synSentTimeout}`);
  return config;
}
