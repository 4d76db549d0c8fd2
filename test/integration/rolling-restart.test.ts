import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { diagnostic } from '../support/diagnostic';
import { Downstream, json } from '../support/downstream';
import { readEnvFile } from '../support/env-file';
import { http } from '../support/platform';
import { ROOT } from '../support/paths';
import { sql } from '../support/services';
import { temporalCli } from '../support/tools';
import { isTerminal, type JobStatus } from '../../domain/job';

/**
 * Rolling restart of the prod-like topology (scripts/prodlike.sh: real Temporal server on Postgres,
 * Redis, two api processes behind the readiness-aware proxy, two workers) under a steady load of
 * POST /execute through the proxy. Every request must be accepted and every accepted job must
 * succeed; each api must report not-ready while it drains, each worker must stop within its grace.
 */
const SCRIPT = join(ROOT, 'scripts', 'prodlike.sh');
const RATE_PER_SECOND = 8;
const WORKER_GRACE_SECONDS = 10;
/** What every api and worker process gets (besides the script's own defaults). */
const APP_ENV = {
  ORCH_SHUTDOWN_DRAIN_SECONDS: '3',
  WORKER_SHUTDOWN_GRACE_SECONDS: String(WORKER_GRACE_SECONDS),
  CONNECTOR_RETRY_BASE_SECONDS: '1',
  ORCH_TASK_QUEUE: 'rolling',
};

