import { Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, Server } from 'node:http';
import { register } from 'prom-client';
import { Environment } from '../config/environment';
import './default-metrics';

/**
 * The api's Prometheus endpoint on API_METRICS_PORT, a listener of its own: the public planes
 * (and so every Ingress and proxy in front of them) have no `/metrics` to route, whatever the path
 * spelling. It keeps answering while the planes drain, and closes last.
 */
@Injectable()
export class ApiMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ApiMetricsServer.name);
  private server?: Server;

  constructor(private readonly environment: Environment) {}

  async onApplicationBootstrap() {
    const port = this.environment.API_METRICS_PORT;
    if (port === 0) return;
    this.server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method !== 'GET' || path !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      register.metrics().then(
        (body) => response.writeHead(200, { 'content-type': register.contentType }).end(body),
        (error: unknown) => {
          this.logger.error({ err: error }, 'metrics collection failed');
          response.writeHead(500).end();
        },
      );
    });
    await new Promise<void>((resolve, reject) => this.server!.once('error', reject).listen(port, resolve));
    this.logger.log({ metricsPort: port }, 'metrics listening');
  }

  async onApplicationShutdown() {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }
}

@Module({ providers: [ApiMetricsServer] })
export class ApiMetricsModule {}
