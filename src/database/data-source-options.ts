import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';

/**
 * One definition for the app, the migration CLI and tests. Schema changes only through migrations.
 * The entities come from the composition root (src/entities.ts): the migration CLI needs none.
 */
export function dataSourceOptions(url: string, applicationName: string, entities: DataSourceOptions['entities'] = [], poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations: [join(__dirname, '..', '..', 'migrations', '*.js')],
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    applicationName,
    // The pool's size is DATABASE_POOL_SIZE (src/config/environment.ts says how to budget it).
    extra: { max: poolSize, connectionTimeoutMillis: 5_000 },
  };
}
