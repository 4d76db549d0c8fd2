import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { isUniqueViolation } from '../database/postgres-errors';
import { AppError, FieldError } from '../common/app-error';
import { byIdOrName } from '../common/identifiers';
import { Environment } from '../config/environment';
import { SecretCipher, sealingContext } from './secret-cipher';
import { CreateSecretRefDto } from './secret-ref.dto';
import { SecretRefEntity } from './secret-ref.entity';
import { SecretUsers } from './secret-users';
import { ENV_SECRET_NAME, ENV_SECRET_PREFIX, filePathProblem } from './secret-references';

const PROVIDER_FIELDS = { env: 'envVar', file: 'path', local: 'value' } as const;

/** Secret refs: created and listed through the control plane; values go in and never come out. */
@Injectable()
export class SecretsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SecretsService.name);
  private readonly cipher: SecretCipher;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly environment: Environment,
    private readonly users: SecretUsers,
  ) {
    this.cipher = SecretCipher.fromEnvironment(environment);
  }

  private get repository() {
    return this.dataSource.getRepository(SecretRefEntity);
  }

  async create(tenantId: string, dto: CreateSecretRefDto): Promise<SecretRefEntity> {
    const errors: FieldError[] = [];
    const wanted = PROVIDER_FIELDS[dto.provider];
    for (const field of Object.values(PROVIDER_FIELDS)) {
      if (field !== wanted && dto[field] !== undefined) errors.push({ field, message: `is not used by the "${dto.provider}" provider` });
    }
    if (dto[wanted] === undefined) errors.push({ field: wanted, message: `is required for the "${dto.provider}" provider` });
    if (dto.provider === 'env' && dto.envVar !== undefined && !ENV_SECRET_NAME.test(dto.envVar)) {
      errors.push({ field: 'envVar', message: `must be an environment variable name starting with ${ENV_SECRET_PREFIX} (letters, digits, "_")` });
    }
    if (dto.provider === 'file' && dto.path !== undefined) {
      const problem = filePathProblem(dto.path, this.environment.ORCH_SECRET_FILES_DIR);
      if (problem) errors.push({ field: 'path', message: problem });
    }
    if (dto.provider === 'local' && !this.cipher.canSeal) {
      errors.push({ field: 'provider', message: '"local" secrets need ORCH_SECRETS_KEY to be configured on the platform' });
    }
    if (errors.length > 0) throw AppError.validation(errors);

    const id = randomUUID();
    const sealed = dto.provider === 'local' ? this.cipher.seal(dto.value!, sealingContext(tenantId, id)) : undefined;
    try {
      await this.repository.insert({
        id,
        tenantId,
        name: dto.name,
        provider: dto.provider,
        reference: dto.provider === 'env' ? dto.envVar! : dto.provider === 'file' ? dto.path! : null,
        keyId: sealed?.keyId ?? null,
        ciphertext: sealed?.ciphertext ?? null,
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('SECRET_REF_NAME_TAKEN', `A secret ref named "${dto.name}" already exists.`);
      }
      throw new Error('could not store the secret ref'); // no driver error: its parameters hold the sealed value
    }
    return this.get(tenantId, id);
  }

  list(tenantId: string): Promise<SecretRefEntity[]> {
    return this.repository.find({ where: { tenantId }, order: { name: 'ASC' } });
  }

  /** By id or name, within the tenant; another tenant's ref is simply not found. */
  async get(tenantId: string, idOrName: string): Promise<SecretRefEntity> {
    const ref = await this.repository.findOneBy(byIdOrName(tenantId, idOrName));
    if (!ref) throw new AppError('SECRET_REF_NOT_FOUND', `Secret ref "${idOrName}" does not exist.`);
    return ref;
  }

  /** The id of a ref named by id or name, or undefined (for validating connectors). */
  async findId(tenantId: string, idOrName: string): Promise<string | undefined> {
    return (await this.get(tenantId, idOrName).catch(() => undefined))?.id;
  }

  /** Refused while a connector uses the ref. */
  async delete(tenantId: string, idOrName: string): Promise<void> {
    const ref = await this.get(tenantId, idOrName);
    const users = await this.users.namesUsing(tenantId, ref.id);
    if (users.length > 0) {
      throw new AppError('SECRET_REF_IN_USE', `Secret ref "${ref.name}" is used by connector(s) ${users.map((name) => `"${name}"`).join(', ')}.`);
    }
    await this.repository.delete({ tenantId, id: ref.id });
  }

  /**
   * Key rotation: re-seals every `local` value sealed under a previous key with ORCH_SECRETS_KEY.
   * Runs when the api starts; idempotent, and safe with several api replicas (each row is updated
   * only if it still carries the key it was read with).
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.cipher.currentKeyId) return;
    try {
      const stale = await this.repository
        .createQueryBuilder('s')
        .addSelect('s.ciphertext')
        .where(`s.provider = 'local' AND s.key_id <> :current`, { current: this.cipher.currentKeyId })
        .getMany();
      let resealed = 0;
      for (const ref of stale) {
        if (!ref.keyId || !ref.ciphertext || !this.cipher.canOpen(ref.keyId)) {
          this.logger.warn({ secretRefId: ref.id, keyId: ref.keyId }, 'secret ref sealed with an unknown key: add that key to ORCH_SECRETS_KEY_PREVIOUS');
          continue;
        }
        const context = sealingContext(ref.tenantId, ref.id);
        const sealed = this.cipher.seal(this.cipher.open({ keyId: ref.keyId, ciphertext: ref.ciphertext }, context), context);
        const result = await this.repository.update({ id: ref.id, keyId: ref.keyId }, { keyId: sealed.keyId, ciphertext: sealed.ciphertext });
        resealed += result.affected ?? 0;
      }
      if (stale.length > 0) this.logger.log({ resealed, stale: stale.length, keyId: this.cipher.currentKeyId }, 'secret refs re-sealed with the current ORCH_SECRETS_KEY');
    } catch (error) {
      this.logger.warn({ error: (error as Error).message }, 'could not re-seal secret refs; will retry at the next start');
    }
  }
}
