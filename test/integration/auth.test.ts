import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import {
  bearer,
  Identity,
  JwksAuth,
  mintToken,
  Plane,
  publicKeyPem,
  SharedSecretAuth,
  SigningKey,
  TestAuth,
  TokenOptions,
  unsecuredToken,
} from '../support/auth';
import { http, TestPlatform } from '../support/platform';
import { freePort, PlatformProcess } from '../support/processes';
import { uniqueName } from '../support/services';

/** One route of each plane that any role with `…:read` may call. */
const ROUTES: Record<Plane, string> = { control: '/connectors', exec: '/jobs' };
const other = (plane: Plane): Plane => (plane === 'control' ? 'exec' : 'control');

interface Hostile {
  name: string;
  /** The Authorization header for a request to a route of `plane` (undefined = none). */
  authorization: (plane: Plane) => Promise<string | undefined>;
}

/** Tokens that must each get 401, whatever the key source. */
function hostileTokens(auth: TestAuth, identity: Identity): Hostile[] {
  const signed = (options: (plane: Plane) => TokenOptions) => async (plane: Plane) => `Bearer ${await auth.token(identity, options(plane))}`;
  return [
    { name: 'no Authorization header', authorization: async () => undefined },
    { name: 'not a bearer token (Basic)', authorization: async () => 'Basic dXNlcjpwYXNz' },
    { name: 'malformed JWT', authorization: async () => 'Bearer eyJhbGciOi.not-json.x' },
    { name: 'alg: none', authorization: async (plane) => `Bearer ${unsecuredToken(identity, plane)}` },
    {
      name: 'wrong signature',
      authorization: async (plane) => {
        const [header, payload] = (await auth.token(identity, { aud: plane })).split('.');
        return `Bearer ${header}.${payload}.${Buffer.from('forged-signature-bytes-forged-signature').toString('base64url')}`;
      },
    },
    {
      name: 'signed by a key the api does not trust',
      authorization: async (plane) => `Bearer ${await mintToken({ alg: 'HS256', key: new TextEncoder().encode('an-attacker-secret-of-more-than-32-chars') }, identity, { aud: plane })}`,
    },
    { name: 'expired (beyond the clock skew)', authorization: signed((plane) => ({ aud: plane, expiresIn: -120 })) },
    { name: 'not yet valid (nbf beyond the clock skew)', authorization: signed((plane) => ({ aud: plane, notBefore: 600 })) },
    { name: 'wrong issuer', authorization: signed((plane) => ({ aud: plane, iss: 'https://evil.example/' })) },
    { name: "the other plane's audience", authorization: signed((plane) => ({ aud: other(plane) })) },
    { name: 'an unknown audience', authorization: signed(() => ({ aud: 'someone-else' })) },
    { name: 'no tenant_id claim', authorization: signed((plane) => ({ aud: plane, omit: ['tenant_id'] })) },
    { name: 'no exp claim', authorization: signed((plane) => ({ aud: plane, omit: ['exp'] })) },
  ];
}

