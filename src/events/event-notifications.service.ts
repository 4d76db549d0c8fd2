import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { Client } from 'pg';
import { Environment } from '../config/environment';
import { EVENTS_CHANNEL } from './events.service';

const RECONNECT_MS = 2_000;

/**
 * Fans "tenant X has new events" out to this api process's SSE streams, from Postgres
 * LISTEN/NOTIFY: every api process hears what any worker or api commits. The notice is only a
 * wake-up; streams read the events themselves from the table, so a lost notice delays, never drops.
 */
@Injectable()
export class EventNotifications implements OnApplicationShutdown {
  private readonly logger = new Logger(EventNotifications.name);
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private client?: Promise<Client>;
  private closed = false;

  constructor(private readonly environment: Environment) {}

  /** Calls `listener` whenever the tenant may have new events; returns the unsubscribe function. */
  subscribe(tenantId: string, listener: () => void): () => void {
    void this.listen();
    this.emitter.on(tenantId, listener);
    return () => this.emitter.off(tenantId, listener);
  }

  private listen(): Promise<Client> {
    this.client ??= (async () => {
      const client = new Client({ connectionString: this.environment.DATABASE_URL, application_name: 'orchestrator-api-listen' });
      client.on('notification', (message) => message.payload && this.emitter.emit(message.payload));
      client.on('error', (error) => this.reconnect(error));
      client.on('end', () => this.reconnect());
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      return client;
    })().catch((error: unknown) => {
      this.reconnect(error);
      throw error;
    });
    return this.client;
  }

  private reconnect(error?: unknown) {
    if (this.closed || !this.client) return;
    this.logger.warn({ err: error }, 'event notifications lost; reconnecting');
    this.client = undefined;
    setTimeout(() => {
      if (!this.closed) this.listen().catch(() => undefined);
    }, RECONNECT_MS).unref();
  }

  async onApplicationShutdown() {
    this.closed = true;
    const client = await this.client?.catch(() => undefined);
    await client?.end().catch(() => undefined);
  }
}
