import { afterAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client as PgClient } from 'pg';
import { ROOT } from '../support/paths';
import { createDatabase, serviceEnv, sql, uniqueName } from '../support/services';

const run = promisify(execFile);

/**
 * deploy/postgres/init-roles.sh (the compose postgres first-start script), run natively against
 * the test Postgres: the app and Temporal get login roles of their own, each reaching only its
 * own databases, neither a superuser.
 */
const admin = new URL(serviceEnv().DATABASE_URL);
const app = uniqueName('app_role');
const temporal = uniqueName('temporal_role');
const temporalDb = uniqueName('temporal');
const visibilityDb = uniqueName('temporal_visibility');

function urlFor(user: string, database: string): string {
  const url = new URL(admin.toString());
  url.username = user;
  url.password = 'role-password';
  url.pathname = `/${database}`;
  return url.toString();
}

async function canConnect(user: string, database: string): Promise<true | string> {
  const client = new PgClient({ connectionString: urlFor(user, database) });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

afterAll(async () => {
  for (const db of [temporalDb, visibilityDb]) await sql(admin.toString(), `DROP DATABASE IF EXISTS ${db}`);
  const appDb = process.env.ROLES_TEST_APP_DB;
  if (appDb) await sql(admin.toString(), `DROP DATABASE IF EXISTS ${appDb}`);
  for (const role of [app, temporal]) await sql(admin.toString(), `DROP ROLE IF EXISTS ${role}`);
});

test('init-roles.sh: one least-privilege role per client, each reaching only its own databases', async () => {
  const appUrl = await createDatabase({ migrate: false });
  const appDb = new URL(appUrl).pathname.slice(1);
  process.env.ROLES_TEST_APP_DB = appDb;
  await run('sh', [join(ROOT, 'deploy', 'postgres', 'init-roles.sh')], {
    env: {
      ...process.env,
      PGHOST: admin.hostname,
      PGPORT: admin.port,
      POSTGRES_USER: decodeURIComponent(admin.username),
      POSTGRES_DB: appDb,
      ORCH_DB_USER: app,
      ORCH_DB_PASSWORD: 'role-password',
      TEMPORAL_DB_USER: temporal,
      TEMPORAL_DB_PASSWORD: 'role-password',
      TEMPORAL_DB: temporalDb,
      TEMPORAL_VISIBILITY_DB: visibilityDb,
    },
  });

  const roles = await sql<{ rolname: string; rolsuper: boolean; rolcreatedb: boolean; rolcreaterole: boolean }>(
    admin.toString(), 'SELECT rolname, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname', [[app, temporal]]);
  expect(roles.map(({ rolsuper, rolcreatedb, rolcreaterole }) => [rolsuper, rolcreatedb, rolcreaterole])).toStrictEqual([[false, false, false], [false, false, false]]);

  // Each role reaches its own databases …
  expect(await canConnect(app, appDb)).toBe(true);
  expect(await canConnect(temporal, temporalDb)).toBe(true);
  expect(await canConnect(temporal, visibilityDb)).toBe(true);
  // … and not the other's.
  expect(await canConnect(app, temporalDb)).toMatch(/permission denied/);
  expect(await canConnect(app, visibilityDb)).toMatch(/permission denied/);
  expect(await canConnect(temporal, appDb)).toMatch(/permission denied/);

  // The app role can run the migrations in its database (it owns it and its public schema).
  const migrated = await run('sh', [join(ROOT, 'scripts', 'migrate.sh'), 'up'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: urlFor(app, appDb) } });
  expect(migrated.stdout).toMatch(/applied /);
  const [{ owner }] = await sql<{ owner: string }>(appUrl, `SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'jobs'`);
  expect(owner).toBe(app);
});
