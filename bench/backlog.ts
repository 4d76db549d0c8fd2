/**
 * `npm run bench -- --backlog`: what a backlog costs (issue 14). N jobs are submitted at once behind
 * a connector limited to a rate, and behind one limited in concurrency with slow calls; every
 * workflow history is read back from Temporal. Reported per scenario: activity tasks and history
 * events per job (against a job that never waited), drain time against N ÷ rate, and how far from
 * FIFO the jobs were served. See bench/README.md.
 */
import type { Client } from '@temporalio/client';
import os from 'node:os';
import { Client as PgClient } from 'pg';
import { TestPlatform } from '../test/support/platform';
import { TERMINAL_STATUSES } from '../domain/job';
import { sqlList } from '../src/database/sql-list';
import type { CallLogEntry, DownstreamHandle } from './downstream';
import { percentiles, Percentiles, round } from './stats';
import { runsSince, runningSince } from './temporal';
import { WORK_INPUT, WORK_PATH } from './work';

export interface BacklogParameters {
  jobs: number;
  /** Concurrent POST /execute loops while submitting (their skew is the FIFO distance's floor). */
  submitConcurrency: number;
  ratePerSecond: number;
  maxInFlight: number;
  callDelayMs: number;
  referenceJobs: number;
  drainTimeoutS: number;
  workers: number;
}

/** Per job: how many activity tasks its workflow scheduled and how many history events it wrote, over all its runs. */
export interface HistoryCost {
  activityTasksPerJob: Percentiles;
  historyEventsPerJob: Percentiles;
  runsPerJob: Percentiles;
}

export interface BacklogScenario extends HistoryCost {
  name: 'rate' | 'concurrency';
  description: string;
  jobs: number;
  succeeded: number;
  notSucceeded: number;
  submitS: number;
  /** First accept → last job succeeded, s; and N ÷ rate. */
  drainS: number;
  theoreticalDrainS: number;
  drainRatio: number;
  /** |rank of a job's call − rank of its submission| (ranks by downstream arrival and by jobs.created_at). */
  fifoDistance: Percentiles;
  /** Activity tasks / history events per job ÷ those of a job that never waited. */
  historyEventsRatio: number;
  drainTimedOut: boolean;
}

export interface BacklogResults {
  schema: 1;
  mode: 'backlog';
  startedAt: string;
  finishedAt: string;
  durationS: number;
  commit: string | null;
  machine: { cpus: number; model: string; loadavgBefore: number[]; loadavgAfter: number[] };
  parameters: BacklogParameters;
  method: Record<string, string>;
  /** Jobs run one at a time on an unlimited connector: the cost of a job that never waited. */
  neverWaited: HistoryCost;
  scenarios: BacklogScenario[];
  warnings: string[];
}

const TERMINAL = sqlList(TERMINAL_STATUSES);

interface JobRow {
  id: string;
  status: string;
  created_at: Date;
  completed_at: Date | null;
}

export class BacklogBench {
  private db?: PgClient;
  private readonly warnings: string[] = [];
  readonly platform: TestPlatform;

  constructor(
    private readonly temporal: Client,
    env: { TEMPORAL_NAMESPACE: string; LOG_LEVEL: string },
    private readonly downstreams: { fast: DownstreamHandle; slow: DownstreamHandle },
    private readonly parameters: BacklogParameters,
    private readonly log: (line: string) => void,
  ) {
    this.platform = new TestPlatform({ TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE, LOG_LEVEL: env.LOG_LEVEL, ORCH_ALLOW_PRIVATE_NETWORK: 'true' });
  }

