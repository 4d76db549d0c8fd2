import { describe, expect, test } from '@jest/globals';
import { ENVIRONMENT_KEYS, EnvironmentError, loadEnvironment } from '../../src/config/environment';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const minimal = { DATABASE_URL: 'postgres://u@localhost/db', REDIS_URL: 'redis://localhost:6379', AUTH_MODE: 'disabled' };

function problems(env: Record<string, string>): string[] {
  try {
    loadEnvironment(env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(EnvironmentError);
    return (error as EnvironmentError).problems;
  }
}

describe('environment validation', () => {
  test('defaults fill what is not set, and values are typed', () => {
    const env = loadEnvironment({ ...minimal, WORKER_TASK_QUEUES: 'a, b', ORCH_ALLOW_PRIVATE_NETWORK: 'true', EXEC_PORT: '5001' });
    expect(env.CONTROL_PORT).toBe(4000);
    expect(env.EXEC_PORT).toBe(5001);
    expect(env.WORKER_TASK_QUEUES).toStrictEqual(['a', 'b']);
    expect(env.ORCH_ALLOW_PRIVATE_NETWORK).toBe(true);
    expect(env.TEMPORAL_NAMESPACE).toBe('default');
  });

  test('jwt mode needs an issuer, audiences and a key source', () => {
    const env = { ...minimal, AUTH_MODE: 'jwt', ORCH_JWT_ISSUER: 'https://id.example.com', ORCH_JWT_AUDIENCE_CONTROL: 'c', ORCH_JWT_AUDIENCE_EXEC: 'e' };
    expect(problems(env)).toStrictEqual([
      'ORCH_JWT_JWKS_URL: must be an http(s) URL (or set ORCH_JWT_SHARED_SECRET)',
      'ORCH_JWT_SHARED_SECRET: must be at least 32 characters (or set ORCH_JWT_JWKS_URL)',
    ]);
    expect(problems({ ...env, ORCH_JWT_SHARED_SECRET: 's'.repeat(32) })).toStrictEqual([]);
  });

  test('DATABASE_POOL_SIZE: the pool of each process, 10 unless set, a whole number 1-200', () => {
    expect(loadEnvironment(minimal).DATABASE_POOL_SIZE).toBe(10);
    expect(loadEnvironment({ ...minimal, DATABASE_POOL_SIZE: '4' }).DATABASE_POOL_SIZE).toBe(4);
    expect(problems({ ...minimal, DATABASE_POOL_SIZE: '0' })).toStrictEqual(['DATABASE_POOL_SIZE: must not be less than 1']);
    expect(problems({ ...minimal, DATABASE_POOL_SIZE: 'ten' })).toStrictEqual(['DATABASE_POOL_SIZE: must be an integer number']);
  });

  test('payload store: an endpoint needs a bucket, keys come in pairs, limits are bounded, body limit up to 256 MiB', () => {
    expect(problems({ ...minimal, PAYLOAD_STORE_ENDPOINT: 'http://minio:9000' })).toStrictEqual([
      'PAYLOAD_STORE_BUCKET: must be an S3 bucket name (and is required when PAYLOAD_STORE_ENDPOINT is set)',
    ]);
    expect(problems({ ...minimal, PAYLOAD_STORE_ENDPOINT: 's3://minio:9000', PAYLOAD_STORE_BUCKET: 'b1b' })).toStrictEqual(['PAYLOAD_STORE_ENDPOINT: must be an http(s) URL']);
    expect(problems({ ...minimal, PAYLOAD_STORE_ACCESS_KEY_ID: 'id' })).toStrictEqual(['PAYLOAD_STORE_SECRET_ACCESS_KEY: is required when PAYLOAD_STORE_ACCESS_KEY_ID is set']);
    expect(problems({ ...minimal, PAYLOAD_STORE_THRESHOLD_BYTES: String(4 * 1024 * 1024) })).toStrictEqual(['PAYLOAD_STORE_THRESHOLD_BYTES: must not be greater than 2097152']);
    const env = loadEnvironment({ ...minimal, PAYLOAD_STORE_ENDPOINT: 'http://minio:9000', PAYLOAD_STORE_BUCKET: 'orchestrator-payloads', ORCH_MAX_BODY_BYTES: String(64 * 1024 * 1024) });
    expect([env.PAYLOAD_STORE_THRESHOLD_BYTES, env.PAYLOAD_STORE_REGION, env.ORCH_MAX_BODY_BYTES]).toStrictEqual([131072, 'us-east-1', 64 * 1024 * 1024]);
  });

  test('a secrets key must be 32 bytes of base64', () => {
    expect(problems({ ...minimal, ORCH_SECRETS_KEY: 'c2hvcnQ=' })).toStrictEqual(['ORCH_SECRETS_KEY: must be base64 of exactly 32 bytes']);
    expect(problems({ ...minimal, ORCH_SECRETS_KEY: Buffer.alloc(32, 1).toString('base64') })).toStrictEqual([]);
  });

  test('Temporal TLS: files must be readable, a client certificate needs its key, TLS settings need TLS', () => {
    const pem = __filename; // any readable file: the check is about the path, the SDK parses the PEM
    expect(problems({ ...minimal, TEMPORAL_TLS_CA_PATH: '/nonexistent/ca.pem' })).toStrictEqual([
      'TEMPORAL_TLS_CA_PATH: must be the absolute path of a readable PEM file',
    ]);
    expect(problems({ ...minimal, TEMPORAL_TLS_CERT_PATH: pem })).toStrictEqual(['TEMPORAL_TLS_KEY_PATH: is required when TEMPORAL_TLS_CERT_PATH is set']);
    expect(problems({ ...minimal, TEMPORAL_TLS_KEY_PATH: pem })).toStrictEqual(['TEMPORAL_TLS_CERT_PATH: is required when TEMPORAL_TLS_KEY_PATH is set']);
    expect(problems({ ...minimal, TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' })).toStrictEqual(['TEMPORAL_TLS: must not be false while TEMPORAL_API_KEY is set']);
    expect(problems({ ...minimal, TEMPORAL_TLS: 'maybe' })).toStrictEqual(['TEMPORAL_TLS: must be true or false']);
    expect(problems({ ...minimal, TEMPORAL_TLS_SERVER_NAME: 'not a name' })).toStrictEqual(['TEMPORAL_TLS_SERVER_NAME: must be a DNS name']);
    expect(problems({ ...minimal, TEMPORAL_TLS_CA_PATH: pem, TEMPORAL_TLS_CERT_PATH: pem, TEMPORAL_TLS_KEY_PATH: pem, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' })).toStrictEqual([]);
  });

  test('.env.example lists every variable the schema declares', () => {
    const example = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');
    const listed = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect(ENVIRONMENT_KEYS.filter((key) => !listed.has(key))).toStrictEqual([]);
  });
});
