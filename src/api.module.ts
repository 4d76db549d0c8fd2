import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { AuthModule } from './auth/auth.module';
import { JsonBodyMiddleware } from './common/json-body.middleware';
import { LoggingModule } from './common/logging.module';
import { ConfigModule } from './config/config.module';
import { Environment } from './config/environment';
import { ConnectorsModule } from './connectors/connectors.module';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { MetricsModule } from './metrics/metrics.controller';
import { PoliciesModule } from './policies/policies.module';
import { RedisModule } from './redis/redis.module';

/** The api process: control plane and exec plane over one set of services. */
@Module({})
export class ApiModule implements NestModule {
  static forRoot(environment: Environment): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(environment),
        LoggingModule.forRoot('api'),
        DatabaseModule.forRoot('orchestrator-api'),
        RedisModule,
        AuthModule,
        HealthModule,
        MetricsModule,
        PoliciesModule,
        ConnectorsModule,
        JobsModule,
        EventsModule,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer) {
    consumer.apply(JsonBodyMiddleware).forRoutes('*path');
  }
}
