import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
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
  assert.equal(reply.status, 401, JSON.stringify(reply.body));
  assert.equal(reply.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.equal(reply.body.code, 'UNAUTHENTICATED');
  assert.match(reply.headers.get('www-authenticate') ?? '', new RegExp(`^Bearer realm="orchestrator-${plane}"`));
  const token = authorization?.split(' ')[1];
  if (token) assert.ok(!JSON.stringify(reply.body).includes(token), 'the token is not echoed');
}

function tableOfHostileTokens(platform: () => TestPlatform, hostile: () => Hostile[]) {
  for (const plane of ['control', 'exec'] as Plane[]) {
    test(`${plane} plane: every hostile token → 401 problem+json`, async (t) => {
      for (const { name, authorization } of hostile()) {
        await t.test(name, async () => expect401(platform(), plane, await authorization(plane)));
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

  before(() => platform.start({ workers: 0 }));
  after(() => platform.stop());

  tableOfHostileTokens(() => platform, () => hostileTokens(auth, admin));

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
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
    }
    // A token for both audiences works on both planes; a lowercase scheme is fine (RFC 6750).
    const both = await auth.token(admin);
    tokens.push(both);
    assert.equal((await http('GET', `${platform.control}/connectors`, { headers: { authorization: `bearer ${both}` } })).status, 200);
    assert.equal((await http('GET', `${platform.exec}/jobs`, { headers: bearer(both) })).status, 200);
  });

  test('expired a few seconds ago is still accepted (small clock skew)', async () => {
    const token = await auth.token(admin, { aud: 'exec', expiresIn: -5 });
    assert.equal((await http('GET', `${platform.exec}/jobs`, { headers: bearer(token) })).status, 200);
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
      assert.equal(reply.status, 403, JSON.stringify(reply.body));
      assert.equal(reply.body.code, 'FORBIDDEN');
      assert.match(reply.body.detail, new RegExp(`"${permission}"`));
    });
  }

  test('allowed by role: viewer reads both planes, operator reads control', async () => {
    const viewer = await auth.client(platform, { tenant, roles: ['viewer'] });
    assert.equal((await viewer.control('GET', '/policies')).status, 200);
    assert.equal((await viewer.exec('GET', '/events')).status, 200);
    const operator = await auth.client(platform, { tenant, roles: ['operator'] });
    assert.equal((await operator.control('GET', '/connectors/state')).status, 200);
  });

  test("planes are separate: neither plane's routes answer on the other's port; ops routes on both", async () => {
    const caller = await auth.client(platform, admin);
    for (const path of ['/connectors', '/policies', '/connectors/state', '/audit']) {
      const reply = await http('GET', `${platform.exec}${path}`, { headers: bearer(caller.token) });
      assert.equal(reply.status, 404, `${path} on the exec port`);
      assert.equal(reply.body.code, 'ROUTE_NOT_FOUND');
    }
    for (const [method, path] of [['GET', '/jobs'], ['GET', '/events'], ['POST', '/execute']]) {
      const reply = await http(method, `${platform.control}${path}`, { headers: bearer(caller.token), ...(method === 'POST' ? { json: {} } : {}) });
      assert.equal(reply.status, 404, `${method} ${path} on the control port`);
      assert.equal(reply.body.code, 'ROUTE_NOT_FOUND');
    }
    // Without credentials the answer is the same 404: the other plane's routes are not revealed.
    assert.equal((await http('GET', `${platform.exec}/connectors`)).status, 404);
    for (const base of [platform.control, platform.exec]) {
      assert.equal((await http('GET', `${base}/health/live`)).status, 200);
      assert.equal((await http('GET', `${base}/docs-json`)).status, 200);
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
      assert.equal((await http('GET', `${base}/connectors`, { headers: bearer(control) })).status, 200);
      assert.equal((await http('GET', `${base}/jobs`, { headers: bearer(exec) })).status, 200);
      assert.equal((await http('GET', `${base}/connectors`, { headers: bearer(exec) })).status, 401, 'an exec token on a control route');
      assert.equal((await http('GET', `${base}/jobs`, { headers: bearer(control) })).status, 401, 'a control token on an exec route');
    } finally {
      await single.stop();
    }
  });

  test('neither tokens nor the shared secret appear in the logs', async () => {
    await delay(200);
    const output = platform.api.output;
    assert.ok(output.length > 0);
    assert.ok(!output.includes(auth.secret), 'the shared secret is not logged');
    for (const token of tokens) assert.ok(!output.includes(token), 'a token is not logged');
    assert.ok(!/"authorization":"Bearer/i.test(output), 'Authorization headers are redacted');
  });
});

describe('JWT with a JWKS (RS256 and ES256, rotation)', () => {
  const jwks = new JwksAuth(undefined, { ORCH_JWT_JWKS_COOLDOWN_SECONDS: '1' });
  const platform = new TestPlatform({}, { auth: jwks });
  const identity: Identity = { tenant: uniqueName('t'), sub: 'jo', roles: ['admin', 'executor'] };

  before(async () => {
    await jwks.start();
    await jwks.addKey('RS256');
    await jwks.addKey('ES256');
    await platform.start({ workers: 0 });
  });
  after(async () => {
    await platform.stop();
    await jwks.stop();
  });

  const confusion = (): Hostile[] => [
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
        assert.equal(reply.status, 200, `${pair.alg} on ${plane}: ${JSON.stringify(reply.body)}`);
      }
    }
  });

  test('keys are cached; a rotated-in key is fetched on first use, a retired one stops working', async () => {
    const before = jwks.fetches;
    for (let i = 0; i < 5; i++) {
      const token = await mintToken(jwks.signer(jwks.keys[0]), identity, { aud: 'control' });
      assert.equal((await http('GET', `${platform.control}/connectors`, { headers: bearer(token) })).status, 200);
    }
    assert.equal(jwks.fetches, before, 'known keys are served from the cache');

    const next = await jwks.addKey('RS256', false);
    jwks.publishOnly(next, jwks.keys[1]);
    await delay(1_100); // past the refetch cooldown
    const fresh = await mintToken(jwks.signer(next), identity, { aud: 'control' });
    assert.equal((await http('GET', `${platform.control}/connectors`, { headers: bearer(fresh) })).status, 200);
    assert.ok(jwks.fetches > before, 'the unknown kid triggered a refetch');

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
      assert.equal(reply.status, 503, JSON.stringify(reply.body));
      assert.equal(reply.body.code, 'AUTH_KEYS_UNAVAILABLE');
      assert.ok(reply.headers.get('retry-after'));
    } finally {
      jwks.failWith = undefined;
    }
  });
});

describe('AUTH_MODE=disabled (dev only)', () => {
  const platform = new TestPlatform();
  before(() => platform.start({ workers: 0 }));
  after(() => platform.stop());

  test('runs as tenant dev with all roles, without credentials, and warns at start', async () => {
    assert.equal((await http('GET', `${platform.control}/connectors`)).status, 200);
    assert.equal((await http('GET', `${platform.exec}/jobs`)).status, 200);
    assert.match(platform.api.output, /"level":40.*AUTH_MODE=disabled: every request runs as tenant/);
  });
});
