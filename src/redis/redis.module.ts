import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { Environment } from '../config/environment';

/** The shared Redis connection (breaker, limiter, leases, event fan-out). Lazy: boot does not wait for Redis. */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  readonly client: Redis;

  constructor(@Inject(Environment) environment: Environment) {
    // Bounded waits: breaker/limiter decisions must fail fast (and fall back per policy) when Redis is away.
    this.client = new Redis(environment.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: 2_000 });
    this.client.on('error', () => undefined); // surfaced through health checks and failing calls instead
  }

  async ping(): Promise<boolean> {
    try {
      if (this.client.status === 'wait') await this.client.connect();
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async onApplicationShutdown() {
    this.client.disconnect();
  }
}

@Global()
@Module({ providers: [RedisService], exports: [RedisService] })
export class RedisModule {}
