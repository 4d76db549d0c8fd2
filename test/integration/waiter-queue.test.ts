import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import Redis from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';
import { defaultPolicy, resilienceLimits, type ResilienceLimits } from '../../domain/policy';
import { ResilienceStore } from '../../src/resilience/resilience-store';
import { serviceEnv, uniqueName } from '../support/services';

const SLEEP_MS = 300_000;
const TTL_MS = 60_000;

/** Limits with the breaker off (unless asked) and `maxInFlight` leases. */
function limitsWith(maxInFlight: number, breaker: Partial<ResilienceLimits['circuitBreaker']> = { enabled: false }): ResilienceLimits {
  const base = resilienceLimits(defaultPolicy(0, 1));
  return { ...base, circuitBreaker: { ...base.circuitBreaker, ...breaker }, concurrency: maxInFlight > 0 ? { maxInFlight } : null };
}

describe('the queue of waiters for a lease or probe (SPEC §3.11): woken in order, a fair share per tenant, no barging', () => {
  let redis: Redis;
  let store: ResilienceStore;

  beforeAll(() => {
    redis = new Redis(serviceEnv().REDIS_URL);
    store = new ResilienceStore(redis);
  });
  afterAll(async () => {
    await redis.quit();
  });

  async function ask(connector: string, limits: ResilienceLimits, jobId: string, tenantId = 'tenant-a') {
    const result = await store.acquire(connector, limits, `token-${jobId}`, TTL_MS, SLEEP_MS, { jobId, tenantId });
    return { granted: result.decision.granted, reason: result.decision.granted ? '' : result.decision.reason, woken: result.woken };
  }
  const done = (connector: string, limits: ResilienceLimits, jobId: string) => store.report(connector, limits, `token-${jobId}`, false, 'success');

  test('maxInFlight 1: waiters queue in order, each freed lease is handed to the head, and a newcomer does not barge', async () => {
    const connector = uniqueName('q');
    const limits = limitsWith(1);
    expect(await ask(connector, limits, 'a')).toStrictEqual({ granted: true, reason: '', woken: [] });
    const denied = await store.acquire(connector, limits, 'token-b', TTL_MS, SLEEP_MS, { jobId: 'b', tenantId: 'tenant-a' });
    // Queued: it sleeps on the safety net, not a poll interval — twice the wait its place predicts
    // (the queue's pace is unknown yet: 1 s a turn) plus 10 s.
    expect(denied.decision).toStrictEqual({ granted: false, reason: 'concurrency_limited', retryAfterMs: 12_000 });
    const second = await store.acquire(connector, limits, 'token-c', TTL_MS, SLEEP_MS, { jobId: 'c', tenantId: 'tenant-a' });
    expect(second.decision).toStrictEqual({ granted: false, reason: 'concurrency_limited', retryAfterMs: 14_000 });

    expect(await done(connector, limits, 'a')).toStrictEqual({ transition: undefined, woken: ['b'] });
    // The lease is b's turn now: a newcomer, and c (queued behind b), wait.
    expect(await ask(connector, limits, 'newcomer')).toMatchObject({ granted: false, woken: [] });
    expect(await ask(connector, limits, 'c')).toMatchObject({ granted: false, woken: [] });
    expect(await ask(connector, limits, 'b')).toStrictEqual({ granted: true, reason: '', woken: [] });
    expect(await done(connector, limits, 'b')).toStrictEqual({ transition: undefined, woken: ['c'] });
    expect(await ask(connector, limits, 'c')).toMatchObject({ granted: true });
    expect(await done(connector, limits, 'c')).toStrictEqual({ transition: undefined, woken: ['newcomer'] });
  });

  test('a job that ends while queued leaves; one that ends holding its turn hands it to the next', async () => {
    const connector = uniqueName('q');
    const limits = limitsWith(1);
    await ask(connector, limits, 'a');
    for (const job of ['b', 'c', 'd']) await ask(connector, limits, job);
    expect(await store.leave(connector, limits, 'c')).toStrictEqual([]);
    expect((await done(connector, limits, 'a')).woken).toStrictEqual(['b']);
    // b was cancelled before it used its turn: d is next (c left).
    expect(await store.leave(connector, limits, 'b')).toStrictEqual(['d']);
    expect(await ask(connector, limits, 'd')).toMatchObject({ granted: true });
  });

  test("a queued waiter's safety timer follows the queue's pace, up to the longest allowed", async () => {
    const connector = uniqueName('q');
    const limits = limitsWith(1);
    await ask(connector, limits, 'a');
    for (let i = 0; i < 3; i++) await ask(connector, limits, `w${i}`);
    // Three turns 100 ms apart: the pace moves from the first gap towards 100 ms.
    let holder = 'a';
    for (let i = 0; i < 3; i++) {
      await delay(100);
      holder = (await done(connector, limits, holder)).woken[0];
      await ask(connector, limits, holder);
    }
    for (let i = 0; i < 3; i++) await ask(connector, limits, `x${i}`);
    const sleeps = [];
    for (const job of ['x0', 'x1', 'x2']) {
      const result = await store.acquire(connector, limits, `token-${job}`, TTL_MS, SLEEP_MS, { jobId: job, tenantId: 'tenant-a' });
      sleeps.push(result.decision.granted ? 0 : result.decision.retryAfterMs);
    }
    // Places 0, 1, 2 at a pace of about 100 ms: 10.2, 10.4, 10.6 s (give or take the gaps' jitter).
    for (const [place, sleep] of sleeps.entries()) expect(Math.abs(sleep - (10_000 + 2 * (place + 1) * 100))).toBeLessThanOrEqual(60 * (place + 1));
    const capped = await store.acquire(connector, limits, 'token-x0', TTL_MS, 5_000, { jobId: 'x0', tenantId: 'tenant-a' });
    expect(capped.decision).toMatchObject({ granted: false, retryAfterMs: 5_000 });
  });

  test('a turn not taken lapses: the next ask or release hands the slot to the next waiter', async () => {
    const connector = uniqueName('q');
    const limits = limitsWith(1);
    const keys = (await import('../../src/resilience/resilience-store')).connectorKeys(connector);
    await ask(connector, limits, 'a');
    await ask(connector, limits, 'b');
    await ask(connector, limits, 'c');
    expect((await done(connector, limits, 'a')).woken).toStrictEqual(['b']);
    // b's wake-up was lost (its worker died): make its turn lapse now rather than in TURN_MS.
    await redis.zadd(keys[8], 1, 'b');
    expect(await ask(connector, limits, 'c')).toStrictEqual({ granted: true, reason: '', woken: ['c'] });
    // b, back on its safety timer, queues again at the back.
    expect(await ask(connector, limits, 'b')).toMatchObject({ granted: false, reason: 'concurrency_limited' });
  });

  test('two tenants with a backlog on one connector are served alternately; each keeps its own order', async () => {
    const connector = uniqueName('q');
    const limits = limitsWith(1);
    await ask(connector, limits, 'first', 'tenant-a');
    for (let i = 0; i < 6; i++) await ask(connector, limits, `a${i}`, 'tenant-a');
    for (let i = 0; i < 3; i++) await ask(connector, limits, `b${i}`, 'tenant-b');
    const served: string[] = [];
    let holder = 'first';
    for (let i = 0; i < 9; i++) {
      const { woken } = await done(connector, limits, holder);
      expect(woken).toHaveLength(1);
      holder = woken[0];
      expect(await ask(connector, limits, holder)).toMatchObject({ granted: true });
      served.push(holder);
    }
    expect(served).toStrictEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a3', 'a4', 'a5']);
  });

  test('breaker open: waiters queue; the first halfOpenMaxCalls sleep until it half-opens, the rest until woken; on close they are let go a few at a time', async () => {
    const connector = uniqueName('q');
    const limits = limitsWith(0, { enabled: true, halfOpenMaxCalls: 1, openMs: 300 });
    await store.force(connector, 'open', limits);
    const asked = [];
    for (const job of ['p', 'q', 'r']) asked.push(await store.acquire(connector, limits, `token-${job}`, TTL_MS, SLEEP_MS, { jobId: job, tenantId: 't' }));
    expect(asked.map((result) => result.decision.granted)).toStrictEqual([false, false, false]);
    const waits = asked.map((result) => (result.decision.granted ? 0 : result.decision.retryAfterMs));
    expect(waits[0]).toBeLessThanOrEqual(300);
    expect(waits.slice(1)).toStrictEqual([14_000, 16_000]);
    await delay(350);
    // p wakes at half-open and probes; q, asking early (its safety timer), stays queued.
    expect(await ask(connector, limits, 'p', 't')).toMatchObject({ granted: true });
    expect(await ask(connector, limits, 'q', 't')).toMatchObject({ granted: false, reason: 'circuit_open' });
    const closed = await store.report(connector, limits, 'token-p', true, 'success');
    expect(closed).toStrictEqual({ transition: 'closed', woken: ['q', 'r'] });
  });

  test("random asks, releases and departures of jobs of two tenants: never more than maxInFlight held, no slot idle while jobs queue, each tenant's turns in its queue's order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.record({ job: fc.integer({ min: 0, max: 7 }), action: fc.constantFrom('ask', 'ask', 'release', 'leave') }), { minLength: 5, maxLength: 60 }),
        async (maxInFlight, steps) => {
          const connector = uniqueName('q');
          const limits = limitsWith(maxInFlight);
          const held = new Set<string>();
          const queuedOrder = new Map<string, string[]>(); // tenant → jobs in the order they queued
          const turns = new Set<string>();
          const tenantOf = (job: string) => (Number(job.slice(1)) % 2 === 0 ? 'even' : 'odd');
          const handed = (woken: string[]) => {
            for (const job of woken) {
              turns.add(job);
              // FIFO within a tenant: the turn goes to the tenant's longest-queued job.
              const queue = queuedOrder.get(tenantOf(job))!;
              expect(queue[0]).toBe(job);
              queue.shift();
            }
          };
          for (const step of steps) {
            const job = `j${step.job}`;
            if (step.action === 'ask' && !held.has(job)) {
              const result = await ask(connector, limits, job, tenantOf(job));
              handed(result.woken);
              if (result.granted) {
                held.add(job);
                turns.delete(job);
              } else {
                const queue = queuedOrder.get(tenantOf(job)) ?? [];
                if (!queue.includes(job)) queue.push(job);
                queuedOrder.set(tenantOf(job), queue);
              }
            } else if (step.action === 'release' && held.has(job)) {
              held.delete(job);
              handed((await done(connector, limits, job)).woken);
            } else if (step.action === 'leave' && !held.has(job)) {
              const queue = queuedOrder.get(tenantOf(job));
              if (queue?.includes(job)) queue.splice(queue.indexOf(job), 1);
              turns.delete(job);
              handed(await store.leave(connector, limits, job));
            }
            expect(held.size + turns.size).toBeLessThanOrEqual(maxInFlight);
            const queued = [...queuedOrder.values()].reduce((n, queue) => n + queue.length, 0);
            if (queued > 0) expect(held.size + turns.size).toBe(maxInFlight);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
