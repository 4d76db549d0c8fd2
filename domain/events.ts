/** The event log's types (SPEC §5), in one list so the API documents exactly what it writes. */
export const EVENT_TYPES = [
  'job.accepted',
  'job.started',
  'attempt.started',
  'attempt.succeeded',
  'attempt.failed',
  'job.waiting',
  'job.succeeded',
  'job.failed',
  'job.cancelled',
  'job.timed_out',
  'breaker.opened',
  'breaker.half_opened',
  'breaker.closed',
  'webhook.received',
  'config.activated',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];
