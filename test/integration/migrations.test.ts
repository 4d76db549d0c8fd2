import { expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from '../support/paths';
import { createDatabase, sql } from '../support/services';

const run = promisify(execFile);

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
  for (const table of ['connectors', 'events', 'jobs', 'policies', 'policy_versions']) expect(schema).toContain(table);
  expect(await migrate('migrate:status', databaseUrl)).toMatch(/\[X\]/);

  const applied = await sql<{ n: number }>(databaseUrl, 'SELECT count(*)::int AS n FROM schema_migrations');
  for (let i = 0; i < applied[0].n; i++) await migrate('migrate:down', databaseUrl);
  expect(await tables(databaseUrl)).toStrictEqual([]);

  await migrate('migrate', databaseUrl);
  expect(await tables(databaseUrl)).toStrictEqual(schema);
});
