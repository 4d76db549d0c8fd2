import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** How long a connection accepted just before the listeners closed gets to deliver its request. */
const LINGER_MS = 1_000;

/** An endless response (Server-Sent Events): it never finishes on its own. */
function isEventStream(request: IncomingMessage, response: ServerResponse): boolean {
  return /text\/event-stream/i.test(`${response.getHeader('content-type') ?? ''} ${request.headers.accept ?? ''}`);
}

/**
 * Shutdown bookkeeping for the HTTP side. On SIGTERM: readiness flips to draining at once; for
 * `drainSeconds` (ORCH_SHUTDOWN_DRAIN_SECONDS) the process keeps serving, answering with
 * `Connection: close` so keep-alive clients (proxies) take their next requests elsewhere; then
 * every listener stops accepting while in-flight requests finish. Event streams, which never
 * finish, are cut at that point: their clients reconnect (Last-Event-ID) to an api that is ready.
 */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  draining = false;
  drainSeconds = 0;
  private readonly logger = new Logger('Shutdown');
  private readonly servers: Server[] = [];
  private readonly inFlight = new Map<ServerResponse, IncomingMessage>();

  /** An HTTP server of this process (every plane listener of the api). */
  track(server: Server) {
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
      if (this.draining) response.setHeader('Connection', 'close');
      this.inFlight.set(response, request);
      response.once('close', () => this.inFlight.delete(response));
    });
    this.servers.push(server);
  }

  async beforeApplicationShutdown() {
    this.draining = true;
    if (this.drainSeconds > 0) {
      this.logger.log({ drainSeconds: this.drainSeconds }, 'draining: not ready, still serving');
      await delay(this.drainSeconds * 1000);
    }
    // Stop accepting — but not with http.Server#close, which at once destroys every connection
    // without a request in progress, including one accepted a moment ago whose request is still on
    // its way: its client sees a reset after sending, and a proxy cannot safely resend a POST.
    // Those connections get LINGER_MS to deliver their request (answered with `Connection: close`);
    // what is still idle then is closed; in-flight requests finish. (Nest's own close of the main
    // listener afterwards finds nothing left to do.)
    const closed = this.servers.map((server) => new Promise((resolve) => NetServer.prototype.close.call(server, resolve)));
    let streams = 0;
    for (const [response, request] of this.inFlight) {
      if (!isEventStream(request, response)) continue;
      response.destroy();
      streams += 1;
    }
    if (streams > 0) this.logger.log({ streams }, 'event streams closed');
    const lingerUntil = Date.now() + LINGER_MS;
    while (Date.now() < lingerUntil && (await this.openConnections()) > 0) await delay(50);
    for (const server of this.servers) server.closeIdleConnections();
    await Promise.all(closed);
  }

  private async openConnections(): Promise<number> {
    const counts = await Promise.all(
      this.servers.map((server) => new Promise<number>((resolve) => server.getConnections((_error, count) => resolve(count ?? 0)))),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  }
}
