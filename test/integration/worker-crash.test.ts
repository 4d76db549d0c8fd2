import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { Downstream, json } from '../support/downstream';
import { TestPlatform } from '../support/platform';

const downstream = new Downstream();
const platform = new TestPlatform();

beforeAll(async () => {
  await downstream.start();
  await platform.start({ workers: 1 });
});
afterAll(async () => {
  await platform.stop();
  await downstream.stop();
});

test('SIGKILL of the worker mid-call: a new worker completes the job, nothing accepted is lost', async () => {
  // First call hangs (the worker dies holding it); later calls answer at once.
  downstream.on('/slow', (_call, response, index) => {
    if (index > 0) json(response, 200, { ok: true });
  });
  const connector = await platform.createConnector(downstream.url, { slow: { method: 'POST', path: '/slow' } });
  const accepted = await platform.execute({ connector: connector.name, operation: 'slow', input: { n: 1 } });
  expect(accepted.status).toBe(202);

  while (downstream.callsTo('/slow').length === 0) await delay(50);
  await platform.workers[0].stop('SIGKILL');
  await platform.startWorker();

  const job = await platform.waitForJob(accepted.body.id, 90_000);
  expect(job.status).toBe('succeeded');
  expect(job.attempts).toBe(2);
  const calls = downstream.callsTo('/slow');
  expect(calls.length).toBe(2);
  expect(calls[0].headers['idempotency-key']).toBe(calls[1].headers['idempotency-key']); // the downstream can deduplicate the retry
});
