// The migration command (`npm run migrate*`, scripts/migrate.sh, the compose `migrate` one-shot,
// the Helm Job and the pods' wait-for-migrations init container). Needs only DATABASE_URL.
//
//   node dist/src/database/migrate.js up|down|status|wait [--timeout SECONDS]
//
//   up      apply every pending migration, holding the migration lock
//   down    revert the most recent migration, holding the migration lock
//   status  list applied ([X]) and pending ([ ]) migrations; read-only
//   wait    return once no migration is pending (the image's migrations all applied); read-only
//
// --timeout bounds the wait for the lock (up, down) or for the schema (wait); default 300 s.
// Exit status: 0 done, 2 usage, 75 (EX_TEMPFAIL) timed out, 78 (EX_CONFIG) bad DATABASE_URL,
// 1 a migration failed.
import 'reflect-metadata';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

/**
 * The advisory lock every `up`/`down` holds for its whole run: two Jobs (a re-synced GitOps Job, a
 * Helm hook and a manual run) serialize instead of racing on the same DDL. Session-level, so a
 * crashed runner's lock ends with its connection. The key is "orchestr" in ASCII.
 */
export const MIGRATION_LOCK_KEY = '8030606612298986610';
const MIGRATIONS_TABLE = 'schema_migrations';
const POLL_MS = 500;
const EX_TEMPFAIL = 75;

type Action = 'up' | 'down' | 'status' | 'wait';

class Usage extends Error {}
class TimedOut extends Error {}

function parseArguments(argv: string[]): { action: Action; timeoutSeconds: number } {
  let action: Action | undefined;
  let timeoutSeconds = 300;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--timeout' || arg.startsWith('--timeout=')) {
      const value = arg.includes('=') ? arg.slice('--timeout='.length) : argv[++i];
      if (!/^\d+$/.test(value ?? '')) throw new Usage(`--timeout: expected whole seconds, got '${value ?? ''}'`);
      timeoutSeconds = Number(value);
    } else if (['up', 'down', 'status', 'wait'].includes(arg) && !action) {
      action = arg as Action;
    } else {
      throw new Usage(`unexpected argument '${arg}'`);
    }
  }
  return { action: action ?? 'up', timeoutSeconds };
}

/** Names of the migrations this build carries, oldest first, and those the database has applied. */
async function migrationState(dataSource: DataSource): Promise<{ all: string[]; applied: Set<string> }> {
  // Oldest first, by the timestamp that ends every migration's name (TypeORM's own order).
  const timestamp = (name: string) => Number(/(\d{13})$/.exec(name)?.[1] ?? 0);
  const all = dataSource.migrations.map((migration) => migration.name ?? migration.constructor.name).sort((a, b) => timestamp(a) - timestamp(b));
  const [{ exists }] = await dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [MIGRATIONS_TABLE]);
  const rows: { name: string }[] = exists ? await dataSource.query(`SELECT name FROM ${MIGRATIONS_TABLE}`) : [];
  return { all, applied: new Set(rows.map((row) => row.name)) };
}

async function pending(dataSource: DataSource): Promise<string[]> {
  const { all, applied } = await migrationState(dataSource);
  return all.filter((name) => !applied.has(name));
}

/** Takes the migration lock on a connection of its own, polling until `timeoutSeconds` pass. */
async function acquireLock(url: string, timeoutSeconds: number): Promise<Client> {
  const client = new Client({ connectionString: url, application_name: 'orchestrator-migrate-lock' });
  await client.connect();
  const deadline = Date.now() + timeoutSeconds * 1000;
  let announced = false;
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [MIGRATION_LOCK_KEY]);
    if (rows[0].locked) return client;
    if (Date.now() >= deadline) {
      await client.end();
      throw new TimedOut(`another migration run still holds the migration lock after ${timeoutSeconds}s`);
    }
    if (!announced) {
      log('another migration run holds the migration lock; waiting for it');
      announced = true;
    }
    await delay(POLL_MS);
  }
}

async function withLock<T>(url: string, timeoutSeconds: number, body: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(url, timeoutSeconds);
  log('migration lock acquired');
  try {
    return await body();
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}

function log(message: string): void {
  process.stdout.write(`migrate: ${message}\n`);
}

export async function runMigrate(argv: string[], url: string): Promise<void> {
  const { action, timeoutSeconds } = parseArguments(argv);
  const dataSource = new DataSource({ ...dataSourceOptions(url, `orchestrator-migrate-${action}`), extra: { max: 2, connectionTimeoutMillis: 10_000 } });
  const deadline = Date.now() + timeoutSeconds * 1000;
  // Postgres may still be starting (compose, a fresh pod): retry the first connection until the deadline.
  for (;;) {
    try {
      await dataSource.initialize();
      break;
    } catch (error) {
      if (Date.now() >= deadline) throw new TimedOut(`Postgres not reachable within ${timeoutSeconds}s: ${(error as Error).message}`);
      await delay(1000);
    }
  }
  try {
    switch (action) {
      case 'up':
        await withLock(url, timeoutSeconds, async () => {
          const applied = await dataSource.runMigrations();
          log(applied.length ? `applied ${applied.map((m) => m.name).join(', ')}` : 'nothing to apply');
        });
        break;
      case 'down':
        await withLock(url, timeoutSeconds, async () => {
          await dataSource.undoLastMigration();
          log('reverted the most recent migration');
        });
        break;
      case 'status': {
        const { all, applied } = await migrationState(dataSource);
        for (const name of all) process.stdout.write(`${applied.has(name) ? '[X]' : '[ ]'} ${name}\n`);
        break;
      }
      case 'wait': {
        let waiting = await pending(dataSource);
        if (waiting.length) log(`waiting for ${waiting.length} pending migration(s): ${waiting.join(', ')}`);
        while (waiting.length) {
          if (Date.now() >= deadline) throw new TimedOut(`migrations still pending after ${timeoutSeconds}s: ${waiting.join(', ')}`);
          await delay(POLL_MS * 2);
          waiting = await pending(dataSource);
        }
        log('schema up to date');
        break;
      }
    }
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  const url = process.env.DATABASE_URL;
  if (!url || !/^postgres(ql)?:\/\//.test(url)) {
    process.stderr.write('Invalid configuration: DATABASE_URL: must be a postgres:// URL\n');
    process.exit(78);
  }
  runMigrate(process.argv.slice(2), url).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`migrate: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(error instanceof Usage ? 2 : error instanceof TimedOut ? EX_TEMPFAIL : 1);
    },
  );
}
