/** Command line of `npm run bench -- [options]`; every run is bounded in jobs and in time. */
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /**
   * `compare`: baseline vs platform; `scaling`: platform with one vs two worker processes;
   * `backlog`: the cost of N jobs queued behind a rate limit and a concurrency limit (bench/backlog.ts).
   */
  mode: 'compare' | 'scaling' | 'backlog';
  quick: boolean;
  /** Use the services named by DATABASE_URL, REDIS_URL, TEMPORAL_ADDRESS instead of starting them. */
  useRunning: boolean;
  /** Results file; default bench/results/<timestamp>.json plus bench/results/latest.json. */
  out?: string;
  /** Offered concurrency levels, stepped up in order until throughput stops rising. */
  concurrency: number[];
  /** The level whose latency and throughput are compared side by side (always measured). */
  referenceConcurrency: number;
  jobsPerStep: number;
  warmupJobs: number;
  /** Caps on one step: the load phase, then waiting for the accepted jobs to finish. */
  stepTimeoutS: number;
  drainTimeoutS: number;
  /** The paced phase: both sides at this fraction of the lower best throughput, for this long. */
  pacedFraction: number;
  pacedSeconds: number;
  /** How many times a step disturbed by other work on the machine is repeated. */
  repeatDisturbed: number;
  /** Platform worker processes in compare mode. */
  workers: number;
  logLevel: string;
  downstreamDelayMs: number;
  /** Hard cap on the whole run; past it the bench cleans up and exits 1. */
  maxMinutes: number;
}

export const USAGE = `usage: npm run bench -- [options]   (or: node dist/bench/run.js [options])

  --quick                  a few seconds of load with tiny counts (harness check)
  --scaling                platform with 1 vs 2 worker processes instead of baseline vs platform
  --backlog                --jobs jobs (default 200) queued at once behind 10 calls/s and behind
                           maxInFlight 2 with 200 ms calls: cost per job, drain time, FIFO order
  --use-running            use DATABASE_URL, REDIS_URL, TEMPORAL_ADDRESS from the environment
                           (also BENCH_USE_RUNNING=1) instead of starting scripts/services.sh
  --out FILE               write the results JSON there (not into bench/results/)
  --concurrency 4,8,16,32  offered concurrency steps
  --reference N            concurrency compared side by side (default 8; quick: 4)
  --jobs N                 jobs per step (default 300; quick: 12; backlog: 200 per scenario)
  --warmup N               unrecorded jobs per side before the steps (default 60; quick: 4)
  --paced-fraction F       paced phase rate, as a fraction of the lower best throughput (default 0.5)
  --paced-seconds S        paced phase length per side (default 20; quick: 3)
  --repeat-disturbed N     repeat a step where other processes took >25 % of the CPU (default 1; quick: 0)
  --step-timeout S         cap on a step's load phase (default 30)
  --drain-timeout S        cap on waiting for a step's jobs to finish (default 90; backlog: 60 + 3 × jobs ÷ 10)
  --workers N              platform worker processes in compare mode (default 1)
  --log-level LEVEL        LOG_LEVEL of the platform processes (default info)
  --downstream-delay-ms N  downstream think time per call (default 0)
  --max-minutes N          hard cap on the whole run (default 15; quick: 4)
`;

function list(value: string): number[] {
  const levels = value.split(',').map((item) => Number(item.trim()));
  if (levels.length === 0 || levels.some((level) => !Number.isInteger(level) || level < 1)) throw new Error(`bad --concurrency: ${value}`);
  return levels;
}

function positive(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number < min) throw new Error(`bad --${name}: ${value}`);
  return number;
}

function fraction(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!(number > 0 && number <= 1)) throw new Error(`bad --paced-fraction: ${value} (0 < F ≤ 1)`);
  return number;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      scaling: { type: 'boolean', default: false },
      backlog: { type: 'boolean', default: false },
      'use-running': { type: 'boolean', default: false },
      out: { type: 'string' },
      concurrency: { type: 'string' },
      reference: { type: 'string' },
      jobs: { type: 'string' },
      warmup: { type: 'string' },
      'paced-fraction': { type: 'string' },
      'paced-seconds': { type: 'string' },
      'repeat-disturbed': { type: 'string' },
      'step-timeout': { type: 'string' },
      'drain-timeout': { type: 'string' },
      workers: { type: 'string' },
      'log-level': { type: 'string' },
      'downstream-delay-ms': { type: 'string' },
      'max-minutes': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const quick = values.quick ?? false;
  const concurrency = values.concurrency ? list(values.concurrency) : quick ? [2, 4] : [4, 8, 16, 32];
  const referenceConcurrency = positive('reference', values.reference, quick ? 4 : 8);
  if (!concurrency.includes(referenceConcurrency)) throw new Error(`--reference ${referenceConcurrency} is not one of --concurrency ${concurrency.join(',')}`);
  const backlog = values.backlog ?? false;
  if (backlog && values.scaling) throw new Error('--backlog and --scaling are separate runs');
  const jobsPerStep = positive('jobs', values.jobs, quick ? 12 : backlog ? 200 : 300);
  if (jobsPerStep < Math.max(...concurrency)) throw new Error('--jobs must be at least the highest --concurrency');
  return {
    mode: backlog ? 'backlog' : values.scaling ? 'scaling' : 'compare',
    quick,
    useRunning: (values['use-running'] ?? false) || env.BENCH_USE_RUNNING === '1' || env.BENCH_USE_RUNNING === 'true',
    out: values.out,
    concurrency,
    referenceConcurrency,
    jobsPerStep,
    warmupJobs: positive('warmup', values.warmup, quick ? 4 : 60, 0),
    pacedFraction: fraction(values['paced-fraction'], 0.5),
    pacedSeconds: positive('paced-seconds', values['paced-seconds'], quick ? 3 : 20),
    repeatDisturbed: positive('repeat-disturbed', values['repeat-disturbed'], quick ? 0 : 1, 0),
    stepTimeoutS: positive('step-timeout', values['step-timeout'], 30),
    // A backlog drains at 10/s by design: room for three times that.
    drainTimeoutS: positive('drain-timeout', values['drain-timeout'], backlog ? 60 + Math.ceil((3 * jobsPerStep) / 10) : quick ? 60 : 90),
    workers: positive('workers', values.workers, 1),
    logLevel: values['log-level'] ?? 'info',
    downstreamDelayMs: positive('downstream-delay-ms', values['downstream-delay-ms'], 0, 0),
    maxMinutes: positive('max-minutes', values['max-minutes'], quick ? 4 : backlog ? 10 + Math.ceil(jobsPerStep / 60) : 15),
  };
}
