import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AuditInterceptor } from './audit/audit.interceptor';
import { AuditModule } from './audit/audit.module';
import { AuthGuard } from './auth/auth.guard';
import { AuthModule } from './auth/auth.module';
import { EdgeLimitsModule } from './edge-limits/edge-limits.module';
import { TenantRateLimitGuard } from './edge-limits/rate-limit.guard';
import { RequestTimeoutInterceptor } from './edge-limits/request-timeout.interceptor';
import { JsonBodyMiddleware } from './common/json-body.middleware';
import { Environment } from './config/environment';
import { processInfrastructure } from './process-infrastructure';
import { ConfigsModule } from './configs/configs.module';
import { ConnectorsModule } from './connectors/connectors.module';
import { DlqModule } from './jobs/dlq/dlq.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { ApiMetricsModule } from './metrics/api-metrics-server';
import { PoliciesModule } from './policies/policies.module';
import { SecretsModule } from './secrets/secrets.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/** The api process: control plane and exec plane over one set of services. */
@Module({})
export class ApiModule implements NestModule {
  static forRoot(environment: Environment): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ...processInfrastructure(environment, 'api'),
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
      // The request pipeline, in the order it runs (Nest runs global guards and interceptors in
      // registration order): who is calling, then their rate; the audit log wraps the timeout so
      // it records a timed-out request's 503.
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: TenantRateLimitGuard },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
        { provide: APP_INTERCEPTOR, useClass: RequestTimeoutInterceptor },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer) {
    consumer.apply(JsonBodyMiddleware).forRoutes('*path');
  }
}
