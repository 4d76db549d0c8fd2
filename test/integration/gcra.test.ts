import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import Redis from 'ioredis';
import { GCRA_SCRIPT, type GcraReply, toGcraReply } from '../../src/resilience/gcra';
import { worstWindow } from '../support/arrivals';
import { serviceEnv, uniqueName } from '../support/services';

/** GCRA as the textbook states it (SPEC §3.5), with the script's microsecond rounding of the stored TAT. */
class GcraModel {
  private tat = 0;

  constructor(private readonly rate: number, private readonly burst: number) {}

  take(now: number): GcraReply {
    const interval = 1000 / this.rate;
    const tolerance = this.burst * interval;
    const tat = Math.max(this.tat, now);
    if (tat - tolerance - now > 0) return { allowed: false, retryAfterMs: Math.ceil(tat - tolerance - now), remaining: 0, resetMs: Math.ceil(tat - now) };
    this.tat = Number((tat + interval).toFixed(3));
    const remaining = Math.max(0, Math.floor((tolerance - (tat + interval - now)) / interval) + 1);
    return { allowed: true, retryAfterMs: 0, remaining, resetMs: Math.ceil(tat + interval - now) };
  }
}

describe('the GCRA script (one Lua implementation for connector permits and tenant API limits)', () => {
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(serviceEnv().REDIS_URL);
    redis.defineCommand('orchGcraAt', { numberOfKeys: 1, lua: GCRA_SCRIPT });
  });
  afterAll(async () => {
    await redis.quit();
  });

  async function takeAt(key: string, rate: number, burst: number, now: number): Promise<GcraReply> {
    const reply = await (redis as unknown as { orchGcraAt(...args: (string | number)[]): Promise<[number, number, number, number]> }).orchGcraAt(key, rate, burst, now);
    return toGcraReply(reply);
  }

  test('agrees with the model on every call, and never admits more than burst + 1 + rate × T in a window of T', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0.1, 0.3, 0.5, 1, 2.5, 5, 7, 50),
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.integer({ min: 0, max: 4_000 }), { minLength: 1, maxLength: 40 }),
        async (rate, burst, gaps) => {
          const key = uniqueName('gcra');
          const model = new GcraModel(rate, burst);
          let now = Date.now();
          const admitted: number[] = [];
          for (const gap of gaps) {
            now += gap;
            const [actual, expected] = [await takeAt(key, rate, burst, now), model.take(now)];
            expect(actual).toStrictEqual(expected);
            if (actual.allowed) admitted.push(now);
          }
          expect(worstWindow(admitted, { rate, burst }, 0).excess).toBeLessThanOrEqual(1e-9);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('fractional rates: 0.1/s admits one call per 10 s, the next one 10 s later', async () => {
    const key = uniqueName('gcra');
    const start = Date.now();
    expect((await takeAt(key, 0.1, 0, start)).allowed).toBe(true);
    expect(await takeAt(key, 0.1, 0, start + 1_100)).toMatchObject({ allowed: false, retryAfterMs: 8_900 });
    expect((await takeAt(key, 0.1, 0, start + 9_999)).allowed).toBe(false);
    expect((await takeAt(key, 0.1, 0, start + 10_000)).allowed).toBe(true);
  });

  test('burst means burst: after a quiet spell burst + 1 calls go at once, then the steady rate', async () => {
    const key = uniqueName('gcra');
    const start = Date.now();
    const atOnce = await Promise.all(Array.from({ length: 5 }, () => takeAt(key, 5, 3, start)));
    expect(atOnce.map((reply) => reply.allowed).sort()).toStrictEqual([false, true, true, true, true]);
    expect((await takeAt(key, 5, 3, start + 199)).allowed).toBe(false);
    expect((await takeAt(key, 5, 3, start + 200)).allowed).toBe(true);
  });
});
