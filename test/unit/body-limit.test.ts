import { describe, expect, test } from '@jest/globals';
import { bodyLimit } from '../../src/common/json-body.middleware';
import { HISTORY_SAFE_BODY_BYTES, loadEnvironment } from '../../src/config/environment';

const minimal = { DATABASE_URL: 'postgres://u@localhost/db', REDIS_URL: 'redis://localhost:6379', AUTH_MODE: 'disabled' };
const MiB = 1024 * 1024;

describe('request body limit (SPEC §12)', () => {
  test('without a payload store the limit never exceeds what a history holds safely', () => {
    expect(bodyLimit(loadEnvironment({ ...minimal, ORCH_MAX_BODY_BYTES: String(64 * MiB) }))).toStrictEqual({ bytes: HISTORY_SAFE_BODY_BYTES, storeConfigured: false });
    expect(bodyLimit(loadEnvironment({ ...minimal, ORCH_MAX_BODY_BYTES: String(512 * 1024) }))).toStrictEqual({ bytes: 512 * 1024, storeConfigured: false });
  });

  test('with a payload store ORCH_MAX_BODY_BYTES alone decides', () => {
    const env = loadEnvironment({ ...minimal, ORCH_MAX_BODY_BYTES: String(64 * MiB), PAYLOAD_STORE_ENDPOINT: 'http://minio:9000', PAYLOAD_STORE_BUCKET: 'orchestrator-payloads' });
    expect(bodyLimit(env)).toStrictEqual({ bytes: 64 * MiB, storeConfigured: true });
  });
});
