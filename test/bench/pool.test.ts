/**
 * bench/pool.mjs: the rounds of a benchmark group pooled into one hyperfine result (the target verdicts of
 * bench/RESULTS.md use the pooled mean).
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script of the benchmark, without type declarations
import { medianOf, pooled } from '../../bench/pool.mjs';

const round = (times: number[], user: number, system: number) => ({
  command: 'toa strip',
  mean: times.reduce((a, b) => a + b, 0) / times.length,
  stddev: 0,
  median: 0,
  user,
  system,
  min: Math.min(...times),
  max: Math.max(...times),
  times,
  exit_codes: times.map(() => 0),
});

describe('bench pooling of rounds', () => {
  it('median of odd and even counts, whatever the order', () => {
    expect(medianOf([3, 1, 2])).toBe(2);
    expect(medianOf([0.4, 0.1, 0.3, 0.2])).toBeCloseTo(0.25, 12);
    expect(medianOf([5])).toBe(5);
  });

  it('keeps every run and recomputes mean, sample standard deviation, median, min and max over all of them', () => {
    const p = pooled(round([0.5, 0.6, 0.7], 0.4, 0.2), round([1.0, 0.5, 0.5], 0.7, 0.3));
    expect(p.times).toEqual([0.5, 0.6, 0.7, 1.0, 0.5, 0.5]);
    expect(p.mean).toBeCloseTo(3.8 / 6, 12);
    const mean = 3.8 / 6;
    const sd = Math.sqrt([0.5, 0.6, 0.7, 1.0, 0.5, 0.5].reduce((s, t) => s + (t - mean) ** 2, 0) / 5);
    expect(p.stddev).toBeCloseTo(sd, 12);
    expect(p.median).toBeCloseTo(0.55, 12);
    expect(p.min).toBe(0.5);
    expect(p.max).toBe(1.0);
    expect(p.exit_codes).toHaveLength(6);
    expect(p.command).toBe('toa strip');
  });

  it('weights user and system time by the runs of each round, and leaves them out when one round lacks them', () => {
    const p = pooled(round([1, 1, 1], 0.9, 0.3), round([2], 1.9, 0.7));
    expect(p.user).toBeCloseTo((0.9 * 3 + 1.9) / 4, 12);
    expect(p.system).toBeCloseTo((0.3 * 3 + 0.7) / 4, 12);
    const partial = pooled(round([1], 0.9, 0.3), { ...round([2], 1.9, 0.7), user: undefined });
    expect(partial.user).toBeUndefined();
    expect(partial.system).toBeCloseTo(0.5, 12);
  });

  it('pools three rounds in turn as one result of all nine runs', () => {
    const rounds = [round([0.47, 0.46, 0.45], 0.5, 0.2), round([0.47, 0.49, 0.47], 0.5, 0.2), round([0.44, 1.02, 0.47], 0.6, 0.3)];
    const p = rounds.slice(1).reduce((acc, r) => pooled(acc, r), rounds[0]);
    expect(p.times).toHaveLength(9);
    expect(p.median).toBe(0.47);
    expect(p.mean).toBeCloseTo((0.47 + 0.46 + 0.45 + 0.47 + 0.49 + 0.47 + 0.44 + 1.02 + 0.47) / 9, 12);
  });
});
