import type { DataSource } from 'typeorm';
import { batchDelete } from '../database/batch-delete';

/** Deletes a batch of Idempotency-Key claims past their expiry, for the retention sweep. */
export function expiredIdempotencyKeys(dataSource: DataSource): (batch: number) => Promise<number> {
  return batchDelete(dataSource, 'idempotency_keys', 'expires_at <= now()');
}
