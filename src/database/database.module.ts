import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { Environment } from '../config/environment';
import { dataSourceOptions } from './data-source-options';

@Module({})
export class DatabaseModule {
  static forRoot(applicationName: string, entities: NonNullable<DataSourceOptions['entities']>): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [Environment],
          // Fail fast at boot rather than retrying forever: the orchestrator restarts us.
          useFactory: (environment: Environment) => ({ ...dataSourceOptions(environment.DATABASE_URL, applicationName, entities, environment.DATABASE_POOL_SIZE), retryAttempts: 3, retryDelay: 1000 }),
        }),
      ],
    };
  }
}
