import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import type { Server } from 'node:http';

/**
 * Shutdown bookkeeping for the HTTP side: flips readiness to draining, and stops the extra plane
 * listeners from accepting (Nest closes the main one) while in-flight requests finish.
 */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  draining = false;
  private readonly listeners: Server[] = [];

  track(server: Server) {
    this.listeners.push(server);
  }

  async beforeApplicationShutdown() {
    this.draining = true;
    await Promise.all(this.listeners.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
