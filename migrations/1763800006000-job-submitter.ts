import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who submitted a job (the token's subject), so an `executor` lists and reads only its own jobs and
 * their events (SPEC §4). Older rows have none: only tenant-wide readers see them.
 */
export class JobSubmitter1763800006000 implements MigrationInterface {
  name = 'JobSubmitter1763800006000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE jobs ADD COLUMN submitted_by varchar(255)`);
    await queryRunner.query(`CREATE INDEX jobs_tenant_submitter_created_idx ON jobs (tenant_id, submitted_by, created_at, id) WHERE submitted_by IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX jobs_tenant_submitter_created_idx`);
    await queryRunner.query(`ALTER TABLE jobs DROP COLUMN submitted_by`);
  }
}
