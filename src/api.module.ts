import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { EdgeLimitsModule } from './common/edge-limits.module';
import { JsonBodyMiddleware } from './common/json-body.middleware';
import { LoggingModule } from './common/logging.module';
import { EnvironmentModule } from './config/environment.module';
import { Environment } from './config/environment';
import { ConfigsModule } from './configs/configs.module';
import { ConnectorsModule } from './connectors/connectors.module';
import { DlqModule } from './dlq/dlq.module';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { ApiMetricsModule } from './metrics/api-metrics-server';
import { PoliciesModule } from './policies/policies.module';
import { RedisModule } from './redis/redis.module';
import { SecretsModule } from './secrets/secrets.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/** The api process: control plane and exec plane over one set of services. */
@Module({})
export class ApiModule implements NestModule {
  static forRoot(environment: Environment): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        EnvironmentModule.forRoot(environment),
        LoggingModule.forRoot('api'),
        DatabaseModule.forRoot('orchestrator-api'),
        RedisModule,
        // Order matters: AuthGuard before the tenant rate limit guard; the audit interceptor wraps the timeout.
        AuthModule,
        AuditModule,
        EdgeLimitsModule,
        HealthModule,
        ApiMetricsModule,
        PoliciesModule,
        ConnectorsModule,
        SecretsModule,
        WebhooksModule,
        ConfigsModule,
        JobsModule,
        DlqModule,
        EventsModule,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer) {
    consumer.apply(JsonBodyMiddleware).forRoutes('*path');
  }
}
