import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Downstream, json, RecordedCall } from '../support/downstream';
import { http, HttpReply, TestPlatform } from '../support/platform';
import { PlatformProcess } from '../support/processes';
import { sql, uniqueName } from '../support/services';

const name = (prefix: string) => uniqueName(prefix).replace('_', '-');
const secretValue = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;

describe('/secret-refs: write-only values resolved in the worker for connector auth', () => {
  const [keyA, keyB] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
  const filesDir = mkdtempSync(join(tmpdir(), 'orch-secrets-'));
  const envVar = `SECRET_TEST_${randomBytes(4).toString('hex').toUpperCase()}`;
  const values = { local: secretValue('local'), env: secretValue('env'), file: secretValue('file'), rejected: secretValue('rejected') };
  const downstream = new Downstream();
  const platform = new TestPlatform({
    ORCH_SECRETS_KEY: keyA,
    ORCH_SECRET_FILES_DIR: filesDir,
    [envVar]: values.env,
    LOG_LEVEL: 'debug',
  });
  /** Every process that ran, and every response the test received: none may contain a secret value. */
  const processes: PlatformProcess[] = [];
  const replies: HttpReply[] = [];
  const call = async (method: string, path: string, body?: unknown, plane: 'control' | 'exec' = 'control') => {
    const reply = await http(method, `${plane === 'control' ? platform.control : platform.exec}${path}`, body === undefined ? {} : { json: body });
    replies.push(reply);
    return reply;
  };
  const runJob = async (connector: string, operation = 'whoami') => {
    const accepted = await call('POST', '/execute', { connector, operation }, 'exec');
    expect(accepted.status).toBe(202);
    const job = await platform.waitForJob(accepted.body.id);
    replies.push(await call('GET', `/jobs/${job.id}`, undefined, 'exec'), await call('GET', `/events?jobId=${job.id}`, undefined, 'exec'));
    return job;
  };
  const connectorWith = async (auth: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const reply = await call('POST', '/connectors', {
      name: name('c'),
      type: 'http',
      baseUrl: downstream.url,
      allowPrivateNetwork: true,
      operations: { whoami: { method: 'GET', path: '/whoami' } },
      auth,
      ...extra,
    });
    expect(reply.status).toBe(201);
    return reply.body as { id: string; name: string };
  };
  let lastCall: RecordedCall | undefined;

  beforeAll(async () => {
    writeFileSync(join(filesDir, 'api-key'), `${values.file}\n`, { mode: 0o600 });
    downstream.on('/whoami', (recorded, response) => {
      lastCall = recorded;
      json(response, 200, { ok: true });
    });
    await downstream.start();
    await platform.start();
    processes.push(platform.api, ...platform.workers);
  });
  afterAll(async () => {
    await platform.stop();
    await downstream.stop();
    rmSync(filesDir, { recursive: true, force: true });
  });

  let local: { id: string; name: string; keyId: string };

  test('a local secret: created without echoing the value, stored encrypted, readable only as metadata', async () => {
    const created = await call('POST', '/secret-refs', { name: name('s'), provider: 'local', value: values.local });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toStrictEqual(['createdAt', 'id', 'keyId', 'name', 'provider', 'updatedAt']);
    local = created.body;
    expect(local.keyId).toMatch(/^[0-9a-f]{16}$/);
    await call('GET', '/secret-refs');
    await call('GET', `/secret-refs/${local.id}`);
    await call('GET', `/secret-refs/${local.name}`);

    const [row] = await sql<{ ciphertext: Buffer; reference: string | null }>(platform.databaseUrl, 'SELECT ciphertext, reference FROM secret_refs WHERE id = $1', [local.id]);
    expect(row.reference).toBe(null);
    expect(row.ciphertext.includes(Buffer.from(values.local))).toBe(false); // the value is encrypted at rest
  });

  test('bearer auth from the local secret reaches the downstream, and nothing else shows it', async () => {
    const connector = await connectorWith({ type: 'bearer', secretRef: local.name });
    const job = await runJob(connector.id);
    expect(job.status).toBe('succeeded');
    expect(lastCall?.headers.authorization).toBe(`Bearer ${values.local}`);
  });

  test('basic auth from an env secret (the worker environment)', async () => {
    const ref = await call('POST', '/secret-refs', { name: name('s'), provider: 'env', envVar });
    expect(ref.status).toBe(201);
    expect(ref.body.envVar).toBe(envVar);
    const connector = await connectorWith({ type: 'basic', secretRef: ref.body.id, username: 'svc' });
    const job = await runJob(connector.name);
    expect(job.status).toBe('succeeded');
    expect(lastCall?.headers.authorization).toBe(`Basic ${Buffer.from(`svc:${values.env}`).toString('base64')}`);
  });

  test('custom-header auth from a file secret (a mounted secret; the trailing newline is not part of it)', async () => {
    const ref = await call('POST', '/secret-refs', { name: name('s'), provider: 'file', path: join(filesDir, 'api-key') });
    expect(ref.status).toBe(201);
    const connector = await connectorWith({ type: 'header', secretRef: ref.body.name, headerName: 'X-Api-Key' });
    const job = await runJob(connector.id);
    expect(job.status).toBe('succeeded');
    expect(lastCall?.headers['x-api-key']).toBe(values.file);
  });

  test('a secret with no value where it is resolved fails the job at once as a configuration error, calling nothing', async () => {
    const ref = await call('POST', '/secret-refs', { name: name('s'), provider: 'env', envVar: 'SECRET_NOT_SET_ANYWHERE' });
    const connector = await connectorWith({ type: 'bearer', secretRef: ref.body.id });
    const before = downstream.calls.length;
    const job = await runJob(connector.id);
    expect(job.status).toBe('failed');
    expect(job.attempts).toBe(1);
    expect(job.error.type).toBe('ConfigurationError');
    expect(job.error.retryable).toBe(false);
    expect(job.error.message).toMatch(/SECRET_NOT_SET_ANYWHERE is not set/);
    expect(downstream.calls.length).toBe(before);
  });

  describe('bad secret refs are 400 naming the field, and never echo the value', () => {
    const cases: [string, () => Record<string, unknown>, string][] = [
      ['an unknown provider', () => ({ name: name('s'), provider: 'vault', value: values.rejected }), 'provider'],
      ['local without a value', () => ({ name: name('s'), provider: 'local' }), 'value'],
      ['a value for an env ref', () => ({ name: name('s'), provider: 'env', envVar: 'SECRET_X', value: values.rejected }), 'value'],
      ['an env var outside the SECRET_ prefix', () => ({ name: name('s'), provider: 'env', envVar: 'DATABASE_URL' }), 'envVar'],
      ['a file outside ORCH_SECRET_FILES_DIR', () => ({ name: name('s'), provider: 'file', path: '/proc/self/environ' }), 'path'],
      ['a file path escaping with ..', () => ({ name: name('s'), provider: 'file', path: `${filesDir}/../../etc/passwd` }), 'path'],
      ['a value that is not a string', () => ({ name: name('s'), provider: 'local', value: 12345 }), 'value'],
      ['a bad name', () => ({ name: 'Bad Name', provider: 'local', value: values.rejected }), 'name'],
    ];
    for (const [label, body, field] of cases) {
      test(label, async () => {
        const [before] = await sql(platform.databaseUrl, 'SELECT count(*)::int AS n FROM secret_refs');
        const reply = await call('POST', '/secret-refs', body());
        expect(reply.status).toBe(400);
        expect(reply.body.errors.some((error: { field: string }) => error.field === field)).toBeTruthy();
        expect(await sql(platform.databaseUrl, 'SELECT count(*)::int AS n FROM secret_refs')).toStrictEqual([before]);
      });
    }

    test('a taken name is 409', async () => {
      const reply = await call('POST', '/secret-refs', { name: local.name, provider: 'local', value: values.rejected });
      expect(reply.status).toBe(409);
      expect(reply.body.code).toBe('SECRET_REF_NAME_TAKEN');
    });
  });

  test('delete: 409 while a connector uses the ref, then 204 and 404', async () => {
    const ref = await call('POST', '/secret-refs', { name: name('s'), provider: 'local', value: values.rejected });
    const connector = await connectorWith({ type: 'bearer', secretRef: ref.body.id });
    expect((await call('DELETE', `/secret-refs/${ref.body.id}`)).status).toBe(409);
    expect((await call('PATCH', `/connectors/${connector.id}`, { auth: { type: 'none' } })).status).toBe(200);
    expect((await call('DELETE', `/secret-refs/${ref.body.id}`)).status).toBe(204);
    expect((await call('GET', `/secret-refs/${ref.body.id}`)).status).toBe(404);
  });

  test('key rotation: the api re-seals local values under the new key; workers with only the new key use them', async () => {
    const connector = await connectorWith({ type: 'bearer', secretRef: local.id });
    const oldKeyId = local.keyId;

    // Roll the api: new key current, the old one still accepted.
    await platform.api.stop();
    const ports = { CONTROL_PORT: new URL(platform.control).port, EXEC_PORT: new URL(platform.exec).port };
    platform.api = PlatformProcess.spawn('api', platform.env({ ...ports, ORCH_SECRETS_KEY: keyB, ORCH_SECRETS_KEY_PREVIOUS: keyA }));
    processes.push(platform.api);
    await platform.api.waitForHttp(`${platform.control}/health/live`);
    const after = await call('GET', `/secret-refs/${local.id}`);
    expect(after.body.keyId).not.toBe(oldKeyId); // re-sealed at start
    expect(platform.api.output).toMatch(/secret refs re-sealed/);

    // Then the workers: one that knows only the new key.
    for (const worker of platform.workers.splice(0)) await worker.stop();
    processes.push(await platform.startWorker({ ORCH_SECRETS_KEY: keyB }));
    const job = await runJob(connector.id);
    expect(job.status).toBe('succeeded');
    expect(lastCall?.headers.authorization).toBe(`Bearer ${values.local}`);
  });

  test('no secret value appears in any response or any log line of the run', () => {
    expect(replies.length).toBeGreaterThan(20);
    const responses = replies.map((reply) => JSON.stringify(reply.body) + JSON.stringify([...reply.headers])).join('\n');
    const logs = processes.map((process) => process.output).join('\n');
    expect(logs.length).toBeGreaterThan(10_000); // the processes logged (at debug)
    for (const value of Object.values(values)) {
      expect(responses.includes(value)).toBe(false);
      expect(logs.includes(value)).toBe(false);
      expect(logs.includes(Buffer.from(`svc:${value}`).toString('base64'))).toBe(false);
    }
  });
});
