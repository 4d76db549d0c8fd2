import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
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

  beforeAll(async () => {
    downstream.on('/fulfil', (_call, response) => json(response, 200, { fulfilled: true }));
    downstream.on('/customers', (_call, response) => json(response, 201, { synced: true }));
    await downstream.start();
    await platform.start();
    admin = await auth.client(platform, auth.defaultIdentity);
    const secret = await admin.control('POST', '/secret-refs', { json: { name: name('whsec'), provider: 'local', value: signingSecret } });
    expect(secret.status).toBe(201);
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
    expect(created.status).toBe(201);
    stripeConnector = created.body;
  });
  afterAll(async () => {
    await platform.stop();
    await downstream.stop();
  });

  test('a delivery signed by the stripe library is accepted (no JWT), archived, recorded and routed to a job', async () => {
    const event = stripeEvent('invoice.paid');
    const signature = sign(event.payload);
    const reply = await deliver(event.payload, signature);
    expect(reply.status).toBe(200);
    expect(reply.body.received).toBe(true);
    expect(reply.body.duplicate).toBe(false);
    expect(reply.body.status).toBe('routed');

    const job = await admin.exec('GET', `/jobs/${reply.body.jobId}`);
    expect(job.body.workflowId).toBe(`webhook-${stripeConnector.id}-${event.id}`);
    expect(job.body.connectorId).toBe(target.id);
    expect((await platform.waitForJob(reply.body.jobId)).status).toBe('succeeded');
    const call = downstream.callsTo('/fulfil').at(-1)!;
    expect(JSON.parse(call.body)).toStrictEqual({ event: event.id, invoice: JSON.parse(event.payload).data.object.id });

    const [row] = await sql<{ body: Buffer; headers: Record<string, string>; tenant_id: string; status: string }>(
      platform.databaseUrl,
      'SELECT body, headers, tenant_id, status FROM webhook_inbox WHERE event_id = $1',
      [event.id],
    );
    expect(row.body.toString('utf8')).toBe(event.payload); // the raw body, byte for byte
    expect(row.headers['stripe-signature']).toBe(signature);
    expect(row.tenant_id).toBe('acme');
    expect(row.status).toBe('routed');
    expect(JSON.stringify(row).includes(signingSecret)).toBe(false); // the signing secret is never stored

    const received = await admin.exec('GET', '/events?type=webhook.received');
    const recorded = received.body.items.find((item: { data: { eventId: string } }) => item.data.eventId === event.id);
    expect(recorded.data).toStrictEqual({ connectorId: stripeConnector.id, inboxId: reply.body.inboxId, provider: 'stripe', eventId: event.id, eventType: 'invoice.paid' });
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
        expect(reply.status).toBe(400);
        expect(reply.headers.get('content-type') ?? '').toMatch(/problem\+json/);
        expect(reply.body.code).toBe(code);
        expect(await counts()).toStrictEqual(before);
      });
    }

    test('the stale timestamp message says why; the secret is in no answer', async () => {
      const e = stripeEvent('invoice.paid');
      const reply = await deliver(e.payload, sign(e.payload, { timestamp: Math.floor(Date.now() / 1000) - 600 }));
      expect(reply.body.detail).toMatch(/tolerance/i);
      expect(JSON.stringify(reply.body).includes(signingSecret)).toBe(false);
    });
  });

  test('the same event delivered three times (at once) starts one job; later repeats answer 200 and start nothing', async () => {
    const event = stripeEvent('invoice.paid');
    const before = downstream.callsTo('/fulfil').length;
    const replies = await Promise.all([1, 2, 3].map(() => deliver(event.payload, sign(event.payload))));
    expect(replies.map((reply) => reply.status)).toStrictEqual([200, 200, 200]);
    expect(replies.filter((reply) => !reply.body.duplicate).length).toBe(1);
    const first = replies.find((reply) => !reply.body.duplicate)!;
    await platform.waitForJob(first.body.jobId);
    const again = await deliver(event.payload, sign(event.payload));
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    expect(again.body.jobId).toBe(first.body.jobId);

    expect((await jobsOf(stripeConnector.id, event.id)).length).toBe(1);
    expect((await sql(platform.databaseUrl, 'SELECT 1 FROM webhook_inbox WHERE event_id = $1', [event.id])).length).toBe(1);
    expect(downstream.callsTo('/fulfil').length).toBe(before + 1);
    const received = await admin.exec('GET', '/events?type=webhook.received&limit=500');
    expect(received.body.items.filter((item: { data: { eventId: string } }) => item.data.eventId === event.id).length).toBe(1);
  });

  test('an event with no route is archived as ignored; after a route is added, an operator retry runs it', async () => {
    const event = stripeEvent('customer.created', eventId(), { id: 'cus_1', object: 'customer' });
    const reply = await deliver(event.payload, sign(event.payload));
    expect(reply.status).toBe(200);
    expect(reply.body.status).toBe('ignored');
    expect(reply.body.jobId).toBe(null);

    const patched = await admin.control('PATCH', `/connectors/${stripeConnector.id}`, {
      json: { routes: { 'invoice.paid': { connector: target.id, operation: 'fulfil' }, 'customer.*': { connector: target.name, operation: 'syncCustomer' } } },
    });
    expect(patched.status).toBe(200);
    const retried = await admin.control('POST', `/webhooks/inbox/${reply.body.inboxId}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('routed');
    expect(retried.body.routeAttempts).toBe(2);
    const job = await platform.waitForJob(retried.body.jobId);
    expect(job.status).toBe('succeeded');
    expect(job.workflowId).toBe(`webhook-${stripeConnector.id}-${event.id}`);
    expect(JSON.parse(downstream.callsTo('/customers').at(-1)!.body).data).toStrictEqual({ object: { id: 'cus_1', object: 'customer' } });

    // Retrying an event whose job has ended runs it again, under the same workflow id.
    const again = await admin.control('POST', `/webhooks/inbox/${reply.body.inboxId}/retry`);
    expect(again.status).toBe(200);
    expect(again.body.jobId).not.toBe(retried.body.jobId);
    await platform.waitForJob(again.body.jobId);
    expect((await jobsOf(stripeConnector.id, event.id)).length).toBe(2);
  });

  test('GET /webhooks/inbox lists deliveries newest first with filters and a cursor; tenants see only their own', async () => {
    const all = await admin.control('GET', `/webhooks/inbox?connector=${stripeConnector.id}`);
    expect(all.status).toBe(200);
    expect(all.body.items.length).toBeGreaterThanOrEqual(3);
    const entry = all.body.items[0];
    expect(Object.keys(entry).sort()).toStrictEqual(['body', 'bodyPayload', 'connectorId', 'error', 'eventId', 'eventType', 'headers', 'id', 'jobId', 'provider', 'receivedAt', 'routeAttempts', 'routedAt', 'status']);
    const received = all.body.items.map((item: { receivedAt: string }) => item.receivedAt);
    expect(received).toStrictEqual([...received].sort().reverse());

    const page = await admin.control('GET', '/webhooks/inbox?limit=1');
    expect(page.body.items.length).toBe(1);
    const next = await admin.control('GET', `/webhooks/inbox?limit=1&cursor=${page.body.nextCursor}`);
    expect(next.body.items[0].id).not.toBe(page.body.items[0].id);
    const ignored = await admin.control('GET', '/webhooks/inbox?eventType=customer.created');
    expect(ignored.body.items.every((item: { eventType: string }) => item.eventType === 'customer.created')).toBeTruthy();

    const outsider = await auth.client(platform, { tenant: 'other', roles: ['admin', 'operator'] });
    expect((await outsider.control('GET', '/webhooks/inbox')).body.items).toStrictEqual([]);
    const foreign = await outsider.control('POST', `/webhooks/inbox/${entry.id}/retry`);
    expect(foreign.status).toBe(404);
    expect((await http('GET', `${platform.control}/webhooks/inbox`)).status).toBe(401); // the inbox needs a token
    const viewer = await auth.client(platform, { tenant: 'acme', roles: ['viewer'] });
    expect((await viewer.control('POST', `/webhooks/inbox/${entry.id}/retry`)).status).toBe(403);
  });

  test('ingress answers only on the exec plane, for enabled stripe connectors', async () => {
    const event = stripeEvent('invoice.paid');
    const before = await counts();
    expect((await deliver(event.payload, sign(event.payload), stripeConnector.id, platform.control)).status).toBe(404); // not on the control port
    expect((await deliver(event.payload, sign(event.payload), '00000000-0000-4000-8000-000000000000')).body.code).toBe('WEBHOOK_ENDPOINT_NOT_FOUND');
    expect((await deliver(event.payload, sign(event.payload), target.id)).status).toBe(404); // an http connector has no ingress
    expect((await deliver(event.payload, sign(event.payload), 'not-a-uuid')).status).toBe(404);

    await admin.control('PATCH', `/connectors/${stripeConnector.id}`, { json: { enabled: false } });
    const disabled = await deliver(event.payload, sign(event.payload));
    expect(disabled.status).toBe(409);
    await admin.control('PATCH', `/connectors/${stripeConnector.id}`, { json: { enabled: true } });
    expect(await counts()).toStrictEqual(before);
  });

  test('a signing secret that cannot be resolved is a 503 with Retry-After (Stripe delivers again), storing nothing', async () => {
    const ref = await admin.control('POST', '/secret-refs', { json: { name: name('whsec-env'), provider: 'env', envVar: 'SECRET_NOT_CONFIGURED_HERE' } });
    const connector = await admin.control('POST', '/connectors', { json: { name: name('stripe'), type: 'stripe', signingSecretRef: ref.body.id } });
    const before = await counts();
    const event = stripeEvent('invoice.paid');
    const reply = await deliver(event.payload, sign(event.payload), connector.body.id);
    expect(reply.status).toBe(503);
    expect(reply.body.code).toBe('WEBHOOK_SECRET_UNAVAILABLE');
    expect(reply.headers.get('retry-after')).toBeTruthy();
    expect(await counts()).toStrictEqual(before);
  });

  test('the signing secret never appears in the logs', () => {
    const logs = [platform.api, ...platform.workers].map((process) => process.output).join('\n');
    expect(logs).toContain('webhooks'); // the api logged the deliveries
    expect(logs.includes(signingSecret)).toBe(false);
  });
});
