import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which try of an activity claimed the job's current attempt (SPEC §3.1, §3.9). A try whose claim
 * committed but whose acknowledgement was lost (the connection dropped after COMMIT) asks again with
 * the same token and finds the attempt its own, instead of taking it for one that went out and was
 * lost. Backwards compatible: a nullable column older workers do not write.
 */
export class AttemptClaim1763800040000 implements MigrationInterface {
  name = 'AttemptClaim1763800040000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE jobs ADD COLUMN attempt_claim uuid`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE jobs DROP COLUMN attempt_claim`);
  }
}
