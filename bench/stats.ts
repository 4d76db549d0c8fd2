/** Pure arithmetic for the benchmark: percentiles, rates and ratios. No I/O. */

export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

/** Nearest-rank percentiles of `values` (ms); NaN everywhere when there are none. */
export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: NaN, p95: NaN, p99: NaN, mean: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    p50: round(rank(50)),
    p95: round(rank(95)),
    p99: round(rank(99)),
    mean: round(sum / sorted.length),
    max: round(sorted[sorted.length - 1]),
  };
}

/** One job as its system recorded it: accepted and finished (epoch ms). */
export interface JobTiming {
  acceptedAt: number;
  finishedAt: number | null;
  succeeded: boolean;
}

export interface Completion {
  succeeded: number;
  unfinished: number;
  failed: number;
  /** First acceptance to last success, seconds. */
  windowS: number;
  /** Jobs that succeeded per second over that window. */
  throughput: number;
  /** Accepted → finished, for the jobs that succeeded. */
  e2eMs: Percentiles;
}

export function completion(jobs: readonly JobTiming[]): Completion {
  const done = jobs.filter((job): job is JobTiming & { finishedAt: number } => job.succeeded && job.finishedAt !== null);
  const unfinished = jobs.filter((job) => job.finishedAt === null).length;
  if (done.length === 0) {
    return { succeeded: 0, unfinished, failed: jobs.length - unfinished, windowS: NaN, throughput: NaN, e2eMs: percentiles([]) };
  }
  const first = Math.min(...jobs.map((job) => job.acceptedAt));
  const last = Math.max(...done.map((job) => job.finishedAt));
  const windowS = Math.max(last - first, 1) / 1000;
  return {
    succeeded: done.length,
    unfinished,
    failed: jobs.length - done.length - unfinished,
    windowS: round(windowS, 3),
    throughput: round(done.length / windowS),
    e2eMs: percentiles(done.map((job) => job.finishedAt - job.acceptedAt)),
  };
}

/** `numerator / denominator`, or null when either is missing, not finite, or the denominator is 0. */
export function ratio(numerator: number | null | undefined, denominator: number | null | undefined): number | null {
  if (numerator == null || denominator == null || !Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator === 0) {
    return null;
  }
  return round(numerator / denominator, 3);
}

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Whether a step's throughput still beats the best before it by at least `margin` (5 %). */
export function stillRising(throughput: number, bestBefore: number, margin = 0.05): boolean {
  if (!Number.isFinite(throughput)) return false;
  if (!Number.isFinite(bestBefore) || bestBefore <= 0) return true;
  return throughput >= bestBefore * (1 + margin);
}
