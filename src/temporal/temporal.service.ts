import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { AppError } from '../common/app-error';
import { Environment } from '../config/environment';
import { PayloadStore } from '../payload-store/payload-store.service';
import { temporalConnectionSettings } from './temporal-connection-options';

const CONNECT_TIMEOUT_MS = 3_000;
/** Workflow starts get a span and carry the trace in their headers (a no-op while tracing is off). */
const CLIENT_INTERCEPTORS = { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
/** Bound on one Temporal call from a request path, so an outage becomes a prompt 503. */
const CALL_DEADLINE_MS = 5_000;

/**
 * The api's Temporal client, connected lazily: the api boots and serves health while Temporal is
 * down, and reconnects on the next call once it is back.
 */
@Injectable()
export class TemporalService implements OnApplicationShutdown {
  private readonly logger = new Logger(TemporalService.name);
  private connecting?: Promise<{ connection: Connection; client: Client }>;

  constructor(
    private readonly environment: Environment,
    private readonly payloads: PayloadStore,
  ) {}

  private connect() {
    this.connecting ??= Connection.connect({ ...temporalConnectionSettings(this.environment), connectTimeout: CONNECT_TIMEOUT_MS })
      .then((connection) => ({ connection, client: new Client({ connection, namespace: this.environment.TEMPORAL_NAMESPACE, interceptors: CLIENT_INTERCEPTORS, dataConverter: this.payloads.dataConverter() }) }))
      .catch((error: unknown) => {
        this.connecting = undefined;
        this.logger.warn({ err: error }, 'cannot reach Temporal');
        throw error;
      });
    return this.connecting;
  }

  /** Runs `call` with a connected client under a deadline; any connectivity failure becomes a 503. */
  async use<T>(call: (client: Client) => Promise<T>): Promise<T> {
    let connected: { connection: Connection; client: Client };
    try {
      connected = await this.connect();
    } catch {
      throw AppError.dependencyUnavailable('temporal', 'The workflow engine is unreachable; retry later.');
    }
    try {
      return await connected.connection.withDeadline(Date.now() + CALL_DEADLINE_MS, () => call(connected.client));
    } catch (error) {
      if (isConnectivityError(error)) {
        throw AppError.dependencyUnavailable('temporal', 'The workflow engine did not answer; retry later.');
      }
      throw error;
    }
  }

  /** Waits up to `timeoutMs` for a workflow to close; false when it is still running then (or Temporal is away). */
  async awaitResult(workflowId: string, timeoutMs: number): Promise<boolean> {
    try {
      const { connection, client } = await this.connect();
      await connection.withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(workflowId).result());
      return true;
    } catch {
      // Timed out, or the workflow failed/was cancelled: the caller reads the job record either way.
      return false;
    }
  }

  /** For readiness: true when the frontend answers its health check now. */
  async isServing(): Promise<boolean> {
    try {
      const { connection } = await this.connect();
      const response = await connection.withDeadline(Date.now() + CONNECT_TIMEOUT_MS, () => connection.healthService.check({}));
      return response.status === 1; // SERVING
    } catch {
      return false;
    }
  }

  async onApplicationShutdown() {
    const connected = await this.connecting?.catch(() => undefined);
    await connected?.connection.close();
  }
}

/** gRPC UNAVAILABLE (14) and DEADLINE_EXCEEDED (4), however the SDK wraps them. */
function isConnectivityError(error: unknown): boolean {
  for (let current = error as { code?: unknown; cause?: unknown } | undefined; current; current = current.cause as typeof current) {
    if (current.code === 14 || current.code === 4) return true;
  }
  return false;
}
