import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { DIST } from './paths';

/** Addresses of the services scripts/test.sh started (scripts/services.sh). */
export function serviceEnv() {
  const { DATABASE_URL, REDIS_URL, TEMPORAL_ADDRESS } = process.env;
  if (!DATABASE_URL || !REDIS_URL || !TEMPORAL_ADDRESS) {
    throw new Error('Integration tests need DATABASE_URL, REDIS_URL and TEMPORAL_ADDRESS: run them with `npm test`.');
  }
  return { DATABASE_URL, REDIS_URL, TEMPORAL_ADDRESS };
}

/**
 * The S3-compatible store (moto) scripts/services.sh started, as the api and worker read it. Only
 * tests that pass these to their TestPlatform run with a payload store.
 */
export function payloadStoreEnv() {
  const { PAYLOAD_STORE_ENDPOINT, PAYLOAD_STORE_BUCKET, PAYLOAD_STORE_REGION, PAYLOAD_STORE_ACCESS_KEY_ID, PAYLOAD_STORE_SECRET_ACCESS_KEY } = process.env;
  if (!PAYLOAD_STORE_ENDPOINT || !PAYLOAD_STORE_BUCKET || !PAYLOAD_STORE_ACCESS_KEY_ID || !PAYLOAD_STORE_SECRET_ACCESS_KEY) {
    throw new Error('This test needs the payload store of scripts/services.sh (PAYLOAD_STORE_*): run it with `npm test`.');
  }
  return { PAYLOAD_STORE_ENDPOINT, PAYLOAD_STORE_BUCKET, PAYLOAD_STORE_REGION: PAYLOAD_STORE_REGION ?? 'us-east-1', PAYLOAD_STORE_ACCESS_KEY_ID, PAYLOAD_STORE_SECRET_ACCESS_KEY };
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** A fresh, empty database on the test Postgres (or the one `adminUrl` names); migrated unless `migrate` is false. */
export async function createDatabase(options: { migrate?: boolean; adminUrl?: string } = {}): Promise<string> {
  const adminUrl = options.adminUrl ?? serviceEnv().DATABASE_URL;
  const name = uniqueName('test');
  const admin = new PgClient({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  if (options.migrate !== false) {
    // The built migrations, as `npm run migrate` runs them (the sources' glob would find .ts files).
    const dataSource = new DataSource({ ...dataSourceOptions(url.toString(), 'orchestrator-tests'), migrations: [join(DIST, 'migrations', '*.js')] });
    await dataSource.initialize();
    await dataSource.runMigrations();
    await dataSource.destroy();
  }
  return url.toString();
}

/** Runs SQL against a test database (assertions about what was, or was not, written). */
export async function sql<T = Record<string, unknown>>(databaseUrl: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new PgClient({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}
