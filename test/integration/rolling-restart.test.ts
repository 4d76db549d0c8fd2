import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { Downstream, json } from '../support/downstream';
import { http } from '../support/platform';
import { sql } from '../support/services';

/**
 * Rolling restart of the prod-like topology (scripts/prodlike.sh: real Temporal server on Postgres,
 * Redis, two api processes behind the readiness-aware proxy, two workers) under a steady load of
 * POST /execute through the proxy. Every request must be accepted and every accepted job must
 * succeed; each api must report not-ready while it drains, each worker must stop within its grace.
 */
const ROOT = join(__dirname, '..', '..', '..');
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

function readEnv(file: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

interface Sent {
  n: number;
  withKey: boolean;
  status: number | 'network-error';
  jobId?: string;
  detail?: string;
  at: number;
}

let installError: string | undefined;
let installMs = 0;
const dir = mkdtempSync(join(tmpdir(), 'orchestrator-prodlike-'));
const downstream = new Downstream();
let started = false;
let passed = false;

before(
  async () => {
    // Builds the Temporal server the first time (go install, minutes); a no-op afterwards.
    try {
      installMs = (await script(['install'], 30 * 60_000)).ms;
    } catch (error) {
      installError = (error as Error).message;
    }
  },
  { timeout: 31 * 60_000 },
);

after(async () => {
  if (downstream.port) await downstream.stop();
  if (started) await script(['stop', dir], 120_000).catch((error: Error) => console.error(error.message));
  if (passed || !started) rmSync(dir, { recursive: true, force: true });
  else console.error(`rolling-restart: state and logs kept in ${dir}`);
});

test('rolling restart of apis and workers under load: no failed request, no lost job', { timeout: 180_000 }, async (t) => {
  if (installError) {
    t.skip(`the Temporal server (go.temporal.io/server v1.30.3) cannot be built on this machine, so the prod-like topology cannot run: ${installError}`);
    return;
  }
  started = true; // from here on `after` stops whatever runs in dir
  const boot = await script(['start', dir, ...Object.entries(APP_ENV).map(([name, value]) => `${name}=${value}`)], 120_000);
  const env = readEnv(join(dir, 'prodlike.env'));
  t.diagnostic(`temporal server ready (install check ${installMs} ms); topology up in ${boot.ms} ms`);
  assert.equal(env.TEMPORAL_MODE, 'server', 'the real Temporal server, not the dev server');

  // The downstream takes a moment, so workers are mid-call when they get SIGTERM.
  await downstream.start();
  downstream.on('/work', (_call, response) => void delay(200).then(() => json(response, 200, { ok: true })));
  const created = await http('POST', `${env.CONTROL_URL}/connectors`, {
    json: { name: 'rolling', type: 'http', baseUrl: downstream.url, allowPrivateNetwork: true, operations: { work: { method: 'POST', path: '/work' } } },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));

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
    const previous = readEnv(join(dir, 'prodlike.env'));
    const { stderr, ms } = await script(['restart', dir, name], 90_000);
    const now = readEnv(join(dir, 'prodlike.env'));
    const key = `${name.toUpperCase().replace('-', '_')}_PID`;
    assert.notEqual(now[key], previous[key], `${name} runs as a new process`);
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
    assert.ok(streamBytes > 0, 'the event stream was open');
    assert.equal(streamOpen, false, 'the event stream was cut when its api shut down');
    for (const worker of ['worker-1', 'worker-2']) {
      const stoppedAfter = await restart(worker);
      assert.ok(stoppedAfter <= WORKER_GRACE_SECONDS, `${worker} stopped gracefully within WORKER_SHUTDOWN_GRACE_SECONDS (${stoppedAfter}s)`);
      await delay(2_000);
    }
    await delay(1_000);
  } finally {
    loading = false;
    await load;
    await Promise.all(pending);
  }
  t.diagnostic(restarts.join('; '));

  // Zero failed requests.
  const failed = sent.filter((record) => record.status !== 202);
  assert.deepEqual(failed, [], `${failed.length} of ${sent.length} POST /execute did not get 202`);
  assert.ok(sent.length >= 100, `a steady load ran during the restarts (${sent.length} requests)`);
  const ids = sent.map((record) => record.jobId as string);
  assert.equal(new Set(ids).size, ids.length, 'one job per request');

  // Zero lost jobs: every accepted job succeeds, and the downstream saw its Idempotency-Key.
  const deadline = Date.now() + 60_000;
  let rows: { id: string; status: string }[] = [];
  for (;;) {
    rows = await sql<{ id: string; status: string }>(env.DATABASE_URL, 'SELECT id, status FROM jobs WHERE id = ANY($1::uuid[])', [ids]);
    const open = rows.filter((row) => !['succeeded', 'failed', 'cancelled', 'timed_out'].includes(row.status));
    if ((rows.length === ids.length && open.length === 0) || Date.now() > deadline) break;
    await delay(500);
  }
  assert.equal(rows.length, ids.length, 'every accepted job is recorded');
  const notSucceeded = rows.filter((row) => row.status !== 'succeeded');
  assert.deepEqual(notSucceeded, [], `${notSucceeded.length} of ${ids.length} jobs did not succeed`);
  const seen = new Set(downstream.callsTo('/work').map((call) => String(call.headers['idempotency-key']).split(':')[0]));
  const unseen = ids.filter((id) => !seen.has(id));
  assert.deepEqual(unseen, [], 'the downstream saw every job');
  for (const id of [ids[0], ids[ids.length - 1]]) {
    const job = await http('GET', `${env.EXEC_URL}/jobs/${id}`);
    assert.equal(job.body.status, 'succeeded');
  }
  // The proxy routes on readiness: each api answered 503 on /health/ready while it drained (instead
  // of just vanishing), and the proxy passed on whatever reached an api that no longer accepted.
  const proxyLog = readFileSync(env.PROXY_LOG, 'utf8');
  for (const api of ['api-1', 'api-2']) assert.match(proxyLog, new RegExp(`health ${api} not ready \\(HTTP 503\\)`), `${api} reported not-ready while draining`);
  const failedOver = proxyLog.split('\n').filter((line) => line.includes('POST /execute') && / via [^ ]+,/.test(line)).length;
  t.diagnostic(
    `${sent.length} requests (${sent.filter((r) => r.withKey).length} with Idempotency-Key, ${failedOver} passed on to the other api by the proxy), ` +
      `${ids.length} jobs succeeded, ${downstream.callsTo('/work').length} downstream calls`,
  );
  passed = true;
});
