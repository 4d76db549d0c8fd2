import { Controller, Get, Header, Logger, Module } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { register } from 'prom-client';
import { Public } from '../auth/principal';
import { Environment } from '../config/environment';
import './default-metrics';

const SDK_SCRAPE_TIMEOUT_MS = 2_000;

@ApiTags('ops')
@Public()
@Controller('metrics')
export class MetricsController {
  private readonly logger = new Logger(MetricsController.name);

  constructor(private readonly environment: Environment) {}

  @Get()
  @Header('Content-Type', register.contentType)
  @ApiOperation({ summary: 'Prometheus metrics: ours, then the Temporal SDK\'s (temporal_*)' })
  async metrics(): Promise<string> {
    const [ours, sdk] = await Promise.all([register.metrics(), this.sdkMetrics()]);
    return sdk ? `${ours}\n${sdk}` : ours;
  }

  /** The Runtime's own exporter listens on loopback (main-worker.ts): one scrape target for both. */
  private async sdkMetrics(): Promise<string> {
    const port = this.environment.WORKER_SDK_METRICS_PORT;
    if (port === 0) return '';
    try {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(SDK_SCRAPE_TIMEOUT_MS) });
      return response.ok ? await response.text() : '';
    } catch (error) {
      this.logger.warn({ err: error }, 'Temporal SDK metrics unavailable');
      return '';
    }
  }
}

/** The worker's `/metrics`, on its health port (never public). The api serves metrics on a port of its own (ApiMetricsServer). */
@Module({ controllers: [MetricsController] })
export class MetricsModule {}
