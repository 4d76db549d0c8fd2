import type { DataSource } from 'typeorm';

/**
 * Deletes expired rows of one table in ctid batches: each DELETE touches at most `batch` rows and
 * holds its locks briefly. The slice that owns the table calls it (the retention sweep asks each owner).
 */
export function batchDelete(dataSource: DataSource, table: string, expired: string, params: unknown[] = []): (batch: number) => Promise<number> {
  return async (batch) => {
    const [, count] = await dataSource.query(`DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE ${expired} LIMIT ${Number(batch)})`, params);
    return count;
  };
}
