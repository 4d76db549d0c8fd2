import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { ConnectorSpec } from '../../domain/connector-spec';

export type ConnectorType = 'http' | 'stripe';

@Entity({ name: 'connectors' })
@Index(['tenantId', 'name'], { unique: true })
export class ConnectorEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id' })
  tenantId: string;

  @Column()
  name: string;

  @Column({ type: 'varchar' })
  type: ConnectorType;

  @Column({ default: true })
  enabled: boolean;

  @Column({ name: 'policy_id', type: 'uuid', nullable: true })
  policyId: string | null;

  @Column({ name: 'task_queue', type: 'varchar', nullable: true })
  taskQueue: string | null;

  /**
   * Type-specific settings. `http`: baseUrl, operations, auth, allowPrivateNetwork. `stripe`:
   * signingSecretRef, toleranceSeconds, routes (and an empty operations map). Secret refs and route
   * targets are stored by id.
   */
  @Column({ type: 'jsonb' })
  spec: ConnectorSpec;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
