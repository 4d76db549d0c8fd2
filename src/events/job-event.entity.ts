import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { EventType } from '../../domain/events';

/** The append-only event log; `id` is monotonic per tenant, in commit order, and is the SSE event id. */
@Entity({ name: 'events' })
@Index('events_job_id_idx', ['jobId', 'id'])
export class EventEntity {
  @PrimaryColumn({ name: 'tenant_id' })
  tenantId: string;

  @PrimaryColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId: string | null;

  @Column({ type: 'varchar' })
  type: EventType;

  @Column({ type: 'jsonb', default: {} })
  data: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
