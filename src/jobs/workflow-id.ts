/** Temporal naming for jobs (SPEC §3): the workflow type and `job-<jobId>` workflow IDs. */
export const EXECUTE_JOB_WORKFLOW = 'executeJob';

export function workflowIdForJob(jobId: string): string {
  return `job-${jobId}`;
}
