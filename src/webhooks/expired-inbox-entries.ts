import type { DataSource } from 'typeorm';

/**
 * Deletes a batch of webhook inbox entries received more than `days` ago (ORCH_EVENT_RETENTION_DAYS),
 * for the retention sweep, and hands the payload-store keys of their archived bodies to `bodiesGone`.
 */
export function expiredInboxEntries(dataSource: DataSource, days: number, bodiesGone: (keys: string[]) => Promise<void>): (batch: number) => Promise<number> {
  return async (batch) => {
    const [rows, count] = (await dataSource.query(
      `DELETE FROM webhook_inbox WHERE ctid IN (SELECT ctid FROM webhook_inbox WHERE received_at < now() - make_interval(days => $1) LIMIT ${Number(batch)})
       RETURNING raw_body_payload_ref->>'key' AS key`,
      [days],
    )) as [{ key: string | null }[], number];
    const keys = rows.map((row) => row.key).filter((key): key is string => key !== null);
    if (keys.length > 0) await bodiesGone(keys);
    return count;
  };
}
