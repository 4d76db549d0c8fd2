import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { setTimeout as delay } from 'node:timers/promises';
import { Downstream, json } from '../support/downstream';
import { http, TestPlatform } from '../support/platform';
import { PlatformProcess } from '../support/processes';
import { serviceEnv, sql, uniqueName } from '../support/services';

/**
 * Dedicated worker pools: a connector naming a task queue has its jobs run only by workers whose
 * WORKER_TASK_QUEUES lists it. (The queue carries a random suffix so that concurrent runs on the
 * shared Temporal server do not serve each other's jobs.)
 */
describe('dedicated worker pools (connector taskQueue)', () => {
  const downstream = new Downstream();
  const platform = new TestPlatform();
  const special = uniqueName('q-special').replace('_', '-');
  let connection: Connection;
  let client: Client;

  /** The Temporal identities (`<pid>@<host>`) of the workers that ran the job's workflow and activity tasks. */
  async function identities(workflowId: string): Promise<Set<string>> {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    return new Set(
      (history.events ?? []).flatMap((event) => [event.workflowTaskStartedEventAttributes?.identity, event.activityTaskStartedEventAttributes?.identity]).filter((x): x is string => !!x),
    );
  }
  const pidOf = (worker: PlatformProcess) => `${worker.child.pid}@`;

  beforeAll(async () => {
    downstream.on('/special', (_call, response) => json(response, 200, { pool: 'special' }));
    downstream.on('/general', (_call, response) => json(response, 200, { pool: 'general' }));
    await downstream.start();
    await platform.start();
    connection = await Connection.connect({ address: serviceEnv().TEMPORAL_ADDRESS });
    client = new Client({ connection });
  });
  afterAll(async () => {
    await connection?.close();
    await platform.stop();
    await downstream.stop();
  });

  test(`a job for a connector on the special queue waits for, and is run only by, a worker serving it`, async () => {
    const connector = await platform.createConnector(downstream.url, { run: { method: 'GET', path: '/special' } }, { taskQueue: special });
    expect((await http('GET', `${platform.control}/connectors/${connector.id}`)).body.taskQueue).toBe(special);
    const accepted = await platform.execute({ connector: connector.id, operation: 'run' });
    expect(accepted.status).toBe(202);
    const [row] = await sql<{ task_queue: string }>(platform.databaseUrl, 'SELECT task_queue FROM jobs WHERE id = $1', [accepted.body.id]);
    expect(row.task_queue).toBe(special);

    // The general worker polls only the default queue: the job stays queued, nothing is called.
    await delay(3000);
    expect((await http('GET', `${platform.exec}/jobs/${accepted.body.id}`)).body.status).toBe('queued');
    expect(downstream.callsTo('/special').length).toBe(0);

    const specialWorker = await platform.startWorker({ WORKER_TASK_QUEUES: special });
    const job = await platform.waitForJob(accepted.body.id);
    expect(job.status).toBe('succeeded');
    expect(job.result.body).toStrictEqual({ pool: 'special' });
    const ran = [...(await identities(job.workflowId))];
    expect(ran.length).toBeGreaterThan(0);
    expect(ran.every((identity) => identity.startsWith(pidOf(specialWorker)))).toBeTruthy();
  });

  test('jobs of connectors without a queue keep running on the general pool, not on the special one', async () => {
    const connector = await platform.createConnector(downstream.url, { run: { method: 'GET', path: '/general' } });
    const accepted = await platform.execute({ connector: connector.id, operation: 'run' });
    const job = await platform.waitForJob(accepted.body.id);
    expect(job.status).toBe('succeeded');
    const ran = [...(await identities(job.workflowId))];
    const [general, specialWorker] = platform.workers;
    expect(ran.every((identity) => identity.startsWith(pidOf(general)))).toBeTruthy();
    expect(ran.some((identity) => identity.startsWith(pidOf(specialWorker)))).toBeFalsy();
    expect(specialWorker.output).toMatch(new RegExp(`"taskQueues":\\["${special}"\\]`));
  });
});
