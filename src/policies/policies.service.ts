import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isUniqueViolation } from '../database/postgres-errors';
import { defaultPolicy, PolicyDocument } from '../../domain/policy';
import { AppError } from '../common/app-error';
import { Environment } from '../config/environment';
import { PolicyDocumentDto } from './policy.dto';
import { PolicyEntity, PolicyVersionEntity } from './policy.entity';

export const DEFAULT_POLICY_NAME = 'default';

export interface PinnedPolicy {
  policyId: string;
  version: number;
  document: PolicyDocument;
}

@Injectable()
export class PoliciesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly environment: Environment,
  ) {}

  private get defaults(): PolicyDocument {
    return defaultPolicy(this.environment.CONNECTOR_MAX_RETRIES, this.environment.CONNECTOR_RETRY_BASE_SECONDS);
  }

  /** A complete document: sections the request left out come from the default policy. */
  private complete(dto: PolicyDocumentDto): PolicyDocument {
    const defaults = this.defaults;
    return {
      retry: dto.retry ? { ...dto.retry } : defaults.retry,
      timeouts: dto.timeouts ? { ...dto.timeouts } : defaults.timeouts,
      circuitBreaker: dto.circuitBreaker ? { ...dto.circuitBreaker } : defaults.circuitBreaker,
      rateLimit: dto.rateLimit ? { ...dto.rateLimit } : null,
      concurrency: dto.concurrency ? { ...dto.concurrency } : null,
      onRedisUnavailable: dto.onRedisUnavailable ?? defaults.onRedisUnavailable,
    };
  }

  async create(tenantId: string, name: string, dto: PolicyDocumentDto): Promise<[PolicyEntity, PolicyVersionEntity]> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const policy = await manager.save(manager.create(PolicyEntity, { tenantId, name, latestVersion: 1 }));
        const version = await manager.save(manager.create(PolicyVersionEntity, { policyId: policy.id, version: 1, document: this.complete(dto) }));
        return [policy, version];
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('POLICY_NAME_TAKEN', `A policy named "${name}" already exists.`);
      }
      throw error;
    }
  }

  /** Adds the next immutable version; jobs already started keep the version they pinned. */
  addVersion(tenantId: string, policyId: string, dto: PolicyDocumentDto): Promise<[PolicyEntity, PolicyVersionEntity]> {
    return this.dataSource.transaction(async (manager) => {
      const [rows]: [{ latest_version: number }[]] = await manager.query(
        'UPDATE policies SET latest_version = latest_version + 1 WHERE id = $1 AND tenant_id = $2 RETURNING latest_version',
        [policyId, tenantId],
      );
      if (rows.length === 0) throw this.notFound(policyId);
      const version = await manager.save(
        manager.create(PolicyVersionEntity, { policyId, version: rows[0].latest_version, document: this.complete(dto) }),
      );
      return [await manager.findOneByOrFail(PolicyEntity, { id: policyId }), version];
    });
  }

  async list(tenantId: string): Promise<[PolicyEntity, PolicyVersionEntity][]> {
    const policies = await this.dataSource.getRepository(PolicyEntity).find({ where: { tenantId }, order: { name: 'ASC' } });
    return Promise.all(policies.map(async (policy) => [policy, await this.version(policy, policy.latestVersion)] as [PolicyEntity, PolicyVersionEntity]));
  }

  async get(tenantId: string, policyId: string): Promise<[PolicyEntity, PolicyVersionEntity]> {
    const policy = await this.find(tenantId, policyId);
    return [policy, await this.version(policy, policy.latestVersion)];
  }

  async getVersion(tenantId: string, policyId: string, version: number): Promise<PolicyVersionEntity> {
    const policy = await this.find(tenantId, policyId);
    const found = await this.dataSource.getRepository(PolicyVersionEntity).findOneBy({ policyId: policy.id, version });
    if (!found) throw new AppError('POLICY_VERSION_NOT_FOUND', `Policy ${policyId} has no version ${version}.`);
    return found;
  }

  /** The latest version of a tenant's policy, or of its default policy when `policyId` is null. */
  async pinLatest(tenantId: string, policyId: string | null): Promise<PinnedPolicy> {
    const policy = policyId ? await this.find(tenantId, policyId) : await this.ensureDefault(tenantId);
    const version = await this.version(policy, policy.latestVersion);
    return { policyId: policy.id, version: version.version, document: version.document };
  }

  /** Whether the tenant owns a policy with this version (a config binding is checked with it before it is stored). */
  async versionExists(tenantId: string, policyId: string, version: number): Promise<boolean> {
    const [found]: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM policy_versions v JOIN policies p ON p.id = v.policy_id WHERE p.tenant_id = $1 AND v.policy_id = $2 AND v.version = $3`,
      [tenantId, policyId, version],
    );
    return found !== undefined;
  }

  /** An exact version (as a config binds it). */
  async pinVersion(tenantId: string, policyId: string, version: number): Promise<PinnedPolicy> {
    const found = await this.getVersion(tenantId, policyId, version);
    return { policyId, version, document: found.document };
  }

  /** Throws POLICY_NOT_FOUND unless the tenant owns the policy. */
  async find(tenantId: string, policyId: string): Promise<PolicyEntity> {
    const policy = await this.dataSource.getRepository(PolicyEntity).findOneBy({ id: policyId, tenantId });
    if (!policy) throw this.notFound(policyId);
    return policy;
  }

  private version(policy: PolicyEntity, version: number): Promise<PolicyVersionEntity> {
    return this.dataSource.getRepository(PolicyVersionEntity).findOneByOrFail({ policyId: policy.id, version });
  }

  private notFound(policyId: string) {
    return new AppError('POLICY_NOT_FOUND', `Policy ${policyId} does not exist.`);
  }

  /** Each tenant's `default` policy, created on first use from CONNECTOR_MAX_RETRIES / CONNECTOR_RETRY_BASE_SECONDS. */
  private async ensureDefault(tenantId: string): Promise<PolicyEntity> {
    const repository = this.dataSource.getRepository(PolicyEntity);
    const existing = await repository.findOneBy({ tenantId, name: DEFAULT_POLICY_NAME });
    if (existing) return existing;
    await this.dataSource.transaction(async (manager) => {
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(PolicyEntity)
        .values({ tenantId, name: DEFAULT_POLICY_NAME, latestVersion: 1 })
        .orIgnore()
        .returning(['id'])
        .execute();
      const id = inserted.identifiers[0]?.id as string | undefined;
      if (!id) return; // a concurrent request created it
      await manager.insert(PolicyVersionEntity, { policyId: id, version: 1, document: this.defaults });
    });
    return repository.findOneByOrFail({ tenantId, name: DEFAULT_POLICY_NAME });
  }
}
