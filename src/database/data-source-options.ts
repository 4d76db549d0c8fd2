import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';

/**
 * One definition for the app, the migration CLI and tests. Schema changes only through migrations.
 * The entities come from the composition root (src/entities.ts): the migration CLI needs none.
 */
export function dataSourceOptions(url: string, applicationName: string, entities: DataSourceOptions['entities'] = []): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations: [join(__dirname, '..', '..', 'migrations', '*.js')],
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    applicationName,
    extra: { max: 10, connectionTimeoutMillis: 5_000 },
  };
}
