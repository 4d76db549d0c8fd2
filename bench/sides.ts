/**
 * The two systems under test, behind one interface so the runner treats them alike:
 * - baseline: a bare Temporal client process starting a one-activity workflow served by a bare
 *   Worker process, both on the bench's Temporal server;
 * - platform: the api process (POST /execute, loaded by autocannon) and worker process(es), with
 *   their own database on the bench's Postgres, and Redis.
 */
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import autocannon from 'autocannon';
import { existsSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client as PgClient } from 'pg';
import { TestPlatform } from '../test/support/platform';
import { payloadStoreEnv, uniqueName } from '../test/support/services';
import type { ClientCommand, Progress, RunReport } from './baseline/client';
import { BenchChild } from './child';
import type { Probe } from './proc';
import type { JobTiming } from './stats';
import { paced } from './pacer';
import { closedSince, workflowTimings } from './temporal';
import { WORK_INPUT, WORK_PATH } from './work';
import { TERMINAL_STATUSES } from '../domain/job';
import { sqlList } from '../src/database/sql-list';

/** A bounded load: a burst at a fixed concurrency, or evenly paced arrivals at a fixed rate. */
export type Load =
  | { kind: 'burst'; concurrency: number; amount: number; durationMs: number }
  | { kind: 'paced'; rate: number; maxInFlight: number; durationMs: number };

export interface LoadRun {
  /** Bench clock just before the first request of the step. */
  since: Date;
  /** Accept latency of every accepted job, ms. */
  latenciesMs: number[];
  /** Accepted jobs: job ids (platform) or workflow ids (baseline). */
  ids: string[];
  errors: number;
  firstError?: string;
  /** Length of the load phase, s. */
  loadS: number;
}

export interface Timings {
  /** Accepted → succeeded as the system reports it to its users. */
  primary: JobTiming[];
  /** Workflow start → close, from Temporal visibility. */
  workflow: JobTiming[];
}

export interface Side {
  readonly key: string;
  readonly description: string;
  readonly frontName: string;
  start(): Promise<void>;
  /** The side's own processes: its front (api or client) and its worker(s). */
  probes(): Probe[];
  load(load: Load, onProgress: (accepted: number) => void): Promise<LoadRun>;
  /** Jobs of the run that have finished, and whether all their workflows have closed. */
  progress(run: LoadRun): Promise<{ finished: number; settled: boolean }>;
  timings(run: LoadRun): Promise<Timings>;
  stop(): Promise<void>;
}

/** Bundled once per build next to the compiled workflow file, so neither side bundles at start. */
async function baselineBundle(): Promise<string> {
  const source = require.resolve('./baseline/workflows');
  const target = join(__dirname, 'baseline', 'workflow-bundle.js');
  if (existsSync(target) && statSync(target).mtimeMs >= statSync(source).mtimeMs) return target;
  const { code } = await bundleWorkflowCode({ workflowsPath: source, logger: new DefaultLogger('WARN') });
  writeFileSync(`${target}.tmp`, code);
  renameSync(`${target}.tmp`, target);
  return target;
}

export class BaselineSide implements Side {
  readonly key = 'baseline';
  readonly description = 'bare Temporal client process + bare Worker process, one-activity workflow (fetch)';
  readonly frontName = 'client';
  private readonly taskQueue = uniqueName('bench_baseline');
  private worker?: BenchChild;
  private client?: BenchChild;
  private steps = 0;

  constructor(
    private readonly temporal: Client,
    private readonly env: Record<string, string>,
    private readonly downstreamUrl: string,
  ) {}

  async start(): Promise<void> {
    const env = { ...this.env, BENCH_TASK_QUEUE: this.taskQueue, BENCH_WORKFLOW_BUNDLE: await baselineBundle() };
    this.worker = BenchChild.fork('baseline worker', join(__dirname, 'baseline', 'worker.js'), env);
    this.client = BenchChild.fork('baseline client', join(__dirname, 'baseline', 'client.js'), env);
    await Promise.all([this.worker.next('ready', 60_000), this.client.next('ready', 60_000)]);
  }

  probes(): Probe[] {
    return [
      { role: 'front', pid: this.client!.pid },
      { role: 'worker', pid: this.worker!.pid },
    ];
  }

