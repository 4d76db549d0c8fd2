import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { RetentionTarget } from '../../activities/retention';
import { Environment } from '../config/environment';
import { expiredEvents } from '../events/expired-events';
import { expiredIdempotencyKeys } from '../jobs/expired-idempotency-keys';
import { expiredInboxEntries } from '../webhooks/expired-inbox-entries';
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
    // Each slice deletes its own expired rows; this one only lists them for the sweep.
    return [
      { name: 'idempotencyKeys', deleteBatch: expiredIdempotencyKeys(this.dataSource) },
      { name: 'events', deleteBatch: expiredEvents(this.dataSource, days) },
      { name: 'webhookInbox', deleteBatch: expiredInboxEntries(this.dataSource, days) },
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
