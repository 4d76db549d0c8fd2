import { Controller, Get, Injectable } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/principal';
import { PayloadStore } from '../payload-store/payload-store.service';
import { RedisService } from '../redis/redis.module';
import { TemporalService } from '../temporal/temporal.service';
import { ShutdownState } from './shutdown-state';

@Injectable()
export class DependencyIndicators {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisService,
    private readonly temporal: TemporalService,
    private readonly shutdown: ShutdownState,
    private readonly payloads: PayloadStore,
  ) {}

  private async up(key: string, healthy: Promise<boolean> | boolean) {
    const indicator = this.indicators.check(key);
    return (await healthy) ? indicator.up() : indicator.down();
  }

  private postgres() {
    return () => this.database.pingCheck('postgres', { timeout: 2_000 });
  }

  /** Only when configured: a deployment without a store has nothing to check. */
  private payloadStore() {
    return this.payloads.enabled ? [() => this.up('payloadStore', this.payloads.isReachable())] : [];
  }

  all() {
    return [this.postgres(), () => this.up('redis', this.redis.ping()), () => this.up('temporal', this.temporal.isServing()), ...this.payloadStore()];
  }

  /**
   * "Can serve": Postgres and not draining. Redis and Temporal stay out on purpose: a blip in a
   * shared dependency would take every pod out of service at once, although reads, the control
   * plane and webhook intake (archived in Postgres first) still work and the requests that do need
   * them answer 503 + Retry-After on their own. /health reports them. The payload store, when
   * configured, is in: job and webhook rows may hold only a reference to their bytes.
   */
  readiness() {
    return [() => this.up('accepting', !this.shutdown.draining), this.postgres(), ...this.payloadStore()];
  }
}

@ApiTags('ops')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dependencies: DependencyIndicators,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Summary of every dependency' })
  summary() {
    return this.health.check(this.dependencies.all());
  }

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: Postgres (and the payload store, when configured) reachable and not draining (Redis and Temporal: see /health)' })
  ready() {
    return this.health.check(this.dependencies.readiness());
  }
}
