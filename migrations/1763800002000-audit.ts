import { MigrationInterface, QueryRunner } from 'typeorm';

/** The operator audit log: control-plane writes, impersonated requests and refused attempts. */
export class Audit1763800002000 implements MigrationInterface {
  name = 'Audit1763800002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE operator_audit_log (
      id bigserial PRIMARY KEY,
      tenant_id varchar(64) NOT NULL,
      actor_tenant_id varchar(64) NOT NULL,
      actor_subject varchar(255) NOT NULL,
      impersonated_tenant_id varchar(64),
      impersonated_subject varchar(255),
      action varchar(200) NOT NULL,
      target varchar(2048) NOT NULL,
      method varchar(16) NOT NULL,
      plane varchar(16),
      status smallint NOT NULL,
      error_code varchar(64),
      request_id varchar(128),
      request_digest char(64),
      response_digest char(64),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE INDEX operator_audit_log_tenant_idx ON operator_audit_log (tenant_id, id DESC)`);
    await queryRunner.query(`CREATE INDEX operator_audit_log_tenant_action_idx ON operator_audit_log (tenant_id, action, id DESC)`);
    await queryRunner.query(`CREATE INDEX operator_audit_log_tenant_actor_idx ON operator_audit_log (tenant_id, actor_subject, id DESC)`);
    await queryRunner.query(`CREATE INDEX operator_audit_log_tenant_created_idx ON operator_audit_log (tenant_id, created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE operator_audit_log`);
  }
}
