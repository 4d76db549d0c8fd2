/**
 * Checks on the times calls arrived at a downstream. A GCRA limit of `rate` per second with `burst`
 * admits at most burst + 1 + rate × T calls in any window of T seconds (SPEC §3.5).
 */

/**
 * The worst window: for every pair of arrivals i ≤ j, the calls in [t_i, t_j] against the bound
 * over that span widened by `slackMs` (the permit is granted in Redis; the request reaches the
 * downstream a few milliseconds later, by a delay that varies from call to call).
 */
export function worstWindow(times: number[], limit: { rate: number; burst: number }, slackMs: number) {
  const sorted = [...times].sort((a, b) => a - b);
  let worst = { excess: -Infinity, calls: 0, spanMs: 0 };
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i; j < sorted.length; j++) {
      const spanMs = sorted[j] - sorted[i];
      const bound = limit.burst + 1 + (limit.rate * (spanMs + slackMs)) / 1000;
      const excess = j - i + 1 - bound;
      if (excess > worst.excess) worst = { excess, calls: j - i + 1, spanMs };
    }
  }
  return worst;
}
