import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createActivities } from '../../activities';
import { createOutboundHttp } from '../../activities/outbound-http';
import { createRetentionActivities } from '../../activities/retention';
import { Environment } from '../config/environment';
import { JobLedgerService } from '../jobs/job-ledger.service';
import { ShutdownState } from '../health/shutdown-state';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { ResilienceStore } from '../resilience/resilience-store';
import { RetentionService } from '../retention/retention.service';
import { SecretResolver } from '../secrets/secret-resolver';
import { LiveLimits } from './live-limits';
import { describeTemporalSecurity, temporalConnectionSettings } from '../temporal/temporal-connection-options';

/** Built by `npm run build` (scripts/build-workflow-bundle.ts); workers never bundle at start-up. */
export const WORKFLOW_BUNDLE_PATH = join(__dirname, '..', '..', 'workflow-bundle.js');
const MAX_RESPONSE_BYTES = 256 * 1024;

/** Hosts one Temporal Worker per task queue this process serves, and owns their graceful shutdown. */
@Injectable()
export class TemporalWorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TemporalWorkerService.name);
  private connection?: NativeConnection;
  private workers: Worker[] = [];
  private running?: Promise<void>;
  private outbound?: ReturnType<typeof createOutboundHttp>;

  constructor(
    private readonly environment: Environment,
    private readonly ledger: JobLedgerService,
    private readonly limits: LiveLimits,
    private readonly resilience: ResilienceStore,
    private readonly metrics: WorkerMetrics,
    private readonly shutdownState: ShutdownState,
    private readonly retention: RetentionService,
    private readonly secrets: SecretResolver,
  ) {}

  get taskQueues(): string[] {
    return this.environment.WORKER_TASK_QUEUES?.length ? this.environment.WORKER_TASK_QUEUES : [this.environment.ORCH_TASK_QUEUE];
  }

  async onApplicationBootstrap() {
    if (!existsSync(WORKFLOW_BUNDLE_PATH)) throw new Error(`No workflow bundle at ${WORKFLOW_BUNDLE_PATH}: run \`npm run build\``);
    const temporal = temporalConnectionSettings(this.environment);
    this.connection = await NativeConnection.connect(temporal);
    this.outbound = createOutboundHttp({ deploymentAllowsPrivateNetwork: this.environment.ORCH_ALLOW_PRIVATE_NETWORK });
    const activities = createActivities({
      ledger: this.ledger,
      limits: this.limits,
      resilience: this.resilience,
      metrics: this.metrics,
      // Connector calls go through the SSRF guard; private targets need the connector's and the deployment's consent.
      outbound: this.outbound,
      secrets: this.secrets,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      slotTtlMs: this.environment.ORCH_LEASE_TTL_MS,
    });
    this.workers = await Promise.all(
      this.taskQueues.map((taskQueue) =>
        Worker.create({
          connection: this.connection!,
          namespace: this.environment.TEMPORAL_NAMESPACE,
          taskQueue,
          workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH },
          activities: {
            ...activities,
            ...createRetentionActivities(this.retention.targets(), this.environment.ORCH_IDEMPOTENCY_CLEANUP_BATCH_SIZE),
          },
          shutdownGraceTime: `${this.environment.WORKER_SHUTDOWN_GRACE_SECONDS}s`,
        }),
      ),
    );
    this.running = Promise.all(this.workers.map((worker) => worker.run())).then(() => undefined);
    this.running.catch((error: unknown) => {
      this.logger.error({ err: error }, 'worker stopped unexpectedly');
      process.exitCode = 1;
      process.kill(process.pid, 'SIGTERM');
    });
    this.logger.log({ taskQueues: this.taskQueues, temporal: describeTemporalSecurity(temporal) }, 'worker polling');
  }

  get isRunning(): boolean {
    return this.workers.length > 0 && this.workers.every((worker) => worker.getState() === 'RUNNING');
  }

  /** Stops polling, lets in-flight tasks finish within the grace time, then closes the connection. */
  async onApplicationShutdown() {
    this.shutdownState.draining = true;
    for (const worker of this.workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await this.running?.catch(() => undefined);
    await this.connection?.close();
    await this.outbound?.close();
    this.logger.log('worker stopped');
  }
}
