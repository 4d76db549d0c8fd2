import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { temporal } from '@temporalio/proto';
import { createHash, randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { PayloadObjectStore } from '../../src/payload-store/object-store';
import { payloadDataConverter } from '../../src/payload-store/temporal-storage';
import { referenceKeys } from '../../src/payload-store/reference-keys';
import { Client, Connection } from '@temporalio/client';
import { setTimeout as delay } from 'node:timers/promises';
import { Downstream } from '../support/downstream';
import { MotoServer } from '../support/moto';
import { freePort, PlatformProcess } from '../support/processes';
import { fetchHistory, replay } from '../support/histories';
import { http, TestPlatform } from '../support/platform';
import { payloadStoreEnv, serviceEnv, sql, uniqueName } from '../support/services';

const THRESHOLD = 128 * 1024;
const MiB = 1024 * 1024;
const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
/** About `bytes` of JSON that does not compress to nothing (random base64). */
const blob = (bytes: number) => randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64').slice(0, bytes);

/** Every Payload in a history (anything shaped { metadata, data }), with its encoded size. */
function payloadsOf(value: unknown, found: { size: number; encoding: string }[] = []): { size: number; encoding: string }[] {
  if (!value || typeof value !== 'object' || ArrayBuffer.isView(value)) return found;
  const candidate = value as { metadata?: Record<string, Uint8Array>; data?: unknown };
  if (candidate.metadata && typeof candidate.metadata === 'object' && (candidate.data === undefined || candidate.data === null || ArrayBuffer.isView(candidate.data))) {
    const encoding = candidate.metadata.encoding ? Buffer.from(candidate.metadata.encoding).toString() : '';
    found.push({ size: temporal.api.common.v1.Payload.encode(candidate as temporal.api.common.v1.IPayload).finish().length, encoding });
    return found;
  }
  for (const item of Array.isArray(value) ? value : Object.values(value)) payloadsOf(item, found);
  return found;
}

describe('large payloads through the S3-compatible store (SPEC §12)', () => {
  const store = payloadStoreEnv();
  const platform = new TestPlatform({ ...store, ORCH_MAX_BODY_BYTES: String(64 * MiB), PAYLOAD_STORE_THRESHOLD_BYTES: String(THRESHOLD), ORCH_SECRETS_KEY: randomBytes(32).toString('base64') });
  const downstream = new Downstream();
  const objects = new PayloadObjectStore({
    endpoint: store.PAYLOAD_STORE_ENDPOINT,
    bucket: store.PAYLOAD_STORE_BUCKET,
    region: store.PAYLOAD_STORE_REGION,
    credentials: { accessKeyId: store.PAYLOAD_STORE_ACCESS_KEY_ID, secretAccessKey: store.PAYLOAD_STORE_SECRET_ACCESS_KEY },
  });
  // The downstream answers 10 MiB of JSON; its exact text is what the job's result must hold.
  const responseText = JSON.stringify({ report: blob(10 * MiB) });
  let connector: { id: string; name: string };

  beforeAll(async () => {
    downstream.on('/big', (_call, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(responseText);
    });
    downstream.on('/small', (_call, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await downstream.start();
    await platform.start();
    connector = await platform.createConnector(downstream.url, { upload: { method: 'POST', path: '/big' }, small: { method: 'POST', path: '/small' } });
  });
  afterAll(async () => {
    await platform.stop();
    await downstream.stop();
    objects.close();
  });

  test('a 10 MiB input and a 10 MiB response: the job succeeds, history holds only references, GET /jobs/:id returns the exact bytes, the history replays', async () => {
    const input = { document: blob(10 * MiB), note: 'large' };
    const inputText = JSON.stringify(input);
    const accepted = await platform.execute({ connector: connector.id, operation: 'upload', input });
    expect(accepted.status).toBe(202);
    const finished = await platform.waitForJob(accepted.body.id, 120_000);
    expect(finished.status).toBe('succeeded');

    // The downstream got the input byte for byte.
    expect(downstream.callsTo('/big')).toHaveLength(1);
    expect(sha256(downstream.callsTo('/big')[0].body)).toBe(sha256(inputText));

    // GET /jobs/:id: the whole input and result, read back from the store.
    const job = await http('GET', `${platform.exec}/jobs/${accepted.body.id}`);
    expect(job.status).toBe(200);
    expect(sha256(JSON.stringify(job.body.input))).toBe(sha256(inputText));
    expect(job.body.result.status).toBe(200);
    expect(sha256(JSON.stringify(job.body.result.body))).toBe(sha256(responseText));
    expect(job.body.result.truncated).toBe(false);
    expect(job.body.payloads.input).toEqual({ size: Buffer.byteLength(inputText), sha256: sha256(inputText) });
    expect(job.body.payloads.result.size).toBeGreaterThan(10 * MiB);
    expect(job.body.links.result).toBe(`/jobs/${accepted.body.id}/result`);

    // GET /jobs/:id/result streams the same result from the store.
    const result = await fetch(`${platform.exec}/jobs/${accepted.body.id}/result`);
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toMatch(/^application\/json/);
    const resultBody = (await result.json()) as { body: unknown };
    expect(sha256(JSON.stringify(resultBody.body))).toBe(sha256(responseText));

    // Postgres holds references, not the bytes; the objects are in the bucket under namespace/tenant.
    const [row] = await sql<{ input: unknown; result: unknown; input_ref: { key: string }; result_ref: { key: string } }>(
      platform.databaseUrl,
      'SELECT input, result, input_payload_ref AS input_ref, result_payload_ref AS result_ref FROM jobs WHERE id = $1',
      [accepted.body.id],
    );
    expect(row.input).toBeNull();
    expect(row.result).toBeNull();
    expect(row.input_ref.key).toBe(`default/dev/${sha256(inputText)}`);
    expect(row.result_ref.key).toMatch(/^default\/dev\/[0-9a-f]{64}$/);
    expect(await objects.exists(row.input_ref.key)).toBe(true);
    expect(await objects.exists(row.result_ref.key)).toBe(true);

    // A list shows where the values are without reading them from the store.
    const list = await http('GET', `${platform.exec}/jobs?limit=5`);
    const listed = list.body.items.find((item: { id: string }) => item.id === accepted.body.id);
    expect(listed.input).toBeNull();
    expect(listed.payloads.input.sha256).toBe(sha256(inputText));

    // Temporal's history: every payload below the threshold, the large ones as references.
    const history = await fetchHistory(finished.workflowId);
    const payloads = payloadsOf(history);
    expect(payloads.length).toBeGreaterThan(3);
    const largest = Math.max(...payloads.map((payload) => payload.size));
    expect(largest).toBeLessThanOrEqual(THRESHOLD);
    expect(payloads.filter((payload) => payload.encoding === 'json/protobuf').length).toBeGreaterThanOrEqual(2);

    // Replays against the current bundle with the platform's data converter (it reads the references back).
    await replay(`replay-${finished.workflowId}`, history, payloadDataConverter(objects, { namespace: 'default', thresholdBytes: THRESHOLD }));
  });

  test('below the threshold nothing goes to the store and the history carries the value inline', async () => {
    const before = (await objects.list('default/dev/')).length;
    const accepted = await platform.execute({ connector: connector.id, operation: 'small', input: { amount: 1200 } });
    const finished = await platform.waitForJob(accepted.body.id);
    expect(finished.status).toBe('succeeded');
    expect(finished.input).toEqual({ amount: 1200 });
    expect(finished.payloads).toEqual({ input: null, result: null });
    expect(finished.links.result).toBeUndefined();
    const payloads = payloadsOf(await fetchHistory(finished.workflowId));
    expect(payloads.every((payload) => payload.encoding !== 'json/protobuf')).toBe(true);
    expect((await objects.list('default/dev/')).length).toBe(before);
  });

  test('a Stripe event above the threshold is archived by reference, routed, and its inbox retry works', async () => {
    const signingSecret = `whsec_${randomBytes(24).toString('base64url')}`;
    const secret = await http('POST', `${platform.control}/secret-refs`, { json: { name: uniqueName('whsec').replace('_', '-'), provider: 'local', value: signingSecret } });
    expect(secret.status).toBe(201);
    const stripe = await http('POST', `${platform.control}/connectors`, {
      json: { name: uniqueName('stripe').replace('_', '-'), type: 'stripe', signingSecretRef: secret.body.name, routes: { 'invoice.paid': { connector: connector.name, operation: 'small' } } },
    });
    expect(stripe.status).toBe(201);
    const id = `evt_${randomBytes(12).toString('hex')}`;
    // Pretty-printed as Stripe sends it: only the exact bytes verify.
    const payload = JSON.stringify({ id, object: 'event', type: 'invoice.paid', created: Math.floor(Date.now() / 1000), data: { object: { id: 'in_1', lines: blob(512 * 1024) } } }, null, 2);
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: signingSecret });
    const delivered = await http('POST', `${platform.exec}/webhooks/${stripe.body.id}`, { raw: payload, contentType: 'application/json', headers: { 'stripe-signature': signature } });
    expect(delivered.status).toBe(200);
    expect(delivered.body.status).toBe('routed');

    const [row] = await sql<{ body_length: number; ref: { key: string; sha256: string; size: number } }>(
      platform.databaseUrl,
      'SELECT length(body) AS body_length, raw_body_payload_ref AS ref FROM webhook_inbox WHERE id = $1',
      [delivered.body.inboxId],
    );
    expect(row.body_length).toBe(0);
    expect(row.ref).toEqual({ key: `default/dev/${sha256(payload)}`, size: Buffer.byteLength(payload), sha256: sha256(payload) });
    // The archived object is the signed body, byte for byte.
    expect(sha256(await objects.get(row.ref.key))).toBe(sha256(payload));

    const first = await platform.waitForJob(delivered.body.jobId);
    expect(first.status).toBe('succeeded');
    expect(first.input.id).toBe(id);

    const inbox = await http('GET', `${platform.control}/webhooks/inbox?eventId=${id}`);
    expect(inbox.body.items[0].body).toBeNull();
    expect(inbox.body.items[0].bodyPayload).toEqual({ size: Buffer.byteLength(payload), sha256: sha256(payload) });

    // The retry reads the body back from the store and starts the event's job again.
    const retried = await http('POST', `${platform.control}/webhooks/inbox/${delivered.body.inboxId}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('routed');
    expect(retried.body.jobId).not.toBe(delivered.body.jobId);
    const second = await platform.waitForJob(retried.body.jobId);
    expect(second.status).toBe('succeeded');
    expect(sha256(JSON.stringify(second.input))).toBe(sha256(JSON.stringify(JSON.parse(payload))));

    // The retention sweep deletes the inbox row and, with it, its object (no other row references it).
    const before = await objects.list('default/dev/');
    expect(before).toContain(row.ref.key);
    await sql(platform.databaseUrl, `UPDATE webhook_inbox SET received_at = now() - interval '31 days' WHERE id = $1`, [delivered.body.inboxId]);
    const connection = await Connection.connect({ address: serviceEnv().TEMPORAL_ADDRESS });
    try {
      await new Client({ connection }).schedule.getHandle(`orchestrator-retention-${platform.taskQueue}`).trigger();
    } finally {
      await connection.close();
    }
    const inboxRows = () => sql(platform.databaseUrl, 'SELECT id FROM webhook_inbox WHERE id = $1', [delivered.body.inboxId]);
    for (const deadline = Date.now() + 30_000; (await inboxRows()).length > 0 && Date.now() < deadline; ) await delay(200);
    expect(await inboxRows()).toHaveLength(0);
    for (const deadline = Date.now() + 10_000; (await objects.exists(row.ref.key)) && Date.now() < deadline; ) await delay(200);
    const after = await objects.list('default/dev/');
    expect(after).not.toContain(row.ref.key);
    expect(after.length).toBe(before.length - 1);
  });

  test('a DLQ replay of a large job re-uses its stored input; the connector secret never reaches the store', async () => {
    const secretValue = `sk_live_${randomBytes(16).toString('hex')}`;
    const secret = await http('POST', `${platform.control}/secret-refs`, { json: { name: uniqueName('token').replace('_', '-'), provider: 'local', value: secretValue } });
    expect(secret.status).toBe(201);
    let accept = false;
    downstream.on('/picky', (_call, response) => {
      response.writeHead(accept ? 200 : 400, { 'content-type': 'application/json' }).end(JSON.stringify({ echoed: blob(256 * 1024) }));
    });
    const picky = await http('POST', `${platform.control}/connectors`, {
      json: { name: uniqueName('picky').replace('_', '-'), type: 'http', baseUrl: downstream.url, allowPrivateNetwork: true, operations: { send: { method: 'POST', path: '/picky' } }, auth: { type: 'bearer', secretRef: secret.body.id } },
    });
    expect(picky.status).toBe(201);
    const input = { document: blob(MiB) };
    const accepted = await platform.execute({ connector: picky.body.id, operation: 'send', input });
    const failed = await platform.waitForJob(accepted.body.id);
    expect(failed.status).toBe('failed'); // a 400 is not retried: the job is in the DLQ

    accept = true;
    const replay = await http('POST', `${platform.control}/dlq/${accepted.body.id}/replay`, { json: {} });
    expect(replay.status).toBe(202);
    const replayed = await platform.waitForJob(replay.body.id);
    expect(replayed.status).toBe('succeeded');
    const calls = downstream.callsTo('/picky');
    expect(calls).toHaveLength(2);
    expect(calls.map((call) => sha256(call.body))).toStrictEqual([sha256(JSON.stringify(input)), sha256(JSON.stringify(input))]);
    expect(calls[1].headers.authorization).toBe(`Bearer ${secretValue}`);
    const refs = await sql<{ key: string }>(platform.databaseUrl, `SELECT input_payload_ref->>'key' AS key FROM jobs WHERE id = ANY($1) ORDER BY created_at`, [[accepted.body.id, replay.body.id]]);
    expect(refs.map((row) => row.key)).toStrictEqual([`default/dev/${sha256(JSON.stringify(input))}`, `default/dev/${sha256(JSON.stringify(input))}`]);

    // Every object in the bucket (Temporal payloads, inputs, results, bodies): none holds the secret.
    const keys = await objects.list('');
    expect(keys.length).toBeGreaterThan(5);
    for (const key of keys) expect((await objects.get(key)).includes(secretValue)).toBe(false);
  });

  test("the retention sweep deletes the objects of a job purged from the DLQ: its input's and those its history references", async () => {
    downstream.on('/refuse', (_call, response) => {
      response.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"no"}');
    });
    const refusing = await platform.createConnector(downstream.url, { send: { method: 'POST', path: '/refuse' } });
    const input = { document: blob(MiB) };
    const accepted = await platform.execute({ connector: refusing.id, operation: 'send', input });
    const failed = await platform.waitForJob(accepted.body.id);
    expect(failed.status).toBe('failed');
    const inputKey = `default/dev/${sha256(JSON.stringify(input))}`;
    const temporalKeys = [...referenceKeys(await fetchHistory(failed.workflowId))];
    expect(temporalKeys.length).toBeGreaterThanOrEqual(2); // the workflow's input and the attempt's
    expect((await http('DELETE', `${platform.control}/dlq/${accepted.body.id}`)).status).toBe(204);

    const before = await objects.list('default/dev/');
    for (const key of [inputKey, ...temporalKeys]) expect(before).toContain(key);
    const connection = await Connection.connect({ address: serviceEnv().TEMPORAL_ADDRESS });
    try {
      await new Client({ connection }).schedule.getHandle(`orchestrator-retention-${platform.taskQueue}`).trigger();
    } finally {
      await connection.close();
    }
    const refs = () => sql<{ ref: unknown }>(platform.databaseUrl, 'SELECT input_payload_ref AS ref FROM jobs WHERE id = $1', [accepted.body.id]);
    for (const deadline = Date.now() + 30_000; (await refs())[0].ref !== null && Date.now() < deadline; ) await delay(200);
    expect((await refs())[0].ref).toBeNull();
    for (const deadline = Date.now() + 10_000; (await objects.exists(inputKey)) && Date.now() < deadline; ) await delay(200);
    const after = await objects.list('default/dev/');
    for (const key of [inputKey, ...temporalKeys]) expect(after).not.toContain(key);
    expect(after.length).toBe(before.length - 1 - temporalKeys.length);
  });

  test('/health/ready includes the store', async () => {
    const ready = await http('GET', `${platform.control}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.info.payloadStore).toEqual({ status: 'up' });
  });
});

describe('the payload store stopped mid-run', () => {
  const moto = new MotoServer();
  let platform: TestPlatform;
  let release: () => void = () => undefined;
  const downstream = new Downstream();
  const responseText = JSON.stringify({ report: blob(512 * 1024) });

  beforeAll(async () => {
    await moto.start();
    platform = new TestPlatform({ ...moto.env(), PAYLOAD_STORE_THRESHOLD_BYTES: String(THRESHOLD) });
    downstream.on('/held', async (_call, response) => {
      await new Promise<void>((resolve) => (release = resolve));
      response.writeHead(200, { 'content-type': 'application/json' }).end(responseText);
    });
    await downstream.start();
    await platform.start();
  });
  afterAll(async () => {
    release();
    await platform.stop();
    await downstream.stop();
    await moto.stop();
  });

  test('a large result cannot be written: the job stays running (never succeeded without it), readiness fails, and it succeeds once the store is back', async () => {
    const connector = await platform.createConnector(downstream.url, { held: { method: 'GET', path: '/held' } });
    const accepted = await platform.execute({ connector: connector.id, operation: 'held' });
    expect(accepted.status).toBe(202);
    for (const deadline = Date.now() + 30_000; downstream.callsTo('/held').length === 0 && Date.now() < deadline; ) await delay(100);
    expect(downstream.callsTo('/held')).toHaveLength(1);

    await moto.stop();
    try {
      release();
      await delay(5_000);
      const during = await http('GET', `${platform.exec}/jobs/${accepted.body.id}`);
      expect(during.body.status).toBe('running');
      expect(during.body.result).toBeNull();
      const ready = await http('GET', `${platform.control}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.checks.payloadStore).toEqual({ status: 'down' });
    } finally {
      await moto.start();
    }
    const finished = await platform.waitForJob(accepted.body.id, 60_000);
    expect(finished.status).toBe('succeeded');
    expect(finished.attempts).toBe(1);
    expect(sha256(JSON.stringify(finished.result.body))).toBe(sha256(responseText));
    // The outcome was kept across the outage: the downstream was not called again.
    expect(downstream.callsTo('/held')).toHaveLength(1);
  });

  test('a bucket missing at start-up stops the process with one line naming it', async () => {
    const env = platform.env({ PAYLOAD_STORE_BUCKET: 'no-such-bucket', CONTROL_PORT: String(await freePort()), EXEC_PORT: String(await freePort()) });
    const api = PlatformProcess.spawn('api', env);
    expect(await api.exited).toBe(78);
    const lines = api.output.split('\n').filter((line) => line.includes('PAYLOAD_STORE_BUCKET'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: PAYLOAD_STORE_BUCKET: payload store \(bucket "no-such-bucket" at http:\/\/127\.0\.0\.1:\d+\): cannot reach the bucket: NotFound \(HTTP 404\)$/);
    expect(api.output).not.toContain('PAYLOAD_STORE_SECRET_ACCESS_KEY=');
  });
});

describe('without a payload store', () => {
  const platform = new TestPlatform({ ORCH_MAX_BODY_BYTES: String(64 * MiB) });
  beforeAll(async () => {
    await platform.start({ workers: 0 });
  });
  afterAll(async () => {
    await platform.stop();
  });

  test('a body above the history-safe limit is 413 PAYLOAD_TOO_LARGE naming PAYLOAD_STORE_ENDPOINT, and nothing is recorded', async () => {
    const reply = await platform.execute({ connector: 'anything', operation: 'op', input: { document: blob(2 * MiB) } });
    expect(reply.status).toBe(413);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(reply.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(reply.body.detail).toContain('PAYLOAD_STORE_ENDPOINT');
    expect(JSON.stringify(reply.body)).not.toMatch(/secret/i);
    expect(await sql(platform.databaseUrl, 'SELECT id FROM jobs')).toHaveLength(0);
    const ready = await http('GET', `${platform.control}/health/ready`);
    expect(ready.body.info.payloadStore).toBeUndefined();
  });
});
