import { Injectable, Logger, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import { Environment } from '../config/environment';
import { RedisService } from '../redis/redis.module';
import { GCRA_SCRIPT, type GcraReply, toGcraReply } from '../resilience/gcra';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a request would be admitted (0 when admitted). */
  retryAfterSeconds: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
}

/** IETF httpapi RateLimit header fields (draft: RateLimit-Limit/-Remaining/-Reset and RateLimit-Policy). */
export function rateLimitHeaders(decision: RateDecision, limit: TenantLimit): Record<string, string> {
  return {
    'RateLimit-Limit': String(decision.limit),
    'RateLimit-Remaining': String(decision.remaining),
    'RateLimit-Reset': String(decision.resetSeconds),
    'RateLimit-Policy': `${limit.rate};w=1;burst=${decision.limit}`,
  };
}

export function toDecision(reply: GcraReply, capacity: number): RateDecision {
  return {
    allowed: reply.allowed,
    limit: capacity,
    remaining: Math.max(0, reply.remaining),
    retryAfterSeconds: reply.allowed ? 0 : Math.max(1, Math.ceil(reply.retryAfterMs / 1000)),
    resetSeconds: Math.max(0, Math.ceil(reply.resetMs / 1000)),
  };
}

interface ScriptedRedis {
  orchGcra(key: string, permitsPerSecond: number, burst: number): Promise<[number, number, number, number]>;
}

export interface TenantLimit {
  /** Steady requests per second. */
  rate: number;
  /** Extra requests allowed at once above the steady rate: the bucket holds rate + burst. */
  burst: number;
}

/**
 * How many requests may arrive at once after a quiet spell: one second's worth plus the burst (at
 * least one). The limit is the platform's one GCRA (src/resilience/gcra.ts) with burst capacity − 1,
 * the exact equivalent of a token bucket of this capacity.
 */
export function bucketCapacity(limit: TenantLimit): number {
  return Math.max(1, Math.floor(limit.rate + limit.burst));
}

/** Where a tenant's own limit comes from: the `apiRateLimit` of its active config (SPEC §5). */
export abstract class TenantLimitSource {
  abstract limitFor(tenantId: string): Promise<TenantLimit | null>;
}

const LIMIT_CACHE_MS = 2_000;

/**
 * The per-tenant API request limit: the tenant's active config `apiRateLimit` when it sets one,
 * else ORCH_TENANT_RATE_LIMIT_PER_SECOND + ORCH_TENANT_RATE_LIMIT_BURST (rate 0 = no limit).
 * Config changes reach every api process within a couple of seconds (in-process cache).
 */
@Injectable()
export class TenantRateLimiter {
  private readonly logger = new Logger(TenantRateLimiter.name);
  private readonly client: Redis;
  private readonly cache = new Map<string, { limit: TenantLimit; until: number }>();
  private lastWarning = 0;

  constructor(
    private readonly environment: Environment,
    redis: RedisService,
    @Optional() private readonly source?: TenantLimitSource,
  ) {
    this.client = redis.client;
    if (!('orchGcra' in this.client)) this.client.defineCommand('orchGcra', { numberOfKeys: 1, lua: GCRA_SCRIPT });
  }

  get defaultLimit(): TenantLimit {
    return { rate: this.environment.ORCH_TENANT_RATE_LIMIT_PER_SECOND, burst: this.environment.ORCH_TENANT_RATE_LIMIT_BURST };
  }

  async limitFor(tenantId: string): Promise<TenantLimit> {
    const cached = this.cache.get(tenantId);
    if (cached && cached.until > Date.now()) return cached.limit;
    let limit = this.defaultLimit;
    try {
      limit = (await this.source?.limitFor(tenantId)) ?? limit;
    } catch {
      // the database is away: the deployment default applies meanwhile
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(tenantId, { limit, until: Date.now() + LIMIT_CACHE_MS });
    return limit;
  }

  /**
   * Takes one token from the tenant's bucket; undefined when no limit applies. Fails open while
   * Redis is unreachable: the limit protects the platform, and refusing all traffic because Redis
   * is away would be worse.
   */
  async take(tenantId: string): Promise<{ decision: RateDecision; limit: TenantLimit } | undefined> {
    const limit = await this.limitFor(tenantId);
    if (!(limit.rate > 0)) return undefined;
    // Do not queue behind a reconnecting client: answer at once without a decision.
    if (this.client.status !== 'ready' && this.client.status !== 'wait' && this.client.status !== 'connecting') return undefined;
    const capacity = bucketCapacity(limit);
    try {
      const reply = await (this.client as unknown as ScriptedRedis).orchGcra(`orch:ratelimit:tenant:{${tenantId}}:gcra`, limit.rate, capacity - 1);
      return { decision: toDecision(toGcraReply(reply), capacity), limit };
    } catch (error) {
      if (Date.now() - this.lastWarning > 10_000) {
        this.lastWarning = Date.now();
        this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'tenant rate limit unavailable (Redis); admitting requests');
      }
      return undefined;
    }
  }
}
