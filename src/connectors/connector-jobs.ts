/**
 * What connector state needs to know of a connector's jobs. A port: the jobs slice, which owns the
 * `jobs` table, implements it (src/jobs/jobs-query.ts); jobs already depend on connectors (to accept
 * a job), so connectors cannot import them back.
 */
export abstract class ConnectorJobs {
  /** How many of the connector's jobs are in each non-terminal status (every such status present, 0 when none). */
  abstract backlog(tenantId: string, connectorId: string): Promise<Record<string, number>>;
  /** Non-terminal jobs of every tenant, counted per task queue and status (only pairs that have some). */
  abstract openByTaskQueue(): Promise<{ taskQueue: string; status: string; count: number }[]>;
}
