/**
 * Continuous percentile with linear interpolation — exactly PostgreSQL's
 * percentile_cont(q): with n sorted values, position q·(n−1), interpolated
 * between its floor and ceiling. `sorted` must be ascending. Empty → null.
 */
export function percentileCont(sorted: readonly number[], q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const first = sorted[lo];
  if (lo === hi) return first;
  return first + (sorted[hi] - first) * (pos - lo);
}

export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** A rate with a zero denominator is null, never 0 or NaN. */
export const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);

/** Checks two numbers agree to kpi.md's tolerance (1e-9 relative). */
export function close(a: number | null, b: number | null, rel = 1e-9): boolean {
  if (a === null || b === null) return a === b;
  if (a === b) return true;
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300);
}
