/** Evenly spaced arrivals: `rate` per second for `durationMs`, at most `maxInFlight` outstanding. */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

export async function paced(rate: number, durationMs: number, maxInFlight: number, fire: (n: number) => Promise<void>): Promise<void> {
  const start = performance.now();
  const total = Math.max(1, Math.floor((rate * durationMs) / 1000));
  const pending = new Set<Promise<void>>();
  for (let n = 0; n < total; n++) {
    const wait = start + (n * 1000) / rate - performance.now();
    if (wait > 0) await delay(wait);
    while (pending.size >= maxInFlight) await Promise.race(pending);
    const call: Promise<void> = fire(n)
      .catch(() => undefined)
      .finally(() => pending.delete(call));
    pending.add(call);
  }
  await Promise.all(pending);
}
