import { MigrationInterface, QueryRunner } from 'typeorm';

/** Connectors, versioned policies, the job projection and the event log. */
export class InitialSchema1763800000000 implements MigrationInterface {
  name = 'InitialSchema1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE policies (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id varchar(64) NOT NULL,
      name varchar(100) NOT NULL,
      latest_version integer NOT NULL CHECK (latest_version >= 1),
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT policies_tenant_name_key UNIQUE (tenant_id, name)
    )`);
    await queryRunner.query(`CREATE TABLE policy_versions (
      policy_id uuid NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
      version integer NOT NULL CHECK (version >= 1),
      document jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (policy_id, version)
    )`);
    await queryRunner.query(`CREATE TABLE connectors (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id varchar(64) NOT NULL,
      name varchar(63) NOT NULL,
      type varchar(16) NOT NULL CHECK (type IN ('http', 'stripe')),
      enabled boolean NOT NULL DEFAULT true,
      policy_id uuid REFERENCES policies(id),
      task_queue varchar(200),
      spec jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT connectors_tenant_name_key UNIQUE (tenant_id, name)
    )`);
    await queryRunner.query(`CREATE TABLE jobs (
      id uuid PRIMARY KEY,
      tenant_id varchar(64) NOT NULL,
      connector_id uuid NOT NULL,
      operation varchar(200) NOT NULL,
      input jsonb NOT NULL,
      status varchar(16) NOT NULL CHECK (status IN ('queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out')),
      wait_reason varchar(32),
      policy_id uuid NOT NULL,
      policy_version integer NOT NULL,
      config_version integer,
      attempts integer NOT NULL DEFAULT 0,
      result jsonb,
      error jsonb,
      workflow_id varchar(255) NOT NULL,
      run_id varchar(64),
      task_queue varchar(200) NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      completed_at timestamptz
    )`);
    await queryRunner.query(`CREATE INDEX jobs_tenant_created_idx ON jobs (tenant_id, created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX jobs_tenant_status_idx ON jobs (tenant_id, status, created_at DESC)`);
    await queryRunner.query(`CREATE TABLE events (
      id bigserial PRIMARY KEY,
      tenant_id varchar(64) NOT NULL,
      job_id uuid,
      type varchar(32) NOT NULL,
      data jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE INDEX events_tenant_id_idx ON events (tenant_id, id)`);
    await queryRunner.query(`CREATE INDEX events_job_id_idx ON events (job_id, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE events`);
    await queryRunner.query(`DROP TABLE jobs`);
    await queryRunner.query(`DROP TABLE connectors`);
    await queryRunner.query(`DROP TABLE policy_versions`);
    await queryRunner.query(`DROP TABLE policies`);
  }
}
