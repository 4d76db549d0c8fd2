import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import Redis from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';
import { defaultPolicy, resilienceLimits } from '../../domain/policy';
import { ResilienceStore } from '../../src/resilience/resilience-store';
import { serviceEnv, uniqueName } from '../support/services';

/** Long enough that a loaded CI machine renews in time; the loop below renews 5 times per TTL. */
const TTL_MS = 1_000;

describe('concurrency leases in Redis (SPEC §3.6): however long a call takes, a dead holder frees itself', () => {
  let redis: Redis;
  let store: ResilienceStore;
  const limits = { ...resilienceLimits(defaultPolicy(0, 1)), concurrency: { maxInFlight: 1 } };

  beforeAll(() => {
    redis = new Redis(serviceEnv().REDIS_URL);
    store = new ResilienceStore(redis);
  });
  afterAll(async () => {
    await redis.quit();
  });

  test('a lease renewed for 5× its TTL keeps its place; once renewals stop it expires within the TTL', async () => {
    const connector = uniqueName('c');
    const held = await store.acquire(connector, limits, 'call-a', TTL_MS, 100);
    expect(held.decision.granted).toBe(true);
    for (let elapsed = 0; elapsed < 5 * TTL_MS; elapsed += 200) {
      expect(await store.renew(connector, 'call-a', TTL_MS)).toBe(1);
      const other = await store.acquire(connector, limits, `call-b-${elapsed}`, TTL_MS, 100);
      expect(other.decision).toMatchObject({ granted: false, reason: 'concurrency_limited' });
      await delay(200);
    }
    expect((await store.snapshot(connector, limits)).concurrency).toStrictEqual({ maxInFlight: 1, inFlight: 1 });
    await delay(TTL_MS + 100); // the holder "died": no more renewals
    expect((await store.acquire(connector, limits, 'call-c', TTL_MS, 100)).decision.granted).toBe(true);
  });

  test('a call that ended without an answer frees its lease at once', async () => {
    const connector = uniqueName('c');
    expect((await store.acquire(connector, limits, 'call-a', 60_000, 100)).decision.granted).toBe(true);
    await store.report(connector, limits, 'call-a', false, 'none');
    expect((await store.acquire(connector, limits, 'call-b', 60_000, 100)).decision.granted).toBe(true);
  });
});
