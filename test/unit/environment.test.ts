import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ENVIRONMENT_KEYS, EnvironmentError, loadEnvironment } from '../../src/config/environment';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const minimal = { DATABASE_URL: 'postgres://u@localhost/db', REDIS_URL: 'redis://localhost:6379', AUTH_MODE: 'disabled' };

function problems(env: Record<string, string>): string[] {
  try {
    loadEnvironment(env);
    return [];
  } catch (error) {
    assert.ok(error instanceof EnvironmentError);
    return error.problems;
  }
}

describe('environment validation', () => {
  test('defaults fill what is not set, and values are typed', () => {
    const env = loadEnvironment({ ...minimal, WORKER_TASK_QUEUES: 'a, b', ORCH_ALLOW_PRIVATE_NETWORK: 'true', EXEC_PORT: '5001' });
    assert.equal(env.CONTROL_PORT, 4000);
    assert.equal(env.EXEC_PORT, 5001);
    assert.deepEqual(env.WORKER_TASK_QUEUES, ['a', 'b']);
    assert.equal(env.ORCH_ALLOW_PRIVATE_NETWORK, true);
    assert.equal(env.TEMPORAL_NAMESPACE, 'default');
  });

  test('jwt mode needs an issuer, audiences and a key source', () => {
    const env = { ...minimal, AUTH_MODE: 'jwt', ORCH_JWT_ISSUER: 'https://id.example.com', ORCH_JWT_AUDIENCE_CONTROL: 'c', ORCH_JWT_AUDIENCE_EXEC: 'e' };
    assert.deepEqual(problems(env), [
      'ORCH_JWT_JWKS_URL: must be an http(s) URL (or set ORCH_JWT_SHARED_SECRET)',
      'ORCH_JWT_SHARED_SECRET: must be at least 32 characters (or set ORCH_JWT_JWKS_URL)',
    ]);
    assert.deepEqual(problems({ ...env, ORCH_JWT_SHARED_SECRET: 's'.repeat(32) }), []);
  });

  test('a secrets key must be 32 bytes of base64', () => {
    assert.deepEqual(problems({ ...minimal, ORCH_SECRETS_KEY: 'c2hvcnQ=' }), ['ORCH_SECRETS_KEY: must be base64 of exactly 32 bytes']);
    assert.deepEqual(problems({ ...minimal, ORCH_SECRETS_KEY: Buffer.alloc(32, 1).toString('base64') }), []);
  });

  test('.env.example lists every variable the schema declares', () => {
    const example = readFileSync(join(__dirname, '..', '..', '..', '.env.example'), 'utf8');
    const listed = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    assert.deepEqual(ENVIRONMENT_KEYS.filter((key) => !listed.has(key)), []);
  });
});
