import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createDatabase, sql } from '../support/services';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');

async function migrate(script: 'migrate' | 'migrate:down' | 'migrate:status', databaseUrl: string) {
  const { stdout } = await run('npm', ['run', '--silent', script], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl } });
  return stdout;
}

async function tables(databaseUrl: string) {
  const rows = await sql<{ table_name: string }>(databaseUrl, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY 1`);
  return rows.map((row) => row.table_name);
}

test('migrations go up → down → up on an empty database (the CI gate)', async () => {
  const databaseUrl = await createDatabase({ migrate: false });
  await migrate('migrate', databaseUrl);
  const schema = await tables(databaseUrl);
  for (const table of ['connectors', 'events', 'jobs', 'policies', 'policy_versions']) assert.ok(schema.includes(table), table);
  assert.match(await migrate('migrate:status', databaseUrl), /\[X\]/);

  const applied = await sql<{ n: number }>(databaseUrl, 'SELECT count(*)::int AS n FROM schema_migrations');
  for (let i = 0; i < applied[0].n; i++) await migrate('migrate:down', databaseUrl);
  assert.deepEqual(await tables(databaseUrl), []);

  await migrate('migrate', databaseUrl);
  assert.deepEqual(await tables(databaseUrl), schema);
});