function script(args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [SCRIPT, ...args],
      { cwd: ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, PRODLIKE_TEMPORAL: 'server', PRODLIKE_PROXY: 'node' } },
      (error, stdout, stderr) => {
        // eslint-disable-next-line no-control-regex -- the scripts' coloured log prefixes
        if (error) reject(new Error(`prodlike.sh ${args.join(' ')} failed:\n${stderr.replace(/\x1b\[[0-9;]*m/g, '').slice(-4000)}`));
        else resolve({ stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

interface Sent {
  n: number;
  withKey: boolean;
  status: number | 'network-error';
  jobId?: string;
  detail?: string;
  at: number;
}

let installMs = 0;
const dir = mkdtempSync(join(tmpdir(), 'orchestrator-prodlike-'));
const versionDir = mkdtempSync(join(tmpdir(), 'orchestrator-prodlike-versions-'));
let versionStarted = false;
/** The first topology is stopped before the second starts (two Temporal servers at once overload 2 cores). */
let firstStopped = false;
let versionPassed = false;
const downstream = new Downstream();
let started = false;
let passed = false;

beforeAll(
  async () => {
    // Builds the Temporal server the first time (go install, minutes); a no-op afterwards. A server
    // that cannot be built fails the test: the topology it checks is the one we deploy.
    installMs = (await script(['install'], 30 * 60_000)).ms;
  },
  31 * 60_000,
);

afterAll(async () => {
  if (downstream.port) await downstream.stop();
  if (started && !firstStopped) await script(['stop', dir], 120_000).catch((error: Error) => console.error(error.message));
  if (passed || !started) rmSync(dir, { recursive: true, force: true });
  else console.error(`rolling-restart: state and logs kept in ${dir}`);
  if (versionStarted) await script(['stop', versionDir], 120_000).catch((error: Error) => console.error(error.message));
  if (versionPassed || !versionStarted) rmSync(versionDir, { recursive: true, force: true });
  else console.error(`rolling-restart (versions): state and logs kept in ${versionDir}`);
});

test('rolling restart of apis and workers under load: no failed request, no lost job', async () => {
  started = true; // from here on `after` stops whatever runs in dir
  const boot = await script(['start', dir, ...Object.entries(APP_ENV).map(([name, value]) => `${name}=${value}`)], 120_000);
  const env = readEnvFile(join(dir, 'prodlike.env'));
  diagnostic(`temporal server ready (install check ${installMs} ms); topology up in ${boot.ms} ms`);
  expect(env.TEMPORAL_MODE).toBe('server'); // the real Temporal server, not the dev server

  // The downstream takes a moment, so workers are mid-call when they get SIGTERM.
  await downstream.start();
  downstream.on('/work', (_call, response) => void delay(200).then(() => json(response, 200, { ok: true })));
  const created = await http('POST', `${env.CONTROL_URL}/connectors`, {
    json: { name: 'rolling', type: 'http', baseUrl: downstream.url, allowPrivateNetwork: true, operations: { work: { method: 'POST', path: '/work' } } },
  });
  expect(created.status).toBe(201);

  // Steady load through the proxy; every other request carries an Idempotency-Key.
  const sent: Sent[] = [];
  const pending: Promise<void>[] = [];
  let loading = true;
  const send = async (n: number) => {
    const withKey = n % 2 === 0;
    const record: Sent = { n, withKey, status: 'network-error', at: Date.now() };
    sent.push(record);
    try {
      const reply = await http('POST', `${env.EXEC_URL}/execute`, {
        json: { connector: 'rolling', operation: 'work', input: { n } },
        headers: withKey ? { 'Idempotency-Key': `rolling-${n}` } : {},
      });
      record.status = reply.status;
      record.jobId = reply.body?.id;
      if (reply.status !== 202) record.detail = JSON.stringify(reply.body).slice(0, 300);
    } catch (error) {
      record.detail = String((error as Error).cause ?? error);
    }
  };
  const load = (async () => {
    for (let n = 0; loading; n++) {
      pending.push(send(n));
      await delay(1000 / RATE_PER_SECOND);
    }
  })();

  // A live event stream through the proxy: it never ends on its own, so the api holding it must
  // cut it at shutdown (the client reconnects elsewhere) instead of waiting for SIGKILL.
  let streamOpen = true;
  let streamBytes = 0;
  get(`${env.EXEC_URL}/events/stream`, { headers: { accept: 'text/event-stream' } }, (response) => {
    response.on('data', (chunk: Buffer) => (streamBytes += chunk.length));
    response.on('close', () => (streamOpen = false));
  }).on('error', () => (streamOpen = false));

  const restarts: string[] = [];
  const restart = async (name: string) => {
    const previous = readEnvFile(join(dir, 'prodlike.env'));
    const { stderr, ms } = await script(['restart', dir, name], 90_000);
    const now = readEnvFile(join(dir, 'prodlike.env'));
    const key = `${name.toUpperCase().replace('-', '_')}_PID`;
    expect(now[key]).not.toBe(previous[key]);
    const stoppedAfter = Number(/stopped (\d+)s after SIGTERM/.exec(stderr)?.[1]);
    restarts.push(`${name}: stopped ${stoppedAfter}s after SIGTERM, back in ${ms} ms`);
    return stoppedAfter;
  };
  try {
    await delay(3_000);
    for (const api of ['api-1', 'api-2']) {
      await restart(api);
      await delay(2_000);
    }
    expect(streamBytes).toBeGreaterThan(0); // the event stream was open
    expect(streamOpen).toBe(false); // the event stream was cut when its api shut down
    for (const worker of ['worker-1', 'worker-2']) {
      const stoppedAfter = await restart(worker);
      expect(stoppedAfter).toBeLessThanOrEqual(WORKER_GRACE_SECONDS);
      await delay(2_000);
    }
    await delay(1_000);
  } finally {
    loading = false;
    await load;
    await Promise.all(pending);
  }
  diagnostic(restarts.join('; '));

  // Zero failed requests.
  const failed = sent.filter((record) => record.status !== 202);
  expect(failed).toStrictEqual([]);
  expect(sent.length).toBeGreaterThanOrEqual(100);
  const ids = sent.map((record) => record.jobId as string);
  expect(new Set(ids).size).toBe(ids.length); // one job per request

  // Zero lost jobs: every accepted job succeeds, and the downstream saw its Idempotency-Key.
  const deadline = Date.now() + 60_000;
  let rows: { id: string; status: string }[] = [];
  for (;;) {
    rows = await sql<{ id: string; status: string }>(env.DATABASE_URL, 'SELECT id, status FROM jobs WHERE id = ANY($1::uuid[])', [ids]);
    const open = rows.filter((row) => !isTerminal(row.status as JobStatus));
    if ((rows.length === ids.length && open.length === 0) || Date.now() > deadline) break;
    await delay(500);
  }
  expect(rows.length).toBe(ids.length); // every accepted job is recorded
  const notSucceeded = rows.filter((row) => row.status !== 'succeeded');
  expect(notSucceeded).toStrictEqual([]);
  const seen = new Set(downstream.callsTo('/work').map((call) => String(call.headers['idempotency-key']).split(':')[0]));
  const unseen = ids.filter((id) => !seen.has(id));
  expect(unseen).toStrictEqual([]); // the downstream saw every job
  for (const id of [ids[0], ids[ids.length - 1]]) {
    const job = await http('GET', `${env.EXEC_URL}/jobs/${id}`);
    expect(job.body.status).toBe('succeeded');
  }
  // The proxy routes on readiness: each api answered 503 on /health/ready while it drained (instead
  // of just vanishing), and the proxy passed on whatever reached an api that no longer accepted.
  const proxyLog = readFileSync(env.PROXY_LOG, 'utf8');
  for (const api of ['api-1', 'api-2']) expect(proxyLog).toMatch(new RegExp(`health ${api} not ready \\(HTTP 503\\)`));
  const failedOver = proxyLog.split('\n').filter((line) => line.includes('POST /execute') && / via [^ ]+,/.test(line)).length;
  diagnostic(
    `${sent.length} requests (${sent.filter((r) => r.withKey).length} with Idempotency-Key, ${failedOver} passed on to the other api by the proxy), ` +
      `${ids.length} jobs succeeded, ${downstream.callsTo('/work').length} downstream calls`,
  );
  passed = true;
}, 180_000);

/** scripts/worker-version.sh against the topology's Temporal server, as the runbook runs it. */
function workerVersion(temporalAddress: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('bash', [join(ROOT, 'scripts', 'worker-version.sh'), ...args], { env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_CLI: temporalCli() } }, (error, stdout, stderr) =>
      error ? reject(new Error(`worker-version.sh ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    ),
  );
}

/** promote, retried until the build's workers have polled (the CLI refuses a version without pollers). */
async function promote(temporalAddress: string, deployment: string, buildId: string): Promise<void> {
  // Also while the server's worker-deployment workflow is busy (it answers "deadline exceeded").
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await workerVersion(temporalAddress, ['promote', deployment, buildId]);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(500);
    }
  }
}

test('rolling a worker version A → B under load: no failed request, no lost job, old jobs finish on A', async () => {
  if (started && !firstStopped) {
    firstStopped = true;
    await script(['stop', dir], 120_000).catch((error: Error) => console.error(error.message));
  }
  versionStarted = true;
  const deployment = 'rolling-workers';
  await script(['start', versionDir, ...Object.entries({ ...APP_ENV, WORKER_DEPLOYMENT_NAME: deployment, WORKER_BUILD_ID: 'build-a' }).map(([name, value]) => `${name}=${value}`)], 120_000);
  const env = readEnvFile(join(versionDir, 'prodlike.env'));
  expect(env.TEMPORAL_MODE).toBe('server');
  await promote(env.TEMPORAL_ADDRESS, deployment, 'build-a');

  const versioned = new Downstream();
  await versioned.start();
  versioned.on('/work', (_call, response) => void delay(200).then(() => json(response, 200, { ok: true })));
  try {
    const created = await http('POST', `${env.CONTROL_URL}/connectors`, {
      json: { name: 'rolling', type: 'http', baseUrl: versioned.url, allowPrivateNetwork: true, operations: { work: { method: 'POST', path: '/work' } } },
    });
    expect(created.status).toBe(201);

    const sent: Sent[] = [];
    const pending: Promise<void>[] = [];
    let loading = true;
    const send = async (n: number) => {
      const record: Sent = { n, withKey: true, status: 'network-error', at: Date.now() };
      sent.push(record);
      try {
        const reply = await http('POST', `${env.EXEC_URL}/execute`, { json: { connector: 'rolling', operation: 'work', input: { n } }, headers: { 'Idempotency-Key': `version-${n}` } });
        record.status = reply.status;
        record.jobId = reply.body?.id;
        if (reply.status !== 202) record.detail = JSON.stringify(reply.body).slice(0, 300);
      } catch (error) {
        record.detail = String((error as Error).cause ?? error);
      }
    };
    const load = (async () => {
      for (let n = 0; loading; n++) {
        pending.push(send(n));
        await delay(1000 / RATE_PER_SECOND);
      }
    })();

    let promotedAt = 0;
    try {
      await delay(3_000);
      // B starts beside A (worker-1 becomes build B; worker-2 still runs A), then becomes current.
      await script(['restart', versionDir, 'worker-1', 'WORKER_BUILD_ID=build-b'], 90_000);
      await promote(env.TEMPORAL_ADDRESS, deployment, 'build-b');
      promotedAt = Date.now();
      await delay(3_000);
      // A drains: every job accepted before the promotion ends (on A), then A's last worker goes.
      const before = () => sent.filter((record) => record.at < promotedAt && record.jobId).map((record) => record.jobId as string);
      const drainDeadline = Date.now() + 150_000;
      for (;;) {
        await Promise.all(pending);
        const rows = await sql<{ status: string }>(env.DATABASE_URL, 'SELECT status FROM jobs WHERE id = ANY($1::uuid[])', [before()]);
        if (rows.length === before().length && rows.every((row) => isTerminal(row.status as JobStatus))) break;
        if (Date.now() > drainDeadline) throw new Error('jobs of build A did not finish');
        await delay(500);
      }
      await script(['restart', versionDir, 'worker-2', 'WORKER_BUILD_ID=build-b'], 90_000);
      await delay(3_000);
    } finally {
      loading = false;
      await load;
      await Promise.all(pending);
    }

    expect(sent.filter((record) => record.status !== 202)).toStrictEqual([]);
    const ids = sent.map((record) => record.jobId as string);
    const deadline = Date.now() + 60_000;
    let rows: { id: string; status: string; workflow_id: string }[] = [];
    for (;;) {
      rows = await sql(env.DATABASE_URL, 'SELECT id, status, workflow_id FROM jobs WHERE id = ANY($1::uuid[])', [ids]);
      if ((rows.length === ids.length && rows.every((row) => isTerminal(row.status as JobStatus))) || Date.now() > deadline) break;
      await delay(500);
    }
    expect(rows.length).toBe(ids.length);
    expect(rows.filter((row) => row.status !== 'succeeded')).toStrictEqual([]);

    // Which build ran what: jobs accepted before the promotion on A, after it on B (Temporal's record).
    const buildOf = async (workflowId: string) => {
      const out = await new Promise<string>((resolve, reject) =>
        execFile(temporalCli(), ['workflow', 'describe', '--address', env.TEMPORAL_ADDRESS, '--workflow-id', workflowId, '-o', 'json'], (error, stdout) => (error ? reject(error) : resolve(stdout))),
      );
      return (JSON.parse(out).workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId as string | undefined) ?? 'unversioned';
    };
    const byId = new Map(rows.map((row) => [row.id, row.workflow_id]));
    const first = sent[0];
    const last = sent[sent.length - 1];
    expect(first.at).toBeLessThan(promotedAt);
    expect(await buildOf(byId.get(first.jobId!)!)).toBe('build-a');
    expect(last.at).toBeGreaterThan(promotedAt);
    expect(await buildOf(byId.get(last.jobId!)!)).toBe('build-b');
    for (const log of ['worker-1.log', 'worker-2.log']) expect(readFileSync(join(versionDir, 'logs', log), 'utf8')).not.toMatch(/nondetermin|TMPRL1100/i);
    diagnostic(`versions: ${sent.length} requests, ${sent.filter((r) => r.at < promotedAt).length} before the promotion to build-b; all ${ids.length} jobs succeeded`);
    versionPassed = true;
  } finally {
    await versioned.stop();
  }
}, 360_000);
