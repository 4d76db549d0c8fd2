import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import Redis from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';
import { defaultPolicy, resilienceLimits, type ResilienceLimits } from '../../domain/policy';
import { connectorKeys, ResilienceStore } from '../../src/resilience/resilience-store';
import { CONNECTOR_KEYS } from '../../src/resilience/resilience.scripts';
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
  /** Who holds a turn (a slot handed to it, not yet taken). */
  const turnsOf = (connector: string) => redis.zrange(connectorKeys(connector)[CONNECTOR_KEYS.indexOf('turns')], 0, -1);
  /** Releases the holder's lease; returns who holds the turn it handed on. */
  async function handOn(connector: string, limits: ResilienceLimits, holder: string) {
    const before = new Set(await turnsOf(connector));
    await done(connector, limits, holder);
    const handed = (await turnsOf(connector)).filter((job) => !before.has(job));
    expect(handed).toHaveLength(1);
    return handed[0];
  }

  test('maxInFlight 1: waiters queue in order, each freed lease is handed to the head, and a newcomer does not barge', async () => {
    const connector = uniqueName('q');
    const limits = limitsWith(1);
    expect(await ask(connector, limits, 'a')).toStrictEqual({ granted: true, reason: '', woken: [] });
    const denied = await store.acquire(connector, limits, 'token-b', TTL_MS, SLEEP_MS, { jobId: 'b', tenantId: 'tenant-a' });
    // Queued: it sleeps on the safety net, not a poll interval — twice the wait its place predicts
    // (the queue's pace is unknown yet: 1 s a turn) plus 10 s.
    expect(denied.decision).toStrictEqual({ granted: false, reason: 'concurrency_limited', retryAfterMs: 12_000, waitInside: false });
    const second = await store.acquire(connector, limits, 'token-c', TTL_MS, SLEEP_MS, { jobId: 'c', tenantId: 'tenant-a' });
    expect(second.decision).toStrictEqual({ granted: false, reason: 'concurrency_limited', retryAfterMs: 14_000, waitInside: false });
    // The head (b, asleep) is woken ahead of its turn, so that it is awake when the turn comes.
    expect(second.woken).toStrictEqual(['b']);

    // The lease is b's turn now (b was woken already); c, the new head, is woken to come awake.
    expect(await done(connector, limits, 'a')).toStrictEqual({ transition: undefined, woken: ['c'] });
    expect(await turnsOf(connector)).toStrictEqual(['b']);
    // A newcomer, and c (queued behind b), wait.
    expect(await ask(connector, limits, 'newcomer')).toMatchObject({ granted: false, woken: [] });
    expect(await ask(connector, limits, 'c')).toMatchObject({ granted: false, woken: [] });
    expect(await ask(connector, limits, 'b')).toMatchObject({ granted: true });
    expect(await handOn(connector, limits, 'b')).toBe('c');
    expect(await ask(connector, limits, 'c')).toMatchObject({ granted: true });
    expect(await handOn(connector, limits, 'c')).toBe('newcomer');
  });

  test('the first maxInFlight of the queue wait inside their attempt, asking every few ms; a turn handed to one of them needs no signal', async () => {
    const connector = uniqueName('q');
    const limits = limitsWith(2);
    const askInside = (jobId: string) => store.acquire(connector, limits, `token-${jobId}`, TTL_MS, SLEEP_MS, { jobId, tenantId: 'tenant-a' }, 20);
    for (const job of ['a', 'b']) expect((await askInside(job)).decision.granted).toBe(true);
    expect((await askInside('c')).decision).toStrictEqual({ granted: false, reason: 'concurrency_limited', retryAfterMs: 20, waitInside: true });
    expect((await askInside('d')).decision).toStrictEqual({ granted: false, reason: 'concurrency_limited', retryAfterMs: 20, waitInside: true });
    // Third in the queue: it sleeps until woken.
    const e = await askInside('e');
    expect(e.decision).toMatchObject({ granted: false, waitInside: false });
    expect(e.woken).toStrictEqual([]);
    // c is awake: it takes its turn at its next ask, unsignalled; e moves into the head and is woken.
    expect(await done(connector, limits, 'a')).toStrictEqual({ transition: undefined, woken: ['e'] });
    expect(await turnsOf(connector)).toStrictEqual(['c']);
    expect((await askInside('c')).decision.granted).toBe(true);
    // A head that stops asking (its worker died) is signalled once its awake mark lapses.
    await delay(1_100);
    expect(await done(connector, limits, 'b')).toStrictEqual({ transition: undefined, woken: ['d'] });
  });

  test('a job that ends while queued leaves; one that ends holding its turn hands it to the next', async () => {
    const connector = uniqueName('q');
    const limits = limitsWith(1);
    await ask(connector, limits, 'a');
    for (const job of ['b', 'c', 'd']) await ask(connector, limits, job);
    expect(await store.leave(connector, limits, 'c')).toStrictEqual([]);
    expect(await handOn(connector, limits, 'a')).toBe('b');
    // b was cancelled before it used its turn: d is next (c left); it was woken as the new head already.
    expect(await store.leave(connector, limits, 'b')).toStrictEqual([]);
    expect(await turnsOf(connector)).toStrictEqual(['d']);
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
      holder = await handOn(connector, limits, holder);
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
    expect(await handOn(connector, limits, 'a')).toBe('b');
    // b's wake-up was lost (its worker died): make its turn lapse now rather than in TURN_MS.
    await redis.zadd(keys[8], 1, 'b');
    expect(await ask(connector, limits, 'c')).toStrictEqual({ granted: true, reason: '', woken: [] });
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
      holder = await handOn(connector, limits, holder);
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
          // Woken since they last asked: a turn is only ever handed to one of them (or to the asker).
          const signalled = new Set<string>();
          const tenantOf = (job: string) => (Number(job.slice(1)) % 2 === 0 ? 'even' : 'odd');
          const handed = async (woken: string[], asker?: string) => {
            for (const job of woken) {
              // Only queued jobs are woken: to take a turn, or to be awake at the head when it comes.
              expect(queuedOrder.get(tenantOf(job))).toContain(job);
              signalled.add(job);
            }
            for (const job of await turnsOf(connector)) {
              if (turns.has(job)) continue;
              turns.add(job);
              if (job !== asker) expect(signalled).toContain(job);
              // FIFO within a tenant: the turn goes to the tenant's longest-queued job.
              const queue = queuedOrder.get(tenantOf(job))!;
              expect(queue[0]).toBe(job);
              queue.shift();
            }
          };
          for (const step of steps) {
            const job = `j${step.job}`;
            if (step.action === 'ask' && !held.has(job)) {
              signalled.delete(job);
              const result = await ask(connector, limits, job, tenantOf(job));
              if (result.granted) turns.delete(job);
              await handed(result.woken, job);
              if (result.granted) {
                held.add(job);
                // Granted from the queue: it was its tenant's head.
                const queue = queuedOrder.get(tenantOf(job));
                if (queue?.includes(job)) {
                  expect(queue[0]).toBe(job);
                  queue.shift();
                }
              } else {
                const queue = queuedOrder.get(tenantOf(job)) ?? [];
                if (!queue.includes(job)) queue.push(job);
                queuedOrder.set(tenantOf(job), queue);
              }
            } else if (step.action === 'release' && held.has(job)) {
              held.delete(job);
              await handed((await done(connector, limits, job)).woken);
            } else if (step.action === 'leave' && !held.has(job)) {
              const queue = queuedOrder.get(tenantOf(job));
              if (queue?.includes(job)) queue.splice(queue.indexOf(job), 1);
              turns.delete(job);
              signalled.delete(job);
              await handed(await store.leave(connector, limits, job));
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
