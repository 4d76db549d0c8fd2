import { DynamicModule, Module } from '@nestjs/common';
import { Environment } from './config/environment';
import { processInfrastructure } from './process-infrastructure';
import { ConnectorSnapshotsModule } from './connectors/connector-snapshots.module';
import { GoverningPolicyModule } from './configs/governing-policy';
import { EventStoreModule } from './events/event-store.module';
import { HealthModule } from './health/health.module';
import { JobLedgerService } from './worker/job-ledger.service';
import { JobReconciler } from './worker/job-reconciler.service';
import { MetricsModule } from './metrics/metrics.controller';
import { WorkerMetrics } from './metrics/worker-metrics';
import { ResilienceModule } from './resilience/resilience.module';
import { RetentionModule } from './retention/retention.module';
import { SecretResolverModule } from './secrets/secret-resolver.module';
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
        EventStoreModule,
        SecretResolverModule,
        RetentionModule,
      ],
      // The worker's own adapters; everything else comes from the modules above.
      providers: [JobLedgerService, JobReconciler, LiveLimits, TemporalWorkerService, WorkerMetrics],
    };
  }
}
