import { proxyActivities } from '@temporalio/workflow';
import type { RetentionActivities } from '../domain/execution';

const { sweepRetention } = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/** Run by the retention Schedule: deletes expired idempotency keys and old events/inbox rows in batches. */
export async function retentionSweep(): Promise<Record<string, number>> {
  return sweepRetention();
}
