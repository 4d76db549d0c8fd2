import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { open, realpath } from 'node:fs/promises';
import { DataSource } from 'typeorm';
import type { SecretSource } from '../../activities/ports';
import { SecretUnavailableError } from '../../domain/job';
import { isUuid } from '../common/identifiers';
import { Environment } from '../config/environment';
import { SecretCipher, sealingContext } from './secret-cipher';
import { SecretRefEntity } from './secret-ref.entity';
import { ENV_SECRET_NAME, filePathProblem, MAX_SECRET_BYTES } from './secret-references';


/**
 * Turns a secret ref into its value, where the value is needed: in the worker (connector auth) and,
 * for Stripe signing secrets only, in the api's webhook ingress. Values are never cached, logged or
 * put in an error message; errors name the ref only.
 */
@Injectable()
export class SecretResolver implements SecretSource {
  private readonly cipher: SecretCipher;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly environment: Environment,
  ) {
    this.cipher = SecretCipher.fromEnvironment(environment);
  }

  async resolve(tenantId: string, secretRefId: string): Promise<string> {
    const ref = isUuid(secretRefId)
      ? await this.dataSource
          .getRepository(SecretRefEntity)
          .createQueryBuilder('s')
          .addSelect('s.ciphertext')
          .where('s.tenant_id = :tenantId AND s.id = :id', { tenantId, id: secretRefId })
          .getOne()
      : null;
    if (!ref) throw new SecretUnavailableError(`Secret ref ${secretRefId} does not exist.`);
    switch (ref.provider) {
      case 'env':
        return this.fromEnv(ref);
      case 'file':
        return this.fromFile(ref);
      case 'local':
        return this.fromLocal(ref);
    }
  }

  private fromEnv(ref: SecretRefEntity): string {
    const name = ref.reference ?? '';
    const value = ENV_SECRET_NAME.test(name) ? process.env[name] : undefined;
    if (!value) throw new SecretUnavailableError(`Secret ref "${ref.name}": environment variable ${name} is not set here.`);
    return value;
  }

  private async fromFile(ref: SecretRefEntity): Promise<string> {
    const unavailable = (why: string) => new SecretUnavailableError(`Secret ref "${ref.name}": file ${ref.reference} ${why}.`);
    const path = ref.reference ?? '';
    const root = this.environment.ORCH_SECRET_FILES_DIR;
    if (filePathProblem(path, root)) throw unavailable('is outside ORCH_SECRET_FILES_DIR');
    let contents: Buffer;
    try {
      // Mounted secrets are symlinks (Kubernetes `..data`): the real file must stay inside the real root.
      const [realFile, realRoot] = await Promise.all([realpath(path), realpath(root)]);
      if (!realFile.startsWith(`${realRoot}/`)) throw unavailable('resolves outside ORCH_SECRET_FILES_DIR');
      const handle = await open(realFile, 'r');
      try {
        const buffer = Buffer.alloc(MAX_SECRET_BYTES + 1);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
        if (bytesRead > MAX_SECRET_BYTES) throw unavailable(`is larger than ${MAX_SECRET_BYTES} bytes`);
        contents = buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (error instanceof SecretUnavailableError) throw error;
      throw unavailable(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    // One trailing newline is how files are usually written; it is not part of the secret.
    const value = contents.toString('utf8').replace(/\r?\n$/, '');
    if (!value) throw unavailable('is empty');
    return value;
  }

  private fromLocal(ref: SecretRefEntity): string {
    if (!ref.ciphertext || !ref.keyId) throw new SecretUnavailableError(`Secret ref "${ref.name}" has no stored value.`);
    if (!this.cipher.canOpen(ref.keyId)) {
      throw new SecretUnavailableError(`Secret ref "${ref.name}" was sealed with key ${ref.keyId}, which is neither ORCH_SECRETS_KEY nor in ORCH_SECRETS_KEY_PREVIOUS here.`);
    }
    try {
      return this.cipher.open({ keyId: ref.keyId, ciphertext: ref.ciphertext }, sealingContext(ref.tenantId, ref.id));
    } catch {
      throw new SecretUnavailableError(`Secret ref "${ref.name}" could not be decrypted (wrong key or tampered value).`);
    }
  }
}
