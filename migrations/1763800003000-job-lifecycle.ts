import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Job lifecycle: commit-ordered per-tenant event ids (so SSE resume has no gap), idempotency keys,
 * DLQ links, and immutable config versions with an active pointer per tenant.
 */
export class JobLifecycle1763800003000 implements MigrationInterface {
  name = 'JobLifecycle1763800003000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Event ids come from a per-tenant counter row locked until commit: commit order = id order.
    await queryRunner.query(`CREATE TABLE event_sequences (tenant_id varchar(64) PRIMARY KEY, last_id bigint NOT NULL)`);
    await queryRunner.query(`INSERT INTO event_sequences (tenant_id, last_id) SELECT tenant_id, max(id) FROM events GROUP BY tenant_id`);
    await queryRunner.query(`ALTER TABLE events ALTER COLUMN id DROP DEFAULT`);
    await queryRunner.query(`DROP SEQUENCE IF EXISTS events_id_seq`);
    await queryRunner.query(`ALTER TABLE events DROP CONSTRAINT events_pkey`);
    await queryRunner.query(`DROP INDEX events_tenant_id_idx`);
    await queryRunner.query(`ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (tenant_id, id)`);
    await queryRunner.query(`CREATE INDEX events_created_idx ON events (created_at)`);

    await queryRunner.query(`CREATE TABLE idempotency_keys (
      tenant_id varchar(64) NOT NULL,
      key varchar(255) NOT NULL,
      request_hash char(64) NOT NULL,
      job_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (tenant_id, key)
    )`);
    await queryRunner.query(`CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at)`);

    await queryRunner.query(`ALTER TABLE jobs ADD COLUMN replay_of uuid, ADD COLUMN replayed_by uuid, ADD COLUMN dlq_purged_at timestamptz`);
    await queryRunner.query(`CREATE INDEX jobs_dlq_idx ON jobs (tenant_id, completed_at DESC) WHERE status IN ('failed', 'timed_out')`);

    await queryRunner.query(`CREATE TABLE configs (
      tenant_id varchar(64) NOT NULL,
      version integer NOT NULL CHECK (version >= 1),
      document jsonb NOT NULL,
      created_by varchar(255) NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, version)
    )`);
    // Every activation, in order: the active version is the latest row; rollback re-activates the one before.
    await queryRunner.query(`CREATE TABLE config_activations (
      id bigserial PRIMARY KEY,
      tenant_id varchar(64) NOT NULL,
      version integer NOT NULL,
      action varchar(16) NOT NULL CHECK (action IN ('activate', 'rollback')),
      activated_by varchar(255) NOT NULL,
      activated_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (tenant_id, version) REFERENCES configs (tenant_id, version)
    )`);
    await queryRunner.query(`CREATE INDEX config_activations_tenant_idx ON config_activations (tenant_id, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE config_activations`);
    await queryRunner.query(`DROP TABLE configs`);
    await queryRunner.query(`DROP INDEX jobs_dlq_idx`);
    await queryRunner.query(`ALTER TABLE jobs DROP COLUMN replay_of, DROP COLUMN replayed_by, DROP COLUMN dlq_purged_at`);
    await queryRunner.query(`DROP TABLE idempotency_keys`);
    await queryRunner.query(`DROP INDEX events_created_idx`);
    await queryRunner.query(`ALTER TABLE events DROP CONSTRAINT events_pkey`);
    // Back to one global sequence: ids are renumbered in their old order (SSE resume points reset).
    await queryRunner.query(`CREATE SEQUENCE events_id_seq OWNED BY events.id`);
    await queryRunner.query(`UPDATE events SET id = renumbered.n FROM (SELECT tenant_id, id, row_number() OVER (ORDER BY created_at, tenant_id, id) AS n FROM events) renumbered WHERE events.tenant_id = renumbered.tenant_id AND events.id = renumbered.id`);
    await queryRunner.query(`SELECT setval('events_id_seq', GREATEST((SELECT max(id) FROM events), 1))`);
    await queryRunner.query(`ALTER TABLE events ALTER COLUMN id SET DEFAULT nextval('events_id_seq')`);
    await queryRunner.query(`ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id)`);
    await queryRunner.query(`CREATE INDEX events_tenant_id_idx ON events (tenant_id, id)`);
    await queryRunner.query(`DROP TABLE event_sequences`);
  }
}
