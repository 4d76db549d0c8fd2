// The workflow bundle's entry: every workflow type the worker serves.
export { executeJob } from './execute-job.workflow';
export { retentionSweep } from './retention.workflow';
export { reconcileJobs } from './reconcile.workflow';
