import { Module } from '@nestjs/common';
import { RedisService } from '../redis/redis.module';
import { ResilienceStore } from './resilience-store';

@Module({
  providers: [{ provide: ResilienceStore, inject: [RedisService], useFactory: (redis: RedisService) => new ResilienceStore(redis.client) }],
  exports: [ResilienceStore],
})
export class ResilienceModule {}
