/** Longest `Prefer: wait` honoured (SPEC §4). */
export const MAX_PREFER_WAIT_SECONDS = 60;

/** The `wait` preference of an RFC 7240 Prefer header, capped; undefined when absent or malformed. */
export function preferredWaitSeconds(prefer: string | undefined): number | undefined {
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?(?=$|[,;\s])/i.exec(prefer ?? '');
  return match ? Math.min(Number(match[1]), MAX_PREFER_WAIT_SECONDS) : undefined;
}
