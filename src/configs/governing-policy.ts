import { Global, Injectable, Module } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type PinnedPolicy, PoliciesService } from '../policies/policies.service';
import { PolicyStoreModule } from '../policies/policy-store.module';
import { ConnectorPolicySource, type GoverningPolicyOf } from '../connectors/connector-policy-source';
import { ConfigEntity } from './config.entity';

/**
 * Which policy governs a connector (SPEC §3.10): the active config's binding for it, else the
 * config's default policy, else the connector's own policy, else the tenant's default. New jobs pin
 * it (unless a request overrides); its limits are the connector's live limits for every job.
 */
@Injectable()
export class GoverningPolicy implements ConnectorPolicySource {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly policies: PoliciesService,
  ) {}

  async of(tenantId: string, connector: { id: string; policyId: string | null }): Promise<GoverningPolicyOf> {
    const [governing] = await this.ofEach(tenantId, [connector]);
    return governing;
  }

  async ofEach(tenantId: string, connectors: { id: string; policyId: string | null }[]): Promise<GoverningPolicyOf[]> {
    const config = await this.activeConfig(tenantId);
    const pins = new Map<string, Promise<PinnedPolicy>>();
    const pin = (key: string, read: () => Promise<PinnedPolicy>) => pins.get(key) ?? pins.set(key, read()).get(key)!;
    return Promise.all(
      connectors.map(async (connector) => {
        const binding = config ? (config.document.bindings[connector.id] ?? config.document.defaultPolicy ?? null) : null;
        const pinned = binding
          ? await pin(`${binding.policyId}@${binding.version}`, () => this.policies.pinVersion(tenantId, binding.policyId, binding.version))
          : await pin(`${connector.policyId ?? 'default'}@latest`, () => this.policies.pinLatest(tenantId, connector.policyId));
        return { pinned, configVersion: config?.version ?? null };
      }),
    );
  }

  /** The tenant's active config version, or null before any activation. */
  activeConfig(tenantId: string): Promise<ConfigEntity | null> {
    // One round trip: this runs on every POST /execute and every rate-limit refresh.
    return this.dataSource
      .getRepository(ConfigEntity)
      .createQueryBuilder('c')
      .innerJoin(
        (sub) => sub.select('a.version', 'version').from('config_activations', 'a').where('a.tenant_id = :tenantId').orderBy('a.id', 'DESC').limit(1),
        'active',
        'active.version = c.version',
      )
      .where('c.tenant_id = :tenantId', { tenantId })
      .getOne();
  }
}

/** Providers only (no controllers), so the worker can import it; global so connectors get the port. */
@Global()
@Module({
  imports: [PolicyStoreModule],
  providers: [GoverningPolicy, { provide: ConnectorPolicySource, useExisting: GoverningPolicy }],
  exports: [GoverningPolicy, ConnectorPolicySource, PolicyStoreModule],
})
export class GoverningPolicyModule {}
