import { Injectable, Module } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConnectorEntity } from './connector.entity';

/** The connector as attempts see it: read by the worker's job ledger (no controllers, so the worker can import it). */
@Injectable()
export class ConnectorSnapshots {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  find(tenantId: string, id: string): Promise<ConnectorEntity | null> {
    return this.dataSource.getRepository(ConnectorEntity).findOneBy({ id, tenantId });
  }
}

@Module({ providers: [ConnectorSnapshots], exports: [ConnectorSnapshots] })
export class ConnectorSnapshotsModule {}
