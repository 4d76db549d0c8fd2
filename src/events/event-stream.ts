import type { Response } from 'express';
import type { ReadScope } from '../auth/principal';
import { EventView } from './event.dto';
import type { EventFilter, EventsService } from './events.service';
import type { EventNotifications } from './event-notifications.service';

const PAGE = 500;
/** Streams also re-read on this period, in case a notification was missed. */
const FALLBACK_POLL_MS = 5_000;

export interface StreamOptions {
  scope: ReadScope;
  filter: Omit<EventFilter, 'limit' | 'after'>;
  /** Resume after this event id (Last-Event-ID); streams start at the tail when absent. */
  after: string;
  keepAliveMs: number;
}

/**
 * One SSE connection: writes every event after `after`, in id order, exactly once; then waits for
 * a notification (or the fallback poll) and continues. Comments keep idle connections open.
 */
export async function streamEvents(response: Response, events: EventsService, notifications: EventNotifications, options: StreamOptions) {
  let last = options.after;
  let closed = false;
  let wake: () => void = () => undefined;
  const unsubscribe = notifications.subscribe(options.scope.tenantId, () => wake());
  response.on('close', () => {
    closed = true;
    wake();
  });
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  response.write(': stream open\n\n');

  let lastWrite = Date.now();
  try {
    while (!closed) {
      const page = await events.list(options.scope, { ...options.filter, after: last, limit: PAGE });
      for (const event of page) {
        response.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(EventView.of(event))}\n\n`);
        last = event.id;
        lastWrite = Date.now();
      }
      if (page.length === PAGE) continue;
      const idleFor = Date.now() - lastWrite;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, Math.min(FALLBACK_POLL_MS, options.keepAliveMs - idleFor)));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (!closed && Date.now() - lastWrite >= options.keepAliveMs) {
        response.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
    }
  } finally {
    unsubscribe();
    response.end();
  }
}
