import type { DynamicModule, Type } from '@nestjs/common';
import { LoggingModule } from './common/logging.module';
import { EnvironmentModule } from './config/environment.module';
import { Environment } from './config/environment';
import { DatabaseModule } from './database/database.module';
import { ENTITIES } from './entities';
import { PayloadStoreModule } from './payload-store/payload-store.service';
import { RedisModule } from './redis/redis.module';
import { TracingModule } from './telemetry/tracing';

/** What both processes (api and worker) stand on: validated config, logs, Postgres, Redis, the payload store and the trace flush at shutdown. */
export function processInfrastructure(environment: Environment, process: 'api' | 'worker'): (DynamicModule | Type)[] {
  return [EnvironmentModule.forRoot(environment), LoggingModule.forRoot(process), DatabaseModule.forRoot(`orchestrator-${process}`, ENTITIES), RedisModule, PayloadStoreModule, TracingModule];
}
