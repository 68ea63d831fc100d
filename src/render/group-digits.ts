/**
 * Numbers for the summary tables. A module of its own: the rewrite summaries need nothing else of the
 * renderers, and render/common.ts would bring in the decimal tables render/writer.ts builds at load.
 */

/**
 * A count with thousands separators, as `toLocaleString('en-US')` writes it, without starting ICU's
 * number formatter (its first call costs tens of milliseconds) for the usual non-negative integers.
 */
export function groupDigits(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) return value.toLocaleString('en-US');
  const digits = String(value);
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += ',' + digits.slice(i, i + 3);
  return out;
}
