import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { describeTenantWorkflow } from '../../src/auth/tenant-scope';
import { AppError } from '../../src/common/app-error';
import { TENANT_ID } from '../../src/temporal/search-attributes';
import { Caller, Plane, SharedSecretAuth } from '../support/auth';
import { Downstream, json } from '../support/downstream';
import { HttpReply, TestPlatform } from '../support/platform';
import { serviceEnv, uniqueName } from '../support/services';
import { SseClient } from '../support/sse';
import { rejection } from '../support/expectations';

const ONE_ATTEMPT = { maxAttempts: 1, initialIntervalMs: 100, backoffCoefficient: 1, maxIntervalMs: 100, jitter: 0, nonRetryable: [], respectRetryAfter: true };
const ROLES = ['admin', 'operator', 'executor'];
/** Both tenants name their connector the same: names are unique per tenant only. */
const SHARED_NAME = 'same-name';

/** What one tenant owns; every id here must stay invisible to the other tenant. */
interface Tenant {
  caller: Caller;
  connectorId: string;
  policyId: string;
  succeededJob: string;
  failedJob: string;
  runningJob: string;
  secretRefId: string;
  secretRefName: string;
  configVersion: number;
  /** Why the config fixture could not be created, if it could not. */
}

/** Ids that exist nowhere: the answer for another tenant's resource must be exactly this one. */
function phantom(of: Tenant): Tenant {
  return {
    ...of,
    connectorId: randomUUID(),
    policyId: randomUUID(),
    succeededJob: randomUUID(),
    failedJob: randomUUID(),
    runningJob: randomUUID(),
    secretRefId: randomUUID(),
    secretRefName: 'no-such-ref',
    configVersion: 9_999,
  };
}

function ids(tenant: Tenant): string[] {
  return [tenant.connectorId, tenant.policyId, tenant.succeededJob, tenant.failedJob, tenant.runningJob, tenant.secretRefId];
}

interface Hidden {
  name: string;
  plane: Plane;
  method: string;
  /** The request A sends, about B's resource. */
  path: (b: Tenant, a: Tenant) => string;
  body?: (b: Tenant, a: Tenant) => unknown;
  /** The problem code expected (else any 404 that is not ROUTE_NOT_FOUND). */
  code?: string;
}

/**
 * Requests by tenant A naming tenant B's resources: each must answer 404, the very same answer as
 * for an id that exists nowhere. Add a row for every new route that takes an id.
 */
const HIDDEN: Hidden[] = [
  { name: 'GET a job', plane: 'exec', method: 'GET', path: (b) => `/jobs/${b.succeededJob}`, code: 'JOB_NOT_FOUND' },
  { name: 'GET a job by its Temporal workflow id', plane: 'exec', method: 'GET', path: (b) => `/jobs/job-${b.succeededJob}` },
  { name: 'cancel a running job', plane: 'exec', method: 'POST', path: (b) => `/jobs/${b.runningJob}/cancel`, code: 'JOB_NOT_FOUND' },
  { name: 'cancel by Temporal workflow id', plane: 'exec', method: 'POST', path: (b) => `/jobs/job-${b.runningJob}/cancel` },
  { name: 'execute on B’s connector (by id)', plane: 'exec', method: 'POST', path: () => '/execute', body: (b) => ({ connector: b.connectorId, operation: 'ok' }), code: 'CONNECTOR_NOT_FOUND' },
  { name: 'execute under B’s policy', plane: 'exec', method: 'POST', path: () => '/execute', body: (b) => ({ connector: SHARED_NAME, operation: 'ok', policy: b.policyId }), code: 'POLICY_NOT_FOUND' },
  { name: 'GET a connector', plane: 'control', method: 'GET', path: (b) => `/connectors/${b.connectorId}`, code: 'CONNECTOR_NOT_FOUND' },
  { name: 'GET connector state', plane: 'control', method: 'GET', path: (b) => `/connectors/${b.connectorId}/state`, code: 'CONNECTOR_NOT_FOUND' },
  { name: 'force B’s breaker open', plane: 'control', method: 'POST', path: (b) => `/connectors/${b.connectorId}/breaker`, body: () => ({ action: 'open' }), code: 'CONNECTOR_NOT_FOUND' },
  { name: 'PATCH a connector', plane: 'control', method: 'PATCH', path: (b) => `/connectors/${b.connectorId}`, body: () => ({ enabled: false }), code: 'CONNECTOR_NOT_FOUND' },
  { name: 'DELETE a connector', plane: 'control', method: 'DELETE', path: (b) => `/connectors/${b.connectorId}`, code: 'CONNECTOR_NOT_FOUND' },
  { name: 'GET a policy', plane: 'control', method: 'GET', path: (b) => `/policies/${b.policyId}`, code: 'POLICY_NOT_FOUND' },
  { name: 'GET a policy version', plane: 'control', method: 'GET', path: (b) => `/policies/${b.policyId}/versions/1`, code: 'POLICY_NOT_FOUND' },
  { name: 'add a policy version', plane: 'control', method: 'POST', path: (b) => `/policies/${b.policyId}/versions`, body: () => ({}), code: 'POLICY_NOT_FOUND' },
  { name: 'GET a secret ref by id', plane: 'control', method: 'GET', path: (b) => `/secret-refs/${b.secretRefId}` },
  { name: 'GET a secret ref by name', plane: 'control', method: 'GET', path: (b) => `/secret-refs/${b.secretRefName}` },
  { name: 'DELETE a secret ref', plane: 'control', method: 'DELETE', path: (b) => `/secret-refs/${b.secretRefId}` },
  { name: 'replay a DLQ entry', plane: 'control', method: 'POST', path: (b) => `/dlq/${b.failedJob}/replay`, body: () => ({}) },
  { name: 'purge a DLQ entry', plane: 'control', method: 'DELETE', path: (b) => `/dlq/${b.failedJob}` },
  { name: 'GET a config version', plane: 'control', method: 'GET', path: (b) => `/configs/${b.configVersion}` },
];

