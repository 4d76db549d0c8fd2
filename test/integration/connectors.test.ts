import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Downstream, json } from '../support/downstream';
import { http, TestPlatform } from '../support/platform';
import { sql, uniqueName } from '../support/services';

const name = (prefix: string) => uniqueName(prefix).replace('_', '-');

describe('/connectors: create, list, get, update, delete for http and stripe', () => {
  const downstream = new Downstream();
  const platform = new TestPlatform({ ORCH_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64') });
  let secretRef: { id: string; name: string };

  const post = (body: Record<string, unknown>) => http('POST', `${platform.control}/connectors`, { json: body });
  const patch = (id: string, body: Record<string, unknown>) => http('PATCH', `${platform.control}/connectors/${id}`, { json: body });
  const httpBody = (extra: Record<string, unknown> = {}) => ({
    name: name('c'),
    type: 'http',
    baseUrl: downstream.url,
    allowPrivateNetwork: true,
    operations: { ping: { method: 'GET', path: '/ping' } },
    ...extra,
  });

  beforeAll(async () => {
    await downstream.start();
    await platform.start();
    const reply = await http('POST', `${platform.control}/secret-refs`, { json: { name: name('s'), provider: 'local', value: 'whsec_connectors_test' } });
    expect(reply.status).toBe(201);
    secretRef = reply.body;
  });
  afterAll(async () => {
    await platform.stop();
    await downstream.stop();
  });

  test('an http connector round-trips; list, get by id and by name', async () => {
    const body = httpBody({ auth: { type: 'bearer', secretRef: secretRef.name }, taskQueue: 'payments' });
    const created = await post(body);
    expect(created.status).toBe(201);
    expect(created.body.type).toBe('http');
    expect(created.body.auth).toStrictEqual({ type: 'bearer', secretRef: secretRef.id }); // the ref is stored by id
    expect(created.body.taskQueue).toBe('payments');
    expect(created.body.allowPrivateNetwork).toBe(true);

    const byId = await http('GET', `${platform.control}/connectors/${created.body.id}`);
    const byName = await http('GET', `${platform.control}/connectors/${body.name}`);
    expect(byId.body).toStrictEqual(created.body);
    expect(byName.body).toStrictEqual(created.body);
    const list = await http('GET', `${platform.control}/connectors`);
    expect(list.body.items.some((c: { id: string }) => c.id === created.body.id)).toBeTruthy();
  });

  describe('bad input is a 400 naming the field, and stores nothing', () => {
    const cases: [string, () => Record<string, unknown>, string][] = [
      ['a bad URL', () => httpBody({ baseUrl: 'not a url' }), 'baseUrl'],
      ['a URL with credentials', () => httpBody({ baseUrl: 'https://user:pw@api.example.com' }), 'baseUrl'],
      ['an unknown auth type', () => httpBody({ auth: { type: 'oauth2', secretRef: secretRef.id } }), 'auth.type'],
      ['auth naming no secret ref', () => httpBody({ auth: { type: 'bearer', secretRef: 'no-such-secret' } }), 'auth.secretRef'],
      ['header auth without a header', () => httpBody({ auth: { type: 'header', secretRef: secretRef.id } }), 'auth.headerName'],
      [
        'a template naming an input field the operation does not declare',
        () => httpBody({ operations: { charge: { method: 'POST', path: '/charges/{customer}', body: { amount: '{amount}' }, inputFields: ['customer'] } } }),
        'operations.charge.body',
      ],
      ['an unknown method', () => httpBody({ operations: { x: { method: 'FETCH', path: '/' } } }), 'operations.x.method'],
      ['no operations', () => httpBody({ operations: undefined }), 'operations'],
      ['an unknown type', () => httpBody({ type: 'grpc' }), 'type'],
      ['stripe settings on an http connector', () => httpBody({ routes: {} }), 'routes'],
      ['a stripe connector without a signing secret', () => ({ name: name('w'), type: 'stripe' }), 'signingSecretRef'],
      ['http settings on a stripe connector', () => ({ name: name('w'), type: 'stripe', signingSecretRef: secretRef.id, baseUrl: 'https://x.example' }), 'baseUrl'],
      ['a tolerance of 0 (Stripe would skip the check)', () => ({ name: name('w'), type: 'stripe', signingSecretRef: secretRef.id, toleranceSeconds: 0 }), 'toleranceSeconds'],
      [
        'a route to a missing connector',
        () => ({ name: name('w'), type: 'stripe', signingSecretRef: secretRef.id, routes: { 'invoice.paid': { connector: 'nope', operation: 'ping' } } }),
        'routes.invoice.paid.connector',
      ],
    ];
    for (const [label, body, field] of cases) {
      test(`${label} → ${field}`, async () => {
        const [before] = await sql(platform.databaseUrl, 'SELECT count(*)::int AS n FROM connectors');
        const reply = await post(body());
        expect(reply.status).toBe(400);
        expect(reply.headers.get('content-type') ?? '').toMatch(/problem\+json/);
        expect(reply.body.code).toBe('VALIDATION_FAILED');
        expect(reply.body.errors.some((error: { field: string }) => error.field === field)).toBeTruthy();
        const [afterCount] = await sql(platform.databaseUrl, 'SELECT count(*)::int AS n FROM connectors');
        expect(afterCount).toStrictEqual(before);
      });
    }
  });

  test('a stripe connector: routes resolve to connector ids; a route to a missing operation is refused', async () => {
    const target = await post(httpBody());
    const bad = await post({ name: name('w'), type: 'stripe', signingSecretRef: secretRef.name, routes: { '*': { connector: target.body.name, operation: 'nope' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('routes.*.operation');

    const created = await post({ name: name('w'), type: 'stripe', signingSecretRef: secretRef.name, routes: { 'invoice.*': { connector: target.body.name, operation: 'ping' } } });
    expect(created.status).toBe(201);
    expect(created.body.signingSecretRef).toBe(secretRef.id);
    expect(created.body.toleranceSeconds).toBe(300);
    expect(created.body.routes).toStrictEqual({ 'invoice.*': { connector: target.body.id, operation: 'ping' } });
    expect(created.body.webhookPath).toBe(`/webhooks/${created.body.id}`);
    expect(created.body.baseUrl).toBe(undefined);

    // A routed-to connector cannot be deleted; nor can a secret ref in use.
    const refused = await http('DELETE', `${platform.control}/connectors/${target.body.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('CONNECTOR_IN_USE');
    const secretInUse = await http('DELETE', `${platform.control}/secret-refs/${secretRef.id}`);
    expect(secretInUse.status).toBe(409);
    expect(secretInUse.body.code).toBe('SECRET_REF_IN_USE');
    // Executing a stripe connector is an unknown operation, not a crash.
    const execute = await platform.execute({ connector: created.body.id, operation: 'anything' });
    expect(execute.status).toBe(400);

    expect((await http('DELETE', `${platform.control}/connectors/${created.body.id}`)).status).toBe(204);
    expect((await http('DELETE', `${platform.control}/connectors/${target.body.id}`)).status).toBe(204);
  });

  test('PATCH changes what it names, is validated as a whole, and the next job uses it', async () => {
    downstream.on('/v1/ping', (_call, response) => json(response, 200, { version: 1 }));
    downstream.on('/v2/ping', (_call, response) => json(response, 200, { version: 2 }));
    const created = await post(httpBody({ baseUrl: `${downstream.url}/v1`, policyId: undefined }));
    const first = await platform.waitForJob((await platform.execute({ connector: created.body.id, operation: 'ping' })).body.id);
    expect(first.status).toBe('succeeded');
    expect(first.result.body.version).toBe(1);

    const renamed = name('renamed');
    const updated = await patch(created.body.id, { baseUrl: `${downstream.url}/v2`, name: renamed, enabled: true, taskQueue: null });
    expect(updated.status).toBe(200);
    expect(updated.body.name).toBe(renamed);
    expect(updated.body.baseUrl).toBe(`${downstream.url}/v2`);
    expect(updated.body.operations).toStrictEqual(created.body.operations); // untouched fields stay
    expect(Date.parse(updated.body.updatedAt)).toBeGreaterThan(Date.parse(created.body.updatedAt));
    const second = await platform.waitForJob((await platform.execute({ connector: renamed, operation: 'ping' })).body.id);
    expect(second.result.body.version).toBe(2);

    for (const [body, field] of [
      [{ baseUrl: 'nope' }, 'baseUrl'],
      [{ auth: { type: 'digest' } }, 'auth.type'],
      [{ type: 'stripe' }, 'type'],
      [{ name: null }, 'name'],
      [{ routes: {} }, 'routes'],
      [{ operations: { ping: { method: 'GET', path: '/ping/{id}', inputFields: ['other'] } } }, 'operations.ping.path'],
    ] as const) {
      const reply = await patch(created.body.id, body);
      expect(reply.status).toBe(400);
      expect(reply.body.errors.some((error: { field: string }) => error.field === field)).toBeTruthy();
    }
    const unchanged = await http('GET', `${platform.control}/connectors/${created.body.id}`);
    expect(unchanged.body.baseUrl).toBe(`${downstream.url}/v2`);

    const taken = await post(httpBody());
    const conflict = await patch(created.body.id, { name: taken.body.name });
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('CONNECTOR_NAME_TAKEN');
  });

  test('DELETE removes it; unknown ids are 404 for GET, PATCH and DELETE', async () => {
    const created = await post(httpBody());
    expect((await http('DELETE', `${platform.control}/connectors/${created.body.name}`)).status).toBe(204);
    for (const [method, body] of [['GET', undefined], ['PATCH', { enabled: false }], ['DELETE', undefined]] as const) {
      const reply = await http(method, `${platform.control}/connectors/${created.body.id}`, body ? { json: body } : {});
      expect(reply.status).toBe(404);
      expect(reply.body.code).toBe('CONNECTOR_NOT_FOUND');
    }
  });

  test('the state routes still win over :id', async () => {
    const reply = await http('GET', `${platform.control}/connectors/state`);
    expect(reply.status).toBe(200);
    expect(Array.isArray(reply.body.items)).toBeTruthy();
  });

  test('Swagger documents the new routes with their bodies', async () => {
    const doc = (await http('GET', `${platform.control}/docs-json`)).body;
    expect(doc.paths['/connectors/{id}'].patch && doc.paths['/connectors/{id}'].delete).toBeTruthy();
    expect(doc.paths['/secret-refs'].post && doc.paths['/secret-refs/{id}'].delete).toBeTruthy();
    expect(doc.paths['/webhooks/inbox'].get && doc.paths['/webhooks/inbox/{id}/retry'].post).toBeTruthy();
    expect(doc.components.schemas.UpdateConnectorDto).toBeTruthy();
    expect(doc.components.schemas.CreateSecretRefDto.properties.value.writeOnly).toBe(true);
  });
});
