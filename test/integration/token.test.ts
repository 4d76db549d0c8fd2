import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { bearer, SharedSecretAuth } from '../support/auth';
import { http, TestPlatform } from '../support/platform';
import { ROOT } from '../support/paths';

/** `npm run token` (docs/deploy.md, "First token"), with the api's own environment, against a running api. */
function token(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '--silent', 'token', '--', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run token: a first token the api accepts', () => {
  const auth = new SharedSecretAuth();
  const platform = new TestPlatform({}, { auth });

  beforeAll(async () => {
    await platform.start({ workers: 0 });
  });
  afterAll(async () => {
    await platform.stop();
  });

  test('an admin token works on the control plane and names its tenant and subject', async () => {
    const minted = await token(['--tenant', 'acme', '--roles', 'admin,executor', '--sub', 'first-admin'], auth.env());
    expect(minted.code).toBe(0);
    const jwt = minted.stdout.trim();
    expect(jwt.split('.')).toHaveLength(3);
    expect(minted.stderr).toMatch(/tenant acme, roles admin,executor, sub first-admin/);

    const created = await http('POST', `${platform.control}/connectors`, {
      headers: bearer(jwt),
      json: { name: 'first-connector', type: 'http', baseUrl: 'https://api.example.com', operations: { ping: { method: 'GET', path: '/ping' } } },
    });
    expect(created.status).toBe(201);
    const listed = await http('GET', `${platform.control}/connectors`, { headers: bearer(jwt) });
    expect(listed.body.items.map((c: { name: string }) => c.name)).toStrictEqual(['first-connector']);
    // The exec plane accepts the same token (both audiences by default).
    expect((await http('GET', `${platform.exec}/jobs`, { headers: bearer(jwt) })).status).toBe(200);
    // Another tenant's token sees none of it.
    const other = (await token(['--tenant', 'globex', '--roles', 'admin'], auth.env())).stdout.trim();
    expect((await http('GET', `${platform.control}/connectors`, { headers: bearer(other) })).body.items).toStrictEqual([]);
  });

  test('roles and planes are what was asked for', async () => {
    const viewer = (await token(['--tenant', 'acme', '--roles', 'viewer', '--plane', 'control'], auth.env())).stdout.trim();
    expect((await http('GET', `${platform.control}/connectors`, { headers: bearer(viewer) })).status).toBe(200);
    expect((await http('POST', `${platform.control}/connectors`, { headers: bearer(viewer), json: { name: 'nope', type: 'http', baseUrl: 'https://x.example.com', operations: {} } })).status).toBe(403);
    expect((await http('GET', `${platform.exec}/jobs`, { headers: bearer(viewer) })).status).toBe(401);
  });

  test('--expires sets the lifetime; bad input or a JWKS deployment: no token, a clear message', async () => {
    // --expires sets exp (the api's 30 s clock skew would still accept it for a while).
    const short = (await token(['--tenant', 'acme', '--roles', 'admin', '--expires', '1'], auth.env())).stdout.trim();
    const [, payload] = short.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    expect(claims.exp - claims.iat).toBe(1);

    const bad = await token(['--tenant', 'acme', '--roles', 'root'], auth.env());
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/--roles: .*unknown: root/);
    const jwks = await token(['--tenant', 'acme', '--roles', 'admin'], { ...auth.env(), ORCH_JWT_JWKS_URL: 'https://id.example.com/jwks' });
    expect(jwks.code).toBe(2);
    expect(jwks.stderr).toMatch(/identity provider/);
    const noSecret = await token(['--tenant', 'acme', '--roles', 'admin'], { ...auth.env(), ORCH_JWT_SHARED_SECRET: '' });
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/ORCH_JWT_SHARED_SECRET/);
  });
});
