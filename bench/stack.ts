/**
 * The shared services (Temporal dev server, Postgres, Redis): started by scripts/services.sh in a
 * temporary directory, or the running ones named by the environment. Their pids, when known, let
 * the bench count their CPU too.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Probe } from './proc';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

export interface Stack {
  env: { DATABASE_URL: string; REDIS_URL: string; TEMPORAL_ADDRESS: string; TEMPORAL_NAMESPACE: string };
  /** Temporal, Postgres (with its backends) and Redis, when their pids are known. */
  probes: Probe[];
  owned: boolean;
  stop(): Promise<void>;
}

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0].trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Pids of the services scripts/services.sh started with state in `dir`. */
function serviceProbes(dir: string): Probe[] {
  const probes: Probe[] = [];
  const temporal = readPid(join(dir, 'temporal.pid'));
  const postgres = readPid(join(dir, 'pg', 'postmaster.pid'));
  const redis = readPid(join(dir, 'redis.pid'));
  if (temporal) probes.push({ role: 'temporal', pid: temporal, tree: true });
  if (postgres) probes.push({ role: 'postgres', pid: postgres, tree: true });
  if (redis) probes.push({ role: 'redis', pid: redis });
  return probes;
}

function parseEnvFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([A-Z_]+)=(.*)$/.exec(line.trim()))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1], match[2]]),
  );
}

export async function startStack(useRunning: boolean, log: (line: string) => void): Promise<Stack> {
  if (useRunning) {
    const { DATABASE_URL, REDIS_URL, TEMPORAL_ADDRESS } = process.env;
    if (!DATABASE_URL || !REDIS_URL || !TEMPORAL_ADDRESS) {
      throw new Error('--use-running needs DATABASE_URL, REDIS_URL and TEMPORAL_ADDRESS in the environment');
    }
    const dir = process.env.BENCH_SERVICES_DIR;
    return {
      env: { DATABASE_URL, REDIS_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE: process.env.TEMPORAL_NAMESPACE || 'default' },
      probes: dir ? serviceProbes(dir) : [],
      owned: false,
      stop: async () => undefined,
    };
  }

  const dir = mkdtempSync(join(tmpdir(), 'orchestrator-bench-'));
  chmodSync(dir, 0o755); // Postgres runs as its own user when we are root.
  const script = join(ROOT, 'scripts', 'services.sh');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await run('bash', [script, 'stop', dir]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  log(`starting Temporal, Postgres and Redis (scripts/services.sh, ${dir})`);
  try {
    await run('bash', [script, 'start', dir], { timeout: 180_000 });
  } catch (error) {
    await stop();
    throw new Error(`scripts/services.sh start failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  }
  const env = parseEnvFile(readFileSync(join(dir, 'services.env'), 'utf8'));
  const stackEnv = {
    DATABASE_URL: env.DATABASE_URL,
    REDIS_URL: env.REDIS_URL,
    TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE || 'default',
  };
  Object.assign(process.env, stackEnv);
  return { env: stackEnv, probes: serviceProbes(dir), owned: true, stop };
}

/** `temporal --version`, when the CLI is on the PATH (or in ~/go/bin). */
export async function temporalCliVersion(): Promise<string | null> {
  for (const binary of ['temporal', join(process.env.HOME ?? '/root', 'go', 'bin', 'temporal')]) {
    try {
      const { stdout } = await run(binary, ['--version'], { timeout: 10_000 });
      return stdout.trim();
    } catch {
      // next
    }
  }
  return null;
}