  async load(load: Load, onProgress: (accepted: number) => void): Promise<LoadRun> {
    const since = new Date();
    const base = { prefix: `${this.taskQueue}-s${++this.steps}-`, taskQueue: this.taskQueue, url: this.downstreamUrl, durationMs: load.durationMs };
    const command: ClientCommand =
      load.kind === 'burst'
        ? { ...base, type: 'run', concurrency: load.concurrency, amount: load.amount }
        : { ...base, type: 'pace', rate: load.rate, maxInFlight: load.maxInFlight };
    const reply = this.client!.next<RunReport>('report', load.durationMs + 60_000, (message) => {
      if (message.type === 'progress') onProgress((message as Progress).accepted);
    });
    this.client!.send(command);
    const report = await reply;
    return {
      since,
      latenciesMs: report.latenciesMs,
      ids: report.workflowIds,
      errors: report.errors,
      firstError: report.firstError,
      loadS: (Date.now() - since.getTime()) / 1000,
    };
  }

  async progress(run: LoadRun): Promise<{ finished: number; settled: boolean }> {
    const closed = await closedSince(this.temporal, this.taskQueue, run.since);
    return { finished: closed, settled: closed >= run.ids.length };
  }

  async timings(run: LoadRun): Promise<Timings> {
    const byId = await workflowTimings(this.temporal, this.taskQueue, run.since, new Set(run.ids));
    const timings = run.ids.map((id) => byId.get(id) ?? { acceptedAt: run.since.getTime(), finishedAt: null, succeeded: false });
    return { primary: timings, workflow: timings };
  }

  async stop(): Promise<void> {
    await Promise.all([this.client?.stop(), this.worker?.stop()]);
  }
}

const TERMINAL = sqlList(TERMINAL_STATUSES);

export class PlatformSide implements Side {
  readonly description: string;
  readonly frontName = 'api';
  private readonly platform: TestPlatform;
  private connectorName = '';
  private db?: PgClient;

  constructor(
    readonly key: string,
    private readonly temporal: Client,
    env: { TEMPORAL_NAMESPACE: string; LOG_LEVEL: string; OTEL_EXPORTER_OTLP_ENDPOINT?: string },
    private readonly downstreamUrl: string,
    private readonly workers: number,
  ) {
    this.description = `api process (POST /execute via autocannon) + ${workers} worker process${workers > 1 ? 'es' : ''}, Postgres, Redis, default policy`;
    // The addresses of the services come from the environment (TestPlatform); the database is its own.
    // BENCH_PAYLOAD_STORE=1: the platform runs with the services' payload store (SPEC §12), to show
    // the small-payload path does not pay for it (nothing below the threshold touches the store).
    const store = process.env.BENCH_PAYLOAD_STORE === '1' ? payloadStoreEnv() : {};
    const tracing: Record<string, string> = env.OTEL_EXPORTER_OTLP_ENDPOINT ? { OTEL_EXPORTER_OTLP_ENDPOINT: env.OTEL_EXPORTER_OTLP_ENDPOINT } : {};
    if (env.OTEL_EXPORTER_OTLP_ENDPOINT) this.description += ', traces exported over OTLP';
    this.platform = new TestPlatform({ TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE, LOG_LEVEL: env.LOG_LEVEL, ORCH_ALLOW_PRIVATE_NETWORK: 'true', ...store, ...tracing });
  }

  async start(): Promise<void> {
    await this.platform.start({ workers: this.workers });
    const connector = await this.platform.createConnector(this.downstreamUrl, { work: { method: 'POST', path: WORK_PATH } });
    this.connectorName = connector.name;
    this.db = new PgClient({ connectionString: this.platform.databaseUrl });
    await this.db.connect();
  }

  probes(): Probe[] {
    return [{ role: 'front', pid: this.platform.api.child.pid! }, ...this.platform.workers.map((worker) => ({ role: 'worker' as const, pid: worker.child.pid! }))];
  }

  async load(load: Load, onProgress: (accepted: number) => void): Promise<LoadRun> {
    const run: LoadRun = { since: new Date(), latenciesMs: [], ids: [], errors: 0, loadS: 0 };
    const body = JSON.stringify({ connector: this.connectorName, operation: 'work', input: WORK_INPUT });
    const ticker = setInterval(() => onProgress(run.ids.length), 500);
    try {
      if (load.kind === 'burst') await this.burst(run, body, load.concurrency, load.amount, load.durationMs);
      else await paced(load.rate, load.durationMs, load.maxInFlight, (): Promise<void> => this.post(run, body));
    } finally {
      clearInterval(ticker);
    }
    run.loadS = (Date.now() - run.since.getTime()) / 1000;
    return run;
  }

