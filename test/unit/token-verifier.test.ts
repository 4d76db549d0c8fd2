import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { TokenVerifier } from '../../src/auth/token-verifier';
import { AppError } from '../../src/common/app-error';
import { Environment, loadEnvironment } from '../../src/config/environment';
import { Identity, JwksAuth, mintToken, publicKeyPem, SharedSecretAuth, TEST_AUDIENCE, TEST_ISSUER, TokenOptions, unsecuredToken } from '../support/auth';

const ALICE: Identity = { tenant: 'acme', sub: 'alice', roles: ['admin', 'executor'] };

function environment(env: Record<string, string>): Environment {
  return loadEnvironment({ DATABASE_URL: 'postgres://u@localhost/db', REDIS_URL: 'redis://localhost:6379', ...env });
}

async function rejection(verifier: TokenVerifier, authorization: string | undefined, plane: 'control' | 'exec' = 'control'): Promise<AppError> {
  try {
    await verifier.verify(authorization, plane);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('the token was accepted');
}

describe('TokenVerifier with an HS256 shared secret', () => {
  const auth = new SharedSecretAuth();
  const verifier = new TokenVerifier(environment(auth.env()));
  const token = (options: TokenOptions = {}, identity = ALICE) => auth.token(identity, options);

  test('a valid token yields the principal', async () => {
    const principal = await verifier.verify(`Bearer ${await token({ aud: 'control' })}`, 'control');
    expect(principal).toStrictEqual({ tenantId: 'acme', subject: 'alice', roles: ['admin', 'executor'] });
  });

  test('the scheme is case-insensitive; unknown roles grant nothing', async () => {
    const principal = await verifier.verify(`bearer ${await token({}, { ...ALICE, roles: ['admin', 'root', 'admin'] })}`, 'exec');
    expect(principal.roles).toStrictEqual(['admin']);
  });

  test('clock skew: expired 10 s ago or nbf in 10 s is tolerated, 5 minutes is not', async () => {
    await verifier.verify(`Bearer ${await token({ expiresIn: -10 })}`, 'control');
    await verifier.verify(`Bearer ${await token({ notBefore: 10 })}`, 'control');
    expect((await rejection(verifier, `Bearer ${await token({ expiresIn: -300 })}`)).message).toMatch(/expired/);
    expect((await rejection(verifier, `Bearer ${await token({ notBefore: 300 })}`)).message).toMatch(/not valid yet/);
  });

  const hostile: [string, () => Promise<string | undefined>, RegExp][] = [
    ['no header', async () => undefined, /Send a bearer token/],
    ['another scheme', async () => `Basic ${Buffer.from('a:b').toString('base64')}`, /not a bearer JWT/],
    ['not a JWT', async () => 'Bearer not-a-jwt', /not a bearer JWT/],
    ['garbage segments', async () => 'Bearer aaa.bbb.ccc', /malformed/],
    ['oversized', async () => `Bearer ${'a'.repeat(9000)}.b.c`, /not a bearer JWT/],
    ['alg: none', async () => `Bearer ${unsecuredToken(ALICE, 'control')}`, /algorithm/],
    ['wrong secret', async () => `Bearer ${await mintToken({ alg: 'HS256', key: new TextEncoder().encode('x'.repeat(43)) }, ALICE, { aud: 'control' })}`, /signature/],
    ['tampered payload', async () => {
      const [header, , signature] = (await token({ aud: 'control' })).split('.');
      const forged = Buffer.from(JSON.stringify({ iss: TEST_ISSUER, aud: TEST_AUDIENCE.control, sub: 'alice', tenant_id: 'other', exp: 9e9 })).toString('base64url');
      return `Bearer ${header}.${forged}.${signature}`;
    }, /signature/],
    ['expired', async () => `Bearer ${await token({ expiresIn: -3600 })}`, /expired/],
    ['not yet valid', async () => `Bearer ${await token({ notBefore: 3600 })}`, /not valid yet/],
    ['wrong issuer', async () => `Bearer ${await token({ iss: 'https://evil.example/' })}`, /"iss"/],
    ['exec audience on a control route', async () => `Bearer ${await token({ aud: 'exec' })}`, /control plane/],
    ['no exp', async () => `Bearer ${await token({ omit: ['exp'] })}`, /"exp"/],
    ['no sub', async () => `Bearer ${await token({ omit: ['sub'] })}`, /"sub"/],
    ['no tenant_id', async () => `Bearer ${await token({ omit: ['tenant_id'] })}`, /tenant_id/],
    ['bad tenant_id', async () => `Bearer ${await token({ claims: { tenant_id: '../other tenant' } })}`, /tenant_id/],
    ['roles not an array', async () => `Bearer ${await token({ claims: { roles: 'admin' } })}`, /roles/],
  ];
  for (const [name, authorization, reason] of hostile) {
    test(`refuses: ${name}`, async () => {
      const error = await rejection(verifier, await authorization());
      expect(error.status).toBe(401);
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(error.message).toMatch(reason);
    });
  }

  test('a control token on an exec route is refused too', async () => {
    expect((await rejection(verifier, `Bearer ${await token({ aud: 'control' })}`, 'exec')).message).toMatch(/exec plane/);
  });

  test('an RS256 token is refused in shared-secret mode (algorithm fixed by the key source)', async () => {
    const jwks = new JwksAuth();
    const pair = await jwks.addKey('RS256');
    const rs = await mintToken(jwks.signer(pair), ALICE, { aud: 'control' });
    expect((await rejection(verifier, `Bearer ${rs}`)).message).toMatch(/algorithm/);
  });
});

describe('TokenVerifier with a JWKS (RS256 and ES256)', () => {
  const jwks = new JwksAuth(undefined, { ORCH_JWT_JWKS_COOLDOWN_SECONDS: '0' });
  let verifier: TokenVerifier;

  beforeAll(async () => {
    await jwks.start();
    await jwks.addKey('RS256');
    await jwks.addKey('ES256');
    verifier = new TokenVerifier(environment(jwks.env()));
  });
  afterAll(() => jwks.stop());

  test('RS256 and ES256 tokens from published keys are accepted', async () => {
    for (const pair of jwks.keys) {
      const principal = await verifier.verify(`Bearer ${await mintToken(jwks.signer(pair), ALICE, { aud: 'exec' })}`, 'exec');
      expect(principal.tenantId).toBe('acme');
    }
  });

  test('HS256 signed with the public key (algorithm confusion) is refused', async () => {
    const [rsa] = jwks.keys;
    const forged = await mintToken({ alg: 'HS256', key: await publicKeyPem(rsa), kid: rsa.kid }, ALICE, { aud: 'control' });
    const error = await rejection(verifier, `Bearer ${forged}`);
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/algorithm/);
  });

  test('a key the JWKS does not publish is refused; a rotated-in key is fetched and accepted', async () => {
    const next = await jwks.addKey('ES256', false);
    const token = await mintToken(jwks.signer(next), ALICE, { aud: 'control' });
    expect((await rejection(verifier, `Bearer ${token}`)).message).toMatch(/No signing key/);
    jwks.publishOnly(next);
    const fetches = jwks.fetches;
    expect((await verifier.verify(`Bearer ${token}`, 'control')).subject).toBe('alice');
    expect(jwks.fetches).toBeGreaterThan(fetches); // the unknown kid made the verifier refetch the key set
    // The retired key is gone after the rotation.
    const retired = await mintToken(jwks.signer(jwks.keys[0]), ALICE, { aud: 'control' });
    expect((await rejection(verifier, `Bearer ${retired}`)).message).toMatch(/No signing key/);
  });

  test('an unreachable key set is a 503, not a 401', async () => {
    const offline = new TokenVerifier(environment({ ...jwks.env(), ORCH_JWT_JWKS_URL: 'http://127.0.0.1:9/jwks.json' }));
    const error = await rejection(offline, `Bearer ${await mintToken(jwks.signer(jwks.keys[0]), ALICE, { aud: 'control' })}`);
    expect(error.status).toBe(503);
    expect([error.code, error.extra.extensions]).toStrictEqual(['DEPENDENCY_UNAVAILABLE', { dependency: 'jwks' }]);
  });
});
