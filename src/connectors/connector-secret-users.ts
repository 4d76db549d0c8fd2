import { Global, Injectable, Module } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SecretUsers } from '../secrets/secret-users';

/** The connectors that use a secret ref: the secrets slice asks before deleting one. */
@Injectable()
export class ConnectorSecretUsers implements SecretUsers {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async namesUsing(tenantId: string, secretRefId: string): Promise<string[]> {
    const rows: { name: string }[] = await this.dataSource.query(
      `SELECT name FROM connectors WHERE tenant_id = $1 AND (spec->'auth'->>'secretRef' = $2 OR spec->>'signingSecretRef' = $2) ORDER BY name`,
      [tenantId, secretRefId],
    );
    return rows.map((row) => row.name);
  }
}

/** Global so that SecretsModule, which ConnectorsModule imports, gets the port without importing connectors back. */
@Global()
@Module({ providers: [ConnectorSecretUsers, { provide: SecretUsers, useExisting: ConnectorSecretUsers }], exports: [SecretUsers] })
export class ConnectorSecretUsersModule {}
