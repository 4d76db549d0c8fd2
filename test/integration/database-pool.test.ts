import { afterAll, expect, test } from '@jest/globals';
import { http, TestPlatform } from '../support/platform';
import { serviceEnv, sql } from '../support/services';

/** DATABASE_POOL_SIZE bounds the Postgres connections of one process, however many requests arrive. */
const platforms: TestPlatform[] = [];
afterAll(async () => {
  await Promise.all(platforms.map((platform) => platform.stop()));
});

/** The most query connections the api held at once while answering 200 concurrent reads. */
async function peakConnections(poolSize: string): Promise<number> {
  const platform = new TestPlatform({ DATABASE_POOL_SIZE: poolSize });
  platforms.push(platform);
  await platform.start({ workers: 0 });
  const database = new URL(platform.databaseUrl).pathname.slice(1);
  let most = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      // The pool's connections carry the process's application name; the LISTEN one has its own.
      const [{ n }] = await sql<{ n: number }>(serviceEnv().DATABASE_URL, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'orchestrator-api'`, [database]);
      most = Math.max(most, n);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const replies = await Promise.all(Array.from({ length: 200 }, () => http('GET', `${platform.control}/connectors?limit=5`)));
  sampling = false;
  await sampler;
  expect(replies.every((reply) => reply.status === 200)).toBe(true);
  return most;
}

test('DATABASE_POOL_SIZE=2: at most 2 query connections under 200 concurrent requests; the default pool opens more', async () => {
  const small = await peakConnections('2');
  expect(small).toBeGreaterThan(0);
  expect(small).toBeLessThanOrEqual(2);
  expect(await peakConnections('10')).toBeGreaterThan(2);
});
