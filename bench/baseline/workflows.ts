/**
 * The baseline workflow: one activity, the downstream call, retried by Temporal like the platform's
 * default policy (3 retries, 1 s base, ×2). Deterministic: imports only the workflow SDK and types.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { BaselineActivities, CallInput, CallResult } from './activities';

const { callDownstream } = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 4, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s' },
});

export async function baselineCall(input: CallInput): Promise<CallResult> {
  return callDownstream(input);
}
