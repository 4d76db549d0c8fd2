import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Downstream, json } from '../support/downstream';
import { http, TestPlatform } from '../support/platform';
import { serviceEnv } from '../support/services';
import { temporalCli } from '../support/tools';

const run = promisify(execFile);
const RECONCILE_SECONDS = 2;

/** The Temporal CLI against the test server, as an operator would run it. */
async function temporal(...args: string[]): Promise<string> {
  const { stdout } = await run(temporalCli(), [...args, '--address', serviceEnv().TEMPORAL_ADDRESS]);
  return stdout;
}

/** `temporal workflow list --output json`: one JSON array, or one object per line (jsonl). */
function parseList(out: string): { execution: { workflowId: string } }[] {
  const text = out.trim();
  if (!text) return [];
  if (text.startsWith('[')) return JSON.parse(text);
  return text.split('\n').map((line) => JSON.parse(line));
}

describe('no job left hanging; operators find jobs by status in Temporal (SPEC §3.7, Temporal conventions)', () => {
  const downstream = new Downstream();
  const platform = new TestPlatform({ ORCH_RECONCILE_INTERVAL_SECONDS: String(RECONCILE_SECONDS) });

  beforeAll(async () => {
    await downstream.start();
    await platform.start();
  });
  afterAll(async () => {
    await platform.stop();
    await downstream.stop();
  });

  test('a job whose workflow an operator terminates is recorded terminal by the reconciler, with an event saying why', async () => {
    const policy = await platform.createPolicy({ concurrency: { maxInFlight: 1 } });
    downstream.on('/held', () => new Promise(() => undefined));
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/held' } }, { policyId: policy.id });
    const holder = await platform.execute({ connector: connector.name, operation: 'call' });
    const waiter = await platform.execute({ connector: connector.name, operation: 'call' });
    for (let i = 0; i < 100 && (await http('GET', `${platform.exec}/jobs/${waiter.body.id}`)).body.status !== 'waiting'; i++) await delay(100);

    await temporal('workflow', 'terminate', '--workflow-id', waiter.body.workflowId, '--reason', 'operator cleanup');
    const startedAt = Date.now();
    const job = await platform.waitForJob(waiter.body.id, 4 * RECONCILE_SECONDS * 1000 + 10_000);
    expect(Date.now() - startedAt).toBeLessThan(3 * RECONCILE_SECONDS * 1000 + 10_000);
    expect([job.status, job.error.type]).toStrictEqual(['cancelled', 'Cancelled']);
    const [event] = await platform.events(`jobId=${waiter.body.id}&type=job.cancelled`);
    expect(event.data.reconciled).toStrictEqual({ workflowStatus: 'TERMINATED' });
    await http('POST', `${platform.exec}/jobs/${holder.body.id}/cancel`);
  });

  test('a connector whose task queue no worker polls shows it: its jobs stay queued for that reason', async () => {
    const orphan = await platform.createConnector(downstream.url, { call: { method: 'GET', path: '/x' } }, { taskQueue: 'nobody-polls-this' });
    const served = await platform.createConnector(downstream.url, { call: { method: 'GET', path: '/x' } });
    const [orphanState, servedState] = await Promise.all([orphan, served].map((c) => http('GET', `${platform.control}/connectors/${c.id}/state`)));
    expect(orphanState.body.taskQueue).toStrictEqual({ name: 'nobody-polls-this', workersPolling: 0 });
    expect(servedState.body.taskQueue).toStrictEqual({ name: platform.taskQueue, workersPolling: 1 });
  });

  test("temporal workflow list --query \"JobStatus='failed'\" returns exactly the failed jobs", async () => {
    downstream.on('/mixed', (call, response) => json(response, JSON.parse(call.body).ok ? 200 : 400, {}));
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/mixed' } });
    const inputs = [{ ok: false }, { ok: true }, { ok: false }, { ok: true }];
    const jobs = await Promise.all(inputs.map(async (input) => platform.waitForJob((await platform.execute({ connector: connector.name, operation: 'call', input })).body.id)));
    const failed = jobs.filter((job) => job.status === 'failed').map((job) => job.workflowId).sort();
    expect(failed).toHaveLength(2);
    let listed: string[] = [];
    for (let i = 0; i < 50; i++) {
      const out = await temporal('workflow', 'list', '--query', `JobStatus='failed' AND ConnectorId='${connector.id}'`, '--output', 'json');
      listed = parseList(out).map((workflow) => workflow.execution.workflowId).sort();
      if (listed.length >= failed.length) break;
      await delay(200); // visibility is eventually consistent
    }
    expect(listed).toStrictEqual(failed);
  });
});
