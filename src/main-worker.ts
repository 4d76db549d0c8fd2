import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DefaultLogger, LogLevel, Runtime } from '@temporalio/worker';
import { Logger } from 'nestjs-pino';
import pino from 'pino';
import { configureHttpApp } from './common/http-app';
import { loadEnvironmentOrExit } from './config/environment';
import { WorkerModule } from './worker.module';
import { prettyTransport } from './common/logging.module';
import { startTracing, traceLogFields } from './telemetry/tracing';

const SDK_LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR' };

async function main() {
  const environment = loadEnvironmentOrExit();
  startTracing(environment, 'orchestrator-worker');
  // SDK, workflow and activity logs (with workflowId, activity and our jobId) as JSON through pino.
  const sdkLog = pino({ level: environment.LOG_LEVEL, base: { service: 'worker' }, mixin: traceLogFields, transport: prettyTransport(environment) });
  Runtime.install({
    // Nest owns SIGINT/SIGTERM (enableShutdownHooks) and drives the graceful worker shutdown.
    shutdownSignals: [],
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

void main();
