import { expect, test } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { Client as PgClient } from 'pg';
import { ROOT } from '../support/paths';
import { createDatabase, sql } from '../support/services';
import { MIGRATION_LOCK_KEY } from '../../src/database/migrate';

const run = promisify(execFile);

async function migrate(script: 'migrate' | 'migrate:down' | 'migrate:status', databaseUrl: string) {
  const { stdout } = await run('npm', ['run', '--silent', script], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl } });
  return stdout;
}

/** scripts/migrate.sh as the Job and the init container run it; resolves with its exit code and output. */
function migrateScript(databaseUrl: string, args: string[]) {
  const child = spawn('sh', ['scripts/migrate.sh', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; output: string }>((resolve) => child.once('exit', (code) => resolve({ code, output })));
  return { exited, output: () => output };
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function tables(databaseUrl: string) {
  const rows = await sql<{ table_name: string }>(databaseUrl, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY 1`);
  return rows.map((row) => row.table_name);
}

async function appliedMigrations(databaseUrl: string): Promise<string[]> {
  const [{ exists }] = await sql<{ exists: boolean }>(databaseUrl, `SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`);
  return exists ? (await sql<{ name: string }>(databaseUrl, 'SELECT name FROM schema_migrations ORDER BY id')).map((row) => row.name) : [];
}

/** Holds the migration lock from the test, as a long migration run of another Job would. */
async function holdMigrationLock(databaseUrl: string): Promise<() => Promise<void>> {
  const client = new PgClient({ connectionString: databaseUrl });
  await client.connect();
  await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
  return async () => {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await client.end();
  };
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

test('two concurrent migrate runs serialize on the advisory lock: both succeed, each migration applied once', async () => {
  const databaseUrl = await createDatabase({ migrate: false });
  // Both runs start while the lock is taken, so they are certainly concurrent when it frees.
  const release = await holdMigrationLock(databaseUrl);
  const first = migrateScript(databaseUrl, ['up']);
  const second = migrateScript(databaseUrl, ['up']);
  await until('both runs to wait for the lock', () => [first, second].every((run) => run.output().includes('holds the migration lock; waiting')));
  expect(await appliedMigrations(databaseUrl)).toStrictEqual([]);
  await release();

  const results = await Promise.all([first.exited, second.exited]);
  expect(results.map((result) => result.code)).toStrictEqual([0, 0]);
  // One run applied everything; the other, after it, found nothing left to do.
  expect(results.filter((result) => result.output.includes('nothing to apply'))).toHaveLength(1);
  const applied = await appliedMigrations(databaseUrl);
  expect(applied.length).toBeGreaterThan(0);
  expect(new Set(applied).size).toBe(applied.length);
  expect((await migrate('migrate:status', databaseUrl)).trim().split('\n').every((line) => line.startsWith('[X] '))).toBe(true);
});

test('--timeout: a run that cannot get the lock in time exits 75 and applies nothing', async () => {
  const databaseUrl = await createDatabase({ migrate: false });
  const release = await holdMigrationLock(databaseUrl);
  try {
    const started = Date.now();
    const { code, output } = await migrateScript(databaseUrl, ['up', '--timeout', '1']).exited;
    expect(code).toBe(75);
    expect(output).toMatch(/still holds the migration lock after 1s/);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await appliedMigrations(databaseUrl)).toStrictEqual([]);
  } finally {
    await release();
  }
});

test('wait (the init container) returns only once no migration is pending, and times out with 75', async () => {
  const databaseUrl = await createDatabase({ migrate: false });
  expect((await migrateScript(databaseUrl, ['wait', '--timeout', '1']).exited).code).toBe(75);

  const waiting = migrateScript(databaseUrl, ['wait', '--timeout', '60']);
  await until('wait to report pending migrations', () => waiting.output().includes('pending migration'));
  let done = false;
  void waiting.exited.then(() => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(done).toBe(false);

  expect((await migrateScript(databaseUrl, ['up']).exited).code).toBe(0);
  const { code, output } = await waiting.exited;
  expect(code).toBe(0);
  expect(output).toMatch(/schema up to date/);
  // The schema is read, never written, by wait: the table it found is the one `up` created.
  expect((await appliedMigrations(databaseUrl)).length).toBeGreaterThan(0);
});
