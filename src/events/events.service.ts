import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { EventType } from '../../domain/events';
import type { ReadScope } from '../auth/principal';
import { EventEntity } from './job-event.entity';

export interface EventFilter {
  jobId?: string;
  type?: EventType;
  /** Only events with a larger id (resume point). */
  after?: string;
  limit: number;
}

export interface AttemptFailure {
  jobId: string;
  attempt: number;
  error: Record<string, unknown>;
  at: Date;
}

/** Postgres channel announcing "tenant X has new events"; delivered only when the writing transaction commits. */
export const EVENTS_CHANNEL = 'orchestrator_events';

/**
 * The event log, appended inside the transaction that changes the job and read back in id order.
 * Ids come from a per-tenant counter whose row stays locked until the transaction commits, so ids
 * become visible in commit order: a reader resuming after id k can never miss a later-committing
 * smaller id. Append late in a transaction to keep that lock short.
 */
@Injectable()
export class EventsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async append(manager: EntityManager, tenantId: string, jobId: string | null, type: EventType, data: Record<string, unknown> = {}) {
    await manager.query(
      `WITH next AS (
         INSERT INTO event_sequences (tenant_id, last_id) VALUES ($1, 1)
         ON CONFLICT (tenant_id) DO UPDATE SET last_id = event_sequences.last_id + 1
         RETURNING last_id)
       INSERT INTO events (tenant_id, id, job_id, type, data)
       SELECT $1, next.last_id, $2, $3, $4 FROM next CROSS JOIN LATERAL (SELECT pg_notify('${EVENTS_CHANNEL}', $1)) AS notified`,
      [tenantId, jobId, type, JSON.stringify(data)],
    );
  }

  /** The tenant's newest committed event id ('0' when none): where a stream without a resume point starts. */
  async tail(tenantId: string): Promise<string> {
    const [row]: { last_id: string }[] = await this.dataSource.query('SELECT last_id FROM event_sequences WHERE tenant_id = $1', [tenantId]);
    return row?.last_id ?? '0';
  }

  /**
   * The newest `attempt.failed` events of a connector's jobs, newest first (connector state). Events
   * carry no connector, so this joins the job rows: one statement, like `list`'s submitter filter.
   */
  async recentAttemptFailures(tenantId: string, connectorId: string, limit: number): Promise<AttemptFailure[]> {
    const rows: { job_id: string; data: { attempt: number; error: Record<string, unknown> }; created_at: Date }[] = await this.dataSource.query(
      `SELECT e.job_id, e.data, e.created_at FROM events e JOIN jobs j ON j.id = e.job_id
        WHERE j.tenant_id = $1 AND j.connector_id = $2 AND e.type = 'attempt.failed'
        ORDER BY e.id DESC LIMIT ${Number(limit)}`,
      [tenantId, connectorId],
    );
    return rows.map((row) => ({ jobId: row.job_id, attempt: row.data.attempt, error: row.data.error, at: row.created_at }));
  }

  async list(scope: ReadScope, filter: EventFilter): Promise<EventEntity[]> {
    const query = this.dataSource
      .getRepository(EventEntity)
      .createQueryBuilder('e')
      .where('e.tenant_id = :tenantId', { tenantId: scope.tenantId })
      .orderBy('e.id', 'ASC')
      .limit(filter.limit);
    if (scope.submittedBy !== undefined) {
      // An executor reads the events of its own jobs only (never tenant-wide ones without a job).
      query.andWhere('e.job_id IN (SELECT j.id FROM jobs j WHERE j.tenant_id = :tenantId AND j.submitted_by = :submittedBy)', { submittedBy: scope.submittedBy });
    }
    if (filter.jobId) query.andWhere('e.job_id = :jobId', { jobId: filter.jobId });
    if (filter.type) query.andWhere('e.type = :type', { type: filter.type });
    if (filter.after) query.andWhere('e.id > :after', { after: filter.after });
    return query.getMany();
  }
}