  async run(commit: string | null): Promise<BacklogResults> {
    const startedAt = new Date();
    const loadBefore = os.loadavg();
    const p = this.parameters;
    await this.platform.start({ workers: p.workers });
    this.db = new PgClient({ connectionString: this.platform.databaseUrl });
    await this.db.connect();

    const unlimited = await this.platform.createConnector(this.downstreams.fast.url, { work: { method: 'POST', path: WORK_PATH } });
    const referenceSince = new Date();
    const referenceIds: string[] = [];
    for (let i = 0; i < p.referenceJobs; i++) {
      const [id] = await this.submit(unlimited.name, 1, 1);
      referenceIds.push(id);
      await this.drain([id], 60);
    }
    await this.closed(referenceSince, 60);
    const neverWaited = await this.historyCost(referenceSince, new Set(referenceIds.map((id) => `job-${id}`)));
    this.log(`never waited: ${neverWaited.historyEventsPerJob.mean} history events, ${neverWaited.activityTasksPerJob.mean} activity tasks per job`);

    const scenarios: BacklogScenario[] = [];
    const ratePolicy = await this.platform.createPolicy({ rateLimit: { permitsPerSecond: p.ratePerSecond, burst: 0 } });
    const rate = await this.platform.createConnector(this.downstreams.fast.url, { work: { method: 'POST', path: WORK_PATH } }, { policyId: ratePolicy.id });
    scenarios.push(await this.scenario('rate', `${p.jobs} jobs behind ${p.ratePerSecond} calls/s (burst 0), calls answered at once`, rate.name, this.downstreams.fast, p.ratePerSecond, neverWaited));

    const concurrencyPolicy = await this.platform.createPolicy({ concurrency: { maxInFlight: p.maxInFlight } });
    const concurrency = await this.platform.createConnector(
      this.downstreams.slow.url,
      { work: { method: 'POST', path: WORK_PATH } },
      { policyId: concurrencyPolicy.id },
    );
    const concurrencyRate = (p.maxInFlight * 1000) / p.callDelayMs;
    scenarios.push(
      await this.scenario(
        'concurrency',
        `${p.jobs} jobs behind maxInFlight ${p.maxInFlight}, calls of ${p.callDelayMs} ms (at most ${round(concurrencyRate, 1)} calls/s)`,
        concurrency.name,
        this.downstreams.slow,
        concurrencyRate,
        neverWaited,
      ),
    );

    const finishedAt = new Date();
    const cpus = os.cpus();
    return {
      schema: 1,
      mode: 'backlog',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationS: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
      commit,
      machine: { cpus: cpus.length, model: cpus[0]?.model ?? 'unknown', loadavgBefore: loadBefore.map((v) => round(v)), loadavgAfter: os.loadavg().map((v) => round(v)) },
      parameters: p,
      method: {
        submit: '`jobs` POST /execute from `submitConcurrency` concurrent loops, as fast as the api accepts them',
        activityTasks: 'ActivityTaskScheduled events in every run of the job\u2019s workflow (histories read back with the Temporal client)',
        historyEvents: 'all history events over every run of the job\u2019s workflow (continue-as-new included)',
        drain: 'first jobs.created_at → last jobs.completed_at; theoretical = jobs ÷ the connector\u2019s rate (maxInFlight ÷ call time for the concurrency limit)',
        fifo: 'submission rank = order of jobs.created_at; service rank = order in which the downstream received the job\u2019s first call; distance = |difference|',
        neverWaited: '`referenceJobs` jobs one at a time on an unlimited connector',
      },
      neverWaited,
      scenarios,
      warnings: this.warnings,
    };
  }

  async stop(): Promise<void> {
    await this.db?.end().catch(() => undefined);
    await this.platform.stop();
  }

  private async scenario(
    name: BacklogScenario['name'],
    description: string,
    connector: string,
    downstream: DownstreamHandle,
    ratePerSecond: number,
    neverWaited: HistoryCost,
  ): Promise<BacklogScenario> {
    const p = this.parameters;
    this.log(`${name}: ${description}`);
    const since = new Date();
    const began = Date.now();
    const ids = await this.submit(connector, p.jobs, p.submitConcurrency);
    const submitS = (Date.now() - began) / 1000;
    this.log(`${name}: ${ids.length} accepted in ${submitS.toFixed(1)} s`);
    const drainTimedOut = !(await this.drain(ids, p.drainTimeoutS, name));
    if (!drainTimedOut) await this.closed(since, 120);
    const rows = (await this.db!.query(`SELECT id, status, created_at, completed_at FROM jobs WHERE id = ANY($1::uuid[])`, [ids])).rows as JobRow[];
    const succeeded = rows.filter((row) => row.status === 'succeeded' && row.completed_at);
    const first = Math.min(...rows.map((row) => row.created_at.getTime()));
    const last = Math.max(...succeeded.map((row) => row.completed_at!.getTime()));
    const drainS = succeeded.length > 0 ? (last - first) / 1000 : NaN;
    const theoreticalDrainS = ids.length / ratePerSecond;
    const cost = await this.historyCost(since, new Set(ids.map((id) => `job-${id}`)));
    const fifoDistance = fifo(rows, await downstream.callLog());
    const scenario: BacklogScenario = {
      name,
      description,
      jobs: ids.length,
      succeeded: succeeded.length,
      notSucceeded: ids.length - succeeded.length,
      submitS: round(submitS, 2),
      drainS: round(drainS, 2),
      theoreticalDrainS: round(theoreticalDrainS, 2),
      drainRatio: round(drainS / theoreticalDrainS, 3),
      fifoDistance,
      ...cost,
      historyEventsRatio: round(cost.historyEventsPerJob.mean / neverWaited.historyEventsPerJob.mean, 2),
      drainTimedOut,
    };
    if (scenario.notSucceeded > 0) this.warn(`${name}: ${scenario.notSucceeded} jobs did not succeed`);
    this.log(
      `${name}: drained in ${scenario.drainS} s (theory ${scenario.theoreticalDrainS} s), ${cost.activityTasksPerJob.mean} activity tasks and ` +
        `${cost.historyEventsPerJob.mean} history events per job (max ${cost.historyEventsPerJob.max}), FIFO distance mean ${fifoDistance.mean} max ${fifoDistance.max}`,
    );
    return scenario;
  }

