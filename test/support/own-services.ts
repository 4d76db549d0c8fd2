import { ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ROOT } from './paths';
import { freePort } from './processes';
import { temporalCli } from './tools';

const run = promisify(execFile);

/**
 * Services of one test's own, on loopback, which it may stop and start again on the same port and
 * state (chaos tests). The shared services (scripts/services.sh) serve every other test file and
 * are never restarted; these start the same binaries with the same flags.
 */
export interface OwnService {
  /** What the platform is pointed at: a URL or a host:port. */
  readonly address: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops and removes its state. */
  dispose(): Promise<void>;
}

async function until(what: string, timeoutMs: number, check: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} not up within ${timeoutMs} ms: ${String(error)}`);
      await delay(200);
    }
  }
}

function exited(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A Temporal dev server persisted in a SQLite file (`--db-filename`), so a restart keeps every workflow. */
export class OwnTemporal implements OwnService {
  private readonly folder = mkdtempSync(join(tmpdir(), 'orch-temporal-'));
  private child?: ChildProcess;
  output = '';
  address = '';

  async start(): Promise<void> {
    this.address ||= `127.0.0.1:${await freePort()}`;
    const [ip, port] = this.address.split(':');
    const attributes = Object.entries(JSON.parse(readFileSync(join(ROOT, 'domain', 'search-attributes.json'), 'utf8')) as Record<string, string>)
      .flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]);
    const args = ['server', 'start-dev', '--ip', ip, '--port', port, '--headless', '--db-filename', join(this.folder, 'temporal.db'), '--namespace', 'default', '--log-level', 'warn', ...attributes];
    const child = spawn(temporalCli(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    await until('Temporal', 60_000, async () => {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${this.output.slice(-2000)}`);
      await run(temporalCli(), ['operator', 'search-attribute', 'list', '--address', this.address, '--namespace', 'default']);
    });
  }

  async stop(): Promise<void> {
    this.child?.kill('SIGTERM');
    await exited(this.child);
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.folder, { recursive: true, force: true });
  }
}

/** The newest Postgres install's binaries (Debian keeps them in a versioned folder), else PATH. */
function pgBinary(name: string): string {
  const versions = (() => {
    try {
      return readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
    } catch {
      return [];
    }
  })();
  return versions.length ? join('/usr/lib/postgresql', versions[versions.length - 1], 'bin', name) : name;
}

const IS_ROOT = process.getuid?.() === 0;

/** Postgres refuses to run as root: as scripts/services.sh does, run it as the `postgres` user then. */
function asPostgres(command: string, args: string[]) {
  return IS_ROOT ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args);
}

/** A Postgres cluster of its own (initdb), stopped and started with pg_ctl as an operator would. */
export class OwnPostgres implements OwnService {
  private readonly folder = mkdtempSync(join(tmpdir(), 'orch-pg-'));
  private readonly data = join(this.folder, 'data');
  private port = 0;
  address = '';

  async start(): Promise<void> {
    if (!this.port) {
      this.port = await freePort();
      this.address = `postgres://orchestrator@127.0.0.1:${this.port}/postgres`;
      if (IS_ROOT) chownSync(this.folder, ...(await postgresIds()));
      await asPostgres(pgBinary('initdb'), ['-D', this.data, '-U', 'orchestrator', '--auth=trust', '--encoding=UTF8', '--locale=C']);
    }
    const options = `-p ${this.port} -k ${this.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await asPostgres(pgBinary('pg_ctl'), ['-D', this.data, '-w', '-t', '30', '-l', join(this.folder, 'server.log'), '-o', options, 'start']);
  }

  /** `-m fast`: open sessions are ended, as in a real restart of the server. */
  async stop(): Promise<void> {
    if (!this.port) return;
    await asPostgres(pgBinary('pg_ctl'), ['-D', this.data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.folder, { recursive: true, force: true });
  }
}

async function postgresIds(): Promise<[number, number]> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return [Number(uid.stdout.trim()), Number(gid.stdout.trim())];
}

/**
 * A redis-server of its own, without persistence (as the shared one): a restart starts it empty,
 * so every breaker, limiter and lease key is gone.
 */
export class OwnRedis implements OwnService {
  private child?: ChildProcess;
  private port = 0;
  output = '';
  address = '';

  async start(): Promise<void> {
    this.port ||= await freePort();
    this.address = `redis://127.0.0.1:${this.port}`;
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    await until('Redis', 10_000, async () => {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${this.output.slice(-2000)}`);
      const { stdout } = await run('redis-cli', ['-p', String(this.port), 'ping']);
      if (stdout.trim() !== 'PONG') throw new Error(stdout);
    });
  }

  async stop(): Promise<void> {
    this.child?.kill('SIGTERM');
    await exited(this.child);
  }

  async dispose(): Promise<void> {
    await this.stop();
  }
}
