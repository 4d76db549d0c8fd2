import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Environment } from '../config/environment';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SealedSecret {
  keyId: string;
  ciphertext: Buffer;
}

/** A key's public fingerprint: tells which key sealed a value without revealing anything about it. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('orchestrator/secrets-key/v1\0').update(key).digest('hex').slice(0, 16);
}

/**
 * AES-256-GCM for `local` secret values. Seals under ORCH_SECRETS_KEY; opens with it or any key in
 * ORCH_SECRETS_KEY_PREVIOUS (rotation). The associated data binds a ciphertext to its tenant and
 * ref id, so a sealed value copied to another row does not open.
 */
export class SecretCipher {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string | undefined;

  constructor(current: string | undefined, previous: readonly string[] = []) {
    for (const encoded of [current, ...previous]) {
      if (!encoded) continue;
      const key = Buffer.from(encoded, 'base64');
      if (key.length !== 32) throw new Error('secrets keys must be 32 bytes');
      if (!this.keys.has(keyIdOf(key))) this.keys.set(keyIdOf(key), key);
    }
    this.currentKeyId = current ? keyIdOf(Buffer.from(current, 'base64')) : undefined;
  }

  static fromEnvironment(environment: Pick<Environment, 'ORCH_SECRETS_KEY' | 'ORCH_SECRETS_KEY_PREVIOUS'>): SecretCipher {
    return new SecretCipher(environment.ORCH_SECRETS_KEY, environment.ORCH_SECRETS_KEY_PREVIOUS ?? []);
  }

  get canSeal(): boolean {
    return this.currentKeyId !== undefined;
  }

  canOpen(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  seal(plaintext: string, context: string): SealedSecret {
    if (!this.currentKeyId) throw new Error('ORCH_SECRETS_KEY is not set');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const encrypted = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.currentKeyId, ciphertext: Buffer.concat([iv, cipher.getAuthTag(), encrypted]) };
  }

  /** The plaintext; throws when the key is unknown here or the ciphertext does not authenticate. */
  open(sealed: SealedSecret, context: string): string {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new Error(`no secrets key with id ${sealed.keyId} is configured`);
    const iv = sealed.ciphertext.subarray(0, IV_BYTES);
    const tag = sealed.ciphertext.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed.ciphertext.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}

/** The associated data of a `local` secret: its tenant and id. */
export function sealingContext(tenantId: string, id: string): string {
  return `secret-ref:${tenantId}:${id}`;
}
