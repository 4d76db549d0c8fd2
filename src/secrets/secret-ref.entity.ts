import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type SecretProvider = 'env' | 'file' | 'local';
export const SECRET_PROVIDERS: readonly SecretProvider[] = ['env', 'file', 'local'];

/**
 * Where a secret value lives. `env`: a variable of the worker's environment (the api's too, for
 * webhook signing secrets); `file`: a mounted file; `local`: the value itself, AES-256-GCM encrypted.
 * The value is never returned by the API.
 */
@Entity({ name: 'secret_refs' })
@Index(['tenantId', 'name'], { unique: true })
export class SecretRefEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id' })
  tenantId: string;

  @Column()
  name: string;

  @Column({ type: 'varchar' })
  provider: SecretProvider;

  /** `env`: the variable name; `file`: the path. Not secret. */
  @Column({ type: 'varchar', nullable: true })
  reference: string | null;

  /** `local`: which ORCH_SECRETS_KEY sealed the value (a fingerprint, not the key). */
  @Column({ name: 'key_id', type: 'varchar', nullable: true })
  keyId: string | null;

  /** `local`: iv (12 bytes) ‖ GCM tag (16 bytes) ‖ ciphertext. Never selected by default. */
  @Column({ type: 'bytea', nullable: true, select: false })
  ciphertext: Buffer | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
