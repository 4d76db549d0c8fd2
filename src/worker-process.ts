import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DefaultLogger, LogLevel, Runtime } from '@temporalio/worker';
import { Logger } from 'nestjs-pino';
import pino from 'pino';
import { configureHttpApp } from './common/http-app';
import type { Environment } from './config/environment';
import { WorkerModule } from './worker.module';
import { prettyTransport } from './common/logging.module';
import { traceLogFields } from './telemetry/tracing';

const SDK_LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR' };

/** The SDK's latency histograms in milliseconds; its default buckets start at 100 ms, too coarse for local latencies. */
const MS_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];
const SDK_HISTOGRAMS = [
  'workflow_endtoend_latency', 'workflow_task_schedule_to_start_latency', 'workflow_task_execution_latency', 'workflow_task_replay_latency',
  'activity_schedule_to_start_latency', 'activity_execution_latency', 'activity_succeed_endtoend_latency', 'request_latency', 'long_request_latency',
];

function sdkMetrics(port: number) {
  return {
    metricPrefix: 'temporal_',
    prometheus: { bindAddress: `127.0.0.1:${port}`, countersTotalSuffix: true, histogramBucketOverrides: Object.fromEntries(SDK_HISTOGRAMS.map((name) => [name, MS_BUCKETS])) },
  };
}

export async function runWorker(environment: Environment): Promise<void> {
  // SDK, workflow and activity logs (with workflowId, activity and our jobId) as JSON through pino.
  const sdkLog = pino({ level: environment.LOG_LEVEL, base: { service: 'worker' }, mixin: traceLogFields, transport: prettyTransport(environment) });
  Runtime.install({
    // Nest owns SIGINT/SIGTERM (enableShutdownHooks) and drives the graceful worker shutdown.
    shutdownSignals: [],
    // Before any connection: the SDK's metrics (temporal_*), merged into our /metrics (metrics.controller.ts).
    ...(environment.WORKER_SDK_METRICS_PORT > 0 ? { telemetryOptions: { metrics: sdkMetrics(environment.WORKER_SDK_METRICS_PORT) } } : {}),
    logger: new DefaultLogger(SDK_LEVELS[environment.LOG_LEVEL], ({ level, message, meta }) => {
      sdkLog[level === 'WARN' ? 'warn' : (level.toLowerCase() as 'info')]({ ...meta }, message);
    }),
  });
  const app = await NestFactory.create(WorkerModule.forRoot(environment), { bufferLogs: true });
  configureHttpApp(app, 'Orchestrator worker', { docs: false });
  if (environment.WORKER_HEALTH_PORT > 0) await app.listen(environment.WORKER_HEALTH_PORT);
  else await app.init();
  app.get(Logger).log({ healthPort: environment.WORKER_HEALTH_PORT }, 'worker started', 'Main');
}

