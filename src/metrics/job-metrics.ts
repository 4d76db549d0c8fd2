import { Counter, Histogram } from 'prom-client';

/** Seconds, from 5 ms: a local job ends in tens of milliseconds, a retried one in seconds to hours. */
const JOB_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/** api: jobs accepted (a replayed Idempotency-Key is not a new job). */
export const jobsAccepted = new Counter({ name: 'orchestrator_jobs_accepted_total', help: 'Jobs accepted, by connector', labelNames: ['connector'] });

/** worker: jobs that reached a terminal status, counted once (when the row became terminal). */
export const jobsFinished = new Counter({ name: 'orchestrator_jobs_finished_total', help: 'Jobs finished, by connector and terminal status', labelNames: ['connector', 'status'] });

export const jobDuration = new Histogram({
  name: 'orchestrator_job_duration_seconds',
  help: 'End-to-end job duration, from acceptance to terminal status',
  labelNames: ['connector', 'status'],
  buckets: JOB_SECONDS,
});
