import type { DataSource } from 'typeorm';

/** A job purged from the DLQ whose input or result is still kept in the payload store. */
export interface PurgedJobPayloads {
  id: string;
  tenantId: string;
  workflowId: string;
  runId: string | null;
  inputKey: string | null;
  resultKey: string | null;
}

/** Up to `batch` purged jobs that still reference stored payloads, oldest purge first (retention sweep). */
export async function purgedJobsWithPayloads(dataSource: DataSource, batch: number): Promise<PurgedJobPayloads[]> {
  return (await dataSource.query(
    `SELECT id, tenant_id AS "tenantId", workflow_id AS "workflowId", run_id AS "runId", input_payload_ref->>'key' AS "inputKey", result_payload_ref->>'key' AS "resultKey"
       FROM jobs WHERE dlq_purged_at IS NOT NULL AND (input_payload_ref IS NOT NULL OR result_payload_ref IS NOT NULL)
      ORDER BY dlq_purged_at LIMIT ${Number(batch)}`,
  )) as PurgedJobPayloads[];
}

/** The job row stays, without its payload references. */
export async function forgetJobPayloads(dataSource: DataSource, job: Pick<PurgedJobPayloads, 'id' | 'tenantId'>): Promise<void> {
  await dataSource.query(`UPDATE jobs SET input_payload_ref = NULL, result_payload_ref = NULL WHERE id = $1 AND tenant_id = $2`, [job.id, job.tenantId]);
}
