import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { Downstream, json } from '../support/downstream';
import { http, TestPlatform } from '../support/platform';
import { PlatformProcess } from '../support/processes';
import { DIST, ROOT } from '../support/paths';
import { serviceEnv, uniqueName } from '../support/services';
import { temporalCli } from '../support/tools';

const run = promisify(execFile);

/**
 * Worker Deployment versioning (docs/deploy.md, "Worker versions"): build A runs a job that is
 * still waiting on its downstream when build B — whose executeJob is not replay-compatible with
 * A's — becomes the current version. The old job finishes on A (PINNED), new jobs run on B, and
 * no workflow task fails with a non-determinism error.
 */
describe('worker versions: a running job stays on its build while new jobs go to the current one', () => {
  const downstream = new Downstream();
  const platform = new TestPlatform();
  const deploymentName = uniqueName('orch-versioning').replace('_', '-');
  const buildB = join(ROOT, '.data', uniqueName('build-b'));
  let releaseFirstCall!: () => void;
  const firstCallReleased = new Promise<void>((resolve) => (releaseFirstCall = resolve));
  let connection: Connection;
  let client: Client;
  let workerA: PlatformProcess;
  let workerB: PlatformProcess;

  /** The operator's runbook command (docs/deploy.md): scripts/worker-version.sh with the app's connection env. */
  function workerVersion(...args: string[]) {
    return run('bash', [join(ROOT, 'scripts', 'worker-version.sh'), ...args], { env: { ...process.env, TEMPORAL_ADDRESS: serviceEnv().TEMPORAL_ADDRESS, TEMPORAL_CLI: temporalCli() } });
  }

  /** `promote`, retried while the new build's workers have not polled yet (the CLI refuses a version without pollers). */
  async function promote(buildId: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const { stdout } = await workerVersion('promote', deploymentName, buildId);
        expect(stdout).toContain(`${buildId} is the current version of ${deploymentName}`);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await delay(500);
      }
    }
  }

  async function versioning(workflowId: string) {
    const { raw } = await client.workflow.getHandle(workflowId).describe();
    const info = raw.workflowExecutionInfo?.versioningInfo;
    return { buildId: info?.deploymentVersion?.buildId, behavior: info?.behavior };
  }

  async function historyEventTypes(workflowId: string): Promise<string[]> {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).map((event) => Object.keys(event).find((key) => key.endsWith('EventAttributes')) ?? '');
  }

  beforeAll(async () => {
    // The first call (the job on A) is held until the test lets it go; later ones answer at once.
    downstream.on('/work', async (_call, response, index) => {
      if (index === 0) await firstCallReleased;
      json(response, 200, { call: index });
    });
    await downstream.start();

    // Build B: a copy of the build with the incompatible workflow bundle, as a new image would carry.
    mkdirSync(buildB, { recursive: true });
    cpSync(DIST, join(buildB, 'dist'), { recursive: true });
    const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/worker-version-b/workflows'), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
    writeFileSync(join(buildB, 'dist', 'workflow-bundle.js'), code);

    await platform.start({ workers: 0 });
    connection = await Connection.connect({ address: serviceEnv().TEMPORAL_ADDRESS });
    client = new Client({ connection });
  });

  afterAll(async () => {
    releaseFirstCall();
    await connection?.close();
    await platform.stop();
    await downstream.stop();
    rmSync(buildB, { recursive: true, force: true });
  });

  test('A → B: the job started on A finishes on A, new jobs run on B, no non-determinism', async () => {
    const versioned = (buildId: string) => ({ WORKER_BUILD_ID: buildId, WORKER_DEPLOYMENT_NAME: deploymentName });
    workerA = await platform.startWorker(versioned('build-a'));
    await promote('build-a');

    const connector = await platform.createConnector(downstream.url, { run: { method: 'POST', path: '/work' } });
    const first = await platform.execute({ connector: connector.id, operation: 'run', input: {} });
    expect(first.status).toBe(202);
    // Running on A: its call is open at the downstream.
    for (let i = 0; downstream.callsTo('/work').length === 0; i++) {
      if (i > 300) throw new Error('the first job never called the downstream');
      await delay(100);
    }
    expect(await versioning(first.body.workflowId)).toStrictEqual({ buildId: 'build-a', behavior: 1 /* PINNED */ });

    // Roll out B beside A and make it current.
    workerB = await platform.startWorker(versioned('build-b'), { dist: join(buildB, 'dist') });
    await promote('build-b');
    const status = await workerVersion('status', deploymentName);
    expect(status.stdout).toMatch(/build-b/);
    // A still has a pinned job running: not drained, so its Deployment must stay.
    await expect(workerVersion('drained', deploymentName, 'build-a')).rejects.toMatchObject({ code: 1 });

    const second = await platform.execute({ connector: connector.id, operation: 'run', input: {} });
    expect(second.status).toBe(202);
    const secondJob = await platform.waitForJob(second.body.id);
    expect(secondJob.status).toBe('succeeded');
    expect(await versioning(second.body.workflowId)).toStrictEqual({ buildId: 'build-b', behavior: 1 });
    // B's change is in the new job's history: a timer before the first attempt.
    expect(await historyEventTypes(second.body.workflowId)).toContain('timerStartedEventAttributes');

    // The old job is still waiting on A; let its call answer.
    expect((await http('GET', `${platform.exec}/jobs/${first.body.id}`)).body.status).toBe('running');
    releaseFirstCall();
    const firstJob = await platform.waitForJob(first.body.id);
    expect(firstJob.status).toBe('succeeded');
    expect(firstJob.result.body).toStrictEqual({ call: 0 });
    expect(await versioning(first.body.workflowId)).toStrictEqual({ buildId: 'build-a', behavior: 1 });
    const firstEvents = await historyEventTypes(first.body.workflowId);
    expect(firstEvents).not.toContain('timerStartedEventAttributes');

    // Neither history has a failed workflow task, neither worker logged a non-determinism error.
    for (const events of [firstEvents, await historyEventTypes(second.body.workflowId)]) expect(events).not.toContain('workflowTaskFailedEventAttributes');
    for (const worker of [workerA, workerB]) expect(worker.output).not.toMatch(/nondetermin|TMPRL1100/i);
  });
});
