import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { Downstream, json } from '../support/downstream';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { http, TestPlatform } from '../support/platform';

const SERVER = 2;
const CLIENT = 3;

describe('observability: one trace per execution, exported over OTLP', () => {
  const downstream = new Downstream();
  const receiver = new OtlpReceiver();
  let platform: TestPlatform;
  let connector: { id: string; name: string };

  beforeAll(async () => {
    await Promise.all([downstream.start(), receiver.start()]);
    // A short batch delay so spans arrive while the test waits; the api keeps the default service name.
    platform = new TestPlatform({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' });
    await platform.start({ workers: 0 });
    await platform.startWorker({ OTEL_SERVICE_NAME: 'traced-worker' });
    connector = await platform.createConnector(downstream.url, { charge: { method: 'POST', path: '/charges', successStatuses: [201] }, slow: { method: 'POST', path: '/slow' } });
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

    const outbound = await receiver.waitFor(traceId, (span) => span.kind === CLIENT && span.service === 'traced-worker');
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
    const read = await http('GET', `${platform.exec}/jobs/${job.id}`);
    expect(read.body.traceId).toBe(traceId);
    // The worker's log lines about the attempt name the trace.
    const worker = platform.workers[0].output.split('\n').filter((line) => line.includes(job.id) && line.includes(traceId));
    expect(worker.length).toBeGreaterThan(0);
  });

  test('a job whose worker is killed mid-job continues the same trace on the next worker', async () => {
    // First call fails (retryable), the worker dies, the retry runs on a fresh worker.
    downstream.on('/slow', (_call, response, index) => (index === 0 ? json(response, 503, {}) : json(response, 200, { ok: true })));
    const accepted = await platform.execute({ connector: connector.name, operation: 'slow', input: {} });
    const traceId: string = accepted.body.traceId;
    await receiver.waitFor(traceId, (span) => span.kind === CLIENT);
    await platform.workers[0].stop('SIGKILL');
    await delay(200);
    await platform.startWorker({ OTEL_SERVICE_NAME: 'traced-worker' });

    const job = await platform.waitForJob(accepted.body.id);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2, traceId });
    expect(traceparentOf('/slow', 1)).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const second = await receiver.waitFor(traceId, (span) => span.kind === CLIENT && span.attributes['http.response.status_code'] === 200);
    expect(traceparentOf('/slow', 1)).toBe(`00-${traceId}-${second.spanId}-01`);
  });
});
