import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JobError, JobStatus, WaitReason } from '../../domain/job';
import type { PayloadRef } from '../payload-store/object-store';

@Entity({ name: 'jobs' })
@Index('jobs_tenant_created_idx', ['tenantId', 'createdAt', 'id'])
export class JobEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id' })
  tenantId: string;

  @Column({ name: 'connector_id', type: 'uuid' })
  connectorId: string;

  @Column()
  operation: string;

  /** Null when the input is in the payload store (`inputPayloadRef`). */
  @Column({ type: 'jsonb', nullable: true })
  input: Record<string, unknown> | null;

  /** Set when the input was above PAYLOAD_STORE_THRESHOLD_BYTES: where its JSON is. */
  @Column({ name: 'input_payload_ref', type: 'jsonb', nullable: true })
  inputPayloadRef: PayloadRef | null;

  @Column({ type: 'varchar' })
  status: JobStatus;

  @Column({ name: 'wait_reason', type: 'varchar', nullable: true })
  waitReason: WaitReason | null;

  @Column({ name: 'policy_id', type: 'uuid' })
  policyId: string;

  @Column({ name: 'policy_version', type: 'int' })
  policyVersion: number;

  @Column({ name: 'config_version', type: 'int', nullable: true })
  configVersion: number | null;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ type: 'jsonb', nullable: true })
  result: unknown;

  /** Set when the result was above PAYLOAD_STORE_THRESHOLD_BYTES (`result` is then null). */
  @Column({ name: 'result_payload_ref', type: 'jsonb', nullable: true })
  resultPayloadRef: PayloadRef | null;

  @Column({ type: 'jsonb', nullable: true })
  error: JobError | null;

  @Column({ name: 'workflow_id' })
  workflowId: string;

  @Column({ name: 'run_id', type: 'varchar', nullable: true })
  runId: string | null;

  /** The token subject that submitted the job (a DLQ replay keeps the original's); null for webhook deliveries. */
  @Column({ name: 'submitted_by', type: 'varchar', nullable: true })
  submittedBy: string | null;

  @Column({ name: 'task_queue' })
  taskQueue: string;

  /** Set by the api in milliseconds (not by the database) so list cursors compare exactly. */
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  /** The failed job this one replays (DLQ). */
  @Column({ name: 'replay_of', type: 'uuid', nullable: true })
  replayOf: string | null;

  /** The job that replayed this one; set once, which takes it out of the DLQ. */
  @Column({ name: 'replayed_by', type: 'uuid', nullable: true })
  replayedBy: string | null;

  /** The OpenTelemetry trace the job runs in (the api's request span started it); null with tracing off. */
  @Column({ name: 'trace_id', type: 'varchar', nullable: true })
  traceId: string | null;

  @Column({ name: 'dlq_purged_at', type: 'timestamptz', nullable: true })
  dlqPurgedAt: Date | null;
}
