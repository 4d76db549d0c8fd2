import { DynamicModule, Module } from '@nestjs/common';
import { Environment } from './config/environment';
import { processInfrastructure } from './process-infrastructure';
import { ConnectorSnapshotsModule } from './connectors/connector-snapshots.module';
import { GoverningPolicyModule } from './configs/governing-policy';
import { EventsService } from './events/events.service';
import { HealthModule } from './health/health.module';
import { JobLedgerService } from './jobs/job-ledger.service';
import { MetricsModule } from './metrics/metrics.controller';
import { WorkerMetrics } from './metrics/worker-metrics';
import { ResilienceModule } from './resilience/resilience.module';
import { RetentionService } from './retention/retention.service';
import { SecretResolver } from './secrets/secret-resolver';
import { TemporalModule } from './temporal/temporal.module';
import { LiveLimits } from './worker/live-limits';
import { TemporalWorkerService } from './worker/temporal-worker.service';

/** The worker process: Temporal workers plus a small health/metrics HTTP surface. */
@Module({})
export class WorkerModule {
  static forRoot(environment: Environment): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ...processInfrastructure(environment, 'worker'),
        HealthModule,
        MetricsModule,
        ResilienceModule,
        TemporalModule,
        ConnectorSnapshotsModule,
        GoverningPolicyModule,
      ],
      providers: [EventsService, JobLedgerService, LiveLimits, TemporalWorkerService, WorkerMetrics, RetentionService, SecretResolver],
    };
  }
}
