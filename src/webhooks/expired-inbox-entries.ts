import type { DataSource } from 'typeorm';
import { batchDelete } from '../database/batch-delete';

/** Deletes a batch of webhook inbox entries received more than `days` ago (ORCH_EVENT_RETENTION_DAYS), for the retention sweep. */
export function expiredInboxEntries(dataSource: DataSource, days: number): (batch: number) => Promise<number> {
  return batchDelete(dataSource, 'webhook_inbox', `received_at < now() - make_interval(days => $1)`, [days]);
}
