// Pooling of hyperfine results (bench/report.mjs): the rounds of a group (run.sh BENCH_ROUNDS) as one result.

/** The median of `values` (the mean of the middle two for an even count). */
export function medianOf(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Two hyperfine results of one command as one: every run's time kept; mean, sample standard deviation, median,
 * min and max recomputed over all of them; user and system time weighted by runs (hyperfine records only their
 * means; undefined when either result lacks one).
 */
export function pooled(a, b) {
  const times = [...a.times, ...b.times];
  const n = times.length;
  const mean = times.reduce((x, y) => x + y, 0) / n;
  const stddev = n > 1 ? Math.sqrt(times.reduce((x, t) => x + (t - mean) ** 2, 0) / (n - 1)) : null;
  const weighted = (key) =>
    typeof a[key] === 'number' && typeof b[key] === 'number' ? (a[key] * a.times.length + b[key] * b.times.length) / n : undefined;
  return {
    ...a,
    times,
    mean,
    stddev,
    median: medianOf(times),
    min: Math.min(...times),
    max: Math.max(...times),
    user: weighted('user'),
    system: weighted('system'),
    exit_codes: [...(a.exit_codes ?? []), ...(b.exit_codes ?? [])],
  };
}
