import { workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/**
 * Compiled into the workflow bundle (scripts/build-workflow-bundle.ts): every workflow log line
 * names our job and its trace. The api writes `jobId`, `tenantId` and `traceId` into the memo when
 * it starts the workflow, so they are known before the first line ("Workflow started"); a run
 * without them in its memo (started before it had them) takes the ids from its input once it runs. Log attributes change no command: replay is unaffected.
 */
export const interceptors: WorkflowInterceptorsFactory = () => {
  let fromInput: { jobId?: string; tenantId?: string } = {};
  return {
    inbound: [
      {
        async execute(input, next) {
          const job = (input.args[0] as { job?: { jobId?: unknown; tenantId?: unknown } } | undefined)?.job;
          if (typeof job?.jobId === 'string' && typeof job.tenantId === 'string') fromInput = { jobId: job.jobId, tenantId: job.tenantId };
          return next(input);
        },
      },
    ],
    outbound: [
      {
        getLogAttributes(attributes, next) {
          const memo = workflowInfo().memo as { jobId?: unknown; tenantId?: unknown; traceId?: unknown } | undefined;
          const jobId = typeof memo?.jobId === 'string' ? memo.jobId : fromInput.jobId;
          const tenantId = typeof memo?.tenantId === 'string' ? memo.tenantId : fromInput.tenantId;
          const traceId = typeof memo?.traceId === 'string' ? { traceId: memo.traceId } : {};
          return next(jobId && tenantId ? { jobId, tenantId, ...traceId, ...attributes } : attributes);
        },
      },
    ],
  };
};