  /** One POST /execute outside autocannon (paced load). */
  private async post(run: LoadRun, body: string): Promise<void> {
    const began = performance.now();
    try {
      const response = await fetch(`${this.platform.exec}/execute`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body });
      const text = await response.text();
      if (response.status === 202) {
        run.latenciesMs.push(performance.now() - began);
        run.ids.push((JSON.parse(text) as { id: string }).id);
      } else {
        run.errors += 1;
        run.firstError ??= `HTTP ${response.status}: ${text.slice(0, 300)}`;
      }
    } catch (error) {
      run.errors += 1;
      run.firstError ??= String(error);
    }
  }

  /** autocannon: `concurrency` connections POSTing /execute, `amount` requests or `durationMs`, whichever ends first. */
  private async burst(run: LoadRun, body: string, concurrency: number, amount: number, durationMs: number): Promise<void> {
    let finish: (error?: Error) => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => (finish = (error) => (error ? reject(error) : resolve())));
    const instance = autocannon(
      {
        url: this.platform.exec,
        connections: concurrency,
        amount,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            path: '/execute',
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            body,
            onResponse: (status: number, text: string) => {
              if (status === 202) {
                run.ids.push((JSON.parse(text) as { id: string }).id);
              } else {
                run.errors += 1;
                run.firstError ??= `HTTP ${status}: ${text.slice(0, 300)}`;
              }
            },
          },
        ],
      },
      (error: Error | null) => finish(error ?? undefined),
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status === 202) run.latenciesMs.push(responseTime);
    });
    instance.on('reqError', (error: unknown) => {
      run.errors += 1;
      run.firstError ??= String(error);
    });
    const stopTimer = setTimeout(() => instance.stop(), durationMs);
    try {
      await done;
    } finally {
      clearTimeout(stopTimer);
    }
  }

  async progress(run: LoadRun): Promise<{ finished: number; settled: boolean }> {
    const [{ count }] = (await this.db!.query(`SELECT count(*)::int AS count FROM jobs WHERE id = ANY($1::uuid[]) AND status IN ${TERMINAL}`, [run.ids]))
      .rows as { count: number }[];
    if (count < run.ids.length) return { finished: count, settled: false };
    // The job record is final before its workflow closes: wait for that too, so steps never overlap.
    const closed = await closedSince(this.temporal, this.platform.taskQueue, run.since);
    return { finished: count, settled: closed >= run.ids.length };
  }

  async timings(run: LoadRun): Promise<Timings> {
    const rows = (await this.db!.query(`SELECT id, status, created_at, completed_at FROM jobs WHERE id = ANY($1::uuid[])`, [run.ids])).rows as {
      id: string;
      status: string;
      created_at: Date;
      completed_at: Date | null;
    }[];
    const byId = new Map(rows.map((row) => [row.id, row]));
    const primary = run.ids.map((id): JobTiming => {
      const row = byId.get(id);
      if (!row) return { acceptedAt: run.since.getTime(), finishedAt: null, succeeded: false };
      return { acceptedAt: row.created_at.getTime(), finishedAt: row.completed_at?.getTime() ?? null, succeeded: row.status === 'succeeded' };
    });
    const workflowIds = run.ids.map((id) => `job-${id}`);
    const byWorkflow = await workflowTimings(this.temporal, this.platform.taskQueue, run.since, new Set(workflowIds));
    const workflow = workflowIds.map((id) => byWorkflow.get(id) ?? { acceptedAt: run.since.getTime(), finishedAt: null, succeeded: false });
    return { primary, workflow };
  }

  async stop(): Promise<void> {
    await this.db?.end().catch(() => undefined);
    await this.platform.stop();
    await dropDatabase(this.platform.databaseUrl);
  }
}

/** Removes the platform's bench database (it was created on the shared Postgres by TestPlatform). */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  if (!databaseUrl) return;
  const name = new URL(databaseUrl).pathname.slice(1);
  if (!/^\w+$/.test(name) || !process.env.DATABASE_URL) return;
  const admin = new PgClient({ connectionString: process.env.DATABASE_URL });
  try {
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } catch {
    // best effort: a leftover database on a throwaway server is harmless
  } finally {
    await admin.end().catch(() => undefined);
  }
}
