import { Injectable } from '@nestjs/common';
import { Context } from '@temporalio/activity';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { HttpResult } from '../../activities/http-request';
import type { AttemptStart, ConnectorSnapshot, JobLedger } from '../../activities/ports';
import type { AttemptRequest, FinishJobRequest, LostAttempt, TerminalStatus } from '../../domain/execution';
import type { EventType } from '../../domain/events';
import { isTerminal, type JobError, type JobSpec, type JobStatus, TERMINAL_STATUSES, type WaitReason } from '../../domain/job';
import { ConnectorSnapshots } from '../connectors/connector-snapshots.module';
import { EventsService } from '../events/events.service';
import { workflowIdForJob } from '../../domain/execution';
import { sqlList } from '../database/sql-list';
import { jobDuration, jobsFinished } from '../metrics/job-metrics';
import { currentTraceId } from '../telemetry/tracing';
import { PayloadStore } from '../payload-store/payload-store.service';

const NOT_TERMINAL = `status NOT IN ${sqlList(TERMINAL_STATUSES)}`;

interface Finished {
  connectorId: string;
  seconds: number;
}

/** Counted after the commit, so a rolled-back (and retried) transaction is not counted twice. */
function countFinished(finished: Finished | undefined, status: JobStatus) {
  if (!finished) return;
  jobsFinished.inc({ connector: finished.connectorId, status });
  jobDuration.observe({ connector: finished.connectorId, status }, finished.seconds);
}

/**
 * The worker's side of the job projection. Every change is one transaction with its events, and
 * terminal states are never overwritten, so Temporal's at-least-once activities stay harmless.
 */
