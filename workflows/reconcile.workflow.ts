import { proxyActivities } from '@temporalio/workflow';
import type { ReconcileActivities } from '../domain/execution';

const { reconcileJobs: reconcile } = proxyActivities<ReconcileActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 3 },
});

/** Run by the reconcile Schedule: records jobs whose workflow closed without recording their end. */
export async function reconcileJobs(): Promise<number> {
  return reconcile();
}
