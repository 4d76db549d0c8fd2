import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { RetentionTarget } from '../../activities/retention';
import { Environment } from '../config/environment';
import { upsertSchedule } from '../temporal/schedules';
import { TemporalService } from '../temporal/temporal.service';
import { PayloadStore } from '../payload-store/payload-store.service';

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
    private readonly payloads: PayloadStore,
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
    // Inbox rows go with their archived bodies in the payload store: the objects no row references
    // any more are deleted right after the rows (keys are content-addressed, so one may be shared).
    const inboxWithPayloads: RetentionTarget['deleteBatch'] = async (batch) => {
      const [rows, count] = (await this.dataSource.query(
        `DELETE FROM webhook_inbox WHERE ctid IN (SELECT ctid FROM webhook_inbox WHERE received_at < now() - make_interval(days => $1) LIMIT ${Number(batch)})
         RETURNING raw_body_payload_ref->>'key' AS key`,
        [days],
      )) as [{ key: string | null }[], number];
      const keys = rows.map((row) => row.key).filter((key): key is string => key !== null);
      if (keys.length > 0) this.logger.log({ deleted: await this.payloads.deleteUnreferenced(keys) }, 'payload store objects of purged inbox rows deleted');
      return count;
    };
    return [
      { name: 'idempotencyKeys', deleteBatch: batchDelete('idempotency_keys', 'expires_at <= now()') },
      { name: 'events', deleteBatch: batchDelete('events', `created_at < now() - make_interval(days => $1)`, [days]) },
      { name: 'webhookInbox', deleteBatch: inboxWithPayloads },
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
