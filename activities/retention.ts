import { Context } from '@temporalio/activity';
import type { RetentionActivities } from '../domain/execution';

/** One kind of expired row the retention sweep deletes, a batch at a time. */
export interface RetentionTarget {
  name: string;
  /** Deletes at most `batchSize` expired rows; returns how many it deleted. */
  deleteBatch(batchSize: number): Promise<number>;
}

/** Activities of the retention Schedule; the worker builds them from the configured targets. */
export function createRetentionActivities(targets: RetentionTarget[], batchSize: number): RetentionActivities {
  return {
    /** Deletes batch after batch until each target has nothing expired left; heartbeats between batches. */
    async sweepRetention(): Promise<Record<string, number>> {
      const deleted: Record<string, number> = {};
      for (const target of targets) {
        deleted[target.name] = 0;
        for (;;) {
          const count = await target.deleteBatch(batchSize);
          deleted[target.name] += count;
          Context.current().heartbeat(deleted);
          if (count < batchSize) break;
        }
      }
      Context.current().log.info('retention sweep done', { deleted });
      return deleted;
    },
  };
}

