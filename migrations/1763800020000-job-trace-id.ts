import { MigrationInterface, QueryRunner } from 'typeorm';

/** The job's OpenTelemetry trace id (SPEC §10), so an operator goes from a job to its trace; null while tracing is off. */
export class JobTraceId1763800020000 implements MigrationInterface {
  name = 'JobTraceId1763800020000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE jobs ADD COLUMN trace_id varchar(32)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE jobs DROP COLUMN trace_id`);
  }
}