  /** `count` jobs from `concurrency` loops; ids in the order they were accepted. */
  private async submit(connector: string, count: number, concurrency: number): Promise<string[]> {
    const body = { connector, operation: 'work', input: WORK_INPUT };
    const ids: string[] = [];
    let next = 0;
    const loop = async () => {
      while (next < count) {
        next += 1;
        const reply = await this.platform.execute(body);
        if (reply.status !== 202) throw new Error(`POST /execute: ${reply.status} ${JSON.stringify(reply.body)}`);
        ids.push((reply.body as { id: string }).id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, loop));
    return ids;
  }

  /** Waits until every job row is terminal; false when `timeoutS` passed first. */
  private async drain(ids: string[], timeoutS: number, label?: string): Promise<boolean> {
    const deadline = Date.now() + timeoutS * 1000;
    let lastLog = 0;
    for (;;) {
      const [{ count }] = (await this.db!.query(`SELECT count(*)::int AS count FROM jobs WHERE id = ANY($1::uuid[]) AND status IN ${TERMINAL}`, [ids]))
        .rows as { count: number }[];
      if (count >= ids.length) return true;
      if (Date.now() > deadline) {
        this.warn(`${label ?? 'reference'}: ${ids.length - count} jobs unfinished after ${timeoutS} s`);
        return false;
      }
      if (label && Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        this.log(`${label}: finished ${count}/${ids.length}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The job row is final before its workflow closes; the histories are read once every workflow has closed. */
  private async closed(since: Date, timeoutS: number): Promise<void> {
    const deadline = Date.now() + timeoutS * 1000;
    while ((await runningSince(this.temporal, this.platform.taskQueue, since)) > 0) {
      if (Date.now() > deadline) {
        this.warn(`workflows still running ${timeoutS} s after their jobs finished`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  private async historyCost(since: Date, workflowIds: ReadonlySet<string>): Promise<HistoryCost> {
    const runs = (await runsSince(this.temporal, this.platform.taskQueue, since)).filter((run) => workflowIds.has(run.workflowId));
    const perJob = new Map<string, { activities: number; events: number; runs: number }>();
    let next = 0;
    const reader = async () => {
      while (next < runs.length) {
        const run = runs[next++];
        const history = await this.temporal.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
        const events = history.events ?? [];
        const job = perJob.get(run.workflowId) ?? { activities: 0, events: 0, runs: 0 };
        job.runs += 1;
        job.events += events.length;
        job.activities += events.filter((event) => event.activityTaskScheduledEventAttributes).length;
        perJob.set(run.workflowId, job);
      }
    };
    await Promise.all(Array.from({ length: 8 }, reader));
    const jobs = [...perJob.values()];
    return {
      activityTasksPerJob: percentiles(jobs.map((job) => job.activities)),
      historyEventsPerJob: percentiles(jobs.map((job) => job.events)),
      runsPerJob: percentiles(jobs.map((job) => job.runs)),
    };
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.log(`warning: ${message}`);
  }
}

/** |service rank − submission rank| per job, over the jobs whose first call the downstream saw. */
export function fifo(rows: readonly { id: string; created_at: Date }[], calls: readonly CallLogEntry[]): Percentiles {
  const firstCall = new Map<string, number>();
  for (const call of calls) {
    const jobId = call.key.split(':')[0];
    if (!firstCall.has(jobId)) firstCall.set(jobId, call.at);
  }
  const served = rows.filter((row) => firstCall.has(row.id));
  const submitted = [...served].sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id));
  const submitRank = new Map(submitted.map((row, rank) => [row.id, rank]));
  const byCall = [...served].sort((a, b) => firstCall.get(a.id)! - firstCall.get(b.id)! || submitRank.get(a.id)! - submitRank.get(b.id)!);
  return percentiles(byCall.map((row, rank) => Math.abs(rank - submitRank.get(row.id)!)));
}

/** The table on stdout. */
export function renderBacklog(results: BacklogResults): string {
  const n = results.neverWaited;
  const lines = [
    `Orchestrator bench (backlog) — ${results.machine.cpus} × ${results.machine.model}, commit ${results.commit ?? 'unknown'}, ${results.parameters.jobs} jobs per scenario, total ${results.durationS} s`,
    `never waited (${results.parameters.referenceJobs} jobs one at a time): ${n.activityTasksPerJob.mean} activity tasks, ${n.historyEventsPerJob.mean} history events per job`,
    '',
    'scenario      jobs  submit s  activities/job (mean/max)  events/job (mean/max)  events ÷ never-waited  drain s  N÷rate s  drain ratio  FIFO distance (mean/max)',
  ];
  for (const s of results.scenarios) {
    lines.push(
      [
        s.name.padEnd(12),
        String(s.jobs).padStart(5),
        String(s.submitS).padStart(9),
        `${s.activityTasksPerJob.mean} / ${s.activityTasksPerJob.max}`.padStart(26),
        `${s.historyEventsPerJob.mean} / ${s.historyEventsPerJob.max}`.padStart(22),
        String(s.historyEventsRatio).padStart(22),
        String(s.drainS).padStart(8),
        String(s.theoreticalDrainS).padStart(9),
        String(s.drainRatio).padStart(12),
        `${s.fifoDistance.mean} / ${s.fifoDistance.max}`.padStart(25),
      ].join(' '),
    );
  }
  for (const warning of results.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}
