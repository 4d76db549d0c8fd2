import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Stripe from 'stripe';
import { Caller, SharedSecretAuth } from '../support/auth';
import { Downstream, json } from '../support/downstream';
import { http, TestPlatform } from '../support/platform';
import { sql, uniqueName } from '../support/services';

const name = (prefix: string) => uniqueName(prefix).replace('_', '-');
const eventId = () => `evt_${randomBytes(12).toString('hex')}`;

/** A Stripe event body as Stripe sends it: pretty-printed, so re-serializing it would break the signature. */
function stripeEvent(type: string, id = eventId(), object: Record<string, unknown> = { id: `in_${randomBytes(6).toString('hex')}`, object: 'invoice' }) {
  return { id, payload: JSON.stringify({ id, object: 'event', api_version: '2024-06-20', created: Math.floor(Date.now() / 1000), type, data: { object } }, null, 2) };
}

describe('Stripe webhook ingress: verified, deduplicated, archived, routed', () => {
  const auth = new SharedSecretAuth({ tenant: 'acme', roles: ['admin', 'operator', 'executor'] });
  const platform = new TestPlatform({ ORCH_SECRETS_KEY: randomBytes(32).toString('base64') }, { auth });
  const downstream = new Downstream();
  const signingSecret = `whsec_${randomBytes(24).toString('base64url')}`;
  let admin: Caller;
  let stripeConnector: { id: string; name: string };
  let target: { id: string; name: string };

  const sign = (payload: string, options: { secret?: string; timestamp?: number } = {}) =>
    Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? signingSecret, timestamp: options.timestamp });
  const deliver = (payload: string | Buffer, signature: string | undefined, connectorId = stripeConnector.id, base = platform.exec) =>
    http('POST', `${base}/webhooks/${connectorId}`, {
      raw: payload,
      contentType: 'application/json; charset=utf-8',
      headers: { ...(signature === undefined ? {} : { 'stripe-signature': signature }), 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
    });
  const counts = async () =>
    (await sql<{ inbox: number; jobs: number; events: number }>(
      platform.databaseUrl,
      'SELECT (SELECT count(*)::int FROM webhook_inbox) AS inbox, (SELECT count(*)::int FROM jobs) AS jobs, (SELECT count(*)::int FROM events) AS events',
    ))[0];
  const jobsOf = (connectorId: string, id: string) =>
    sql<{ id: string; status: string }>(platform.databaseUrl, 'SELECT id, status FROM jobs WHERE workflow_id = $1 ORDER BY created_at', [`webhook-${connectorId}-${id}`]);

  before(async () => {
    downstream.on('/fulfil', (_call, response) => json(response, 200, { fulfilled: true }));
    downstream.on('/customers', (_call, response) => json(response, 201, { synced: true }));
    await downstream.start();
    await platform.start();
    admin = await auth.client(platform, auth.defaultIdentity);
    const secret = await admin.control('POST', '/secret-refs', { json: { name: name('whsec'), provider: 'local', value: signingSecret } });
    assert.equal(secret.status, 201);
    target = (
      await admin.control('POST', '/connectors', {
        json: {
          name: name('fulfil'),
          type: 'http',
          baseUrl: downstream.url,
          allowPrivateNetwork: true,
          operations: {
            fulfil: { method: 'POST', path: '/fulfil', body: { event: '{id}', invoice: '{data.object.id}' }, inputFields: ['id', 'data'] },
            syncCustomer: { method: 'POST', path: '/customers', successStatuses: [201] },
          },
        },
      })
    ).body;
    const created = await admin.control('POST', '/connectors', {
      json: { name: name('stripe'), type: 'stripe', signingSecretRef: secret.body.name, routes: { 'invoice.paid': { connector: target.name, operation: 'fulfil' } } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    stripeConnector = created.body;
  });
  after(async () => {
    await platform.stop();
    await downstream.stop();
  });

  test('a delivery signed by the stripe library is accepted (no JWT), archived, recorded and routed to a job', async () => {
    const event = stripeEvent('invoice.paid');
    const signature = sign(event.payload);
    const reply = await deliver(event.payload, signature);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.received, true);
    assert.equal(reply.body.duplicate, false);
    assert.equal(reply.body.status, 'routed');

    const job = await admin.exec('GET', `/jobs/${reply.body.jobId}`);
    assert.equal(job.body.workflowId, `webhook-${stripeConnector.id}-${event.id}`);
    assert.equal(job.body.connectorId, target.id);
    assert.equal((await platform.waitForJob(reply.body.jobId)).status, 'succeeded');
    const call = downstream.callsTo('/fulfil').at(-1)!;
    assert.deepEqual(JSON.parse(call.body), { event: event.id, invoice: JSON.parse(event.payload).data.object.id });

    const [row] = await sql<{ body: Buffer; headers: Record<string, string>; tenant_id: string; status: string }>(
      platform.databaseUrl,
      'SELECT body, headers, tenant_id, status FROM webhook_inbox WHERE event_id = $1',
      [event.id],
    );
    assert.equal(row.body.toString('utf8'), event.payload, 'the raw body, byte for byte');
    assert.equal(row.headers['stripe-signature'], signature);
    assert.equal(row.tenant_id, 'acme');
    assert.equal(row.status, 'routed');
    assert.equal(JSON.stringify(row).includes(signingSecret), false, 'the signing secret is never stored');

    const received = await admin.exec('GET', '/events?type=webhook.received');
    const recorded = received.body.items.find((item: { data: { eventId: string } }) => item.data.eventId === event.id);
    assert.deepEqual(recorded.data, { connectorId: stripeConnector.id, inboxId: reply.body.inboxId, provider: 'stripe', eventId: event.id, eventType: 'invoice.paid' });
  });

  describe('refused deliveries are 400 and store and start nothing', () => {
    const flip = (payload: string) => {
      const bytes = Buffer.from(payload);
      const at = payload.indexOf('invoice.paid') + 3; // inside a string: still valid JSON
      bytes[at] ^= 0x01;
      return bytes;
    };
    const cases: [string, () => [string | Buffer, string | undefined], string][] = [
      ['a stale timestamp', () => { const e = stripeEvent('invoice.paid'); return [e.payload, sign(e.payload, { timestamp: Math.floor(Date.now() / 1000) - 600 })]; }, 'WEBHOOK_SIGNATURE_INVALID'],
      ['one flipped body byte', () => { const e = stripeEvent('invoice.paid'); return [flip(e.payload), sign(e.payload)]; }, 'WEBHOOK_SIGNATURE_INVALID'],
      ['a wrong secret', () => { const e = stripeEvent('invoice.paid'); return [e.payload, sign(e.payload, { secret: 'whsec_wrong' })]; }, 'WEBHOOK_SIGNATURE_INVALID'],
      ['a missing header', () => [stripeEvent('invoice.paid').payload, undefined], 'WEBHOOK_SIGNATURE_MISSING'],
      ['a header without v1', () => { const e = stripeEvent('invoice.paid'); return [e.payload, sign(e.payload).replace('v1=', 'v0=')]; }, 'WEBHOOK_SIGNATURE_INVALID'],
    ];
    for (const [label, make, code] of cases) {
      test(label, async () => {
        const before = await counts();
        const [payload, signature] = make();
        const reply = await deliver(payload, signature);
        assert.equal(reply.status, 400, JSON.stringify(reply.body));
        assert.match(reply.headers.get('content-type') ?? '', /problem\+json/);
        assert.equal(reply.body.code, code);
        assert.deepEqual(await counts(), before);
      });
    }

    test('the stale timestamp message says why; the secret is in no answer', async () => {
      const e = stripeEvent('invoice.paid');
      const reply = await deliver(e.payload, sign(e.payload, { timestamp: Math.floor(Date.now() / 1000) - 600 }));
      assert.match(reply.body.detail, /tolerance/i);
      assert.equal(JSON.stringify(reply.body).includes(signingSecret), false);
    });
  });

  test('the same event delivered three times (at once) starts one job; later repeats answer 200 and start nothing', async () => {
    const event = stripeEvent('invoice.paid');
    const before = downstream.callsTo('/fulfil').length;
    const replies = await Promise.all([1, 2, 3].map(() => deliver(event.payload, sign(event.payload))));
    assert.deepEqual(replies.map((reply) => reply.status), [200, 200, 200]);
    assert.equal(replies.filter((reply) => !reply.body.duplicate).length, 1);
    const first = replies.find((reply) => !reply.body.duplicate)!;
    await platform.waitForJob(first.body.jobId);
    const again = await deliver(event.payload, sign(event.payload));
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true);
    assert.equal(again.body.jobId, first.body.jobId);

    assert.equal((await jobsOf(stripeConnector.id, event.id)).length, 1);
    assert.equal((await sql(platform.databaseUrl, 'SELECT 1 FROM webhook_inbox WHERE event_id = $1', [event.id])).length, 1);
    assert.equal(downstream.callsTo('/fulfil').length, before + 1);
    const received = await admin.exec('GET', '/events?type=webhook.received&limit=500');
    assert.equal(received.body.items.filter((item: { data: { eventId: string } }) => item.data.eventId === event.id).length, 1);
  });

  test('an event with no route is archived as ignored; after a route is added, an operator retry runs it', async () => {
    const event = stripeEvent('customer.created', eventId(), { id: 'cus_1', object: 'customer' });
    const reply = await deliver(event.payload, sign(event.payload));
    assert.equal(reply.status, 200);
    assert.equal(reply.body.status, 'ignored');
    assert.equal(reply.body.jobId, null);

    const patched = await admin.control('PATCH', `/connectors/${stripeConnector.id}`, {
      json: { routes: { 'invoice.paid': { connector: target.id, operation: 'fulfil' }, 'customer.*': { connector: target.name, operation: 'syncCustomer' } } },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const retried = await admin.control('POST', `/webhooks/inbox/${reply.body.inboxId}/retry`);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.status, 'routed');
    assert.equal(retried.body.routeAttempts, 2);
    const job = await platform.waitForJob(retried.body.jobId);
    assert.equal(job.status, 'succeeded');
    assert.equal(job.workflowId, `webhook-${stripeConnector.id}-${event.id}`);
    assert.deepEqual(JSON.parse(downstream.callsTo('/customers').at(-1)!.body).data, { object: { id: 'cus_1', object: 'customer' } });

    // Retrying an event whose job has ended runs it again, under the same workflow id.
    const again = await admin.control('POST', `/webhooks/inbox/${reply.body.inboxId}/retry`);
    assert.equal(again.status, 200);
    assert.notEqual(again.body.jobId, retried.body.jobId);
    await platform.waitForJob(again.body.jobId);
    assert.equal((await jobsOf(stripeConnector.id, event.id)).length, 2);
  });

  test('GET /webhooks/inbox lists deliveries newest first with filters and a cursor; tenants see only their own', async () => {
    const all = await admin.control('GET', `/webhooks/inbox?connector=${stripeConnector.id}`);
    assert.equal(all.status, 200);
    assert.ok(all.body.items.length >= 3);
    const entry = all.body.items[0];
    assert.deepEqual(Object.keys(entry).sort(), ['body', 'connectorId', 'error', 'eventId', 'eventType', 'headers', 'id', 'jobId', 'provider', 'receivedAt', 'routeAttempts', 'routedAt', 'status']);
    const received = all.body.items.map((item: { receivedAt: string }) => item.receivedAt);
    assert.deepEqual(received, [...received].sort().reverse());

    const page = await admin.control('GET', '/webhooks/inbox?limit=1');
    assert.equal(page.body.items.length, 1);
    const next = await admin.control('GET', `/webhooks/inbox?limit=1&cursor=${page.body.nextCursor}`);
    assert.notEqual(next.body.items[0].id, page.body.items[0].id);
    const ignored = await admin.control('GET', '/webhooks/inbox?eventType=customer.created');
    assert.ok(ignored.body.items.every((item: { eventType: string }) => item.eventType === 'customer.created'));

    const outsider = await auth.client(platform, { tenant: 'other', roles: ['admin', 'operator'] });
    assert.deepEqual((await outsider.control('GET', '/webhooks/inbox')).body.items, []);
    const foreign = await outsider.control('POST', `/webhooks/inbox/${entry.id}/retry`);
    assert.equal(foreign.status, 404);
    assert.equal((await http('GET', `${platform.control}/webhooks/inbox`)).status, 401, 'the inbox needs a token');
    const viewer = await auth.client(platform, { tenant: 'acme', roles: ['viewer'] });
    assert.equal((await viewer.control('POST', `/webhooks/inbox/${entry.id}/retry`)).status, 403);
  });

  test('ingress answers only on the exec plane, for enabled stripe connectors', async () => {
    const event = stripeEvent('invoice.paid');
    const before = await counts();
    assert.equal((await deliver(event.payload, sign(event.payload), stripeConnector.id, platform.control)).status, 404, 'not on the control port');
    assert.equal((await deliver(event.payload, sign(event.payload), '00000000-0000-4000-8000-000000000000')).body.code, 'WEBHOOK_ENDPOINT_NOT_FOUND');
    assert.equal((await deliver(event.payload, sign(event.payload), target.id)).status, 404, 'an http connector has no ingress');
    assert.equal((await deliver(event.payload, sign(event.payload), 'not-a-uuid')).status, 404);

    await admin.control('PATCH', `/connectors/${stripeConnector.id}`, { json: { enabled: false } });
    const disabled = await deliver(event.payload, sign(event.payload));
    assert.equal(disabled.status, 409);
    await admin.control('PATCH', `/connectors/${stripeConnector.id}`, { json: { enabled: true } });
    assert.deepEqual(await counts(), before);
  });

  test('a signing secret that cannot be resolved is a 503 with Retry-After (Stripe delivers again), storing nothing', async () => {
    const ref = await admin.control('POST', '/secret-refs', { json: { name: name('whsec-env'), provider: 'env', envVar: 'SECRET_NOT_CONFIGURED_HERE' } });
    const connector = await admin.control('POST', '/connectors', { json: { name: name('stripe'), type: 'stripe', signingSecretRef: ref.body.id } });
    const before = await counts();
    const event = stripeEvent('invoice.paid');
    const reply = await deliver(event.payload, sign(event.payload), connector.body.id);
    assert.equal(reply.status, 503);
    assert.equal(reply.body.code, 'WEBHOOK_SECRET_UNAVAILABLE');
    assert.ok(reply.headers.get('retry-after'));
    assert.deepEqual(await counts(), before);
  });

  test('the signing secret never appears in the logs', () => {
    const logs = [platform.api, ...platform.workers].map((process) => process.output).join('\n');
    assert.ok(logs.includes('webhooks'), 'the api logged the deliveries');
    assert.equal(logs.includes(signingSecret), false);
  });
});
