import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { RetentionTarget } from '../../activities/retention';
import { Environment } from '../config/environment';
import { upsertSchedule } from '../temporal/schedules';
import { TemporalService } from '../temporal/temporal.service';

export const RETENTION_WORKFLOW = 'retentionSweep';

/**
 * What ages out, and the Temporal Schedule that sweeps it every ORCH_IDEMPOTENCY_CLEANUP_INTERVAL
 * seconds. One schedule per deployment (named after its default task queue), upserted by workers.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly environment: Environment,
    private readonly temporal: TemporalService,
  ) {}

  get scheduleId(): string {
    return `orchestrator-retention-${this.environment.ORCH_TASK_QUEUE}`;
  }

  targets(): RetentionTarget[] {
    const days = this.environment.ORCH_EVENT_RETENTION_DAYS;
    // ctid batches: each DELETE touches at most `batch` rows and holds its locks briefly.
    const batchDelete = (table: string, expired: string, params: unknown[] = []): RetentionTarget['deleteBatch'] => async (batch) => {
      const [, count] = await this.dataSource.query(
        `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE ${expired} LIMIT ${Number(batch)})`,
        params,
      );
      return count;
    };
    return [
      { name: 'idempotencyKeys', deleteBatch: batchDelete('idempotency_keys', 'expires_at <= now()') },
      { name: 'events', deleteBatch: batchDelete('events', `created_at < now() - make_interval(days => $1)`, [days]) },
      { name: 'webhookInbox', deleteBatch: batchDelete('webhook_inbox', `received_at < now() - make_interval(days => $1)`, [days]) },
    ];
  }

  /** Creates the schedule, or brings an existing one in line with the current interval. */
  async onApplicationBootstrap() {
    try {
      await upsertSchedule(this.temporal, this.scheduleId, this.environment.ORCH_IDEMPOTENCY_CLEANUP_INTERVAL * 1000, {
        workflowType: RETENTION_WORKFLOW,
        taskQueue: this.environment.ORCH_TASK_QUEUE,
      });
    } catch (error) {
      // Not fatal: the next worker start (or this one, restarted) tries again.
      this.logger.warn({ err: error }, 'could not create or update the retention schedule');
    }
  }
}
