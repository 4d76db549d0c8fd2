import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The reconciler finds open jobs by their workflow id every period (src/worker/job-reconciler.service.ts):
 * a partial index over the few rows that are not terminal yet, instead of a scan of every job.
 */
export class OpenJobsByWorkflow1763800004000 implements MigrationInterface {
  name = 'OpenJobsByWorkflow1763800004000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX jobs_open_workflow_idx ON jobs (workflow_id) WHERE status IN ('queued', 'running', 'waiting')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX jobs_open_workflow_idx`);
  }
}