@Injectable()
export class JobLedgerService implements JobLedger {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventsService,
    private readonly connectors: ConnectorSnapshots,
    private readonly payloads: PayloadStore,
  ) {}

  connector(job: JobSpec): Promise<ConnectorSnapshot | null> {
    return this.connectors.find(job.tenantId, job.connectorId);
  }

  async startAttempt({ job, attempt }: AttemptRequest, claim: string): Promise<AttemptStart> {
    const { info } = Context.current();
    // A recreated row keeps a large input by reference, as the api's would (the object exists: no upload).
    const input = await this.payloads.offload(job.tenantId, job.input);
    return this.dataSource.transaction(async (manager) => {
      // The api inserts the row in the transaction that starts the workflow; this upsert waits for
      // that commit, and recreates the row if the api died before committing (nothing accepted is
      // lost). It changes nothing: it locks the row and reads where the job stands.
      const [row]: { inserted: boolean; status: JobStatus; attempts: number; claim: string | null }[] = await manager.query(
        `INSERT INTO jobs (id, tenant_id, connector_id, operation, input, status, policy_id, policy_version, config_version,
                           attempts, workflow_id, run_id, task_queue, submitted_by, trace_id, input_payload_ref)
         VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, 0, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (id) DO UPDATE SET tenant_id = jobs.tenant_id WHERE jobs.tenant_id = EXCLUDED.tenant_id
         RETURNING (xmax = 0) AS inserted, status, attempts, attempt_claim AS claim`,
        [job.jobId, job.tenantId, job.connectorId, job.operation, input.value === null ? null : JSON.stringify(input.value), job.policyId, job.policyVersion,
          job.configVersion, info.workflowExecution?.workflowId ?? workflowIdForJob(job.jobId), info.workflowExecution?.runId ?? null,
          info.taskQueue, job.submittedBy ?? null, currentTraceId(), input.ref ? JSON.stringify(input.ref) : null],
      );
      if (!row) throw new Error(`Job ${job.jobId} belongs to another tenant`);
      if (isTerminal(row.status)) return { kind: 'finished', status: row.status as TerminalStatus, attempts: row.attempts };
      // Our own claim, committed by an earlier ask whose acknowledgement was lost: still ours to call.
      if (row.attempts === attempt && row.claim === claim) return { kind: 'started', recovered: row.inserted };
      if (row.attempts >= attempt) return { kind: 'already_started' };
      // run_id: after a continue-as-new the row points at the run that works on the job now.
      await manager.query(
        `UPDATE jobs SET status = 'running', wait_reason = NULL, attempts = $3, attempt_claim = $5, started_at = COALESCE(started_at, now()),
                run_id = COALESCE($4, run_id)
          WHERE id = $1 AND tenant_id = $2`,
        [job.jobId, job.tenantId, attempt, info.workflowExecution?.runId ?? null, claim],
      );
      return { kind: 'started', recovered: row.inserted };
    });
  }

  recordAttemptStarted({ job, attempt, lostAttempt }: AttemptRequest, recovered: boolean): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      if (recovered) await this.events.append(manager, job.tenantId, job.jobId, 'job.accepted', { recoveredBy: 'worker' });
      await this.recordFailedAttempt(manager, job, lostAttempt);
      if (attempt === 1) await this.events.append(manager, job.tenantId, job.jobId, 'job.started');
      await this.events.append(manager, job.tenantId, job.jobId, 'attempt.started', { attempt });
    });
  }

  async attemptSucceeded({ job, attempt }: AttemptRequest, result: HttpResult): Promise<void> {
    // Before the transaction: with the store down this throws and the write is retried (the
    // activity retries recording the outcome it has), so a job never succeeds without its result.
    const stored = await this.payloads.offload(job.tenantId, result);
    const finished = await this.dataSource.transaction(async (manager) => {
      await this.events.append(manager, job.tenantId, job.jobId, 'attempt.succeeded', { attempt, httpStatus: result.status });
      const moved = await this.moveToTerminal(manager, job.jobId, job.tenantId, 'succeeded', attempt, { result: stored.value ?? undefined, resultRef: stored.ref });
      if (moved) await this.events.append(manager, job.tenantId, job.jobId, 'job.succeeded', { attempts: attempt });
      return moved;
    });
    countFinished(finished, 'succeeded');
  }

  async attemptFailed({ job, attempt }: AttemptRequest, error: JobError): Promise<void> {
    await this.dataSource.transaction((manager) => this.recordFailedAttempt(manager, job, { attempt, error }));
  }

  async finishJob(request: FinishJobRequest): Promise<string | undefined> {
    const finished = await this.dataSource.transaction(async (manager) => {
      await this.recordFailedAttempt(manager, request, request.lostAttempt);
      const moved = await this.moveToTerminal(manager, request.jobId, request.tenantId, request.status, request.attempts, { error: request.error });
      if (moved) {
        await this.events.append(manager, request.tenantId, request.jobId, `job.${request.status}`, {
          attempts: request.attempts,
          error: request.error,
        });
      }
      return moved;
    });
    countFinished(finished, request.status);
    return finished?.connectorId;
  }

  async markWaiting(job: JobSpec, reason: WaitReason, retryAfterMs: number): Promise<void> {
    const runId = Context.current().info.workflowExecution?.runId ?? null;
    await this.dataSource.transaction(async (manager) => {
      // UPDATE … RETURNING comes back as [rows, count].
      const [[row]]: [{ was: JobStatus; wasReason: WaitReason | null }[], number] = await manager.query(
        `WITH before AS (SELECT status, wait_reason FROM jobs WHERE id = $1 AND tenant_id = $2 FOR UPDATE)
         UPDATE jobs SET status = 'waiting', wait_reason = $3, run_id = COALESCE($4, jobs.run_id) FROM before
          WHERE jobs.id = $1 AND jobs.tenant_id = $2 AND jobs.${NOT_TERMINAL}
            AND (jobs.status <> 'waiting' OR jobs.wait_reason IS DISTINCT FROM $3 OR jobs.run_id IS DISTINCT FROM $4)
         RETURNING before.status AS was, before.wait_reason AS "wasReason"`,
        [job.jobId, job.tenantId, reason, runId],
      );
      if (row && (row.was !== 'waiting' || row.wasReason !== reason)) {
        await this.events.append(manager, job.tenantId, job.jobId, 'job.waiting', { reason, retryAfterMs });
      }
    });
  }

  async recordConnectorEvent(tenantId: string, connectorId: string, type: EventType, data: Record<string, unknown>): Promise<void> {
    await this.events.append(this.dataSource.manager, tenantId, null, type, { connectorId, ...data });
  }

  /** Records `attempt.failed` for an attempt that reported failure or was lost. */
  private async recordFailedAttempt(manager: EntityManager, job: { jobId: string; tenantId: string }, failed: LostAttempt | undefined) {
    if (!failed) return;
    await this.events.append(manager, job.tenantId, job.jobId, 'attempt.failed', { attempt: failed.attempt, error: failed.error });
  }

  private async moveToTerminal(
    manager: EntityManager,
    jobId: string,
    tenantId: string,
    status: JobStatus,
    attempts: number,
    outcome: { result?: unknown; resultRef?: unknown; error?: JobError },
  ): Promise<Finished | undefined> {
    // UPDATE … RETURNING comes back as [rows, count]; a row only when this call made the job terminal.
    const [[row]]: [Finished[], number] = await manager.query(
      `UPDATE jobs SET status = $3, wait_reason = NULL, attempts = GREATEST(attempts, $4), result = $5, error = $6,
              result_payload_ref = $7, completed_at = now(), started_at = COALESCE(started_at, now())
        WHERE id = $1 AND tenant_id = $2 AND ${NOT_TERMINAL}
        RETURNING connector_id AS "connectorId", extract(epoch FROM now() - created_at)::float8 AS seconds`,
      [jobId, tenantId, status, attempts, outcome.result === undefined ? null : JSON.stringify(outcome.result), outcome.error ? JSON.stringify(outcome.error) : null,
        outcome.resultRef ? JSON.stringify(outcome.resultRef) : null],
    );
    return row;
  }
}
