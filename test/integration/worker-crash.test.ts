import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { Downstream, json } from '../support/downstream';
import { TestPlatform } from '../support/platform';

const downstream = new Downstream();
const platform = new TestPlatform();

before(async () => {
  await downstream.start();
  await platform.start({ workers: 1 });
});
after(async () => {
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
  assert.equal(accepted.status, 202);

  while (downstream.callsTo('/slow').length === 0) await delay(50);
  await platform.workers[0].stop('SIGKILL');
  await platform.startWorker();

  const job = await platform.waitForJob(accepted.body.id, 90_000);
  assert.equal(job.status, 'succeeded');
  assert.equal(job.attempts, 2);
  const calls = downstream.callsTo('/slow');
  assert.equal(calls.length, 2);
  assert.equal(calls[0].headers['idempotency-key'], calls[1].headers['idempotency-key'], 'the downstream can deduplicate the retry');
});
