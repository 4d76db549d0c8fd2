import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { AuditRow, Caller, SharedSecretAuth } from '../support/auth';
import { TestPlatform } from '../support/platform';
import { sql, uniqueName } from '../support/services';
import { defined } from '../support/expectations';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('operator audit log and GET /audit', () => {
  const auth = new SharedSecretAuth();
  const platform = new TestPlatform({ ORCH_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64') }, { auth });
  const tenant = uniqueName('acme');
  const SECRET_VALUE = `sk_live_${uniqueName('very_secret')}`;
  let ada: Caller; // admin
  let otto: Caller; // operator
  let vic: Caller; // viewer
  let eve: Caller; // executor
  let started = '';

  const audit = async (query = '', caller = ada) => {
    const reply = await caller.control('GET', `/audit?${query}`);
    expect(reply.status).toBe(200);
    return reply.body as { items: AuditRow[]; nextCursor: string | null };
  };

  beforeAll(async () => {
    await platform.start({ workers: 0 });
    ada = await auth.client(platform, { tenant, sub: 'ada', roles: ['admin', 'executor'] });
    otto = await auth.client(platform, { tenant, sub: 'otto', roles: ['operator'] });
    vic = await auth.client(platform, { tenant, sub: 'vic', roles: ['viewer'] });
    eve = await auth.client(platform, { tenant, sub: 'eve', roles: ['executor'] });
    started = new Date(Date.now() - 1000).toISOString();
  });
  afterAll(() => platform.stop());

  test('a control-plane create: who, tenant, action, target, digests of both bodies, request id', async () => {
    const raw = JSON.stringify({
      name: 'billing',
      type: 'http',
      baseUrl: 'https://billing.example.com',
      operations: { charge: { method: 'POST', path: '/charges', headers: { authorization: `Bearer ${SECRET_VALUE}` } } },
    });
    const created = await ada.control('POST', '/connectors', { raw, contentType: 'application/json', headers: { 'x-request-id': 'req-create-1' } });
    expect(created.status).toBe(201);
    const [row] = (await audit('action=POST%20/connectors')).items;
    expect({ ...row, id: undefined, at: undefined }).toStrictEqual({
        id: undefined,
        at: undefined,
        tenantId: tenant,
        actor: { tenantId: tenant, subject: 'ada' },
        impersonated: null,
        action: 'POST /connectors',
        target: `/connectors/${created.body.id}`,
        method: 'POST',
        plane: 'control',
        status: 201,
        outcome: 'succeeded',
        errorCode: null,
        requestId: 'req-create-1',
        requestDigest: sha256(raw),
        responseDigest: sha256(JSON.stringify(created.body)),
      });
  });

  test('every kind of control write is recorded: policies, versions, breaker, patch, delete', async () => {
    const policy = await ada.control('POST', '/policies', { json: { name: 'p1' } });
    expect(policy.status).toBe(201);
    await ada.control('POST', `/policies/${policy.body.id}/versions`, { json: {} });
    const connector = (await ada.control('GET', '/connectors/billing')).body;
    await otto.control('POST', `/connectors/${connector.id}/breaker`, { json: { action: 'open' } });
    await otto.control('POST', `/connectors/${connector.id}/breaker`, { json: { action: 'reset' } });
    const patched = await ada.control('PATCH', `/connectors/${connector.id}`, { json: { enabled: false } });
    const doomed = await ada.control('POST', '/connectors', { json: { name: 'doomed', type: 'http', baseUrl: 'https://x.example', operations: { a: { method: 'GET', path: '/' } } } });
    const deleted = await ada.control('DELETE', `/connectors/${doomed.body.id}`);
    const actions = (await audit('limit=100')).items.map((row) => `${row.actor.subject} ${row.action} ${row.target} ${row.status}`);
    for (const expected of [
      `ada POST /policies /policies/${policy.body.id} 201`,
      `ada POST /policies/:id/versions /policies/${policy.body.id}/versions 201`,
      `otto POST /connectors/:id/breaker /connectors/${connector.id}/breaker 200`,
    ]) {
      expect(actions).toContain(expected);
    }
    expect([patched.status, deleted.status]).toStrictEqual([200, 204]);
    expect(actions).toContain(`ada PATCH /connectors/:id /connectors/${connector.id} 200`);
    expect(actions).toContain(`ada DELETE /connectors/:id /connectors/${doomed.body.id} 204`);
    expect(actions.filter((line) => line.startsWith('otto POST /connectors/:id/breaker')).length).toBe(2);
  });

  test('failed and refused writes are recorded with their status and code; reads and exec writes are not', async () => {
    const invalid = await ada.control('POST', '/connectors', { json: { name: 'Bad Name', type: 'http' } });
    expect(invalid.status).toBe(400);
    const duplicate = await ada.control('POST', '/policies', { json: { name: 'p1' } });
    expect(duplicate.status).toBe(409);
    const forbidden = await vic.control('POST', '/policies', { json: { name: 'p2' } });
    expect(forbidden.status).toBe(403);
    const before = (await audit('limit=500')).items.length;
    await ada.control('GET', '/connectors');
    await vic.control('GET', '/policies');
    await eve.exec('POST', '/execute', { json: { connector: 'nope', operation: 'x' } });
    await eve.exec('GET', '/jobs');
    expect((await audit('limit=500')).items.length).toBe(before); // reads and exec-plane requests are not control-plane changes

    const rows = (await audit('limit=500')).items;
    const find = (requestId: string) => rows.find((row) => row.requestId === requestId);
    expect(pick(find(invalid.body.requestId))).toStrictEqual({ status: 400, errorCode: 'VALIDATION_FAILED', outcome: 'failed', responseDigest: null });
    expect(pick(find(duplicate.body.requestId))).toStrictEqual({ status: 409, errorCode: 'POLICY_NAME_TAKEN', outcome: 'failed', responseDigest: null });
    expect(pick(find(forbidden.body.requestId))).toStrictEqual({ status: 403, errorCode: 'FORBIDDEN', outcome: 'denied', responseDigest: null });
    expect(find(forbidden.body.requestId)?.actor.subject).toBe('vic');
  });

  test('secret values are never stored, and /secret-refs bodies are not even digested', async () => {
    const secret = await ada.control('POST', '/secret-refs', { json: { name: 'stripe-key', provider: 'local', value: SECRET_VALUE } });
    expect(secret.status).toBe(201);
    const [row] = (await audit('action=POST%20/secret-refs')).items;
    expect(row).toBeTruthy(); // the secret-ref write is audited
    // A digest of a low-entropy secret would let it be guessed offline.
    expect(row.requestDigest).toBe(null);
    expect(row.responseDigest ?? '').toMatch(/^[0-9a-f]{64}$/);
    const dump = await sql<{ row: string }>(platform.databaseUrl, 'SELECT row_to_json(a)::text AS row FROM operator_audit_log a');
    expect(dump.length).toBeGreaterThan(0);
    for (const { row } of dump) expect(row).not.toContain(SECRET_VALUE);
    expect(platform.api.output).not.toContain(SECRET_VALUE); // nor in the api log
    expect(JSON.stringify((await audit('limit=500')).items)).not.toContain(SECRET_VALUE);
  });

  test('filters: action, actor, target (and everything below it), time window, impersonated', async () => {
    const connector = (await ada.control('GET', '/connectors/billing')).body;
    const byActor = (await audit('actor=otto')).items;
    expect(byActor.length >= 2 && byActor.every((row) => row.actor.subject === 'otto')).toBeTruthy();
    const byAction = (await audit(`action=${encodeURIComponent('POST /connectors/:id/breaker')}`)).items;
    expect(byAction.length === 2 && byAction.every((row) => row.action === 'POST /connectors/:id/breaker')).toBeTruthy();
    const byTarget = (await audit(`target=/connectors/${connector.id}`)).items;
    expect(byTarget.some((row) => row.target === `/connectors/${connector.id}`)).toBeTruthy(); // the connector itself
    expect(byTarget.some((row) => row.target === `/connectors/${connector.id}/breaker`)).toBeTruthy(); // and below it
    expect(byTarget.every((row) => row.target.startsWith(`/connectors/${connector.id}`))).toBeTruthy();
    expect((await audit(`target=/connectors/${connector.id}/bre`)).items.length).toBe(0); // prefixes match whole segments only

    expect((await audit(`from=${encodeURIComponent(started)}`)).items.length).toBeGreaterThan(0);
    expect((await audit(`to=${encodeURIComponent(started)}`)).items.length).toBe(0);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await audit(`from=${encodeURIComponent(future)}`)).items.length).toBe(0);
    expect((await audit('impersonated=true')).items.length).toBe(0);
    expect((await audit('impersonated=false')).items.length).toBeGreaterThan(0);

    const bad = await ada.control('GET', '/audit?from=yesterday&limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((error: { field: string }) => error.field).sort()).toStrictEqual(['from', 'limit']);
  });

  test('pagination: newest first, opaque cursor, every row exactly once', async () => {
    const all = (await audit('limit=500')).items;
    expect(all.length).toBeGreaterThanOrEqual(6);
    const ids = all.map((row) => BigInt(row.id));
    expect(ids).toStrictEqual([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))); // newest first
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: AuditRow[]; nextCursor: string | null } = await audit(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((row) => row.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toStrictEqual(all.map((row) => row.id));
    expect((await ada.control('GET', '/audit?cursor=bm9wZQ')).status).toBe(400);
  });

  test('tenant-scoped: another tenant sees none of these rows; reading needs control:read', async () => {
    const stranger = await auth.client(platform, { tenant: uniqueName('other'), sub: 'ada', roles: ['admin'] });
    expect((await audit('limit=500', stranger)).items).toStrictEqual([]);
    expect((await audit('actor=ada', stranger)).items.length).toBe(0); // the same subject name in another tenant is another actor
    expect((await vic.control('GET', '/audit')).status).toBe(200); // viewer reads it
    const executor = await eve.control('GET', '/audit');
    expect(executor.status).toBe(403);
    expect(executor.body.detail).toMatch(/"control:read"/);
  });

  test('the audit entry is written before the response is sent', async () => {
    const created = await ada.control('POST', '/policies', { json: { name: 'p-sync' } });
    await delay(0);
    const rows = await sql(platform.databaseUrl, 'SELECT 1 FROM operator_audit_log WHERE request_id = $1', [created.headers.get('x-request-id')]);
    expect(rows.length).toBe(1);
  });
});

function pick(found: AuditRow | undefined) {
  const row = defined(found, 'an audit row');
  return { status: row.status, errorCode: row.errorCode, outcome: row.outcome, responseDigest: row.responseDigest };
}
