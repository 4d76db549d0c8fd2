import { MigrationInterface, QueryRunner } from 'typeorm';

/** Secret refs (write-only values) and the webhook inbox (verified, deduplicated, archived events). */
export class ConnectorsSecretsWebhooks1763800001000 implements MigrationInterface {
  name = 'ConnectorsSecretsWebhooks1763800001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE secret_refs (
      id uuid PRIMARY KEY,
      tenant_id varchar(64) NOT NULL,
      name varchar(63) NOT NULL,
      provider varchar(8) NOT NULL CHECK (provider IN ('env', 'file', 'local')),
      reference varchar(1024),
      key_id varchar(32),
      ciphertext bytea,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT secret_refs_tenant_name_key UNIQUE (tenant_id, name),
      CONSTRAINT secret_refs_shape_check CHECK (
        (provider = 'local' AND ciphertext IS NOT NULL AND key_id IS NOT NULL AND reference IS NULL)
        OR (provider <> 'local' AND ciphertext IS NULL AND key_id IS NULL AND reference IS NOT NULL))
    )`);
    await queryRunner.query(`CREATE INDEX secret_refs_key_id_idx ON secret_refs (key_id) WHERE provider = 'local'`);
    await queryRunner.query(`CREATE TABLE webhook_inbox (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id varchar(64) NOT NULL,
      connector_id uuid NOT NULL,
      provider varchar(16) NOT NULL,
      event_id varchar(255) NOT NULL,
      event_type varchar(255) NOT NULL,
      headers jsonb NOT NULL,
      body bytea NOT NULL,
      status varchar(16) NOT NULL CHECK (status IN ('received', 'routed', 'ignored', 'failed')),
      job_id uuid,
      error jsonb,
      route_attempts integer NOT NULL DEFAULT 0,
      claimed_until timestamptz,
      received_at timestamptz NOT NULL DEFAULT now(),
      routed_at timestamptz,
      CONSTRAINT webhook_inbox_event_key UNIQUE (connector_id, event_id)
    )`);
    await queryRunner.query(`CREATE INDEX webhook_inbox_tenant_received_idx ON webhook_inbox (tenant_id, received_at DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE webhook_inbox`);
    await queryRunner.query(`DROP TABLE secret_refs`);
  }
}
