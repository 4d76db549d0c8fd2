import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { RetentionTarget } from '../../activities/retention';
import { Environment } from '../config/environment';
import { expiredEvents } from '../events/expired-events';
import { expiredIdempotencyKeys } from '../jobs/expired-idempotency-keys';
import { forgetJobPayloads, purgedJobsWithPayloads } from '../jobs/purged-job-payloads';
import { expiredInboxEntries } from '../webhooks/expired-inbox-entries';
import { upsertSchedule } from '../temporal/schedules';
import { TemporalService } from '../temporal/temporal.service';
import { PayloadStore } from '../payload-store/payload-store.service';
import { referenceKeys } from '../payload-store/reference-keys';
import { TENANT_ID } from '../temporal/search-attributes';

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
    // Each slice deletes its own expired rows; this one only lists them for the sweep. Inbox rows go
    // with their archived bodies: the objects no row references any more (keys are content-addressed,
    // so one may be shared) are deleted right after the rows.
    const bodiesGone = async (keys: string[]) => {
      this.logger.log({ deleted: await this.payloads.deleteUnreferenced(keys) }, 'payload store objects of purged inbox rows deleted');
    };
    return [
      { name: 'purgedJobPayloads', deleteBatch: (batch) => this.deletePurgedJobPayloads(batch) },
      { name: 'idempotencyKeys', deleteBatch: expiredIdempotencyKeys(this.dataSource) },
      { name: 'events', deleteBatch: expiredEvents(this.dataSource, days) },
      { name: 'webhookInbox', deleteBatch: expiredInboxEntries(this.dataSource, days, bodiesGone) },
    ];
  }

  /**
   * Jobs purged from the DLQ lose their stored payloads: the objects their Temporal histories
   * reference (read from every run's history while Temporal still keeps it) and, once no other row
   * references them, the objects of their input and result. The row stays, without references.
   */
  private async deletePurgedJobPayloads(batch: number): Promise<number> {
    if (!this.payloads.enabled) return 0;
    const jobs = await purgedJobsWithPayloads(this.dataSource, batch);
    for (const job of jobs) {
      const historyKeys = job.runId ? await this.historyReferenceKeys(job.tenantId, job.workflowId, job.runId) : new Set<string>();
      // Temporal's objects are the job's own (its id is in every input they hold), so they go at once.
      await this.payloads.deleteObjects([...historyKeys]);
      await forgetJobPayloads(this.dataSource, job);
      const deleted = await this.payloads.deleteUnreferenced([job.inputKey, job.resultKey].filter((key): key is string => key !== null));
      this.logger.log({ jobId: job.id, deleted: deleted + historyKeys.size }, 'payload store objects of a purged job deleted');
    }
    return jobs.length;
  }

  /**
   * Keys referenced by the histories of the job's own runs: from the run its row names, along the
   * continue-as-new chain both ways. Not every run of the workflow id: a webhook event's retry is
   * another job under the same id. Nothing once Temporal has dropped the histories.
   */
  private async historyReferenceKeys(tenantId: string, workflowId: string, runId: string): Promise<Set<string>> {
    const keys = new Set<string>();
    await this.temporal.use(async (client) => {
      const described = await client.workflow.getHandle(workflowId, runId).describe().catch((error: unknown) => {
        // Past the namespace's retention the history is gone: its objects cannot be found any more.
        if (error instanceof WorkflowNotFoundError) return undefined;
        throw error;
      });
      if (!described) return;
      const { typedSearchAttributes } = described;
      if (typedSearchAttributes.get(TENANT_ID) !== tenantId) return;
      const visit = async (id: string | null | undefined, direction: 'back' | 'forward' | 'both', seen = new Set<string>()) => {
        if (!id || seen.has(id)) return;
        seen.add(id);
        const history = await client.workflow.getHandle(workflowId, id).fetchHistory().catch((error: unknown) => {
          if (error instanceof WorkflowNotFoundError) return undefined;
          throw error;
        });
        if (!history) return;
        referenceKeys(history, keys);
        const events = history.events ?? [];
        if (direction !== 'forward') await visit(events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId, 'back', seen);
        if (direction !== 'back') await visit(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId, 'forward', seen);
      };
      await visit(runId, 'both');
    });
    return keys;
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
