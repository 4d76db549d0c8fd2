import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Large payloads (SPEC §12): a job's input and result, and a webhook delivery's raw body, above
 * PAYLOAD_STORE_THRESHOLD_BYTES live in the payload store and the row holds a reference
 * `{ key, size, sha256 }`. Backwards compatible: new nullable columns; `jobs.input` may now be
 * null, which only rows with a reference are.
 */
export class PayloadRefs1763800030000 implements MigrationInterface {
  name = 'PayloadRefs1763800030000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE jobs ADD COLUMN input_payload_ref jsonb, ADD COLUMN result_payload_ref jsonb`);
    await queryRunner.query(`ALTER TABLE jobs ALTER COLUMN input DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE webhook_inbox ADD COLUMN raw_body_payload_ref jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE webhook_inbox DROP COLUMN raw_body_payload_ref`);
    // Rows whose input lived in the store keep an empty object: the schema before had no place for a reference.
    await queryRunner.query(`UPDATE jobs SET input = '{}'::jsonb WHERE input IS NULL`);
    await queryRunner.query(`ALTER TABLE jobs ALTER COLUMN input SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE jobs DROP COLUMN input_payload_ref, DROP COLUMN result_payload_ref`);
  }
}
