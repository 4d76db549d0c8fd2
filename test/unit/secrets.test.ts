import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { ConfigurationError, HttpRequestPlan } from '../../activities/http-request';
import { authorize, SecretUnavailableError } from '../../activities/secrets';
import { keyIdOf, SecretCipher, sealingContext } from '../../src/secrets/secret-cipher';
import { filePathProblem } from '../../src/secrets/secret-references';

const key = () => randomBytes(32).toString('base64');

describe('sealing local secret values (AES-256-GCM)', () => {
  const context = sealingContext('tenant-a', '6f1c2b1e-0000-4000-8000-000000000001');

  test('a sealed value opens with the same key and context, and does not contain the plaintext', () => {
    const cipher = new SecretCipher(key());
    const sealed = cipher.seal('sk_live_abc', context);
    assert.equal(sealed.keyId, cipher.currentKeyId);
    assert.equal(sealed.ciphertext.includes(Buffer.from('sk_live_abc')), false);
    assert.equal(cipher.open(sealed, context), 'sk_live_abc');
    assert.notDeepEqual(cipher.seal('sk_live_abc', context).ciphertext, sealed.ciphertext, 'a fresh IV each time');
  });

  test('another tenant or ref (associated data), a flipped bit or another key does not open it', () => {
    const cipher = new SecretCipher(key());
    const sealed = cipher.seal('v', context);
    assert.throws(() => cipher.open(sealed, sealingContext('tenant-b', '6f1c2b1e-0000-4000-8000-000000000001')));
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[flipped.length - 1] ^= 1;
    assert.throws(() => cipher.open({ ...sealed, ciphertext: flipped }, context));
    assert.throws(() => new SecretCipher(key()).open(sealed, context), /no secrets key/);
  });

  test('rotation: a value sealed under the previous key opens, and new seals use the current key', () => {
    const [oldKey, newKey] = [key(), key()];
    const sealed = new SecretCipher(oldKey).seal('v', context);
    const rotated = new SecretCipher(newKey, [oldKey]);
    assert.equal(rotated.canOpen(sealed.keyId), true);
    assert.equal(rotated.open(sealed, context), 'v');
    assert.equal(rotated.seal('v', context).keyId, keyIdOf(Buffer.from(newKey, 'base64')));
    assert.notEqual(sealed.keyId, rotated.currentKeyId);
  });

  test('without ORCH_SECRETS_KEY nothing can be sealed', () => {
    const cipher = SecretCipher.fromEnvironment({ ORCH_SECRETS_KEY: undefined, ORCH_SECRETS_KEY_PREVIOUS: undefined });
    assert.equal(cipher.canSeal, false);
    assert.throws(() => cipher.seal('v', context), /ORCH_SECRETS_KEY/);
  });
});

describe('connector auth from a secret ref', () => {
  const plan = (): HttpRequestPlan => ({ url: new URL('https://api.example.com/x'), method: 'GET', headers: { accept: 'application/json' } });
  const resolve = (value: string) => async () => value;

  test('bearer', async () => {
    const p = plan();
    await authorize(p, { type: 'bearer', secretRef: 'r' }, resolve('tok'));
    assert.equal(p.headers.authorization, 'Bearer tok');
    assert.deepEqual(p.credentialHeaders, ['authorization']);
  });

  test('basic, with a username or with user:password in the secret', async () => {
    const withUser = plan();
    await authorize(withUser, { type: 'basic', secretRef: 'r', username: 'api' }, resolve('pw'));
    assert.equal(withUser.headers.authorization, `Basic ${Buffer.from('api:pw').toString('base64')}`);
    const whole = plan();
    await authorize(whole, { type: 'basic', secretRef: 'r' }, resolve('u:p'));
    assert.equal(whole.headers.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`);
    const keyOnly = plan();
    await authorize(keyOnly, { type: 'basic', secretRef: 'r' }, resolve('sk_test_1'));
    assert.equal(keyOnly.headers.authorization, `Basic ${Buffer.from('sk_test_1:').toString('base64')}`);
  });

  test('custom header with a prefix', async () => {
    const p = plan();
    await authorize(p, { type: 'header', secretRef: 'r', headerName: 'X-Api-Key', prefix: 'Key ' }, resolve('abc'));
    assert.equal(p.headers['x-api-key'], 'Key abc');
    assert.deepEqual(p.credentialHeaders, ['x-api-key']);
  });

  test('none leaves the plan alone; a value unfit for a header is refused without echoing it', async () => {
    const p = plan();
    await authorize(p, { type: 'none' }, resolve('x'));
    await authorize(p, undefined, resolve('x'));
    assert.deepEqual(Object.keys(p.headers), ['accept']);
    await assert.rejects(authorize(plan(), { type: 'bearer', secretRef: 'r' }, resolve('a\r\nX-Evil: 1')), (error: Error) => {
      assert.ok(error instanceof ConfigurationError);
      assert.doesNotMatch(error.message, /Evil/);
      return true;
    });
  });

  test('a missing secret is a (non-retryable) configuration error', async () => {
    const missing = async () => {
      throw new SecretUnavailableError('Secret ref r does not exist.');
    };
    await assert.rejects(authorize(plan(), { type: 'bearer', secretRef: 'r' }, missing), ConfigurationError);
  });
});

describe('file secret paths', () => {
  const root = '/run/secrets/orchestrator';
  test('must stay inside ORCH_SECRET_FILES_DIR', () => {
    assert.equal(filePathProblem('/run/secrets/orchestrator/stripe', root), undefined);
    assert.equal(filePathProblem('/run/secrets/orchestrator/a/b', root), undefined);
    assert.match(filePathProblem('/etc/passwd', root)!, /inside/);
    assert.match(filePathProblem('/run/secrets/orchestrator/../../../proc/self/environ', root)!, /normalized/);
    assert.match(filePathProblem('/run/secrets/orchestrator', root)!, /inside/);
    assert.match(filePathProblem('/run/secrets/orchestratorX/a', root)!, /inside/);
    assert.match(filePathProblem('relative/path', root)!, /absolute/);
  });
});
