import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { AuditRow, Caller, SharedSecretAuth, TestRole } from '../support/auth';
import { TestPlatform } from '../support/platform';
import { sql, uniqueName } from '../support/services';
import { defined } from '../support/expectations';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('impersonation (x-impersonate-tenant / x-impersonate-user)', () => {
  const auth = new SharedSecretAuth();
  const platform = new TestPlatform({}, { auth });
  const home = uniqueName('home'); // where the would-be impersonators live
  const target = uniqueName('target'); // the tenant they try to act in
  const ops = uniqueName('ops'); // the platform operators' tenant
  let targetAdmin: Caller;
  let homeAdmin: Caller;
  let root: Caller;

  const audit = async (caller: Caller, query: string) => (await caller.control('GET', `/audit?${query}`)).body.items as AuditRow[];

  beforeAll(async () => {
    await platform.start({ workers: 0 });
    targetAdmin = await auth.client(platform, { tenant: target, sub: 'tina', roles: ['admin', 'executor'] });
    homeAdmin = await auth.client(platform, { tenant: home, sub: 'hal', roles: ['admin'] });
    root = await auth.client(platform, { tenant: ops, sub: 'root', roles: ['platform-admin'] });
  });
  afterAll(() => platform.stop());

  const refused: [string, TestRole[], Record<string, string>][] = [
    ['admin → another tenant', ['admin'], { 'x-impersonate-tenant': 'TARGET' }],
    ['admin + operator + executor + viewer → another tenant and user', ['admin', 'operator', 'executor', 'viewer'], { 'x-impersonate-tenant': 'TARGET', 'x-impersonate-user': 'tina' }],
    ['operator → a user of its own tenant', ['operator'], { 'x-impersonate-user': 'boss' }],
    ['viewer → another tenant', ['viewer'], { 'x-impersonate-tenant': 'TARGET' }],
    ['executor → another tenant (exec plane)', ['executor'], { 'x-impersonate-tenant': 'TARGET' }],
    ['no roles at all', [], { 'x-impersonate-tenant': 'TARGET' }],
  ];
  for (const [name, roles, rawHeaders] of refused) {
    test(`refused: ${name} → 403, and the attempt is audited`, async () => {
      const subject = uniqueName('mallory');
      const caller = await auth.client(platform, { tenant: home, sub: subject, roles });
      const headers = Object.fromEntries(Object.entries(rawHeaders).map(([key, value]) => [key, value.replace('TARGET', target)]));
      const exec = roles.includes('executor') && roles.length === 1;
      const reply = exec ? await caller.exec('GET', '/jobs', { headers }) : await caller.control('GET', '/connectors', { headers });
      expect(reply.status).toBe(403);
      expect(reply.body.code).toBe('FORBIDDEN');
      expect(reply.body.detail).toMatch(/"platform:impersonate"/);

      const [row] = await audit(homeAdmin, `actor=${subject}`);
      expect(row).toBeTruthy(); // an audit row in the caller’s own tenant
      expect(row.action).toBe('impersonation.denied');
      expect(row.outcome).toBe('denied');
      expect(row.status).toBe(403);
      expect(row.actor).toStrictEqual({ tenantId: home, subject });
      expect(row.impersonated).toStrictEqual({ tenantId: headers['x-impersonate-tenant'] ?? home, subject: headers['x-impersonate-user'] ?? subject });
      expect(row.target).toBe(exec ? '/jobs' : '/connectors');
      expect(row.requestId).toBe(reply.body.requestId);
    });
  }

  test('the refused caller acted as nobody: the target tenant saw nothing happen', async () => {
    const rows = await audit(targetAdmin, 'limit=500');
    expect(rows.some((row) => row.actor.tenantId === home)).toBeFalsy();
  });

  test('platform-admin acts as the target tenant and user; the audit row shows both identities', async () => {
    const as = { 'x-impersonate-tenant': target, 'x-impersonate-user': 'tina' };
    const body = { name: 'made-by-root', type: 'http', baseUrl: 'https://example.com', operations: { ping: { method: 'GET', path: '/' } } };
    const raw = JSON.stringify(body);
    const created = await root.control('POST', '/connectors', { raw, contentType: 'application/json', headers: as });
    expect(created.status).toBe(201);

    // It is the target's connector, not the operator's.
    expect((await targetAdmin.control('GET', `/connectors/${created.body.id}`)).status).toBe(200);
    expect((await root.control('GET', `/connectors/${created.body.id}`)).status).toBe(404);
    const listed = await root.control('GET', '/connectors', { headers: as });
    expect(listed.body.items.some((connector: { id: string }) => connector.id === created.body.id)).toBeTruthy(); // reads act as the target too

    const rows = await audit(targetAdmin, 'impersonated=true&limit=50');
    const write = defined(rows.find((row) => row.action === 'POST /connectors'), 'the audited write');
    expect(write.tenantId).toBe(target);
    expect(write.actor).toStrictEqual({ tenantId: ops, subject: 'root' });
    expect(write.impersonated).toStrictEqual({ tenantId: target, subject: 'tina' });
    expect(write.target).toBe(`/connectors/${created.body.id}`);
    expect(write.status).toBe(201);
    expect(write.requestDigest).toBe(sha256(raw)); // digest of the exact request bytes
    expect(write.responseDigest).toBe(sha256(JSON.stringify(created.body))); // digest of the response body
    expect(write.requestId).toBe(created.headers.get('x-request-id'));

    // Impersonated reads are audited too (every impersonated request), on both planes.
    const read = defined(rows.find((row) => row.action === 'GET /connectors'), 'the audited impersonated GET');
    expect([read.actor.subject, read.impersonated?.subject, read.plane]).toStrictEqual(['root', 'tina', 'control']);
    const jobs = await root.exec('GET', '/jobs', { headers: as });
    expect(jobs.status).toBe(200);
    const execRow = (await audit(targetAdmin, 'action=GET%20/jobs')).at(0);
    expect([execRow?.plane, execRow?.actor.subject, execRow?.impersonated?.tenantId]).toStrictEqual(['exec', 'root', target]);

    // The operators' own tenant does not see the target's audit; the target's own reads are not audited.
    expect((await audit(root, 'limit=500')).some((row) => row.tenantId === target)).toBeFalsy();
    expect((await audit(targetAdmin, 'impersonated=false&limit=500')).some((row) => row.action.startsWith('GET '))).toBeFalsy();
  });

  test('platform-admin with only x-impersonate-user acts as that user in its own tenant', async () => {
    const reply = await root.control('POST', '/policies', { json: { name: 'by-proxy' }, headers: { 'x-impersonate-user': 'deputy' } });
    expect(reply.status).toBe(201);
    const [row] = await audit(root, 'action=POST%20/policies');
    expect(row.actor).toStrictEqual({ tenantId: ops, subject: 'root' });
    expect(row.impersonated).toStrictEqual({ tenantId: ops, subject: 'deputy' });
  });

  test('malformed impersonation headers → 400 listing them', async () => {
    const reply = await root.control('GET', '/connectors', { headers: { 'x-impersonate-tenant': '../etc', 'x-impersonate-user': 'a b' } });
    expect(reply.status).toBe(400);
    expect(reply.body.errors.map((error: { field: string }) => error.field)).toStrictEqual(['x-impersonate-tenant', 'x-impersonate-user']);
  });

  test('the rows are in operator_audit_log with both identities, and no bodies', async () => {
    const rows = await sql<Record<string, unknown>>(platform.databaseUrl, `SELECT * FROM operator_audit_log WHERE actor_subject = 'root' AND tenant_id = $1`, [target]);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) {
      expect(row.actor_tenant_id).toBe(ops);
      expect(row.impersonated_tenant_id).toBe(target);
      expect(JSON.stringify(row)).not.toContain('made-by-root'); // bodies are not stored, only digests
    }
  });
});
