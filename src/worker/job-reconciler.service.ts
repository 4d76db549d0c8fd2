import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { JobError } from '../../domain/job';
import { NON_TERMINAL_STATUSES } from '../../domain/job';
import type { TerminalStatus } from '../../domain/execution';
import { sqlList } from '../database/sql-list';
import { Environment } from '../config/environment';
import { EventsService } from '../events/events.service';
import { upsertSchedule } from '../temporal/schedules';
import { TemporalService } from '../temporal/temporal.service';
import { EXECUTE_JOB_WORKFLOW } from '../../domain/execution';

export const RECONCILE_WORKFLOW = 'reconcileJobs';

/** How a workflow that closed without recording its job's end is recorded. */
const CLOSED_AS: Record<string, { status: TerminalStatus; error: Omit<JobError, 'message'> }> = {
  TERMINATED: { status: 'cancelled', error: { type: 'Cancelled', retryable: false } },
  TIMED_OUT: { status: 'timed_out', error: { type: 'TotalTimeout', retryable: false } },
  FAILED: { status: 'failed', error: { type: 'InternalError', retryable: false } },
  CANCELLED: { status: 'cancelled', error: { type: 'Cancelled', retryable: false } },
};

/**
 * No job stays non-terminal forever (SPEC §3.7): finds job workflows that closed while their
 * `JobStatus` still says queued/running/waiting — terminated by an operator, timed out by Temporal,
 * failed — and records the end in the job row with an event saying why. Run by a Schedule.
 */
@Injectable()
export class JobReconciler implements OnApplicationBootstrap {
  private readonly logger = new Logger(JobReconciler.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly environment: Environment,
    private readonly events: EventsService,
    private readonly temporal: TemporalService,
  ) {}

  /** One Schedule per deployment (named after its default task queue), upserted by workers. */
  async onApplicationBootstrap() {
    const scheduleId = `orchestrator-reconcile-${this.environment.ORCH_TASK_QUEUE}`;
    try {
      await upsertSchedule(this.temporal, scheduleId, this.environment.ORCH_RECONCILE_INTERVAL_SECONDS * 1000, {
        workflowType: RECONCILE_WORKFLOW,
        taskQueue: this.environment.ORCH_TASK_QUEUE,
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'could not create or update the reconcile schedule');
    }
  }

  async reconcile(): Promise<number> {
    // Visibility's IN list has SQL's syntax.
    const query = `WorkflowType = '${EXECUTE_JOB_WORKFLOW}' AND ExecutionStatus IN ('Terminated', 'TimedOut', 'Failed', 'Canceled') AND JobStatus IN ${sqlList(NON_TERMINAL_STATUSES)}`;
    const closed = await this.temporal.use(async (client) => {
      const found: { workflowId: string; status: string }[] = [];
      for await (const workflow of client.workflow.list({ query })) found.push({ workflowId: workflow.workflowId, status: workflow.status.name });
      return found;
    });
    // Workflows reconciled before still match (their JobStatus can no longer change): one read
    // keeps only those whose row is still open, instead of an UPDATE per workflow every period.
    const rows: { workflow_id: string }[] = closed.length
      ? await this.dataSource.query(`SELECT workflow_id FROM jobs WHERE workflow_id = ANY($1) AND status IN ${sqlList(NON_TERMINAL_STATUSES)}`, [
          closed.map((workflow) => workflow.workflowId),
        ])
      : [];
    const stillOpen = new Set(rows.map((row) => row.workflow_id));
    let recorded = 0;
    for (const workflow of closed) {
      const end = CLOSED_AS[workflow.status];
      if (end && stillOpen.has(workflow.workflowId) && (await this.record(workflow.workflowId, workflow.status, end))) recorded += 1;
    }
    if (recorded > 0) this.logger.log({ recorded }, 'reconciled jobs whose workflow closed without recording their end');
    return recorded;
  }

  private record(workflowId: string, workflowStatus: string, end: (typeof CLOSED_AS)[string]): Promise<boolean> {
    const error: JobError = { ...end.error, message: `The job's workflow closed as ${workflowStatus} before it could record its end.` };
    return this.dataSource.transaction(async (manager) => {
      const [rows]: [{ id: string; tenant_id: string; attempts: number }[], number] = await manager.query(
        `UPDATE jobs SET status = $2, wait_reason = NULL, error = $3, completed_at = now()
          WHERE workflow_id = $1 AND status IN ${sqlList(NON_TERMINAL_STATUSES)}
          RETURNING id, tenant_id, attempts`,
        [workflowId, end.status, JSON.stringify(error)],
      );
      for (const row of rows) {
        await this.events.append(manager, row.tenant_id, row.id, `job.${end.status}`, { attempts: row.attempts, error, reconciled: { workflowStatus } });
      }
      return rows.length > 0;
    });
  }
}
