import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } from '@temporalio/interceptors-opentelemetry';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createActivities } from '../../activities';
import { createOutboundHttp } from '../../activities/outbound-http';
import { createRetentionActivities } from '../../activities/retention';
import { Environment } from '../config/environment';
import { JobLedgerService } from './job-ledger.service';
import { JobReconciler } from './job-reconciler.service';
import { ShutdownState } from '../health/shutdown-state';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { ResilienceStore } from '../resilience/resilience-store';
import { RetentionService } from '../retention/retention.service';
import { SecretResolver } from '../secrets/secret-resolver';
import { LiveLimits } from './live-limits';
import { PayloadStore } from '../payload-store/payload-store.service';
import { workflowSpanSinks } from '../telemetry/tracing';
import { jobLogAttributes } from './job-log-attributes';
import { JobWakeUps } from '../temporal/job-wake-ups';
import { describeTemporalSecurity, temporalConnectionSettings } from '../temporal/temporal-connection-options';

/** Built by `npm run build` (scripts/build-workflow-bundle.ts); workers never bundle at start-up. */
export const WORKFLOW_BUNDLE_PATH = join(__dirname, '..', '..', 'workflow-bundle.js');
const MAX_RESPONSE_BYTES = 256 * 1024;
/** Activity spans continue the workflow's trace, and activity log lines carry its ids and our job's (inside the span: listed after it). */
const ACTIVITY_INTERCEPTORS: WorkerOptions['interceptors'] = {
  activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }), jobLogAttributes],
};

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
    private readonly reconciler: JobReconciler,
    private readonly secrets: SecretResolver,
    private readonly payloads: PayloadStore,
    private readonly wakeUps: JobWakeUps,
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
      wakeUps: this.wakeUps,
      metrics: this.metrics,
      // Connector calls go through the SSRF guard; private targets need the connector's and the deployment's consent.
      outbound: this.outbound,
      secrets: this.secrets,
      // With a payload store a result of any size up to the body limit is kept (by reference).
      maxResponseBytes: this.payloads.enabled ? Math.max(MAX_RESPONSE_BYTES, this.environment.ORCH_MAX_BODY_BYTES) : MAX_RESPONSE_BYTES,
      slotTtlMs: this.environment.ORCH_LEASE_TTL_MS,
    });
    const dataConverter = this.payloads.dataConverter();
    this.workers = await Promise.all(
      this.taskQueues.map((taskQueue) =>
        Worker.create({
          connection: this.connection!,
          namespace: this.environment.TEMPORAL_NAMESPACE,
          taskQueue,
          workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH },
          dataConverter,
          // The bundle's tracing interceptors hand their spans out through this sink.
          sinks: workflowSpanSinks(),
          interceptors: ACTIVITY_INTERCEPTORS,
          activities: {
            ...activities,
            ...createRetentionActivities(this.retention.targets(), this.environment.ORCH_IDEMPOTENCY_CLEANUP_BATCH_SIZE),
            reconcileJobs: () => this.reconciler.reconcile(),
          },
          shutdownGraceTime: `${this.environment.WORKER_SHUTDOWN_GRACE_SECONDS}s`,
          ...this.deploymentOptions(),
        }),
      ),
    );
    this.running = Promise.all(this.workers.map((worker) => worker.run())).then(() => undefined);
    this.running.catch((error: unknown) => {
      this.logger.error({ err: error }, 'worker stopped unexpectedly');
      process.exitCode = 1;
      process.kill(process.pid, 'SIGTERM');
    });
    this.logger.log({ taskQueues: this.taskQueues, temporal: describeTemporalSecurity(temporal), version: this.version ?? 'unversioned' }, 'worker polling');
  }

  /** This worker's Worker Deployment version, when WORKER_BUILD_ID is set. */
  get version(): { deploymentName: string; buildId: string; behavior: string } | undefined {
    const { WORKER_BUILD_ID: buildId, WORKER_DEPLOYMENT_NAME: deploymentName, WORKER_VERSIONING_BEHAVIOR: behavior } = this.environment;
    return buildId ? { deploymentName, buildId, behavior } : undefined;
  }

  // IMPORTANT: with versioning on, a new workflow runs only once its deployment has a current
  // (or ramping) version: the first rollout sets one (scripts/worker-version.sh, docs/deploy.md).
  private deploymentOptions(): Pick<WorkerOptions, 'workerDeploymentOptions'> {
    const version = this.version;
    if (!version) return {};
    return {
      workerDeploymentOptions: {
        useWorkerVersioning: true,
        version: { deploymentName: version.deploymentName, buildId: version.buildId },
        defaultVersioningBehavior: this.environment.WORKER_VERSIONING_BEHAVIOR,
      },
    };
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