interface Listing {
  name: string;
  plane: Plane;
  method?: string;
  path: (b: Tenant, a: Tenant) => string;
  body?: unknown;
  /** Something of A's own that must be in the answer (so an empty answer cannot pass by accident). */
  own?: (a: Tenant) => string;
  check?: (reply: HttpReply) => void;
  /** Audit rows: every row must be of A's tenant and A's actors (their targets may name B's ids that A typed). */
  ownRowsOnly?: boolean;
}

/** Lists and searches by tenant A: B's ids must appear nowhere in the answer. */
const LISTINGS: Listing[] = [
  { name: 'GET /jobs', plane: 'exec', path: () => '/jobs?limit=200', own: (a) => a.succeededJob },
  { name: 'GET /jobs filtered by B’s connector', plane: 'exec', path: (b) => `/jobs?connector=${b.connectorId}`, check: (reply) => expect(reply.body.items).toStrictEqual([]) },
  { name: 'GET /events', plane: 'exec', path: () => '/events?limit=500', own: (a) => a.succeededJob },
  { name: 'GET /events of B’s job', plane: 'exec', path: (b) => `/events?jobId=${b.succeededJob}`, check: (reply) => expect(reply.body.items).toStrictEqual([]) },
  { name: 'GET /connectors', plane: 'control', path: () => '/connectors', own: (a) => a.connectorId },
  { name: 'GET /connectors/:name resolves to A’s own connector', plane: 'control', path: () => `/connectors/${SHARED_NAME}`, own: (a) => a.connectorId },
  { name: 'GET /connectors/state', plane: 'control', path: () => '/connectors/state', own: (a) => a.connectorId },
  { name: 'GET /policies', plane: 'control', path: () => '/policies', own: (a) => a.policyId },
  { name: 'GET /secret-refs', plane: 'control', path: () => '/secret-refs', own: (a) => a.secretRefId },
  { name: 'GET /dlq', plane: 'control', path: () => '/dlq', own: (a) => a.failedJob },
  {
    name: 'POST /dlq/replay dry run counts only A’s entries',
    plane: 'control',
    method: 'POST',
    path: () => '/dlq/replay',
    body: { filter: {}, dryRun: true },
    check: (reply) => expect(reply.body.count ?? reply.body.matched).toBe(1),
  },
  { name: 'GET /configs', plane: 'control', path: () => '/configs', check: (reply) => expect(reply.body.items).toStrictEqual([]) },
  { name: 'GET /configs/active', plane: 'control', path: () => '/configs/active', check: (reply) => expect(reply.status).toBe(404) },
  {
    // A's own refused attempts name B's ids (A typed them), so this checks whose rows these are instead.
    name: 'GET /audit',
    plane: 'control',
    path: () => '/audit?limit=500',
    own: (a) => a.connectorId,
    ownRowsOnly: true,
  },
];

