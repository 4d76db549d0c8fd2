import { describe, expect, test } from '@jest/globals';
import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { isTerminal } from '../../domain/job';
import { Downstream, json, type RecordedCall } from '../support/downstream';
import { OwnPostgres, OwnRedis, OwnService, OwnTemporal } from '../support/own-services';
import { TestPlatform } from '../support/platform';
import { sql } from '../support/services';

/**
 * Chaos runs (issue 15): a steady trickle of POST /execute while one dependency — Temporal,
 * Postgres, Redis — is restarted for real (the process stopped and started again, on the same port
 * and state). Each run prints one summary line; the assertions are SPEC §3.1, §3.9 and §4.
 */
const REQUESTS = 120;
const EVERY_MS = 125; // 8 requests/s for 15 s
const FAULT_AT_MS = 4_000;
const DOWN_MS = 3_000;
const CALL_MS = 300;
const MAX_IN_FLIGHT = 4;
const DRAIN_MS = 90_000;
const PATH = '/chaos';

interface Reply {
  seq: number;
  status: number | 'no answer';
  code?: string;
  retryAfter?: string | null;
  jobId?: string;
}

/** The downstream's calls and, per call, whether it answered it (false: the caller left mid-call). */
function recordingDownstream() {
  const downstream = new Downstream();
  const answered = new Map<RecordedCall, boolean>();
  downstream.on(PATH, async (call, response: ServerResponse) => {
    answered.set(call, false);
    await delay(CALL_MS);
    if (response.destroyed) return;
    json(response, 200, { ok: true });
    answered.set(call, true);
  });
  return { downstream, answered };
}

/**
 * One chaos run: starts `service` and a platform on it, trickles REQUESTS executions, restarts the
 * service mid-run, waits for every accepted job to end, and returns the counts it asserts on.
 */
async function chaosRun(name: string, service: OwnService, pointAt: (service: OwnService) => { overrides: Record<string, string>; postgres?: string }) {
  const { downstream, answered } = recordingDownstream();
  let platform: TestPlatform | undefined;
  try {
    await downstream.start();
    await service.start();
    const { overrides, postgres } = pointAt(service);
    platform = new TestPlatform(overrides, { postgres });
    await platform.start({ workers: 1 });
    // Limits held in Redis (a concurrency lease per call) that wait while Redis is away, so that the
    // Redis run takes them away mid-call; the api's tenant rate limit is in Redis too (fails open).
    const policy = await platform.createPolicy({ concurrency: { maxInFlight: MAX_IN_FLIGHT }, onRedisUnavailable: 'fail_closed' });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: PATH } }, { policyId: policy.id });

    const replies: Promise<Reply>[] = [];
    const startedAt = Date.now();
    const outage = { from: 0, to: 0 };
    const fault = (async () => {
      await delay(FAULT_AT_MS);
      outage.from = Date.now() - startedAt;
      await service.stop();
      await delay(DOWN_MS);
      await service.start();
      outage.to = Date.now() - startedAt;
    })();
    for (let seq = 0; seq < REQUESTS; seq++) {
      replies.push(
        platform
          .execute({ connector: connector.name, operation: 'call', input: { run: name, seq } })
          .then((reply): Reply => ({ seq, status: reply.status, code: reply.body?.code, retryAfter: reply.headers.get('retry-after'), jobId: reply.body?.id }))
          .catch((): Reply => ({ seq, status: 'no answer' })),
      );
      await delay(startedAt + (seq + 1) * EVERY_MS - Date.now());
    }
    await fault;
    const answers = await Promise.all(replies);

    const accepted = answers.filter((reply) => reply.status === 202);
    const rejected = answers.filter((reply) => reply.status === 503);
    const other = answers.filter((reply) => reply.status !== 202 && reply.status !== 503);
    const ids = accepted.map((reply) => reply.jobId!);

    // Every 202 ends: read from the job table, which the worker writes.
    type Row = { id: string; status: string; attempts: number; input: { seq: number } };
    let jobs: Row[] = [];
    for (const deadline = Date.now() + DRAIN_MS; ; await delay(500)) {
      jobs = await sql<Row>(platform.databaseUrl, 'SELECT id, status, attempts, input FROM jobs').catch(() => jobs);
      const done = jobs.filter((job) => ids.includes(job.id) && isTerminal(job.status as never));
      if (done.length === ids.length || Date.now() > deadline) break;
    }
    const terminal = jobs.filter((job) => ids.includes(job.id) && isTerminal(job.status as never));
    const statuses = tally(terminal.map((job) => job.status));
    // Jobs nobody was told were accepted: a refused request whose workflow had started anyway.
    const unannounced = jobs.filter((job) => !ids.includes(job.id));

    // Each accepted job has its one `job.accepted` event, the api's or (the row lost with the commit) the worker's.
    const acceptedEvents = await sql<{ jobId: string; n: number; recovered: number }>(
      platform.databaseUrl,
      `SELECT job_id AS "jobId", count(*)::int AS n, count(*) FILTER (WHERE data->>'recoveredBy' = 'worker')::int AS recovered FROM events WHERE type = 'job.accepted' GROUP BY job_id`,
    );
    const recordedByWorker = acceptedEvents.filter((row) => ids.includes(row.jobId) && row.recovered > 0).length;
    const acceptedEventMismatch = ids.filter((id) => acceptedEvents.find((row) => row.jobId === id)?.n !== 1).length;

    // Where the fault reached the worker: jobs that waited (limiter_unavailable while Redis was away).
    const waits = await sql<{ reason: string; n: number }>(platform.databaseUrl, `SELECT data->>'reason' AS reason, count(*)::int AS n FROM events WHERE type = 'job.waiting' GROUP BY 1`);

    // The downstream's view: calls per outbound Idempotency-Key (job, step).
    const byKey = new Map<string, RecordedCall[]>();
    for (const call of downstream.callsTo(PATH)) byKey.set(String(call.headers['idempotency-key']), [...(byKey.get(String(call.headers['idempotency-key'])) ?? []), call]);
    const repeated = [...byKey.values()].filter((calls) => calls.length > 1);
    // A key called again after a call the caller left mid-way (a worker died mid-call) is allowed; a second completed call is not.
    const afterLostCall = repeated.filter((calls) => calls.filter((call) => answered.get(call)).length <= 1);
    const duplicates = repeated.length - afterLostCall.length;
    // A request answered anything but 202 must have had no effect.
    const refusedSeqs = new Set([...rejected, ...other].map((reply) => reply.seq));
    const effectsOfRefused = downstream.callsTo(PATH).filter((call) => refusedSeqs.has(JSON.parse(call.body).seq)).length;

    const processesAlive = [platform.api, ...platform.workers].every(({ child }) => child.exitCode === null && child.signalCode === null);
    const summary =
      `chaos ${name}: sent ${REQUESTS}, accepted ${accepted.length}, terminal ${terminal.length} (${formatTally(statuses)}), ` +
      `503s ${rejected.length} (${formatTally(tally(rejected.map((reply) => reply.code ?? '?')))}; Retry-After on ${rejected.filter((reply) => /^\d+$/.test(reply.retryAfter ?? '')).length}), ` +
      `other statuses ${other.length}${other.length ? ` (${formatTally(tally(other.map((reply) => String(reply.status))))})` : ''}, ` +
      `duplicate effects ${duplicates} (+${afterLostCall.length} repeated after a lost call), ` +
      `rows recorded by the worker ${recordedByWorker}, accepted jobs without exactly one job.accepted event ${acceptedEventMismatch}, ` +
      `unannounced jobs ${unannounced.length} (downstream calls for refused requests ${effectsOfRefused}), ` +
      `waits ${formatTally(Object.fromEntries(waits.map((row) => [row.reason, row.n])))}, ` +
      `most calls in flight at once ${downstream.maxInFlight} (limit ${MAX_IN_FLIGHT}), ` +
      `outage ${outage.from}–${outage.to} ms of ${Date.now() - startedAt} ms, processes alive ${processesAlive}\n`;
    process.stdout.write(summary);
    // What the api logged for a status other than 202/503 (an unhandled error's name and message).
    if (other.length) process.stdout.write(`${platform.api.output.split('\n').filter((line) => line.includes('unhandled error')).join('\n')}\n`);
    if (!processesAlive || terminal.length < ids.length) process.stdout.write(`api:\n${platform.api.output.slice(-3000)}\nworker:\n${platform.workers[0].output.slice(-3000)}\n`);

    return { accepted, rejected, other, ids, terminal, duplicates, processesAlive, statuses, unannounced: unannounced.length, effectsOfRefused, acceptedEventMismatch };
  } finally {
    await platform?.stop();
    await downstream.stop();
    await service.dispose();
  }
}

