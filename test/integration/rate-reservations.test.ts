import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import Redis from 'ioredis';
import { connectorKeys, RESERVED_SLOT_LATENESS_MS } from '../../src/resilience/resilience-store';
import { ACQUIRE } from '../../src/resilience/resilience.scripts';
import { worstWindow } from '../support/arrivals';
import { serviceEnv, uniqueName } from '../support/services';

interface Reply {
  granted: boolean;
  retryAfterMs: number;
}

/** GCRA as gcra.test.ts models it: the wait at `now`, and the TAT once a call is taken. */
function gcra(tat: number, now: number, interval: number, tolerance: number): { wait: number; next: number } {
  const from = Math.max(tat, now);
  const wait = from - tolerance - now;
  return wait > 0 ? { wait, next: Number((from + interval).toFixed(3)) } : { wait: 0, next: Number((from + interval).toFixed(3)) };
}

/**
 * The waiters of a rate limit as a queue of tickets: a job turned away gets the next free slot of
 * the GCRA and is told when it is; from then on the slot is its own, and it is served as soon as
 * the calls let through so far allow (a second GCRA); a slot not used within the lateness
 * allowance lapses. Breaker and concurrency are off here.
 */
class ReservationModel {
  private slotTat = 0;
  private callTat = 0;
  readonly slots = new Map<string, number>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  ask(waiter: string, now: number): Reply & { reservedAt?: number } {
    for (const [who, slot] of this.slots) if (slot <= now - RESERVED_SLOT_LATENESS_MS) this.slots.delete(who);
    const interval = 1000 / this.rate;
    const tolerance = this.burst * interval;
    const slot = this.slots.get(waiter);
    let reservedAt: number | undefined;
    if (slot !== undefined && now < slot) return { granted: false, retryAfterMs: Math.ceil(slot - now) };
    if (slot === undefined) {
      const next = gcra(this.slotTat, now, interval, tolerance);
      this.slotTat = next.next;
      if (next.wait > 0) {
        this.slots.set(waiter, now + next.wait);
        return { granted: false, retryAfterMs: Math.ceil(next.wait), reservedAt: now + next.wait };
      }
      reservedAt = now;
    }
    const call = gcra(this.callTat, now, interval, tolerance);
    if (call.wait > 0) {
      this.slots.set(waiter, slot ?? now);
      return { granted: false, retryAfterMs: Math.ceil(call.wait), reservedAt };
    }
    this.callTat = call.next;
    this.slots.delete(waiter);
    return { granted: true, retryAfterMs: 0 };
  }
}

describe('reserved rate slots (issue 14): waiters of a rate limit are served in the order they asked, each after one wait', () => {
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(serviceEnv().REDIS_URL);
  });
  afterAll(async () => {
    await redis.quit();
  });

  /** The permit script with the clock driven by the test; only the rate limit is on. */
  async function askAt(connector: string, rate: number, burst: number, waiter: string, now: number): Promise<Reply> {
    const keys = connectorKeys(connector, 'test');
    const [granted, reason, retryAfterMs] = (await redis.eval(ACQUIRE, keys.length, ...keys, 0, 1, rate, burst, 0, 60_000, `t-${now}`, 100, waiter, RESERVED_SLOT_LATENESS_MS, 'tenant', now)) as [
      number,
      string,
      number,
    ];
    if (granted !== 1) expect(reason).toBe('rate_limited');
    return { granted: granted === 1, retryAfterMs: Number(retryAfterMs) };
  }

  test('random asks of a few jobs over time: the script answers as the model, slots go out in order, grants stay within the limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(1, 2.5, 4, 5, 10),
        fc.integer({ min: 0, max: 3 }),
        // Each step: which job asks (one of 5, or a newcomer), and how much later than the step before.
        fc.array(fc.record({ job: fc.integer({ min: 0, max: 5 }), afterMs: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 2_500 })) }), {
          minLength: 1,
          maxLength: 80,
        }),
        async (rate, burst, steps) => {
          const connector = uniqueName('r');
          const model = new ReservationModel(rate, burst);
          let now = 1_700_000_000_000;
          let newcomers = 0;
          const grants: number[] = [];
          const handedOut: number[] = [];
          for (const step of steps) {
            now += step.afterMs;
            const waiter = step.job === 5 ? `new-${newcomers++}` : `job-${step.job}`;
            const expected = model.ask(waiter, now);
            const actual = await askAt(connector, rate, burst, waiter, now);
            expect(actual).toStrictEqual({ granted: expected.granted, retryAfterMs: expected.retryAfterMs });
            if (actual.granted) grants.push(now);
            if (expected.reservedAt !== undefined) handedOut.push(expected.reservedAt);
          }
          // FIFO: each slot handed out is later than every one before it.
          for (let i = 1; i < handedOut.length; i++) expect(handedOut[i]).toBeGreaterThan(handedOut[i - 1]);
          // However late slots are used, the calls let through keep the limit exactly.
          expect(worstWindow(grants, { rate, burst }, 0).excess).toBeLessThanOrEqual(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  test('a newcomer queues behind every reserved slot (no barging), and a job back early waits out the rest of its own', async () => {
    const connector = uniqueName('r');
    const t0 = 1_700_000_000_000;
    expect(await askAt(connector, 10, 0, 'a', t0)).toStrictEqual({ granted: true, retryAfterMs: 0 });
    expect(await askAt(connector, 10, 0, 'b', t0)).toStrictEqual({ granted: false, retryAfterMs: 100 });
    expect(await askAt(connector, 10, 0, 'c', t0 + 10)).toStrictEqual({ granted: false, retryAfterMs: 190 });
    expect(await askAt(connector, 10, 0, 'b', t0 + 60)).toStrictEqual({ granted: false, retryAfterMs: 40 });
    // At b's slot a newcomer is turned away to the slot after c's; b is served.
    expect(await askAt(connector, 10, 0, 'new', t0 + 100)).toStrictEqual({ granted: false, retryAfterMs: 200 });
    expect(await askAt(connector, 10, 0, 'b', t0 + 100)).toStrictEqual({ granted: true, retryAfterMs: 0 });
    // c comes back too late: its slot has lapsed, and it asks afresh (the limiter is idle by then).
    expect(await askAt(connector, 10, 0, 'c', t0 + 200 + RESERVED_SLOT_LATENESS_MS + 1)).toStrictEqual({ granted: true, retryAfterMs: 0 });
  });

  test('a slot used late does not bunch with the next one: the next waits until its call conforms, and keeps its slot', async () => {
    const connector = uniqueName('r');
    const t0 = 1_700_000_000_000;
    expect(await askAt(connector, 10, 0, 'a', t0)).toStrictEqual({ granted: true, retryAfterMs: 0 });
    expect(await askAt(connector, 10, 0, 'b', t0)).toStrictEqual({ granted: false, retryAfterMs: 100 });
    expect(await askAt(connector, 10, 0, 'c', t0)).toStrictEqual({ granted: false, retryAfterMs: 200 });
    expect(await askAt(connector, 10, 0, 'b', t0 + 190)).toStrictEqual({ granted: true, retryAfterMs: 0 });
    expect(await askAt(connector, 10, 0, 'c', t0 + 200)).toStrictEqual({ granted: false, retryAfterMs: 90 });
    expect(await askAt(connector, 10, 0, 'new', t0 + 250)).toStrictEqual({ granted: false, retryAfterMs: 50 });
    expect(await askAt(connector, 10, 0, 'c', t0 + 290)).toStrictEqual({ granted: true, retryAfterMs: 0 });
  });
});
