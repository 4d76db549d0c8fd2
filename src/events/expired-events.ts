import type { DataSource } from 'typeorm';
import { batchDelete } from '../database/batch-delete';

/** Deletes a batch of events older than `days` (ORCH_EVENT_RETENTION_DAYS), for the retention sweep. */
export function expiredEvents(dataSource: DataSource, days: number): (batch: number) => Promise<number> {
  return batchDelete(dataSource, 'events', `created_at < now() - make_interval(days => $1)`, [days]);
}
