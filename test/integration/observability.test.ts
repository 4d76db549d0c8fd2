import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Stripe from 'stripe';
import { Downstream, json } from '../support/downstream';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { http, TestPlatform } from '../support/platform';
import { ROOT } from '../support/paths';
import { freePort } from '../support/processes';
import { Scrape } from '../support/prometheus';

const SERVER = 2;
const CLIENT = 3;
/** The connector call: an HTTP client span (Postgres and Redis client spans share the kind). */
const isOutbound = (span: ReceivedSpan) => span.kind === CLIENT && span.attributes['http.request.method'] !== undefined;

describe('observability: one trace per execution, exported over OTLP', () => {
  const downstream = new Downstream();
  const receiver = new OtlpReceiver();
  let platform: TestPlatform;
  let connector: { id: string; name: string };
  let apiMetrics = '';
  let workerMetrics = '';

  /** A worker with its /metrics (and the Temporal SDK's exporter behind it) on known ports; debug logs, the SDK's workflow and activity lines included. */
  async function startWorker() {
    const [health, sdk] = [await freePort(), await freePort()];
    workerMetrics = `http://127.0.0.1:${health}/metrics`;
    return platform.startWorker({ OTEL_SERVICE_NAME: 'traced-worker', LOG_LEVEL: 'debug', WORKER_HEALTH_PORT: String(health), WORKER_SDK_METRICS_PORT: String(sdk) });
  }

  beforeAll(async () => {
    await Promise.all([downstream.start(), receiver.start()]);
    // A short batch delay so spans arrive while the test waits; the api keeps the default service name.
    const apiMetricsPort = await freePort();
    apiMetrics = `http://127.0.0.1:${apiMetricsPort}/metrics`;
    platform = new TestPlatform({ ORCH_SECRETS_KEY: randomBytes(32).toString('base64'), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100', API_METRICS_PORT: String(apiMetricsPort) });
    await platform.start({ workers: 0 });
    await startWorker();
    connector = await platform.createConnector(downstream.url, {
      charge: { method: 'POST', path: '/charges', successStatuses: [201] },
      slow: { method: 'POST', path: '/slow' },
      flaky: { method: 'POST', path: '/flaky', successStatuses: [201] },
    });
  });
  afterAll(async () => {
    await platform?.stop();
    await Promise.all([downstream.stop(), receiver.stop()]);
  });

  const traceparentOf = (path: string, index = 0) => String(downstream.callsTo(path)[index]?.headers.traceparent ?? '');

  test('POST /execute → api span → workflow start → workflow → attempt activity → outbound HTTP, parent-linked, traceparent sent', async () => {
    downstream.on('/charges', (_call, response) => json(response, 201, { ok: true }));
    const accepted = await platform.execute({ connector: connector.name, operation: 'charge', input: {} });
    expect(accepted.status).toBe(202);
    const traceId: string = accepted.body.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const job = await platform.waitForJob(accepted.body.id);
    expect(job.status).toBe('succeeded');
    expect(job.traceId).toBe(traceId);

    const outbound = await receiver.waitFor(traceId, (span) => isOutbound(span) && span.service === 'traced-worker');
    const server = await receiver.waitFor(traceId, (span) => span.name === 'POST /execute');
    const start = await receiver.waitFor(traceId, (span) => span.name === 'StartWorkflow:executeJob');
    const run = await receiver.waitFor(traceId, (span) => span.name === 'RunWorkflow:executeJob');
    const schedule = await receiver.waitFor(traceId, (span) => span.name === 'StartActivity:runAttempt');
    const attempt = await receiver.waitFor(traceId, (span) => span.name === 'RunActivity:runAttempt');

    expect(server).toMatchObject({ service: 'orchestrator-api', kind: SERVER, parentSpanId: '' });
    expect(server.attributes).toMatchObject({ 'http.route': '/execute', 'http.response.status_code': 202, 'orchestrator.plane': 'exec', 'orchestrator.tenant_id': 'dev' });
    const parentOf = (span: ReceivedSpan) => span.parentSpanId;
    expect(parentOf(start)).toBe(server.spanId);
    expect(parentOf(run)).toBe(start.spanId);
    expect(parentOf(schedule)).toBe(run.spanId);
    expect(parentOf(attempt)).toBe(schedule.spanId);
    expect(parentOf(outbound)).toBe(attempt.spanId);
    expect([run.service, attempt.service]).toStrictEqual(['traced-worker', 'traced-worker']);
    expect(outbound.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 201, 'url.full': `${downstream.url}/charges` });
    // Exactly one trace per execution: every span of this job's workflow is in it.
    expect(new Set(receiver.spans.filter((span) => span.name.endsWith(':executeJob') && span.traceId === traceId).map((span) => span.name))).toStrictEqual(new Set(['StartWorkflow:executeJob', 'RunWorkflow:executeJob']));

    // The downstream got the outbound span's context.
    expect(traceparentOf('/charges')).toBe(`00-${traceId}-${outbound.spanId}-01`);
    // Postgres queries and Redis commands inside the trace are its client spans: the api's accept
    // writes the job row, the worker's attempt asks Redis for its permit.
    const accept = await receiver.waitFor(traceId, (span) => span.service === 'orchestrator-api' && span.kind === CLIENT && span.name.startsWith('pg.query'));
    const permit = await receiver.waitFor(traceId, (span) => span.service === 'traced-worker' && span.kind === CLIENT && span.attributes['db.system'] === 'redis');
    expect([accept.attributes['db.system'], permit.attributes['db.system']]).toStrictEqual(['postgresql', 'redis']);
    const read = await http('GET', `${platform.exec}/jobs/${job.id}`);
    expect(read.body.traceId).toBe(traceId);
    // The worker's log lines about the attempt name the trace.
    const worker = platform.workers[0].output.split('\n').filter((line) => line.includes(job.id) && line.includes(traceId));
    expect(worker.length).toBeGreaterThan(0);
  });

  test('a Stripe webhook delivery starts the trace of the job it routes: ingress server span → workflow → attempt → outbound HTTP', async () => {
    downstream.on('/fulfil', (_call, response) => json(response, 200, { fulfilled: true }));
    const signingSecret = `whsec_${randomBytes(24).toString('base64url')}`;
    const secret = await http('POST', `${platform.control}/secret-refs`, { json: { name: `whsec-${randomBytes(4).toString('hex')}`, provider: 'local', value: signingSecret } });
    expect(secret.status).toBe(201);
    const target = await platform.createConnector(downstream.url, { fulfil: { method: 'POST', path: '/fulfil' } });
    const stripe = await http('POST', `${platform.control}/connectors`, {
      json: { name: `stripe-${randomBytes(4).toString('hex')}`, type: 'stripe', signingSecretRef: secret.body.name, routes: { 'invoice.paid': { connector: target.name, operation: 'fulfil' } } },
    });
    expect(stripe.status).toBe(201);
    const id = `evt_${randomBytes(12).toString('hex')}`;
    const payload = JSON.stringify({ id, object: 'event', api_version: '2024-06-20', created: Math.floor(Date.now() / 1000), type: 'invoice.paid', data: { object: { id: 'in_1', object: 'invoice' } } }, null, 2);
    const delivered = await http('POST', `${platform.exec}/webhooks/${stripe.body.id}`, {
      raw: payload,
      contentType: 'application/json; charset=utf-8',
      headers: { 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: signingSecret }) },
    });
    expect(delivered.status).toBe(200);
    expect(delivered.body.status).toBe('routed');
    const job = await platform.waitForJob(delivered.body.jobId);
    expect(job.status).toBe('succeeded');
    const traceId: string = job.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    const outbound = await receiver.waitFor(traceId, (span) => isOutbound(span) && span.service === 'traced-worker');
    const ingress = await receiver.waitFor(traceId, (span) => span.name === 'POST /webhooks/:connectorId');
    const start = await receiver.waitFor(traceId, (span) => span.name === 'StartWorkflow:executeJob');
    const run = await receiver.waitFor(traceId, (span) => span.name === 'RunWorkflow:executeJob');
    const attempt = await receiver.waitFor(traceId, (span) => span.name === 'RunActivity:runAttempt');
    // The ingress span is the root: the delivery carried no traceparent, and the trace is the job's.
    expect(ingress).toMatchObject({ service: 'orchestrator-api', kind: SERVER, parentSpanId: '' });
    expect(ingress.attributes).toMatchObject({ 'http.route': '/webhooks/:connectorId', 'http.response.status_code': 200, 'orchestrator.plane': 'exec', 'orchestrator.tenant_id': 'dev' });
    expect(receiver.trace(traceId).filter((span) => span.parentSpanId === '').map((span) => span.spanId)).toStrictEqual([ingress.spanId]);
    expect(start.parentSpanId).toBe(ingress.spanId);
    expect(run.parentSpanId).toBe(start.spanId);
    expect(attempt.service).toBe('traced-worker');
    expect(traceparentOf('/fulfil')).toBe(`00-${traceId}-${outbound.spanId}-01`);
  });

  test('a job whose worker is killed mid-job continues the same trace on the next worker', async () => {
    // First call fails (retryable), the worker dies, the retry runs on a fresh worker.
    downstream.on('/slow', (_call, response, index) => (index === 0 ? json(response, 503, {}) : json(response, 200, { ok: true })));
    const accepted = await platform.execute({ connector: connector.name, operation: 'slow', input: {} });
    const traceId: string = accepted.body.traceId;
    await receiver.waitFor(traceId, isOutbound);
    await platform.workers[0].stop('SIGKILL');
    await delay(200);
    await startWorker();

    const job = await platform.waitForJob(accepted.body.id);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2, traceId });
    expect(traceparentOf('/slow', 1)).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const second = await receiver.waitFor(traceId, (span) => isOutbound(span) && span.attributes['http.response.status_code'] === 200);
    expect(traceparentOf('/slow', 1)).toBe(`00-${traceId}-${second.spanId}-01`);
  });

  test('every worker log line about a job — workflow, activity, ours and the SDK\'s — names its traceId, tenantId, jobId and workflowId', async () => {
    downstream.on('/retried', (_call, response, index) => json(response, index === 0 ? 503 : 201, {}));
    const retried = await platform.createConnector(downstream.url, { retried: { method: 'POST', path: '/retried', successStatuses: [201] } });
    const worker = platform.workers.at(-1)!;
    const from = worker.output.length;
    const accepted = await platform.execute({ connector: retried.name, operation: 'retried', input: {} });
    const job = await platform.waitForJob(accepted.body.id);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
    await delay(500); // the SDK's last lines (activity and workflow completed) follow the job's end
    const lines = worker.output
      .slice(from)
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => JSON.stringify(line).includes(job.id) || JSON.stringify(line).includes(job.workflowId));
    // The api's request lines about the job name it too: the accept (in the job's own trace) and every
    // read of it (each read a trace of its own).
    const api = platform.api.output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.jobId === job.id);
    const accept = api.find((line) => line.msg === 'POST /execute 202');
    expect([accept?.tenantId, accept?.workflowId, accept?.traceId]).toStrictEqual(['dev', job.workflowId, job.traceId]);
    const reads = api.filter((line) => line.msg === `GET /jobs/${job.id} 200`);
    expect(reads.length).toBeGreaterThan(0);
    for (const line of reads) expect([line.tenantId, line.workflowId, typeof line.traceId]).toStrictEqual(['dev', job.workflowId, 'string']);
    const messages = new Set(lines.map((line) => line.msg));
    for (const message of ['Workflow started', 'Workflow completed', 'attempt failed', 'attempt succeeded', 'Activity completed']) expect(messages).toContain(message);
    // The SDK writes "Activity started" before any interceptor runs: it has the SDK's ids (workflowId) only.
    const named = lines.filter((line) => line.msg !== 'Activity started');
    expect(named.length).toBeGreaterThan(5);
    for (const line of named) {
      expect({ msg: line.msg, traceId: line.traceId, tenantId: line.tenantId, jobId: line.jobId, workflowId: line.workflowId }).toStrictEqual({
        msg: line.msg,
        traceId: job.traceId,
        tenantId: 'dev',
        jobId: job.id,
        workflowId: job.workflowId,
      });
    }
  });

  test('both /metrics: exact deltas after successes, a retried failure, a rate-limited wait and an operator opening and closing the breaker; temporal_* on the worker', async () => {
    downstream.on('/charges', (_call, response) => json(response, 201, { ok: true }));
    downstream.on('/flaky', (_call, response, index) => json(response, index === 0 ? 503 : 201, {}));
    downstream.on('/rated', (_call, response) => json(response, 200, {}));
    // burst 1 lets two calls through at once, then one a second: of three jobs sent together, one waits, once.
    const rated = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/rated' } }, { policyId: (await platform.createPolicy({ rateLimit: { permitsPerSecond: 1, burst: 1 } })).id });
    const [api0, worker0] = [await Scrape.of(apiMetrics), await Scrape.of(workerMetrics)];

    const ids: string[] = [];
    for (const operation of ['charge', 'charge', 'flaky']) ids.push((await platform.execute({ connector: connector.name, operation, input: {} })).body.id);
    const ratedIds = await Promise.all([1, 2, 3].map(async () => (await platform.execute({ connector: rated.name, operation: 'call', input: {} })).body.id as string));
    for (const id of [...ids, ...ratedIds]) expect((await platform.waitForJob(id)).status).toBe('succeeded');
    const breaker = (action: string) => http('POST', `${platform.control}/connectors/${connector.id}/breaker`, { json: { action } });
    expect((await breaker('open')).status).toBe(200);
    const opened = await Scrape.of(apiMetrics);
    expect((await breaker('reset')).status).toBe(200);

    const [api1, worker1] = [await Scrape.of(apiMetrics), await Scrape.of(workerMetrics)];
    const c = { connector: connector.id };
    expect(api1.delta(api0, 'http_server_request_duration_seconds_count', { route: '/execute', plane: 'exec', method: 'POST', status: '202' })).toBe(6);
    expect(api1.delta(api0, 'http_server_request_duration_seconds_count', { route: '/connectors/:id/breaker', plane: 'control', method: 'POST', status: '200' })).toBe(2);
    expect(api1.delta(api0, 'orchestrator_jobs_accepted_total', c)).toBe(3);
    expect(api1.delta(api0, 'orchestrator_breaker_transitions_total', { ...c, transition: 'opened', trigger: 'operator' })).toBe(1);
    expect(api1.delta(api0, 'orchestrator_breaker_transitions_total', { ...c, transition: 'closed', trigger: 'operator' })).toBe(1);
    expect([opened.value('orchestrator_breaker_state', { ...c, state: 'open' }), opened.value('orchestrator_breaker_state', { ...c, state: 'closed' })]).toStrictEqual([1, 0]);
    expect([api1.value('orchestrator_breaker_state', { ...c, state: 'open' }), api1.value('orchestrator_breaker_state', { ...c, state: 'closed' })]).toStrictEqual([0, 1]);

    expect(worker1.delta(worker0, 'orchestrator_attempts_total', { ...c, outcome: 'succeeded', error_type: 'none' })).toBe(3);
    expect(worker1.delta(worker0, 'orchestrator_attempts_total', { ...c, outcome: 'failed', error_type: 'HttpError' })).toBe(1);
    expect(worker1.delta(worker0, 'orchestrator_jobs_finished_total', { ...c, status: 'succeeded' })).toBe(3);
    const waits = (await platform.events(`type=job.waiting`)).filter((event) => ratedIds.includes(event.jobId!));
    expect(waits.map((event) => event.data.reason)).toStrictEqual(['rate_limited']);
    expect(worker1.delta(worker0, 'orchestrator_permit_denials_total', { connector: rated.id, reason: 'rate_limited' })).toBe(1);
    expect(worker1.delta(worker0, 'orchestrator_attempts_total', { connector: rated.id, outcome: 'succeeded', error_type: 'none' })).toBe(3);
    expect(worker1.delta(worker0, 'orchestrator_job_duration_seconds_count', { ...c, status: 'succeeded' })).toBe(3);
    // The SDK's own series, with the millisecond buckets we set (its defaults start at 100 ms).
    expect([...worker1.names()].filter((name) => name.startsWith('temporal_')).length).toBeGreaterThan(5);
    expect(worker1.text).toMatch(/^temporal_activity_execution_latency_bucket\{.*le="1"\}/m);
  });

  test('api /metrics: leases in flight per connector and backlog per task queue, read from Redis and Postgres at scrape time', async () => {
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    downstream.on('/held', async (_call, response) => {
      await released;
      json(response, 200, {});
    });
    const limited = await platform.createConnector(downstream.url, { hold: { method: 'POST', path: '/held' } }, { policyId: (await platform.createPolicy({ concurrency: { maxInFlight: 2 } })).id });
    const lease = (scrape: Scrape) => scrape.value('orchestrator_leases_in_flight', { connector: limited.id });
    expect(lease(await Scrape.of(apiMetrics))).toBe(0);

    const held = (await platform.execute({ connector: limited.name, operation: 'hold', input: {} })).body.id as string;
    for (let deadline = Date.now() + 20_000; downstream.callsTo('/held').length === 0; await delay(50)) if (Date.now() > deadline) throw new Error('the held call never arrived');
    const during = await Scrape.of(apiMetrics);
    expect(lease(during)).toBe(1);
    expect(during.value('orchestrator_jobs_backlog', { task_queue: platform.taskQueue, status: 'running' })).toBe(1);
    release();
    expect((await platform.waitForJob(held)).status).toBe('succeeded');
    const after = await Scrape.of(apiMetrics);
    expect(lease(after)).toBe(0);
    expect(['queued', 'running', 'waiting'].map((status) => after.value('orchestrator_jobs_backlog', { task_queue: platform.taskQueue, status }))).toStrictEqual([0, 0, 0]);
    // Declared even at 0 (the series exists, so an alert can compare it over time).
    expect(after.text).toMatch(new RegExp(`^orchestrator_jobs_backlog\\{task_queue="${platform.taskQueue}",status="queued"\\} 0$`, 'm'));

    // A task queue no worker polls: its jobs stay queued, and the backlog counts them.
    const unpolled = `${platform.taskQueue}-unpolled`;
    const stranded = await platform.createConnector(downstream.url, { charge: { method: 'POST', path: '/charges', successStatuses: [201] } }, { taskQueue: unpolled });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await platform.execute({ connector: stranded.name, operation: 'charge', input: {} })).body.id as string);
    const backlog = await Scrape.of(apiMetrics);
    expect(['queued', 'running', 'waiting'].map((status) => backlog.value('orchestrator_jobs_backlog', { task_queue: unpolled, status }))).toStrictEqual([3, 0, 0]);
    // Cleanup on the shared Temporal: nothing will ever poll that queue.
    for (const id of ids) await http('POST', `${platform.exec}/jobs/${id}/cancel`);
  });

  test('every panel of the shipped Grafana dashboard queries metrics that api or worker export', async () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'orchestrator.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const exported = new Set([...(await Scrape.of(apiMetrics)).names(), ...(await Scrape.of(workerMetrics)).names()]);
    expect(dashboard.panels.length).toBeGreaterThan(10);
    for (const panel of dashboard.panels) {
      // The dashboard writes every metric with a selector (`name{…}`), so the names are found exactly.
      const names = panel.targets.flatMap(({ expr }) => [...expr.matchAll(/([a-zA-Z_:][\w:]*)\{/g)].map(([, name]) => name));
      expect({ panel: panel.title, names: names.length > 0 }).toStrictEqual({ panel: panel.title, names: true });
      for (const name of names) expect({ panel: panel.title, name, exported: exported.has(name) }).toStrictEqual({ panel: panel.title, name, exported: true });
    }
  });
});
