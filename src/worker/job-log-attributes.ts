import { trace } from '@opentelemetry/api';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/**
 * Every log line of an activity about a job — ours (`Context.current().log`) and the SDK's
 * (completed, failed) — names the job, its tenant and its trace, taken when the activity starts
 * running: the ids from its input (`runAttempt` gets `{ job }`, `finishJob` the ids themselves),
 * the trace from the activity's span (this interceptor runs inside the OpenTelemetry one), so that
 * lines written after the span ended still carry it. The SDK adds `workflowId`. Its "Activity
 * started" line comes before any interceptor runs and has only the SDK's attributes.
 */
export const jobLogAttributes: ActivityInterceptorsFactory = () => {
  let ids: { jobId: string; tenantId: string; traceId?: string } | undefined;
  return {
    inbound: {
      async execute(input, next) {
        const [first] = input.args as ({ job?: { jobId?: unknown; tenantId?: unknown }; jobId?: unknown; tenantId?: unknown } | undefined)[];
        const source = first?.job ?? first;
        if (typeof source?.jobId === 'string' && typeof source.tenantId === 'string') {
          const span = trace.getActiveSpan()?.spanContext();
          ids = { jobId: source.jobId, tenantId: source.tenantId, ...(span && trace.isSpanContextValid(span) ? { traceId: span.traceId } : {}) };
        }
        return next(input);
      },
    },
    outbound: {
      getLogAttributes(attributes, next) {
        return next(ids ? { ...ids, ...attributes } : attributes);
      },
    },
  };
};