function tally(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

function formatTally(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length ? entries.map(([key, n]) => `${key} ${n}`).join(', ') : 'none';
}

function expectHeld(result: Awaited<ReturnType<typeof chaosRun>>) {
  expect(result.accepted.length).toBeGreaterThan(0);
  // Every rejection is a 503 with Retry-After (whatever dependency it names); nothing else.
  expect(result.other).toStrictEqual([]);
  for (const reply of result.rejected) expect({ seq: reply.seq, retryAfter: reply.retryAfter }).toStrictEqual({ seq: reply.seq, retryAfter: expect.stringMatching(/^\d+$/) });
  // Every 202 ended, and the downstream's load went through: succeeded.
  expect(result.terminal.length).toBe(result.ids.length);
  expect(result.statuses).toStrictEqual({ succeeded: result.ids.length });
  expect(result.duplicates).toBe(0);
  // Nothing half-written: no job ran for a request that was refused.
  expect([result.unannounced, result.effectsOfRefused, result.acceptedEventMismatch]).toStrictEqual([0, 0, 0]);
  expect(result.processesAlive).toBe(true);
}

describe('chaos: a dependency restarted under a steady trickle of executions (SPEC §3.1, §3.9, §4)', () => {
  test('the Temporal server restarted mid-run (SQLite-persisted dev server)', async () => {
    const result = await chaosRun('temporal', new OwnTemporal(), (temporal) => ({ overrides: { TEMPORAL_ADDRESS: temporal.address } }));
    expectHeld(result);
  });

  test('Postgres restarted mid-run (pg_ctl stop -m fast, then start)', async () => {
    const result = await chaosRun('postgres', new OwnPostgres(), (postgres) => ({ overrides: {}, postgres: postgres.address }));
    expectHeld(result);
  });

  test('Redis restarted mid-run (no persistence: it comes back empty)', async () => {
    const result = await chaosRun('redis', new OwnRedis(), (redis) => ({ overrides: { REDIS_URL: redis.address } }));
    expectHeld(result);
  });
});
