import { afterAll, expect, test } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ROOT } from '../support/paths';
import { createDatabase, sql } from '../support/services';

/** scripts/backup.sh and scripts/restore.sh, as the compose `backup` service and the runbook run them. */
function script(name: 'backup.sh' | 'restore.sh', args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('sh', [join(ROOT, 'scripts', name), ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

async function snapshot(databaseUrl: string) {
  const tables = await sql<{ table_name: string }>(databaseUrl, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
  const migrations = await sql<{ name: string }>(databaseUrl, 'SELECT name FROM schema_migrations ORDER BY id');
  const probe = await sql<{ note: string }>(databaseUrl, 'SELECT note FROM backup_probe ORDER BY id');
  return { tables: tables.map((row) => row.table_name), migrations: migrations.map((row) => row.name), probe: probe.map((row) => row.note) };
}

const dir = mkdtempSync(join(tmpdir(), 'orchestrator-backups-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a backup restores into an empty database with the same schema, migrations and rows; rotation keeps the newest', async () => {
  const source = await createDatabase();
  await sql(source, `CREATE TABLE backup_probe (id serial PRIMARY KEY, note text NOT NULL)`);
  await sql(source, `INSERT INTO backup_probe (note) VALUES ('before the backup'), ('a second row')`);
  const before = await snapshot(source);
  expect(before.migrations.length).toBeGreaterThan(0);

  for (let i = 0; i < 3; i++) {
    const { code, output } = await script('backup.sh', [dir], { DATABASE_URL: source, BACKUP_KEEP: '2' });
    expect({ code, output }).toMatchObject({ code: 0 });
    if (i < 2) await delay(1100); // dump names carry the second
  }
  const dumps = readdirSync(dir).filter((name) => name.endsWith('.dump')).sort();
  expect(dumps).toHaveLength(2);
  expect(readdirSync(dir).some((name) => name.endsWith('.partial'))).toBe(false);

  const target = await createDatabase({ migrate: false });
  const restored = await script('restore.sh', [join(dir, dumps[1])], { RESTORE_DATABASE_URL: target });
  expect(restored.code).toBe(0);
  expect(await snapshot(target)).toStrictEqual(before);
});

test('restore refuses a database with tables unless --yes, then replaces its contents with the dump', async () => {
  const source = await createDatabase();
  await sql(source, `CREATE TABLE backup_probe (id serial PRIMARY KEY, note text NOT NULL)`);
  await sql(source, `INSERT INTO backup_probe (note) VALUES ('kept')`);
  const backupDir = join(dir, 'second');
  expect((await script('backup.sh', [backupDir], { DATABASE_URL: source })).code).toBe(0);
  const [dump] = readdirSync(backupDir);
  const atBackup = await snapshot(source);

  // Written after the backup: a restore over the same database takes the database back.
  await sql(source, `INSERT INTO backup_probe (note) VALUES ('after the backup')`);
  const refused = await script('restore.sh', [join(backupDir, dump)], { DATABASE_URL: source });
  expect(refused.code).toBe(3);
  expect(refused.output).toMatch(/rerun with --yes/);
  expect((await snapshot(source)).probe).toStrictEqual(['kept', 'after the backup']);

  const replaced = await script('restore.sh', [join(backupDir, dump), '--yes'], { DATABASE_URL: source });
  expect(replaced.code).toBe(0);
  expect(await snapshot(source)).toStrictEqual(atBackup);
});

test('restore rejects a file that is not a dump and leaves the database alone', async () => {
  const target = await createDatabase({ migrate: false });
  const { code, output } = await script('restore.sh', [join(ROOT, 'package.json')], { DATABASE_URL: target });
  expect(code).toBe(2);
  expect(output).toMatch(/not a pg_dump custom-format archive/);
  expect(await sql(target, `SELECT 1 FROM information_schema.tables WHERE table_schema = 'public'`)).toStrictEqual([]);
});

test('backup.sh --every (the compose service) backs up at once, then on schedule, and records the outcome', async () => {
  const source = await createDatabase();
  const loopDir = join(dir, 'scheduled');
  const loop = spawn('sh', [join(ROOT, 'scripts', 'backup.sh'), '--every', '2', loopDir], { env: { ...process.env, DATABASE_URL: source, BACKUP_KEEP: '5' } });
  const status = join(loopDir, '.last-status');
  try {
    const deadline = Date.now() + 20_000;
    while (!(existsSync(status) && readdirSync(loopDir).filter((name) => name.endsWith('.dump')).length >= 2)) {
      if (Date.now() > deadline) throw new Error('the scheduled backup did not run twice');
      await delay(200);
    }
    expect(readFileSync(status, 'utf8').trim()).toBe('ok');
  } finally {
    loop.kill();
  }
});
