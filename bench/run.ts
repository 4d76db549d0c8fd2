/**
 * `npm run bench`: the platform's end-to-end throughput, latency and cost side by side with a bare
 * Temporal client + worker doing the same downstream call on the same Temporal server (SPEC §9).
 * See bench/README.md for what is measured and how.
 */
import { Client, Connection } from '@temporalio/client';
import Redis from 'ioredis';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client as PgClient } from 'pg';
import { BacklogBench, BacklogResults, renderBacklog } from './backlog';
import { DownstreamHandle, startDownstream } from './downstream';
import { BenchOptions, parseOptions, USAGE } from './options';
import { cpuDelta, cpuSnapshot, machineBusySeconds, memory, Probe, procAvailable, Role } from './proc';
import { computeRatios, mib, renderTable, Results, SideResult, StepResult } from './report';
import { BaselineSide, dropDatabase, Load, PlatformSide, Side } from './sides';
import { startOtlpSink } from './otlp-sink';
import { Stack, startStack, temporalCliVersion } from './stack';
import { completion, percentiles, round, stillRising } from './stats';

const ROOT = join(__dirname, '..', '..');
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** The commit measured, `-dirty` with local changes; null outside a git checkout. */
function gitDescribe(): string | null {
  try {
    return execFileSync('git', ['-C', ROOT, 'describe', '--always', '--dirty'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

function packageVersion(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

class Runner {
  private readonly cleanups: (() => Promise<void>)[] = [];
  private stack?: Stack;
  private temporal?: Client;
  private downstream?: DownstreamHandle;
  private readonly warnings: string[] = [];
  private sides: Side[] = [];

  constructor(private readonly options: BenchOptions) {}

  async cleanup(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => log(`cleanup: ${String(error)}`));
  }

  /** `--backlog`: its own platform and two downstreams (immediate answers, and 200 ms ones). */
  async backlog(): Promise<BacklogResults> {
    const { options } = this;
    this.stack = await startStack(options.useRunning, log);
    this.cleanups.push(() => this.stack!.stop());
    const { env } = this.stack;
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    this.cleanups.push(() => connection.close());
    const temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    const fast = await startDownstream(options.downstreamDelayMs);
    this.cleanups.push(() => fast.stop());
    const slow = await startDownstream(BACKLOG_CALL_MS);
    this.cleanups.push(() => slow.stop());
    const bench = new BacklogBench(
      temporal,
      { TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE, LOG_LEVEL: options.logLevel },
      { fast, slow },
      {
        jobs: options.jobsPerStep,
        submitConcurrency: options.referenceConcurrency,
        ratePerSecond: 10,
        maxInFlight: 2,
        callDelayMs: BACKLOG_CALL_MS,
        referenceJobs: 10,
        drainTimeoutS: options.drainTimeoutS,
        workers: options.workers,
      },
      log,
    );
    this.cleanups.push(async () => {
      await bench.stop();
      await dropDatabase(bench.platform.databaseUrl);
    });
    return bench.run(process.env.BENCH_COMMIT || gitDescribe());
  }

  async run(): Promise<Results> {
    const { options } = this;
    const startedAt = new Date();
    const loadBefore = os.loadavg();
    if (!procAvailable()) log('no /proc here: CPU and memory figures will be missing');

    this.stack = await startStack(options.useRunning, log);
    this.cleanups.push(() => this.stack!.stop());
    const { env } = this.stack;
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    this.cleanups.push(() => connection.close());
    this.temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    this.downstream = await startDownstream(options.downstreamDelayMs);
    this.cleanups.push(() => this.downstream!.stop());

    // BENCH_OTLP=1: api and worker export their traces (OTLP/HTTP) to a local sink, to measure what tracing costs.
    const tracing = process.env.BENCH_OTLP === '1' ? await startOtlpSink() : undefined;
    if (tracing) {
      this.cleanups.push(async () => {
        log(`OTLP sink received ${tracing.received().requests} exports, ${(tracing.received().bytes / 1024 / 1024).toFixed(1)} MiB`);
        await tracing.stop();
      });
    }
    const childEnv = { ...env, LOG_LEVEL: options.logLevel, ...(tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: tracing.url } : {}) };
    const sides: Side[] =
      options.mode === 'compare'
        ? [
            new BaselineSide(this.temporal, childEnv, this.downstream.url),
            new PlatformSide('platform', this.temporal, childEnv, this.downstream.url, options.workers),
          ]
        : [
            new PlatformSide('platform-1w', this.temporal, childEnv, this.downstream.url, 1),
            new PlatformSide('platform-2w', this.temporal, childEnv, this.downstream.url, 2),
          ];

    this.sides = sides;
    const startup = new Map<string, number>();
    for (const side of sides) {
      log(`starting ${side.key}: ${side.description}`);
      const began = Date.now();
      this.cleanups.push(() => side.stop());
      await side.start();
      startup.set(side.key, (Date.now() - began) / 1000);
    }

    if (options.warmupJobs > 0) {
      for (const side of sides) {
        const concurrency = Math.min(options.concurrency[0], options.warmupJobs);
        await this.step(side, { kind: 'burst', concurrency, amount: options.warmupJobs, durationMs: options.stepTimeoutS * 1000 }, `${side.key} warm-up`);
      }
    }

    // Concurrency levels in order, sides interleaved within a level so drift hits both alike; a
    // side stops once a level at or past the reference no longer raises its throughput by 5 %.
    const steps = new Map<string, StepResult[]>(sides.map((side) => [side.key, []]));
    const stopped = new Set<string>();
    for (const concurrency of options.concurrency) {
      for (const side of sides) {
        if (stopped.has(side.key)) continue;
        const previous = steps.get(side.key)!;
        const bestBefore = Math.max(0, ...previous.map((step) => (Number.isFinite(step.throughput) ? step.throughput : 0)));
        const load: Load = { kind: 'burst', concurrency, amount: options.jobsPerStep, durationMs: options.stepTimeoutS * 1000 };
        const step = await this.measured(side, load, side.key);
        previous.push(step);
        if (concurrency >= options.referenceConcurrency && previous.length > 1 && !stillRising(step.throughput, bestBefore)) {
          log(`${side.key}: throughput stopped rising at concurrency ${concurrency}`);
          stopped.add(side.key);
        }
      }
    }

    // Latency at a sustainable load: the same even arrival rate for every side, below the lower capacity.
    const bests = sides.map((side) => Math.max(0, ...steps.get(side.key)!.map((step) => (Number.isFinite(step.throughput) ? step.throughput : 0))));
    const rate = round(Math.max(1, options.pacedFraction * Math.min(...bests)), 1);
    const pacedSteps = new Map<string, StepResult>();
    for (const side of sides) {
      const load: Load = { kind: 'paced', rate, maxInFlight: options.referenceConcurrency, durationMs: options.pacedSeconds * 1000 };
      pacedSteps.set(side.key, await this.measured(side, load, `${side.key} paced`));
    }

    const results: Record<string, SideResult> = {};
    for (const side of sides) {
      results[side.key] = this.summarizeSide(side, steps.get(side.key)!, pacedSteps.get(side.key)!, startup.get(side.key)!);
    }
    const [denominator, numerator] = sides.map((side) => side.key);
    const finishedAt = new Date();
    const cpus = os.cpus();

    return {
      schema: 1,
      mode: options.mode === 'scaling' ? 'scaling' : 'compare',
      quick: options.quick,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationS: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
      machine: {
        cpus: cpus.length,
        model: cpus[0]?.model ?? 'unknown',
        memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
        platform: `${os.platform()} ${os.release()} ${os.arch()}`,
        loadavgBefore: loadBefore.map((value) => round(value)),
        loadavgAfter: os.loadavg().map((value) => round(value)),
      },
      versions: await this.versions(connection),
      parameters: {
        concurrency: options.concurrency,
        referenceConcurrency: options.referenceConcurrency,
        jobsPerStep: options.jobsPerStep,
        warmupJobs: options.warmupJobs,
        repeatDisturbed: options.repeatDisturbed,
        pacedFraction: options.pacedFraction,
        pacedSeconds: options.pacedSeconds,
        pacedRate: rate,
        stepTimeoutS: options.stepTimeoutS,
        drainTimeoutS: options.drainTimeoutS,
        platformWorkers: options.mode === 'compare' ? options.workers : [1, 2],
        logLevel: options.logLevel,
        downstreamDelayMs: options.downstreamDelayMs,
        services: this.stack.owned ? 'started by the bench (scripts/services.sh)' : 'already running (--use-running)',
      },
      method: {
        load:
          'platform: autocannon, `concurrency` connections POSTing /execute (202 = accepted), bounded by `jobsPerStep` and `stepTimeoutS`; ' +
          'baseline: `concurrency` loops of client.workflow.start in the client process, same bounds',
        acceptLatency: 'per accepted request: autocannon response time (platform), client.workflow.start round trip (baseline)',
        endToEnd:
          'platform: jobs.created_at → jobs.completed_at in Postgres (what GET /jobs/:id reports); baseline: workflow StartTime → CloseTime in Temporal visibility',
        throughput: 'jobs succeeded / (first accept → last success) per step; the next step starts once every workflow of this one has closed',
        paced:
          'after the steps, every side gets the same evenly spaced arrivals (pacedFraction × the lower best throughput, at most referenceConcurrency in flight) for pacedSeconds; its end-to-end latency is the headline one',
        resources:
          'RSS peak = VmHWM of each process at the end (whole life); CPU = utime+stime deltas from /proc over the measured steps (services incl. children), per 1,000 succeeded jobs',
      },
      sides: results,
      comparison: { numerator, denominator },
      ratios: computeRatios(results[numerator], results[denominator]),
      warnings: this.warnings,
    };
  }

  private async versions(connection: Connection): Promise<Record<string, string | null>> {
    const versions: Record<string, string | null> = {
      commit: process.env.BENCH_COMMIT || gitDescribe(),
      node: process.version,
      temporalSdk: packageVersion('@temporalio/client'),
      temporalServer: null,
      temporalCli: await temporalCliVersion(),
      postgres: null,
      redis: null,
      autocannon: packageVersion('autocannon'),
    };
    try {
      versions.temporalServer = (await connection.workflowService.getSystemInfo({})).serverVersion ?? null;
    } catch {
      // unknown
    }
    const pg = new PgClient({ connectionString: this.stack!.env.DATABASE_URL });
    try {
      await pg.connect();
      versions.postgres = ((await pg.query('SHOW server_version')).rows[0] as { server_version: string }).server_version;
    } catch {
      // unknown
    } finally {
      await pg.end().catch(() => undefined);
    }
    const redis = new Redis(this.stack!.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      versions.redis = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? null;
    } catch {
      // unknown
    } finally {
      redis.disconnect();
    }
    return versions;
  }

  /** One bounded step: load, wait for every accepted job to finish, then read the records. */
  private async step(side: Side, load: Load, label: string): Promise<StepResult> {
    const { options } = this;
    const concurrency = load.kind === 'burst' ? load.concurrency : load.maxInFlight;
    const offered = load.kind === 'burst' ? load.amount : Math.max(1, Math.floor((load.rate * load.durationMs) / 1000));
    const name = load.kind === 'burst' ? `${label} c=${concurrency}` : `${label} ${load.rate}/s`;
    const probes: Probe[] = [...side.probes(), ...this.stack!.probes, { role: 'downstream', pid: this.downstream!.pid }];
    // The other sides' processes sit idle meanwhile; their CPU is counted apart from "other".
    const idleProbes: Probe[] = this.sides.filter((other) => other !== side).flatMap((other) => other.probes());
    const idleBefore = sum(cpuSnapshot(idleProbes));
    const before = cpuSnapshot(probes);
    const machineBefore = machineBusySeconds();
    const benchBefore = process.cpuUsage();
    const began = Date.now();
    let phase = 'load';
    let accepted = 0;
    let finished = 0;
    const ticker = setInterval(() => {
      log(`${name}: ${phase} — accepted ${accepted}/${offered}, finished ${finished}, ${((Date.now() - began) / 1000).toFixed(1)} s`);
    }, 2000);
    try {
      const run = await side.load(load, (count) => (accepted = count));
      accepted = run.ids.length;
      phase = 'drain';
      const deadline = Date.now() + options.drainTimeoutS * 1000;
      let drainTimedOut = false;
      for (;;) {
        const progress = await side.progress(run);
        finished = progress.finished;
        if (progress.settled) break;
        if (Date.now() > deadline) {
          drainTimedOut = true;
          this.warn(`${name}: ${run.ids.length - finished} jobs still unfinished after ${options.drainTimeoutS} s; moved on`);
          break;
        }
        await delay(250);
      }
      const cpu = cpuDelta(before, cpuSnapshot(probes));
      const benchUsage = process.cpuUsage(benchBefore);
      const benchCpuS = (benchUsage.user + benchUsage.system) / 1e6;
      const machineCpuS = machineBusySeconds() - machineBefore;
      const idleSidesCpuS = Math.max(0, sum(cpuSnapshot(idleProbes)) - idleBefore);
      const otherCpuS = Math.max(0, machineCpuS - sum(cpu) - benchCpuS - idleSidesCpuS);
      const timings = await side.timings(run);
      const done = completion(timings.primary);
      const step: StepResult = {
        kind: load.kind,
        concurrency,
        ...(load.kind === 'paced' ? { offeredRate: load.rate } : {}),
        offered,
        accepted: run.ids.length,
        errors: run.errors,
        ...(run.firstError ? { firstError: run.firstError } : {}),
        loadS: round(run.loadS, 3),
        acceptRate: round(run.ids.length / run.loadS),
        succeeded: done.succeeded,
        failed: done.failed,
        unfinished: done.unfinished,
        drainTimedOut,
        windowS: done.windowS,
        throughput: done.throughput,
        acceptLatencyMs: percentiles(run.latenciesMs),
        e2eMs: done.e2eMs,
        workflowE2eMs: completion(timings.workflow).e2eMs,
        cpuS: Object.fromEntries(Object.entries(cpu).map(([role, seconds]) => [role, round(seconds, 3)])),
        machineCpuS: round(machineCpuS, 3),
        benchCpuS: round(benchCpuS, 3),
        idleSidesCpuS: round(idleSidesCpuS, 3),
        otherCpuS: round(otherCpuS, 3),
      };
      if (run.errors > 0) this.warn(`${name}: ${run.errors} requests not accepted (first: ${run.firstError})`);
      if (done.failed > 0) this.warn(`${name}: ${done.failed} jobs did not succeed`);
      log(
        `${name}: ${step.succeeded}/${step.offered} succeeded, ${fmt(step.throughput)} jobs/s, ` +
          `accept p50 ${fmt(step.acceptLatencyMs.p50)} ms, end-to-end p50 ${fmt(step.e2eMs.p50)} ms / p99 ${fmt(step.e2eMs.p99)} ms`,
      );
      return step;
    } finally {
      clearInterval(ticker);
    }
  }

  /**
   * A recorded step. Work outside the measured processes (a build, someone's tests) skews the figures:
   * a step where it took more than a quarter of the machine is repeated (`--repeat-disturbed` times)
   * and the least disturbed measurement kept; one still disturbed is flagged in `warnings`.
   */
  private async measured(side: Side, load: Load, label: string): Promise<StepResult> {
    let step = await this.step(side, load, label);
    for (let repeat = 0; repeat < this.options.repeatDisturbed && disturbance(step) > DISTURBED; repeat++) {
      log(`${label}: ${percent(disturbance(step))} of the machine's CPU went to other processes; repeating the step`);
      const again = await this.step(side, load, label);
      step = disturbance(again) < disturbance(step) ? again : step;
    }
    if (disturbance(step) > DISTURBED) {
      const name = load.kind === 'burst' ? `${label} c=${load.concurrency}` : `${label} ${load.rate}/s`;
      this.warn(`${name}: ${percent(disturbance(step))} of the machine's CPU went to other processes during this step`);
    }
    return step;
  }

  private warn(message: string): void {
    this.warnings.push(message);
    log(`warning: ${message}`);
  }

  private summarizeSide(side: Side, steps: StepResult[], paced: StepResult, startupS: number): SideResult {
    const reference = steps.find((step) => step.concurrency === this.options.referenceConcurrency) ?? steps[steps.length - 1];
    const best = steps.reduce((top, step) => (step.throughput > top.throughput || !Number.isFinite(top.throughput) ? step : top), steps[0]);
    const succeeded = steps.reduce((total, step) => total + step.succeeded, 0);
    const roles = [...new Set(steps.flatMap((step) => Object.keys(step.cpuS)))] as Role[];
    const cpuPer1kJobsS: SideResult['cpuPer1kJobsS'] = {};
    let total = 0;
    for (const role of roles) {
      const seconds = steps.reduce((sum, step) => sum + (step.cpuS[role] ?? 0), 0);
      total += seconds;
      cpuPer1kJobsS[role] = succeeded > 0 ? round((seconds / succeeded) * 1000, 3) : NaN;
    }
    cpuPer1kJobsS.total = succeeded > 0 ? round((total / succeeded) * 1000, 3) : NaN;
    const probes = side.probes();
    const peak = (role: Role) => probes.filter((probe) => probe.role === role).map((probe) => memory(probe.pid)?.hwm ?? NaN);
    const workers = peak('worker');
    return {
      key: side.key,
      description: side.description,
      frontName: side.frontName,
      startupS: round(startupS, 1),
      steps,
      best: { concurrency: best.concurrency, throughput: best.throughput },
      reference,
      paced,
      rssPeakMiB: {
        front: mib(Math.max(...peak('front'))),
        worker: mib(Math.max(...workers)),
        workerProcesses: workers.length,
        workerTotal: mib(workers.reduce((sum, bytes) => sum + bytes, 0)),
      },
      cpuPer1kJobsS,
    };
  }
}

/** Share of the machine's busy CPU that went to processes outside the bench during a step. */
const DISTURBED = 0.25;

function disturbance(step: StepResult): number {
  return step.machineCpuS > 1 ? step.otherCpuS / step.machineCpuS : 0;
}

function percent(share: number): string {
  return `${Math.round(share * 100)} %`;
}

function sum(snapshot: Partial<Record<string, number>>): number {
  return Object.values(snapshot).reduce<number>((total, seconds) => total + (seconds ?? 0), 0);
}

function fmt(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : '—';
}

/** The downstream's think time in the backlog's concurrency scenario: 2 in flight × 200 ms = 10 calls/s, like the rate scenario. */
const BACKLOG_CALL_MS = 200;

function writeResults(results: Results | BacklogResults, out: string | undefined): string[] {
  const write = (file: string) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
    return file;
  };
  if (out) return [write(out)];
  const dir = join(ROOT, 'bench', 'results');
  const stamp = results.startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const suffix = results.mode === 'compare' ? '' : `-${results.mode}`;
  return [write(join(dir, `${stamp}${suffix}.json`)), write(join(dir, `latest${suffix}.json`))];
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const runner = new Runner(options);
  const abort = (reason: string, code: number) => {
    log(`${reason}: cleaning up`);
    void runner.cleanup().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));
  setTimeout(() => abort(`still running after --max-minutes ${options.maxMinutes}`, 1), options.maxMinutes * 60_000).unref();

  try {
    if (options.mode === 'backlog') {
      const results = await runner.backlog();
      await runner.cleanup();
      const files = writeResults(results, options.out);
      process.stdout.write(`${renderBacklog(results)}\n\nresults: ${files.join(', ')}\n`);
      return 0;
    }
    const results = await runner.run();
    await runner.cleanup();
    const files = writeResults(results, options.out);
    process.stdout.write(`${renderTable(results)}\n\nresults: ${files.join(', ')}\n`);
    return 0;
  } catch (error) {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await runner.cleanup();
    return 1;
  }
}

void main().then((code) => process.exit(code));
