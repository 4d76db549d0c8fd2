import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { HttpRequestPlan } from '../../activities/http-request';
import { ConfigurationError, SecretUnavailableError } from '../../domain/job';
import { authorize } from '../../activities/secrets';
import { keyIdOf, SecretCipher, sealingContext } from '../../src/secrets/secret-cipher';
import { filePathProblem } from '../../src/secrets/secret-references';

const key = () => randomBytes(32).toString('base64');

describe('sealing local secret values (AES-256-GCM)', () => {
  const context = sealingContext('tenant-a', '6f1c2b1e-0000-4000-8000-000000000001');

  test('a sealed value opens with the same key and context, and does not contain the plaintext', () => {
    const cipher = new SecretCipher(key());
    const sealed = cipher.seal('sk_live_abc', context);
    expect(sealed.keyId).toBe(cipher.currentKeyId);
    expect(sealed.ciphertext.includes(Buffer.from('sk_live_abc'))).toBe(false);
    expect(cipher.open(sealed, context)).toBe('sk_live_abc');
    expect(cipher.seal('sk_live_abc', context).ciphertext).not.toStrictEqual(sealed.ciphertext); // a fresh IV each time
  });

  test('another tenant or ref (associated data), a flipped bit or another key does not open it', () => {
    const cipher = new SecretCipher(key());
    const sealed = cipher.seal('v', context);
    expect(() => cipher.open(sealed, sealingContext('tenant-b', '6f1c2b1e-0000-4000-8000-000000000001'))).toThrow();
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[flipped.length - 1] ^= 1;
    expect(() => cipher.open({ ...sealed, ciphertext: flipped }, context)).toThrow();
    expect(() => new SecretCipher(key()).open(sealed, context)).toThrow(/no secrets key/);
  });

  test('rotation: a value sealed under the previous key opens, and new seals use the current key', () => {
    const [oldKey, newKey] = [key(), key()];
    const sealed = new SecretCipher(oldKey).seal('v', context);
    const rotated = new SecretCipher(newKey, [oldKey]);
    expect(rotated.canOpen(sealed.keyId)).toBe(true);
    expect(rotated.open(sealed, context)).toBe('v');
    expect(rotated.seal('v', context).keyId).toBe(keyIdOf(Buffer.from(newKey, 'base64')));
    expect(sealed.keyId).not.toBe(rotated.currentKeyId);
  });

  test('without ORCH_SECRETS_KEY nothing can be sealed', () => {
    const cipher = SecretCipher.fromEnvironment({ ORCH_SECRETS_KEY: undefined, ORCH_SECRETS_KEY_PREVIOUS: undefined });
    expect(cipher.canSeal).toBe(false);
    expect(() => cipher.seal('v', context)).toThrow(/ORCH_SECRETS_KEY/);
  });
});

describe('connector auth from a secret ref', () => {
  const plan = (): HttpRequestPlan => ({ url: new URL('https://api.example.com/x'), method: 'GET', headers: { accept: 'application/json' } });
  const resolve = (value: string) => async () => value;

  test('bearer', async () => {
    const p = plan();
    await authorize(p, { type: 'bearer', secretRef: 'r' }, resolve('tok'));
    expect(p.headers.authorization).toBe('Bearer tok');
    expect(p.credentialHeaders).toStrictEqual(['authorization']);
  });

  test('basic, with a username or with user:password in the secret', async () => {
    const withUser = plan();
    await authorize(withUser, { type: 'basic', secretRef: 'r', username: 'api' }, resolve('pw'));
    expect(withUser.headers.authorization).toBe(`Basic ${Buffer.from('api:pw').toString('base64')}`);
    const whole = plan();
    await authorize(whole, { type: 'basic', secretRef: 'r' }, resolve('u:p'));
    expect(whole.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    const keyOnly = plan();
    await authorize(keyOnly, { type: 'basic', secretRef: 'r' }, resolve('sk_test_1'));
    expect(keyOnly.headers.authorization).toBe(`Basic ${Buffer.from('sk_test_1:').toString('base64')}`);
  });

  test('custom header with a prefix', async () => {
    const p = plan();
    await authorize(p, { type: 'header', secretRef: 'r', headerName: 'X-Api-Key', prefix: 'Key ' }, resolve('abc'));
    expect(p.headers['x-api-key']).toBe('Key abc');
    expect(p.credentialHeaders).toStrictEqual(['x-api-key']);
  });

  test('none leaves the plan alone; a value unfit for a header is refused without echoing it', async () => {
    const p = plan();
    await authorize(p, { type: 'none' }, resolve('x'));
    await authorize(p, undefined, resolve('x'));
    expect(Object.keys(p.headers)).toStrictEqual(['accept']);
    await expect(authorize(plan(), { type: 'bearer', secretRef: 'r' }, resolve('a\r\nX-Evil: 1'))).rejects.toBeInstanceOf(ConfigurationError);
    await expect(authorize(plan(), { type: 'bearer', secretRef: 'r' }, resolve('a\r\nX-Evil: 1'))).rejects.toThrow(expect.not.stringMatching(/Evil/));
  });

  test('a missing secret is a (non-retryable) configuration error', async () => {
    const missing = async () => {
      throw new SecretUnavailableError('Secret ref r does not exist.');
    };
    await expect(authorize(plan(), { type: 'bearer', secretRef: 'r' }, missing)).rejects.toThrow(ConfigurationError);
  });
});

describe('file secret paths', () => {
  const root = '/run/secrets/orchestrator';
  test('must stay inside ORCH_SECRET_FILES_DIR', () => {
    expect(filePathProblem('/run/secrets/orchestrator/stripe', root)).toBe(undefined);
    expect(filePathProblem('/run/secrets/orchestrator/a/b', root)).toBe(undefined);
    expect(filePathProblem('/etc/passwd', root)!).toMatch(/inside/);
    expect(filePathProblem('/run/secrets/orchestrator/../../../proc/self/environ', root)!).toMatch(/normalized/);
    expect(filePathProblem('/run/secrets/orchestrator', root)!).toMatch(/inside/);
    expect(filePathProblem('/run/secrets/orchestratorX/a', root)!).toMatch(/inside/);
    expect(filePathProblem('relative/path', root)!).toMatch(/absolute/);
  });
});
