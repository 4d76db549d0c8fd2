import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { TypedSearchAttributes, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { ExecuteJobInput } from '../../domain/execution';
import { TERMINAL_STATUSES, type JobSpec } from '../../domain/job';
import type { ReadScope } from '../auth/principal';
import { describeTenantWorkflow } from '../auth/tenant-scope';
import { AppError } from '../common/app-error';
import { isDatabaseUnavailable } from '../common/database-unavailable';
import { keysetPage } from '../database/keyset-page';
import { Environment } from '../config/environment';
import { GoverningPolicy } from '../configs/governing-policy';
import type { ConnectorEntity } from '../connectors/connector.entity';
import { ConnectorsService } from '../connectors/connectors.service';
import { EventsService } from '../events/events.service';
import { PinnedPolicy, PoliciesService } from '../policies/policies.service';
import { CONNECTOR_ID, JOB_STATUS, POLICY_ID, TENANT_ID } from '../temporal/search-attributes';
import { jobsAccepted } from '../metrics/job-metrics';
import { currentTraceId } from '../telemetry/tracing';
import { TemporalService } from '../temporal/temporal.service';
import { payloadTenant } from '../payload-store/temporal-storage';
import { PayloadStore } from '../payload-store/payload-store.service';
import { ExecuteRequestDto, ListJobsQuery } from './job.dto';
import { JobEntity } from './job.entity';
import { EXECUTE_JOB_WORKFLOW, workflowIdForJob } from '../../domain/execution';

const DEFAULT_PAGE_SIZE = 50;
/** Temporal itself ends a job's workflow this long after the job's total timeout, should the workflow not have. */
const EXECUTION_TIMEOUT_BACKSTOP_MS = 10 * 60_000;

export interface ExecuteOptions {
  /** Overrides `job-<id>`, e.g. `webhook-<connectorId>-<eventId>` so a provider's retries start nothing new. */
  workflowId?: string;
  /** The caller's Idempotency-Key (IETF httpapi draft semantics, tenant-scoped). */
  idempotencyKey?: string;
  /** A DLQ replay: the failed job this one replays; it leaves the DLQ in the same transaction. */
  replayOf?: string;
  /** The subject the job is submitted for (read back by an executor's ReadScope); none for webhooks. */
  submittedBy?: string | null;
}

export interface Accepted {
  job: JobEntity;
  /** True when an earlier request with the same Idempotency-Key and body created the job. */
  replayed: boolean;
}

/** Stable JSON (sorted keys) so that equal bodies hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

@Injectable()
export class JobsService {
  private readonly logger = new Logger(JobsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly environment: Environment,
    private readonly connectors: ConnectorsService,
    private readonly policies: PoliciesService,
    private readonly governing: GoverningPolicy,
    private readonly events: EventsService,
    private readonly temporal: TemporalService,
    private readonly payloads: PayloadStore,
  ) {}

  /**
   * Accepts a job: the row, the workflow start and the `job.accepted` event commit together, so a
   * 202 means the execution exists in Temporal and a failure leaves nothing (a worker recreates the
   * row if the api dies between the start and the commit). With an Idempotency-Key the key is
   * claimed first, in a transaction of its own, so that it survives such a crash: the retried
   * request finds the claim and adopts the workflow that was started under it — one job, one
   * outbound Idempotency-Key. Concurrent requests with one key all end with the same job.
   */
  async execute(tenantId: string, request: ExecuteRequestDto, options: ExecuteOptions = {}): Promise<Accepted> {
    const accepted = await this.accept(tenantId, request, options);
    if (!accepted.replayed) jobsAccepted.inc({ connector: accepted.job.connectorId });
    return accepted;
  }

  private async accept(tenantId: string, request: ExecuteRequestDto, options: ExecuteOptions): Promise<Accepted> {
    const connector = await this.connectors.get(tenantId, request.connector);
    if (!connector.enabled) throw new AppError('CONNECTOR_DISABLED', `Connector "${connector.name}" is disabled.`);
    if (!Object.prototype.hasOwnProperty.call(connector.spec.operations, request.operation)) {
      throw AppError.validation(
        [{ field: 'operation', message: `connector "${connector.name}" has no operation "${request.operation}"` }],
        'The operation is unknown.',
      );
    }
    const { pinned, configVersion } = await this.pinPolicy(tenantId, connector, request.policy);
    const spec: JobSpec = {
      jobId: randomUUID(),
      tenantId,
      connectorId: connector.id,
      operation: request.operation,
      input: request.input ?? {},
      policyId: pinned.policyId,
      policyVersion: pinned.version,
      configVersion,
      submittedBy: options.submittedBy ?? null,
    };
    const input: ExecuteJobInput = {
      job: spec,
      policy: pinned.document,
      connector: { name: connector.name, type: connector.type, spec: connector.spec },
      historyEventsLimit: this.environment.ORCH_HISTORY_EVENTS_LIMIT,
    };
    const start = { connector, workflowId: options.workflowId, taskQueue: connector.taskQueue ?? this.environment.ORCH_TASK_QUEUE, replayOf: options.replayOf };

    // Set once the workflow has started: from then on the job exists whatever happens to the commit.
    const started: { job?: JobEntity } = {};
    if (!options.idempotencyKey) {
      try {
        return await this.dataSource.transaction(async (manager) => {
          if (options.replayOf) await this.claimReplay(manager, tenantId, options.replayOf, spec.jobId);
          return { job: await this.startAndRecord(manager, input, start, false, started), replayed: false };
        });
      } catch (error) {
        // A replay's DLQ claim was in the lost transaction: that stays an error to retry.
        if (started.job && !options.replayOf && isDatabaseUnavailable(error)) return this.acceptedDespiteCommit(started.job);
        throw error;
      }
    }

    const key = options.idempotencyKey;
    const claimedFor = await this.dataSource.transaction(async (manager) => {
      const earlier = await this.claimKey(manager, tenantId, key, canonicalJson(request), spec.jobId);
      if (!earlier && options.replayOf) await this.claimReplay(manager, tenantId, options.replayOf, spec.jobId);
      return earlier;
    });
    if (claimedFor) {
      const existing = await this.dataSource.getRepository(JobEntity).findOneBy({ tenantId, id: claimedFor });
      if (existing) return { job: existing, replayed: true };
      // Claimed, but its job never committed (that request died, or is still starting): finish its
      // acceptance under the claimed id, adopting the workflow if it was started.
      input.job = { ...spec, jobId: claimedFor };
    }
    try {
      // Adopting in both cases: a concurrent request with the same key may be finishing the same acceptance.
      const job = await this.dataSource.transaction((manager) => this.startAndRecord(manager, input, start, true, started));
      return { job, replayed: claimedFor !== null };
    } catch (error) {
      // The claim stays: a retry with this key adopts the started workflow instead of starting another.
      if (started.job && !options.replayOf && isDatabaseUnavailable(error)) return { ...this.acceptedDespiteCommit(started.job), replayed: claimedFor !== null };
      // Nothing was started under a fresh claim: free the key, so a retry is not told it was reused.
      if (!claimedFor && !started.job) await this.releaseKey(tenantId, key, spec.jobId).catch(() => undefined);
      throw error;
    }
  }

  /**
   * The workflow started, then the database went away before the transaction committed (or before
   * the api heard that it had): the execution exists in Temporal, and the worker's first ledger
   * write recreates the row and its `job.accepted` event if it is missing (JobLedgerService). A 503
   * here would be untrue — the job runs — and a caller retrying it would start a second one.
   */
  private acceptedDespiteCommit(job: JobEntity): Accepted {
    this.logger.warn({ tenantId: job.tenantId, jobId: job.id, workflowId: job.workflowId }, 'workflow started but the job row did not commit (database unavailable); the worker records it');
    return { job, replayed: false };
  }

  /**
   * Starts the job's workflow and records the job with its `job.accepted` event in `manager`'s
   * transaction. `adopt`: a workflow already started under this job id (by a request with the same
   * Idempotency-Key) is taken as this start, and a row already recorded is kept. `started.job` is
   * set as soon as the workflow has started.
   */
  private async startAndRecord(
    manager: EntityManager,
    input: ExecuteJobInput,
    start: { connector: ConnectorEntity; workflowId?: string; taskQueue: string; replayOf?: string },
    adopt: boolean,
    started: { job?: JobEntity },
  ): Promise<JobEntity> {
    const spec = input.job;
    const workflowId = start.workflowId ?? workflowIdForJob(spec.jobId);
    // Content-addressed: writing it again (a retried request, a DLQ replay) finds the same object.
    const storedInput = await this.payloads.offload(spec.tenantId, spec.input);
    const job = manager.create(JobEntity, {
      id: spec.jobId,
      tenantId: spec.tenantId,
      connectorId: spec.connectorId,
      operation: spec.operation,
      input: storedInput.value,
      inputPayloadRef: storedInput.ref,
      status: 'queued',
      waitReason: null,
      policyId: spec.policyId,
      policyVersion: spec.policyVersion,
      configVersion: spec.configVersion,
      attempts: 0,
      result: null,
      resultPayloadRef: null,
      error: null,
      workflowId,
      runId: null,
      submittedBy: spec.submittedBy ?? null,
      taskQueue: start.taskQueue,
      createdAt: new Date(),
      startedAt: null,
      completedAt: null,
      replayOf: start.replayOf ?? null,
      replayedBy: null,
      dlqPurgedAt: null,
      traceId: currentTraceId(),
    });
    const inserted = await manager
      .createQueryBuilder()
      .insert()
      .into(JobEntity)
      .values(job as QueryDeepPartialEntity<JobEntity>)
      .orIgnore(adopt)
      .returning('id')
      .execute();
    const runId = await this.temporal.use(async (client) => {
      try {
        // The tenant prefix of any of the input's payloads that go to the payload store.
        const handle = await payloadTenant.run(spec.tenantId, () => client.workflow.start(EXECUTE_JOB_WORKFLOW, {
          workflowId,
          taskQueue: start.taskQueue,
          args: [input],
          typedSearchAttributes: new TypedSearchAttributes([
            { key: TENANT_ID, value: spec.tenantId },
            { key: CONNECTOR_ID, value: spec.connectorId },
            { key: POLICY_ID, value: spec.policyId },
            { key: JOB_STATUS, value: 'queued' },
          ]),
          // The backstop behind the job's own total timeout; the reconciler records the job if it fires.
          workflowExecutionTimeout: input.policy.timeouts.totalMs + EXECUTION_TIMEOUT_BACKSTOP_MS,
          // jobId, tenantId and traceId name the job on every workflow log line (workflows/log-attributes.ts).
          memo: { connector: start.connector.name, operation: spec.operation, jobId: spec.jobId, tenantId: spec.tenantId, ...(job.traceId ? { traceId: job.traceId } : {}) },
          // An adopted job's workflow may have finished already: it must not run a second time.
          workflowIdReusePolicy: adopt ? 'REJECT_DUPLICATE' : undefined,
        }));
        return handle.firstExecutionRunId;
      } catch (error) {
        if (!adopt || !(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        return (await client.workflow.getHandle(workflowId).describe()).runId;
      }
    });
    job.runId = runId;
    started.job = job;
    await manager.update(JobEntity, { id: job.id, tenantId: spec.tenantId }, { runId });
    if ((inserted.raw as unknown[]).length > 0) {
      // Last, so the per-tenant event counter is locked only for the commit.
      await this.events.append(manager, spec.tenantId, spec.jobId, 'job.accepted', {
        connectorId: spec.connectorId,
        operation: spec.operation,
        ...(start.replayOf ? { replayOf: start.replayOf } : {}),
      });
    }
    return adopt ? manager.findOneByOrFail(JobEntity, { tenantId: spec.tenantId, id: spec.jobId }) : job;
  }

  /** Holds the response until the job ends or `seconds` pass; returns the job as it is then. */
  async awaitCompletion(job: JobEntity, seconds: number): Promise<JobEntity> {
    if (seconds > 0 && !TERMINAL_STATUSES.includes(job.status)) {
      await this.temporal.awaitResult(job.workflowId, seconds * 1000);
    }
    return this.get({ tenantId: job.tenantId }, job.id);
  }

  async cancel(scope: ReadScope, id: string): Promise<JobEntity> {
    const job = await this.get(scope, id);
    const { tenantId } = scope;
    if (TERMINAL_STATUSES.includes(job.status)) {
      throw new AppError('JOB_ALREADY_FINISHED', `Job ${id} already ended with status ${job.status}.`);
    }
    // The workflow id comes from the tenant's own row, never from the caller, and the workflow
    // must carry the tenant's TenantId search attribute too.
    await this.temporal.use(async (client) => {
      await describeTenantWorkflow(client, tenantId, job.workflowId, () => new AppError('JOB_NOT_FOUND', `Job ${id} does not exist.`));
      await client.workflow.getHandle(job.workflowId).cancel();
    });
    return job;
  }

  async get(scope: ReadScope, id: string): Promise<JobEntity> {
    const job = await this.dataSource.getRepository(JobEntity).findOneBy({ tenantId: scope.tenantId, id, ...(scope.submittedBy !== undefined ? { submittedBy: scope.submittedBy } : {}) });
    if (!job) throw new AppError('JOB_NOT_FOUND', `Job ${id} does not exist.`);
    return job;
  }

  /**
   * The job with its large values read back from the payload store: the input always, the result
   * up to PAYLOAD_STORE_INLINE_RESULT_MAX_BYTES (above that it stays null, at `links.result`).
   */
  async withPayloads(job: JobEntity): Promise<JobEntity> {
    const input = await this.payloads.resolve(job.input, job.inputPayloadRef);
    const inlineResult = job.resultPayloadRef && job.resultPayloadRef.size <= this.environment.PAYLOAD_STORE_INLINE_RESULT_MAX_BYTES;
    const result = inlineResult ? await this.payloads.resolve(job.result, job.resultPayloadRef) : job.result;
    return Object.assign(Object.create(Object.getPrototypeOf(job) as object) as JobEntity, job, { input, result });
  }

  /** The job's result as JSON bytes: streamed from the payload store when it is kept there. */
  async result(scope: ReadScope, id: string) {
    const job = await this.get(scope, id);
    if (job.resultPayloadRef) return { stored: await this.payloads.stream(job.resultPayloadRef), size: job.resultPayloadRef.size };
    if (job.result === null || job.result === undefined) throw new AppError('JOB_RESULT_NOT_FOUND', `Job ${id} has no result (status ${job.status}).`);
    return { inline: job.result };
  }

  /** Newest first, keyset-paginated on (createdAt, id). */
  async list(scope: ReadScope, query: ListJobsQuery): Promise<{ items: JobEntity[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const builder = this.dataSource.getRepository(JobEntity).createQueryBuilder('j').where('j.tenant_id = :tenantId', { tenantId: scope.tenantId });
    if (scope.submittedBy !== undefined) builder.andWhere('j.submitted_by = :submittedBy', { submittedBy: scope.submittedBy });
    if (query.status) builder.andWhere('j.status = :status', { status: query.status });
    if (query.connector) builder.andWhere('j.connector_id = :connector', { connector: query.connector });
    if (query.createdAfter) builder.andWhere('j.created_at > :after', { after: new Date(query.createdAfter) });
    if (query.createdBefore) builder.andWhere('j.created_at < :before', { before: new Date(query.createdBefore) });
    return keysetPage(builder, { alias: 'j', timeColumn: 'created_at', limit, cursor: query.cursor, positionOf: (job) => ({ at: job.createdAt, id: job.id }) });
  }

  /**
   * The request's policy override, else the connector's governing policy. The override tunes retry
   * and timeouts only: limits always come live from the governing policy (SPEC §3.10).
   */
  private async pinPolicy(tenantId: string, connector: ConnectorEntity, override: string | undefined): Promise<{ pinned: PinnedPolicy; configVersion: number | null }> {
    const governing = await this.governing.of(tenantId, connector);
    if (!override) return governing;
    return { pinned: await this.policies.pinLatest(tenantId, override), configVersion: governing.configVersion };
  }

  /**
   * Claims the key for `jobId` (taking over an expired claim), or returns the job id of the live
   * claim with the same body. A concurrent claimer waits on the row until this transaction ends.
   */
  private async claimKey(manager: EntityManager, tenantId: string, key: string, body: string, jobId: string): Promise<string | null> {
    const hash = createHash('sha256').update(body).digest('hex');
    const claimed: unknown[] = await manager.query(
      `INSERT INTO idempotency_keys (tenant_id, key, request_hash, job_id, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
       ON CONFLICT (tenant_id, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, job_id = EXCLUDED.job_id, created_at = now(), expires_at = EXCLUDED.expires_at
         WHERE idempotency_keys.expires_at <= now()
       RETURNING job_id`,
      [tenantId, key, hash, jobId, this.environment.ORCH_IDEMPOTENCY_TTL],
    );
    if (claimed.length > 0) return null;
    const [existing]: { request_hash: string; job_id: string }[] = await manager.query(
      'SELECT request_hash, job_id FROM idempotency_keys WHERE tenant_id = $1 AND key = $2',
      [tenantId, key],
    );
    if (existing.request_hash !== hash) {
      throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request body.');
    }
    return existing.job_id;
  }

  private async releaseKey(tenantId: string, key: string, jobId: string): Promise<void> {
    await this.dataSource.query(
      'DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2 AND job_id = $3 AND NOT EXISTS (SELECT 1 FROM jobs WHERE id = $3)',
      [tenantId, key, jobId],
    );
  }

  /** Links a DLQ job to its replay, once: replaying the same failed job twice is a conflict. */
  private async claimReplay(manager: EntityManager, tenantId: string, originalId: string, jobId: string) {
    const [, claimed] = await manager.query(
      `UPDATE jobs SET replayed_by = $3 WHERE tenant_id = $1 AND id = $2 AND replayed_by IS NULL`,
      [tenantId, originalId, jobId],
    );
    if (claimed === 0) throw new AppError('ALREADY_REPLAYED', `Job ${originalId} was already replayed.`);
  }
}
