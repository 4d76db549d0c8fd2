import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { AuditRow, Caller, SharedSecretAuth, TestRole } from '../support/auth';
import { TestPlatform } from '../support/platform';
import { sql, uniqueName } from '../support/services';

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

  before(async () => {
    await platform.start({ workers: 0 });
    targetAdmin = await auth.client(platform, { tenant: target, sub: 'tina', roles: ['admin', 'executor'] });
    homeAdmin = await auth.client(platform, { tenant: home, sub: 'hal', roles: ['admin'] });
    root = await auth.client(platform, { tenant: ops, sub: 'root', roles: ['platform-admin'] });
  });
  after(() => platform.stop());

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
      assert.equal(reply.status, 403, JSON.stringify(reply.body));
      assert.equal(reply.body.code, 'FORBIDDEN');
      assert.match(reply.body.detail, /"platform:impersonate"/);

      const [row] = await audit(homeAdmin, `actor=${subject}`);
      assert.ok(row, 'an audit row in the caller’s own tenant');
      assert.equal(row.action, 'impersonation.denied');
      assert.equal(row.outcome, 'denied');
      assert.equal(row.status, 403);
      assert.deepEqual(row.actor, { tenantId: home, subject });
      assert.deepEqual(row.impersonated, { tenantId: headers['x-impersonate-tenant'] ?? home, subject: headers['x-impersonate-user'] ?? subject });
      assert.equal(row.target, exec ? '/jobs' : '/connectors');
      assert.equal(row.requestId, reply.body.requestId);
    });
  }

  test('the refused caller acted as nobody: the target tenant saw nothing happen', async () => {
    const rows = await audit(targetAdmin, 'limit=500');
    assert.ok(!rows.some((row) => row.actor.tenantId === home), JSON.stringify(rows));
  });

  test('platform-admin acts as the target tenant and user; the audit row shows both identities', async () => {
    const as = { 'x-impersonate-tenant': target, 'x-impersonate-user': 'tina' };
    const body = { name: 'made-by-root', type: 'http', baseUrl: 'https://example.com', operations: { ping: { method: 'GET', path: '/' } } };
    const raw = JSON.stringify(body);
    const created = await root.control('POST', '/connectors', { raw, contentType: 'application/json', headers: as });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    // It is the target's connector, not the operator's.
    assert.equal((await targetAdmin.control('GET', `/connectors/${created.body.id}`)).status, 200);
    assert.equal((await root.control('GET', `/connectors/${created.body.id}`)).status, 404);
    const listed = await root.control('GET', '/connectors', { headers: as });
    assert.ok(listed.body.items.some((connector: { id: string }) => connector.id === created.body.id), 'reads act as the target too');

    const rows = await audit(targetAdmin, 'impersonated=true&limit=50');
    const write = rows.find((row) => row.action === 'POST /connectors');
    assert.ok(write, JSON.stringify(rows));
    assert.equal(write.tenantId, target);
    assert.deepEqual(write.actor, { tenantId: ops, subject: 'root' });
    assert.deepEqual(write.impersonated, { tenantId: target, subject: 'tina' });
    assert.equal(write.target, `/connectors/${created.body.id}`);
    assert.equal(write.status, 201);
    assert.equal(write.requestDigest, sha256(raw), 'digest of the exact request bytes');
    assert.equal(write.responseDigest, sha256(JSON.stringify(created.body)), 'digest of the response body');
    assert.equal(write.requestId, created.headers.get('x-request-id'));

    // Impersonated reads are audited too (every impersonated request), on both planes.
    const read = rows.find((row) => row.action === 'GET /connectors');
    assert.ok(read, 'the impersonated GET is on the record');
    assert.deepEqual([read.actor.subject, read.impersonated?.subject, read.plane], ['root', 'tina', 'control']);
    const jobs = await root.exec('GET', '/jobs', { headers: as });
    assert.equal(jobs.status, 200);
    const execRow = (await audit(targetAdmin, 'action=GET%20/jobs')).at(0);
    assert.deepEqual([execRow?.plane, execRow?.actor.subject, execRow?.impersonated?.tenantId], ['exec', 'root', target]);

    // The operators' own tenant does not see the target's audit; the target's own reads are not audited.
    assert.ok(!(await audit(root, 'limit=500')).some((row) => row.tenantId === target));
    assert.ok(!(await audit(targetAdmin, 'impersonated=false&limit=500')).some((row) => row.action.startsWith('GET ')));
  });

  test('platform-admin with only x-impersonate-user acts as that user in its own tenant', async () => {
    const reply = await root.control('POST', '/policies', { json: { name: 'by-proxy' }, headers: { 'x-impersonate-user': 'deputy' } });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const [row] = await audit(root, 'action=POST%20/policies');
    assert.deepEqual(row.actor, { tenantId: ops, subject: 'root' });
    assert.deepEqual(row.impersonated, { tenantId: ops, subject: 'deputy' });
  });

  test('malformed impersonation headers → 400 listing them', async () => {
    const reply = await root.control('GET', '/connectors', { headers: { 'x-impersonate-tenant': '../etc', 'x-impersonate-user': 'a b' } });
    assert.equal(reply.status, 400);
    assert.deepEqual(reply.body.errors.map((error: { field: string }) => error.field), ['x-impersonate-tenant', 'x-impersonate-user']);
  });

  test('the rows are in operator_audit_log with both identities, and no bodies', async () => {
    const rows = await sql<Record<string, unknown>>(platform.databaseUrl, `SELECT * FROM operator_audit_log WHERE actor_subject = 'root' AND tenant_id = $1`, [target]);
    assert.ok(rows.length >= 2);
    for (const row of rows) {
      assert.equal(row.actor_tenant_id, ops);
      assert.equal(row.impersonated_tenant_id, target);
      assert.ok(!JSON.stringify(row).includes('made-by-root'), 'bodies are not stored, only digests');
    }
  });
});
