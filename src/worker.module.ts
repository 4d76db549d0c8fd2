import { DynamicModule, Module } from '@nestjs/common';
import { LoggingModule } from './common/logging.module';
import { EnvironmentModule } from './config/environment.module';
import { Environment } from './config/environment';
import { ConnectorSnapshotsModule } from './connectors/connector-snapshots.module';
import { DatabaseModule } from './database/database.module';
import { ENTITIES } from './entities';
import { EventsService } from './events/events.service';
import { HealthModule } from './health/health.module';
import { JobLedgerService } from './jobs/job-ledger.service';
import { MetricsModule } from './metrics/metrics.controller';
import { RedisModule } from './redis/redis.module';
import { WorkerMetrics } from './metrics/worker-metrics';
import { ResilienceModule } from './resilience/resilience.module';
import { RetentionService } from './retention/retention.service';
import { SecretResolver } from './secrets/secret-resolver';
import { TemporalModule } from './temporal/temporal.module';
import { TemporalWorkerService } from './worker/temporal-worker.service';

/** The worker process: Temporal workers plus a small health/metrics HTTP surface. */
@Module({})
export class WorkerModule {
  static forRoot(environment: Environment): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        EnvironmentModule.forRoot(environment),
        LoggingModule.forRoot('worker'),
        DatabaseModule.forRoot('orchestrator-worker', ENTITIES),
        RedisModule,
        HealthModule,
        MetricsModule,
        ResilienceModule,
        TemporalModule,
        ConnectorSnapshotsModule,
      ],
      providers: [EventsService, JobLedgerService, TemporalWorkerService, WorkerMetrics, RetentionService, SecretResolver],
    };
  }
}
