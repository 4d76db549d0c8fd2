import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { defaultPolicy, PolicyDocument } from '../../workflows/policy';
import { AppError } from '../common/app-error';
import { Environment } from '../config/environment';
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

  /** The latest version of a tenant's policy, or of its default policy when `policyId` is null. */
  async pinLatest(tenantId: string, policyId: string | null): Promise<PinnedPolicy> {
    const policy = policyId
      ? await this.dataSource.getRepository(PolicyEntity).findOneBy({ id: policyId, tenantId })
      : await this.ensureDefault(tenantId);
    if (!policy) throw AppError.notFound('POLICY_NOT_FOUND', `Policy ${policyId} does not exist.`);
    const version = await this.dataSource
      .getRepository(PolicyVersionEntity)
      .findOneByOrFail({ policyId: policy.id, version: policy.latestVersion });
    return { policyId: policy.id, version: version.version, document: version.document };
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
      const document = defaultPolicy(this.environment.CONNECTOR_MAX_RETRIES, this.environment.CONNECTOR_RETRY_BASE_SECONDS);
      await manager.insert(PolicyVersionEntity, { policyId: id, version: 1, document });
    });
    return repository.findOneByOrFail({ tenantId, name: DEFAULT_POLICY_NAME });
  }
}
