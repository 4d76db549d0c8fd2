import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export interface PolicyVersionRef {
  policyId: string;
  version: number;
}

/** An immutable config version (SPEC §5). */
export interface ConfigDocument {
  /** Connector id → the exact policy version its new jobs run under. */
  bindings: Record<string, PolicyVersionRef>;
  /** For connectors without a binding; otherwise the connector's own policy applies. */
  defaultPolicy: PolicyVersionRef | null;
  /** Per-tenant API rate limit the edge applies (requests per second + burst). */
  apiRateLimit: { requestsPerSecond: number; burst: number } | null;
  features: Record<string, boolean>;
}

@Entity({ name: 'configs' })
export class ConfigEntity {
  @PrimaryColumn({ name: 'tenant_id' })
  tenantId: string;

  @PrimaryColumn({ type: 'int' })
  version: number;

  @Column({ type: 'jsonb' })
  document: ConfigDocument;

  @Column({ name: 'created_by' })
  createdBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
