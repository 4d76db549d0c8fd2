/** What Temporal's visibility store knows about a step's workflows: how many closed, and when. */
import type { Client } from '@temporalio/client';
import type { JobTiming } from './stats';

function stepQuery(taskQueue: string, since: Date, extra = ''): string {
  return `TaskQueue = "${taskQueue}" AND StartTime >= "${since.toISOString()}"${extra}`;
}

/** Workflows on `taskQueue` started since `since` that are no longer running. */
export async function closedSince(client: Client, taskQueue: string, since: Date): Promise<number> {
  const { count } = await client.workflow.count(stepQuery(taskQueue, since, ' AND ExecutionStatus != "Running"'));
  return count;
}

/** Start → close of the workflows in `ids` (workflow ids), as Temporal recorded them. */
export async function workflowTimings(client: Client, taskQueue: string, since: Date, ids: ReadonlySet<string>): Promise<Map<string, JobTiming>> {
  const timings = new Map<string, JobTiming>();
  for await (const execution of client.workflow.list({ query: stepQuery(taskQueue, since), pageSize: 1000 })) {
    if (!ids.has(execution.workflowId)) continue;
    timings.set(execution.workflowId, {
      acceptedAt: execution.startTime.getTime(),
      finishedAt: execution.closeTime ? execution.closeTime.getTime() : null,
      succeeded: execution.status.name === 'COMPLETED',
    });
  }
  return timings;
}

/** Workflows on `taskQueue` started since `since` that are still running. */
export async function runningSince(client: Client, taskQueue: string, since: Date): Promise<number> {
  const { count } = await client.workflow.count(stepQuery(taskQueue, since, ' AND ExecutionStatus = "Running"'));
  return count;
}

/** Every run (continued-as-new ones included) of the workflows on `taskQueue` started since `since`. */
export async function runsSince(client: Client, taskQueue: string, since: Date): Promise<{ workflowId: string; runId: string }[]> {
  const runs: { workflowId: string; runId: string }[] = [];
  for await (const execution of client.workflow.list({ query: stepQuery(taskQueue, since), pageSize: 1000 })) {
    runs.push({ workflowId: execution.workflowId, runId: execution.runId });
  }
  return runs;
}
