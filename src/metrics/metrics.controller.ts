import { Controller, Get, Header, Module } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { register } from 'prom-client';
import { Public } from '../auth/principal';
import './default-metrics';

@ApiTags('ops')
@Public()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('Content-Type', register.contentType)
  @ApiOperation({ summary: 'Prometheus metrics' })
  metrics(): Promise<string> {
    return register.metrics();
  }
}

/** The worker's `/metrics`, on its health port (never public). The api serves metrics on a port of its own (ApiMetricsServer). */
@Module({ controllers: [MetricsController] })
export class MetricsModule {}
