import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { TypedSearchAttributes } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { JobSpec } from '../../workflows/job-types';
import { AppError } from '../common/app-error';
import { Environment } from '../config/environment';
import { ConnectorsService } from '../connectors/connectors.service';
import { EventsService } from '../events/events.service';
import { PoliciesService } from '../policies/policies.service';
import { CONNECTOR_ID, POLICY_ID, TENANT_ID } from '../temporal/search-attributes';
import { TemporalService } from '../temporal/temporal.service';
import { ExecuteRequestDto, ListJobsQuery } from './job.dto';
import { JobEntity } from './job.entity';
import { decodeCursor, encodeCursor } from './job-cursor';
import { EXECUTE_JOB_WORKFLOW, workflowIdForJob } from './workflow-id';

const DEFAULT_PAGE_SIZE = 50;

export interface ExecuteOptions {
  /** Overrides `job-<id>`, e.g. `webhook-<connectorId>-<eventId>` so a provider's retries start nothing new. */
  workflowId?: string;
}

@Injectable()
export class JobsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly environment: Environment,
    private readonly connectors: ConnectorsService,
    private readonly policies: PoliciesService,
    private readonly events: EventsService,
    private readonly temporal: TemporalService,
  ) {}

  /**
   * Accepts a job: the row, its `job.accepted` event and the workflow start commit together, so a
   * 202 means the execution exists in Temporal and a failure leaves nothing behind.
   */
  async execute(tenantId: string, request: ExecuteRequestDto, options: ExecuteOptions = {}): Promise<JobEntity> {
    const connector = await this.connectors.get(tenantId, request.connector);
    if (!connector.enabled) throw AppError.conflict('CONNECTOR_DISABLED', `Connector "${connector.name}" is disabled.`);
    if (!Object.prototype.hasOwnProperty.call(connector.spec.operations, request.operation)) {
      throw AppError.validation(
        [{ field: 'operation', message: `connector "${connector.name}" has no operation "${request.operation}"` }],
        'The operation is unknown.',
      );
    }
    const pinned = await this.policies.pinLatest(tenantId, request.policy ?? connector.policyId);
    const spec: JobSpec = {
      jobId: randomUUID(),
      tenantId,
      connectorId: connector.id,
      operation: request.operation,
      input: request.input ?? {},
      policyId: pinned.policyId,
      policyVersion: pinned.version,
      configVersion: null,
    };
    const workflowId = options.workflowId ?? workflowIdForJob(spec.jobId);
    const taskQueue = connector.taskQueue ?? this.environment.ORCH_TASK_QUEUE;

    return this.dataSource.transaction(async (manager) => {
      const job = manager.create(JobEntity, {
        id: spec.jobId,
        tenantId,
        connectorId: spec.connectorId,
        operation: spec.operation,
        input: spec.input,
        status: 'queued',
        waitReason: null,
        policyId: spec.policyId,
        policyVersion: spec.policyVersion,
        configVersion: spec.configVersion,
        attempts: 0,
        result: null,
        error: null,
        workflowId,
        runId: null,
        taskQueue,
        createdAt: new Date(),
        startedAt: null,
        completedAt: null,
      });
      await manager.insert(JobEntity, job as QueryDeepPartialEntity<JobEntity>);
      await this.events.append(manager, tenantId, spec.jobId, 'job.accepted', { connectorId: connector.id, operation: spec.operation });
      const handle = await this.temporal.use((client) =>
        client.workflow.start(EXECUTE_JOB_WORKFLOW, {
          workflowId,
          taskQueue,
          args: [{ job: spec, policy: pinned.document }],
          typedSearchAttributes: new TypedSearchAttributes([
            { key: TENANT_ID, value: tenantId },
            { key: CONNECTOR_ID, value: connector.id },
            { key: POLICY_ID, value: pinned.policyId },
          ]),
          memo: { connector: connector.name, operation: spec.operation },
        }),
      );
      job.runId = handle.firstExecutionRunId;
      await manager.update(JobEntity, { id: job.id }, { runId: job.runId });
      return job;
    });
  }

  async get(tenantId: string, id: string): Promise<JobEntity> {
    const job = await this.dataSource.getRepository(JobEntity).findOneBy({ tenantId, id });
    if (!job) throw AppError.notFound('JOB_NOT_FOUND', `Job ${id} does not exist.`);
    return job;
  }

  /** Newest first, keyset-paginated on (createdAt, id). */
  async list(tenantId: string, query: ListJobsQuery): Promise<{ items: JobEntity[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const builder = this.dataSource
      .getRepository(JobEntity)
      .createQueryBuilder('j')
      .where('j.tenant_id = :tenantId', { tenantId })
      .orderBy('j.created_at', 'DESC')
      .addOrderBy('j.id', 'DESC')
      .limit(limit + 1);
    if (query.status) builder.andWhere('j.status = :status', { status: query.status });
    if (query.connector) builder.andWhere('j.connector_id = :connector', { connector: query.connector });
    if (query.createdAfter) builder.andWhere('j.created_at > :after', { after: new Date(query.createdAfter) });
    if (query.createdBefore) builder.andWhere('j.created_at < :before', { before: new Date(query.createdBefore) });
    if (query.cursor) {
      const cursor = decodeCursor(query.cursor);
      builder.andWhere('(j.created_at, j.id) < (:cursorAt, :cursorId)', { cursorAt: cursor.createdAt, cursorId: cursor.id });
    }
    const rows = await builder.getMany();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
  }
}
