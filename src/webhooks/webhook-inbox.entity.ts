import type { PayloadRef } from '../payload-store/object-store';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type InboxStatus = 'received' | 'routed' | 'ignored' | 'failed';
export const INBOX_STATUSES: readonly InboxStatus[] = ['received', 'routed', 'ignored', 'failed'];

/**
 * One verified provider event, archived as received (raw body and headers) and deduplicated on
 * (connector, provider event id). `received`: archived, being routed; `routed`: a job was started;
 * `ignored`: no route for its type; `failed`: routing failed (see `error`), retryable.
 */
@Entity({ name: 'webhook_inbox' })
@Index(['connectorId', 'eventId'], { unique: true })
export class WebhookInboxEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id' })
  tenantId: string;

  @Column({ name: 'connector_id', type: 'uuid' })
  connectorId: string;

  @Column()
  provider: string;

  @Column({ name: 'event_id' })
  eventId: string;

  @Column({ name: 'event_type' })
  eventType: string;

  @Column({ type: 'jsonb' })
  headers: Record<string, string>;

  /** The exact bytes received: what the signature was verified on (empty when in the payload store). */
  @Column({ type: 'bytea' })
  body: Buffer;

  /** Set when the body was above PAYLOAD_STORE_THRESHOLD_BYTES: where its bytes are. */
  @Column({ name: 'raw_body_payload_ref', type: 'jsonb', nullable: true })
  rawBodyPayloadRef: PayloadRef | null;

  @Column({ type: 'varchar' })
  status: InboxStatus;

  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId: string | null;

  @Column({ type: 'jsonb', nullable: true })
  error: { code: string; message: string } | null;

  @Column({ name: 'route_attempts', type: 'int' })
  routeAttempts: number;

  /** While set in the future, one api process is routing the event; others leave it alone. */
  @Column({ name: 'claimed_until', type: 'timestamptz', nullable: true })
  claimedUntil: Date | null;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;

  @Column({ name: 'routed_at', type: 'timestamptz', nullable: true })
  routedAt: Date | null;
}
