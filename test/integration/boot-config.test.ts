import { expect, test } from '@jest/globals';
import { PlatformProcess } from '../support/processes';

test('a bad environment stops the api with one line per bad variable', async () => {
  const api = PlatformProcess.spawn('api', {
    DATABASE_URL: 'mysql://nope',
    REDIS_URL: 'redis://127.0.0.1:1',
    CONTROL_PORT: 'eighty',
    AUTH_MODE: 'jwt',
    ORCH_JWT_SHARED_SECRET: 'short',
  });
  expect(await api.exited).toBe(78);
  const lines = api.output.trim().split('\n');
  expect(lines).toStrictEqual([
    'Invalid configuration: DATABASE_URL: must be a postgres:// URL',
    'Invalid configuration: CONTROL_PORT: must be an integer number',
    'Invalid configuration: ORCH_JWT_ISSUER: is required when AUTH_MODE=jwt',
    'Invalid configuration: ORCH_JWT_AUDIENCE_CONTROL: is required when AUTH_MODE=jwt',
    'Invalid configuration: ORCH_JWT_AUDIENCE_EXEC: is required when AUTH_MODE=jwt',
    'Invalid configuration: ORCH_JWT_SHARED_SECRET: must be at least 32 characters (or set ORCH_JWT_JWKS_URL)',
  ]);
});

test('AUTH_MODE=disabled is refused in production', async () => {
  const worker = PlatformProcess.spawn('worker', {
    DATABASE_URL: 'postgres://u@127.0.0.1:1/db',
    REDIS_URL: 'redis://127.0.0.1:1',
    AUTH_MODE: 'disabled',
    NODE_ENV: 'production',
  });
  expect(await worker.exited).toBe(78);
  expect(worker.output.trim()).toBe('Invalid configuration: AUTH_MODE: must not be "disabled" when NODE_ENV=production');
});
