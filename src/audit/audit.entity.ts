import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One row of `operator_audit_log`: a control-plane write, an impersonated request, or a refused
 * attempt. Bodies are never stored, only SHA-256 digests of the exact bytes (so secret values never land here).
 */
@Entity({ name: 'operator_audit_log' })
@Index('operator_audit_log_tenant_idx', ['tenantId', 'id'])
export class AuditEntryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  /** The tenant acted in (the impersonated one when impersonating); GET /audit is scoped by it. */
  @Column({ name: 'tenant_id' })
  tenantId: string;

  /** The authenticated identity (the platform-admin when impersonating). */
  @Column({ name: 'actor_tenant_id' })
  actorTenantId: string;

  @Column({ name: 'actor_subject' })
  actorSubject: string;

  /** The identity acted as, when impersonating (also on a refused attempt: what was asked for). */
  @Column({ name: 'impersonated_tenant_id', type: 'varchar', nullable: true })
  impersonatedTenantId: string | null;

  @Column({ name: 'impersonated_subject', type: 'varchar', nullable: true })
  impersonatedSubject: string | null;

  /** `<METHOD> <route template>`, e.g. `POST /connectors/:id/breaker`, or `impersonation.denied`. */
  @Column()
  action: string;

  /** The resource path, e.g. `/connectors/<id>` (a create names the created resource). */
  @Column()
  target: string;

  @Column()
  method: string;

  @Column({ type: 'varchar', nullable: true })
  plane: string | null;

  @Column({ type: 'smallint' })
  status: number;

  @Column({ name: 'error_code', type: 'varchar', nullable: true })
  errorCode: string | null;

  @Column({ name: 'request_id', type: 'varchar', nullable: true })
  requestId: string | null;

  /** SHA-256 (hex) of the request body bytes as received; null without a body. */
  @Column({ name: 'request_digest', type: 'varchar', nullable: true })
  requestDigest: string | null;

  /** SHA-256 (hex) of the response body as sent (the resource after the change); null on errors. */
  @Column({ name: 'response_digest', type: 'varchar', nullable: true })
  responseDigest: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
