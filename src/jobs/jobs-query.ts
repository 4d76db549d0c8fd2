import { Global, Injectable, Module } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type JobStatus, NON_TERMINAL_STATUSES } from '../../domain/job';
import { ConnectorJobs } from '../connectors/connector-jobs';
import { sqlList } from '../database/sql-list';

/** The reads of the `jobs` table that other slices ask for (connector state, webhook routing), one statement each. */
@Injectable()
export class JobsQuery implements ConnectorJobs {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async backlog(tenantId: string, connectorId: string): Promise<Record<string, number>> {
    const rows: { status: JobStatus; n: number }[] = await this.dataSource.query(
      `SELECT status, count(*)::int AS n FROM jobs
        WHERE tenant_id = $1 AND connector_id = $2 AND status IN ${sqlList(NON_TERMINAL_STATUSES)} GROUP BY status`,
      [tenantId, connectorId],
    );
    return Object.fromEntries(NON_TERMINAL_STATUSES.map((status) => [status, rows.find((row) => row.status === status)?.n ?? 0]));
  }

  /** For the backlog gauge, at every scrape: the predicate is that of the partial index of open jobs (jobs_open_workflow_idx), so a large history need not be read. */
  async openByTaskQueue(): Promise<{ taskQueue: string; status: string; count: number }[]> {
    const rows: { task_queue: string; status: JobStatus; n: number }[] = await this.dataSource.query(
      `SELECT task_queue, status, count(*)::int AS n FROM jobs WHERE status IN ${sqlList(NON_TERMINAL_STATUSES)} GROUP BY task_queue, status`,
    );
    return rows.map((row) => ({ taskQueue: row.task_queue, status: row.status, count: row.n }));
  }

  /** The newest job started under a workflow id (a webhook event's), or undefined. */
  async latestByWorkflowId(tenantId: string, workflowId: string): Promise<{ id: string; status: JobStatus } | undefined> {
    const [row]: { id: string; status: JobStatus }[] = await this.dataSource.query(
      `SELECT id, status FROM jobs WHERE tenant_id = $1 AND workflow_id = $2 ORDER BY created_at DESC LIMIT 1`,
      [tenantId, workflowId],
    );
    return row;
  }
}

/** Global so that ConnectorsModule, which JobsModule imports, gets the ConnectorJobs port without importing jobs back. */
@Global()
@Module({ providers: [JobsQuery, { provide: ConnectorJobs, useExisting: JobsQuery }], exports: [JobsQuery, ConnectorJobs] })
export class JobsQueryModule {}
