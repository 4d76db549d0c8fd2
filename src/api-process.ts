import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { createServer } from 'node:http';
import { ApiModule } from './api.module';
import { PlaneRoutes } from './auth/plane-routes';
import { configureHttpApp } from './common/http-app';
import { serverSpanMiddleware } from './common/server-span';
import { httpMetricsMiddleware } from './metrics/http-metrics';
import { consoleSettings, OperatorConsole } from './console/operator-console';
import type { Environment } from './config/environment';
import { ShutdownState } from './health/shutdown-state';

export async function runApi(environment: Environment): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(environment), { bodyParser: false, bufferLogs: true });
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.use(serverSpanMiddleware, httpMetricsMiddleware);
  const routes = app.get(PlaneRoutes);
  configureHttpApp(app, 'Orchestrator API', {
    docs: true,
    allowedMethods: (request) => routes.allowedMethods(request),
    documentFor: (request, document) => routes.documentFor(request, document),
  });

  // One Express app on every port; the AuthGuard keeps each plane's routes on its own port.
  const [first, ...others] = environment.PORT !== undefined ? [environment.PORT] : [environment.CONTROL_PORT, environment.EXEC_PORT];
  const shutdown = app.get(ShutdownState);
  shutdown.drainSeconds = environment.ORCH_SHUTDOWN_DRAIN_SECONDS;
  await app.listen(first);
  shutdown.track(app.getHttpServer());
  for (const port of others) {
    const server = createServer(app.getHttpAdapter().getInstance());
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, resolve));
    shutdown.track(server);
  }
  if (environment.OPERATOR_PORT > 0) {
    const planePorts = environment.PORT !== undefined ? { control: environment.PORT, exec: environment.PORT } : { control: environment.CONTROL_PORT, exec: environment.EXEC_PORT };
    const operatorConsole = new OperatorConsole({ planes: planePorts, settings: consoleSettings(environment) });
    shutdown.track(await operatorConsole.listen(environment.OPERATOR_PORT));
  }
  const planes = others.length === 0 ? { port: first } : { controlPort: environment.CONTROL_PORT, execPort: environment.EXEC_PORT };
  app.get(Logger).log({ ...planes, operatorPort: environment.OPERATOR_PORT || undefined, authMode: environment.AUTH_MODE }, 'api listening', 'Main');
}