describe('tenant isolation: tenant A never sees or touches tenant B', () => {
  const downstream = new Downstream();
  const auth = new SharedSecretAuth();
  const platform = new TestPlatform({ ORCH_ALLOW_PRIVATE_NETWORK: 'true' }, { auth });
  const tenants: { a?: Tenant; b?: Tenant } = {};

  async function setUp(tenantId: string, withConfig: boolean): Promise<Tenant> {
    const caller = await auth.client(platform, { tenant: tenantId, sub: `admin-of-${tenantId}`, roles: ROLES });
    const policy = await caller.control('POST', '/policies', { json: { name: 'one-attempt', retry: ONE_ATTEMPT } });
    expect(policy.status).toBe(201);
    const operations = { ok: { method: 'GET', path: '/ok' }, bad: { method: 'GET', path: '/bad' }, slow: { method: 'GET', path: '/slow' } };
    const connector = await caller.control('POST', '/connectors', {
      json: { name: SHARED_NAME, type: 'http', baseUrl: downstream.url, operations, allowPrivateNetwork: true, policyId: policy.body.id },
    });
    expect(connector.status).toBe(201);
    const run = async (operation: string) => {
      const reply = await caller.exec('POST', '/execute', { json: { connector: SHARED_NAME, operation } });
      expect(reply.status).toBe(202);
      return reply.body.id as string;
    };
    const waitFor = async (id: string, status: string) => {
      let last: unknown;
      for (let i = 0; i < 300; i++) {
        last = (await caller.exec('GET', `/jobs/${id}`)).body;
        if ((last as { status?: string }).status === status) return;
        await delay(100);
      }
      const events = (await caller.exec('GET', `/events?jobId=${id}`)).body;
      throw new Error(`job ${id} never became ${status}: ${JSON.stringify(last)} ${JSON.stringify(events)}`);
    };
    const [succeededJob, failedJob] = [await run('ok'), await run('bad')];
    await waitFor(succeededJob, 'succeeded');
    await waitFor(failedJob, 'failed');
    const secretRefName = `ref-${tenantId.toLowerCase().replace(/_/g, '-')}`;
    const secret = await caller.control('POST', '/secret-refs', { json: { name: secretRefName, provider: 'env', envVar: 'SECRET_TENANCY_TEST' } });
    expect(secret.status).toBe(201);
    let configVersion = 0; // A has no config at all: any config A could read would be B's
    if (withConfig) {
      const config = await caller.control('POST', '/configs', { json: { features: { isolated: true } } });
      expect(config.status).toBe(201);
      configVersion = config.body.version;
    }
    return {
      caller,
      connectorId: connector.body.id,
      policyId: policy.body.id,
      succeededJob,
      failedJob,
      runningJob: '',
      secretRefId: secret.body.id,
      secretRefName,
      configVersion,
    };
  }

  beforeAll(async () => {
    downstream.on('/ok', (_call, response) => json(response, 200, { ok: true }));
    downstream.on('/bad', (_call, response) => json(response, 400, { error: 'bad' }));
    downstream.on('/slow', async (_call, response) => {
      await delay(6_000);
      json(response, 200, { slow: true });
    });
    await downstream.start();
    await platform.start({ workers: 1 });
    // Only B gets a config: A has none, so any config A could read would be B's.
    tenants.a = await setUp(uniqueName('tenantA'), false);
    const b = await setUp(uniqueName('tenantB'), true);
    tenants.b = b;
    // A job of B that is running while A probes (cancel must not reach it).
    const running = await b.caller.exec('POST', '/execute', { json: { connector: SHARED_NAME, operation: 'slow' } });
    expect(running.status).toBe(202);
    b.runningJob = running.body.id;
  });
  afterAll(async () => {
    await platform.stop();
    await downstream.stop();
  });

  for (const probe of HIDDEN) {
    test(`hidden: ${probe.name} → 404 like a nonexistent id`, async () => {
      const { a, b } = tenants as Required<typeof tenants>;
      const send = (target: Tenant) => a.caller.request(probe.plane, probe.method, probe.path(target, a), probe.body ? { json: probe.body(target, a) } : {});
      const [reply, baseline] = [await send(b), await send(phantom(b))];
      expect(reply.status).toBe(404);
      expect(reply.body.code).not.toBe('ROUTE_NOT_FOUND');
      if (probe.code) expect(reply.body.code).toBe(probe.code);
      expect(reply.status).toBe(baseline.status); // the same answer as for an id that exists nowhere
      expect(reply.body.code).toBe(baseline.body.code);
      for (const id of [b.caller.identity.tenant]) expect(JSON.stringify(reply.body)).not.toContain(id); // nothing of B leaks
    });
  }

  for (const listing of LISTINGS) {
    test(`listing: ${listing.name} shows nothing of B`, async () => {
      const { a, b } = tenants as Required<typeof tenants>;
      const reply = await a.caller.request(listing.plane, listing.method ?? 'GET', listing.path(b, a), listing.body ? { json: listing.body } : {});
      expect(reply.body?.code).not.toBe('ROUTE_NOT_FOUND');
      listing.check?.(reply);
      if (!listing.check) expect(reply.status).toBe(200);
      const text = JSON.stringify(reply.body);
      if (listing.ownRowsOnly) {
        const rows = reply.body.items as { tenantId: string; actor: { tenantId: string; subject: string } }[];
        expect(rows.length).toBeGreaterThan(0);
        for (const row of rows) expect([row.tenantId, row.actor.tenantId, row.actor.subject]).toStrictEqual([a.caller.identity.tenant, a.caller.identity.tenant, a.caller.identity.sub]);
        expect(text).not.toContain(b.caller.identity.tenant); // B is named nowhere
      } else {
        for (const id of [...ids(b), b.caller.identity.tenant]) expect(text).not.toContain(id);
      }
      if (listing.own && listing.own(a)) expect(text).toContain(listing.own(a)); // A sees its own
    });
  }

  for (const [name, query, own] of [
    ['all events from the start, then live', '', true],
    ['filtered on B’s job', '?jobId=B', false],
  ] as const) {
    test(`event stream (SSE), ${name}: nothing of B`, async () => {
      const { a, b } = tenants as Required<typeof tenants>;
      const url = `${platform.exec}/events/stream${query.replace('B', b.succeededJob)}`;
      const stream = new SseClient(url, { authorization: `Bearer ${a.caller.token}`, 'last-event-id': '0' });
      await stream.open();
      const live: string[] = [];
      try {
        if (own) {
          await stream.waitFor(() => JSON.stringify(stream.events()).includes(a.succeededJob), 10_000);
          // Live fan-out too: B's new job streams nothing to A, while A's own new job does arrive.
          const bLive = await b.caller.exec('POST', '/execute', { json: { connector: SHARED_NAME, operation: 'ok' } });
          const aLive = await a.caller.exec('POST', '/execute', { json: { connector: SHARED_NAME, operation: 'ok' } });
          live.push(bLive.body.id);
          await stream.waitFor(() => JSON.stringify(stream.events()).includes(aLive.body.id), 10_000);
          for (let i = 0; i < 100 && (await b.caller.exec('GET', `/jobs/${bLive.body.id}`)).body.status !== 'succeeded'; i++) await delay(100);
          await delay(500);
        } else await delay(1_500);
      } finally {
        await stream.close();
      }
      const text = JSON.stringify(stream.messages);
      for (const id of [...ids(b), ...live, b.caller.identity.tenant]) expect(text).not.toContain(id);
      if (!own) expect(stream.events()).toStrictEqual([]);
    });
  }

  test("a connector of A cannot name B's secret ref (400 on the field, as for one that does not exist)", async () => {
    const { a, b } = tenants as Required<typeof tenants>;
    const create = (secretRef: string) =>
      a.caller.control('POST', '/connectors', {
        json: { name: uniqueName('c').replace('_', '-'), type: 'http', baseUrl: downstream.url, allowPrivateNetwork: true, operations: { ok: { method: 'GET', path: '/ok' } }, auth: { type: 'bearer', secretRef } },
      });
    const nowhere = phantom(b).secretRefId;
    const [reply, baseline] = [await create(b.secretRefId), await create(nowhere)];
    expect([reply.status, baseline.status]).toStrictEqual([400, 400]);
    expect(reply.body.errors[0].field).toBe('auth.secretRef');
    // The same answer as for a ref that exists nowhere: nothing says B's ref exists.
    expect(JSON.stringify([reply.body.code, reply.body.detail, reply.body.errors]).replaceAll(b.secretRefId, nowhere)).toBe(JSON.stringify([baseline.body.code, baseline.body.detail, baseline.body.errors]));
  });

  test('B is untouched, and Temporal agrees: the workflow carries B’s TenantId and only B can address it', async () => {
    const { a, b } = tenants as Required<typeof tenants>;
    expect((await b.caller.control('GET', `/connectors/${b.connectorId}`)).body.enabled).toBe(true); // not disabled by A
    const state = await b.caller.control('GET', `/connectors/${b.connectorId}/state`);
    expect(state.body.breaker.state).toBe('closed'); // breaker not opened by A
    expect((await b.caller.control('GET', `/policies/${b.policyId}`)).body.latestVersion).toBe(1); // no version added by A
    expect((await b.caller.control('GET', `/secret-refs/${b.secretRefId}`)).status).toBe(200); // secret ref not deleted by A
    const dlq = await b.caller.control('GET', '/dlq');
    expect(dlq.status).toBe(200);
    expect(JSON.stringify(dlq.body)).toContain(b.failedJob); // DLQ entry neither purged nor replayed by A

    const connection = await Connection.connect({ address: serviceEnv().TEMPORAL_ADDRESS });
    try {
      const client = new Client({ connection });
      const workflowId = `job-${b.runningJob}`;
      const notFound = () => new AppError('JOB_NOT_FOUND', 'no');
      const error = await rejection(describeTenantWorkflow(client, a.caller.identity.tenant, workflowId, notFound));
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ status: 404 });
      const description = await describeTenantWorkflow(client, b.caller.identity.tenant, workflowId, notFound);
      expect(description.typedSearchAttributes.get(TENANT_ID)).toBe(b.caller.identity.tenant);
      await expect(describeTenantWorkflow(client, b.caller.identity.tenant, `job-${randomUUID()}`, notFound)).rejects.toBeInstanceOf(AppError);
      const result = await client.workflow.getHandle(workflowId).result().then(() => 'completed', (error: Error) => error.name);
      expect(result).toBe('completed'); // A’s cancel attempts never reached B’s workflow
    } finally {
      await connection.close();
    }
    const job = await b.caller.exec('GET', `/jobs/${b.runningJob}`);
    expect(job.body.status).toBe('succeeded');
  });
  test('within a tenant an executor reads only the jobs it submitted and their events; operators and viewers read all', async () => {
    const { a } = tenants as Required<typeof tenants>;
    const tenant = a.caller.identity.tenant;
    const [alice, bob, viewer] = await Promise.all([
      auth.client(platform, { tenant, sub: 'executor-alice', roles: ['executor'] }),
      auth.client(platform, { tenant, sub: 'executor-bob', roles: ['executor'] }),
      auth.client(platform, { tenant, sub: 'viewer-vic', roles: ['viewer'] }),
    ]);
    const submit = async (caller: Caller) => {
      const reply = await caller.exec('POST', '/execute', { json: { connector: SHARED_NAME, operation: 'ok' }, headers: { prefer: 'wait=20' } });
      expect([reply.status, reply.body.status, reply.body.submittedBy]).toStrictEqual([200, 'succeeded', caller.identity.sub]);
      return reply.body.id as string;
    };
    const [aliceJob, bobJob] = [await submit(alice), await submit(bob)];

    const listed = (caller: Caller) => caller.exec('GET', '/jobs?limit=100').then((reply) => (reply.body.items as { id: string }[]).map((job) => job.id));
    expect(await listed(alice)).toStrictEqual([aliceJob]);
    expect(await listed(bob)).toStrictEqual([bobJob]);
    for (const reader of [viewer, a.caller]) expect(await listed(reader)).toEqual(expect.arrayContaining([aliceJob, bobJob, a.succeededJob]));

    // Bob's job is, to Alice, a job that does not exist: read, cancel and its events alike.
    const [read, nowhere] = [await alice.exec('GET', `/jobs/${bobJob}`), await alice.exec('GET', `/jobs/${randomUUID()}`)];
    expect([read.status, read.body.code]).toStrictEqual([404, 'JOB_NOT_FOUND']);
    expect(read.body.detail.replace(bobJob, '')).toBe(nowhere.body.detail.replace(/[0-9a-f-]{36}/, ''));
    expect((await alice.exec('POST', `/jobs/${bobJob}/cancel`)).body.code).toBe('JOB_NOT_FOUND');
    const eventJobs = async (caller: Caller, query = '') => new Set(((await caller.exec('GET', `/events?limit=500${query}`)).body.items as { jobId: string | null }[]).map((event) => event.jobId));
    expect(await eventJobs(alice)).toStrictEqual(new Set([aliceJob]));
    expect(await eventJobs(alice, `&jobId=${bobJob}`)).toStrictEqual(new Set());
    expect([...(await eventJobs(viewer))]).toEqual(expect.arrayContaining([aliceJob, bobJob]));

    // The live stream shows Alice the events of her own next job only.
    const stream = await new SseClient(`${platform.exec}/events/stream`, { authorization: `Bearer ${alice.token}` }).open();
    let theirs = '';
    try {
      theirs = await submit(bob);
      const mine = await submit(alice);
      await stream.waitFor(() => stream.events().some((event) => event.event === 'job.succeeded' && event.data?.includes(mine)), 10_000);
      await delay(500); // anything of Bob's job would have been written before Alice's later one
      const jobIds = new Set(stream.events().map((event) => (JSON.parse(event.data ?? '{}') as { jobId: string }).jobId));
      expect(jobIds).toStrictEqual(new Set([mine]));
    } finally {
      await stream.close();
    }
    expect(JSON.stringify(stream.messages)).not.toContain(theirs);
  });
});