async function expect401(platform: TestPlatform, plane: Plane, authorization: string | undefined) {
  const base = plane === 'control' ? platform.control : platform.exec;
  const reply = await http('GET', `${base}${ROUTES[plane]}`, { headers: authorization ? { authorization } : {} });
  expect(reply.status).toBe(401);
  expect(reply.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
  expect(reply.body.code).toBe('UNAUTHENTICATED');
  expect(reply.headers.get('www-authenticate') ?? '').toMatch(new RegExp(`^Bearer realm="orchestrator-${plane}"`));
  const token = authorization?.split(' ')[1];
  if (token) expect(JSON.stringify(reply.body)).not.toContain(token); // the token is not echoed
}

function tableOfHostileTokens(platform: () => TestPlatform, hostile: Hostile[]) {
  for (const plane of ['control', 'exec'] as Plane[]) {
    describe(`${plane} plane: every hostile token → 401 problem+json`, () => {
      for (const { name, authorization } of hostile) {
        test(name, async () => expect401(platform(), plane, await authorization(plane)));
      }
    });
  }
}

describe('JWT with an HS256 shared secret', () => {
  const auth = new SharedSecretAuth();
  const platform = new TestPlatform({}, { auth });
  const tenant = uniqueName('t');
  const admin: Identity = { tenant, sub: 'ada', roles: ['admin', 'executor'] };
  const tokens: string[] = [];

  beforeAll(() => platform.start({ workers: 0 }));
  afterAll(() => platform.stop());

  tableOfHostileTokens(() => platform, hostileTokens(auth, admin));

  test('an RS256 token (algorithm the shared-secret mode does not accept) → 401', async () => {
    const jwks = new JwksAuth();
    const pair = await jwks.addKey('RS256');
    await expect401(platform, 'control', `Bearer ${await mintToken(jwks.signer(pair), admin, { aud: 'control' })}`);
  });

  test('valid tokens → 2xx on each plane with its own audience', async () => {
    for (const plane of ['control', 'exec'] as Plane[]) {
      const token = await auth.token(admin, { aud: plane });
      tokens.push(token);
      const reply = await http('GET', `${plane === 'control' ? platform.control : platform.exec}${ROUTES[plane]}`, { headers: bearer(token) });
      expect(reply.status).toBe(200);
    }
    // A token for both audiences works on both planes; a lowercase scheme is fine (RFC 6750).
    const both = await auth.token(admin);
    tokens.push(both);
    expect((await http('GET', `${platform.control}/connectors`, { headers: { authorization: `bearer ${both}` } })).status).toBe(200);
    expect((await http('GET', `${platform.exec}/jobs`, { headers: bearer(both) })).status).toBe(200);
  });

  test('expired a few seconds ago is still accepted (small clock skew)', async () => {
    const token = await auth.token(admin, { aud: 'exec', expiresIn: -5 });
    expect((await http('GET', `${platform.exec}/jobs`, { headers: bearer(token) })).status).toBe(200);
  });

  const forbidden: [string, Identity['roles'], Plane, string, string, string][] = [
    ['viewer cannot write the control plane', ['viewer'], 'control', 'POST', '/policies', 'control:write'],
    ['operator cannot write the control plane', ['operator'], 'control', 'POST', '/policies', 'control:write'],
    ['executor cannot read the control plane', ['executor'], 'control', 'GET', '/connectors', 'control:read'],
    ['admin cannot execute', ['admin'], 'exec', 'POST', '/execute', 'exec:execute'],
    ['viewer cannot execute', ['viewer'], 'exec', 'POST', '/execute', 'exec:execute'],
    ['no roles cannot read jobs', [], 'exec', 'GET', '/jobs', 'exec:read'],
    ['viewer cannot reset a breaker', ['viewer'], 'control', 'POST', '/connectors/x/breaker', 'control:operate'],
  ];
  for (const [name, roles, plane, method, path, permission] of forbidden) {
    test(`403 names the missing permission: ${name}`, async () => {
      const caller = await auth.client(platform, { tenant, sub: 'limited', roles });
      const reply = await caller.request(plane, method, path, method === 'POST' ? { json: { name: 'x', connector: 'x', operation: 'y', action: 'reset' } } : {});
      expect(reply.status).toBe(403);
      expect(reply.body.code).toBe('FORBIDDEN');
      expect(reply.body.detail).toMatch(new RegExp(`"${permission}"`));
    });
  }

  test('allowed by role: viewer reads both planes, operator reads control', async () => {
    const viewer = await auth.client(platform, { tenant, roles: ['viewer'] });
    expect((await viewer.control('GET', '/policies')).status).toBe(200);
    expect((await viewer.exec('GET', '/events')).status).toBe(200);
    const operator = await auth.client(platform, { tenant, roles: ['operator'] });
    expect((await operator.control('GET', '/connectors/state')).status).toBe(200);
  });

  test("planes are separate: neither plane's routes answer on the other's port; ops routes on both", async () => {
    const caller = await auth.client(platform, admin);
    for (const path of ['/connectors', '/policies', '/connectors/state', '/audit']) {
      const reply = await http('GET', `${platform.exec}${path}`, { headers: bearer(caller.token) });
      expect(reply.status).toBe(404);
      expect(reply.body.code).toBe('ROUTE_NOT_FOUND');
    }
    for (const [method, path] of [['GET', '/jobs'], ['GET', '/events'], ['POST', '/execute']]) {
      const reply = await http(method, `${platform.control}${path}`, { headers: bearer(caller.token), ...(method === 'POST' ? { json: {} } : {}) });
      expect(reply.status).toBe(404);
      expect(reply.body.code).toBe('ROUTE_NOT_FOUND');
    }
    // Without credentials the answer is the same 404: the other plane's routes are not revealed.
    expect((await http('GET', `${platform.exec}/connectors`)).status).toBe(404);
    for (const base of [platform.control, platform.exec]) {
      expect((await http('GET', `${base}/health/live`)).status).toBe(200);
      expect((await http('GET', `${base}/docs-json`)).status).toBe(200);
    }
  });

  test('every documented operation exists on its port (and only there, unless it is on every port)', async () => {
    const documents = { control: (await http('GET', `${platform.control}/docs-json`)).body, exec: (await http('GET', `${platform.exec}/docs-json`)).body };
    const operations = (plane: 'control' | 'exec') =>
      Object.entries(documents[plane].paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
        Object.keys(item).filter((key) => ['get', 'post', 'put', 'patch', 'delete'].includes(key)).map((method) => `${method.toUpperCase()} ${path}`),
      );
    const [control, exec] = [operations('control'), operations('exec')];
    expect(control.length + exec.length).toBeGreaterThan(40);
    const concrete = (path: string) => path.replace(/\{[^}]+\}/g, randomUUID());
    for (const [plane, mine, base, otherBase] of [['control', control, platform.control, platform.exec], ['exec', exec, platform.exec, platform.control]] as const) {
      for (const operation of mine) {
        const [method, path] = operation.split(' ');
        if (path === '/events/stream') continue; // an endless stream: its route is checked by the SSE tests
        // No credentials: an existing route answers 401 (or, on every port, its public answer), changing nothing.
        const here = await http(method, `${base}${concrete(path)}`, method === 'GET' ? {} : { json: {} });
        expect([plane, operation, here.body?.code === 'ROUTE_NOT_FOUND' || here.status === 405]).toStrictEqual([plane, operation, false]);
        const onEveryPort = (plane === 'control' ? exec : control).includes(operation);
        if (!onEveryPort) {
          const there = await http(method, `${otherBase}${concrete(path)}`, method === 'GET' ? {} : { json: {} });
          // The other plane's port: not found (or, where a public route shares the shape, another method's path).
          expect([plane, operation, [404, 405].includes(there.status)]).toStrictEqual([plane, operation, true]);
        }
      }
    }
  });

  test('one PORT serves both planes (dev), each still with its own audience', async () => {
    const port = await freePort();
    const single = PlatformProcess.spawn('api', platform.env({ PORT: String(port) }));
    try {
      const base = `http://127.0.0.1:${port}`;
      await single.waitForHttp(`${base}/health/live`);
      const control = await auth.token(admin, { aud: 'control' });
      const exec = await auth.token(admin, { aud: 'exec' });
      expect((await http('GET', `${base}/connectors`, { headers: bearer(control) })).status).toBe(200);
      expect((await http('GET', `${base}/jobs`, { headers: bearer(exec) })).status).toBe(200);
      expect((await http('GET', `${base}/connectors`, { headers: bearer(exec) })).status).toBe(401); // an exec token on a control route
      expect((await http('GET', `${base}/jobs`, { headers: bearer(control) })).status).toBe(401); // a control token on an exec route
    } finally {
      await single.stop();
    }
  });

  test('neither tokens nor the shared secret appear in the logs', async () => {
    await delay(200);
    const output = platform.api.output;
    expect(output.length).toBeGreaterThan(0);
    expect(output).not.toContain(auth.secret); // the shared secret is not logged
    for (const token of tokens) expect(output).not.toContain(token); // a token is not logged
    expect(/"authorization":"Bearer/i.test(output)).toBeFalsy(); // Authorization headers are redacted
  });
});

describe('JWT with a JWKS (RS256 and ES256, rotation)', () => {
  const jwks = new JwksAuth(undefined, { ORCH_JWT_JWKS_COOLDOWN_SECONDS: '1' });
  const platform = new TestPlatform({}, { auth: jwks });
  const identity: Identity = { tenant: uniqueName('t'), sub: 'jo', roles: ['admin', 'executor'] };

  beforeAll(async () => {
    await jwks.start();
    await jwks.addKey('RS256');
    await jwks.addKey('ES256');
    await platform.start({ workers: 0 });
  });
  afterAll(async () => {
    await platform.stop();
    await jwks.stop();
  });

  const confusion: Hostile[] = [
    ...hostileTokens(jwks, identity),
    {
      name: 'HS256 signed with the JWKS public key (algorithm confusion)',
      authorization: async (plane) => {
        const [rsa] = jwks.keys;
        return `Bearer ${await mintToken({ alg: 'HS256', key: await publicKeyPem(rsa), kid: rsa.kid }, identity, { aud: plane })}`;
      },
    },
    {
      name: 'HS256 signed with the JWK of the public key as secret',
      authorization: async (plane) => {
        const [rsa] = jwks.keys;
        const key = new TextEncoder().encode(JSON.stringify(rsa.publicJwk));
        return `Bearer ${await mintToken({ alg: 'HS256', key }, identity, { aud: plane })}`;
      },
    },
  ];
  tableOfHostileTokens(() => platform, confusion);

  test('tokens from each published key (RS256, ES256) → 2xx', async () => {
    for (const pair of jwks.keys) {
      for (const plane of ['control', 'exec'] as Plane[]) {
        const token = await mintToken(jwks.signer(pair), identity, { aud: plane });
        const reply = await http('GET', `${plane === 'control' ? platform.control : platform.exec}${ROUTES[plane]}`, { headers: bearer(token) });
        expect(reply.status).toBe(200);
      }
    }
  });

  test('keys are cached; a rotated-in key is fetched on first use, a retired one stops working', async () => {
    const before = jwks.fetches;
    for (let i = 0; i < 5; i++) {
      const token = await mintToken(jwks.signer(jwks.keys[0]), identity, { aud: 'control' });
      expect((await http('GET', `${platform.control}/connectors`, { headers: bearer(token) })).status).toBe(200);
    }
    expect(jwks.fetches).toBe(before); // known keys are served from the cache

    const next = await jwks.addKey('RS256', false);
    jwks.publishOnly(next, jwks.keys[1]);
    await delay(1_100); // past the refetch cooldown
    const fresh = await mintToken(jwks.signer(next), identity, { aud: 'control' });
    expect((await http('GET', `${platform.control}/connectors`, { headers: bearer(fresh) })).status).toBe(200);
    expect(jwks.fetches).toBeGreaterThan(before); // the unknown kid triggered a refetch

    await delay(1_100);
    const retired = await mintToken(jwks.signer(jwks.keys[0]), identity, { aud: 'control' });
    await expect401(platform, 'control', `Bearer ${retired}`);
  });

  test('a JWKS endpoint that fails → 503 with Retry-After, not 401', async () => {
    const unknown: SigningKey = jwks.signer(await jwks.addKey('ES256', false));
    jwks.failWith = 500;
    try {
      await delay(1_100);
      const reply = await http('GET', `${platform.control}/connectors`, { headers: bearer(await mintToken(unknown, identity, { aud: 'control' })) });
      expect(reply.status).toBe(503);
      expect([reply.body.code, reply.body.dependency]).toStrictEqual(['DEPENDENCY_UNAVAILABLE', 'jwks']);
      expect(reply.headers.get('retry-after')).toBeTruthy();
    } finally {
      jwks.failWith = undefined;
    }
  });
});

describe('AUTH_MODE=disabled (dev only)', () => {
  const platform = new TestPlatform();
  beforeAll(() => platform.start({ workers: 0 }));
  afterAll(() => platform.stop());

  test('runs as tenant dev with all roles, without credentials, and warns at start', async () => {
    expect((await http('GET', `${platform.control}/connectors`)).status).toBe(200);
    expect((await http('GET', `${platform.exec}/jobs`)).status).toBe(200);
    expect(platform.api.output).toMatch(/"level":40.*AUTH_MODE=disabled: every request runs as tenant/);
  });
});
