import { Injectable, Logger, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import { Environment } from '../config/environment';
import { RedisService } from '../redis/redis.module';

/**
 * A token bucket per tenant, in Redis so every api replica shares it: ARGV[2] (capacity) tokens at most,
 * refilled at `rate` per second from Redis' own clock. One request takes one token.
 * Returns { allowed, tokens left (string, fractional), ms until one token, ms until full }.
 */
export const TENANT_BUCKET_LUA = `
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate / 1000)
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.min(86400000, math.ceil(capacity * 1000 / rate) + 1000))
return { allowed, tostring(tokens), retry, math.ceil((capacity - tokens) * 1000 / rate) }
`;

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

export function toDecision(reply: [number, string, number, number], capacity: number): RateDecision {
  const [allowed, tokens, retryMs, fullMs] = reply;
  return {
    allowed: allowed === 1,
    limit: capacity,
    remaining: Math.max(0, Math.floor(Number(tokens))),
    retryAfterSeconds: allowed === 1 ? 0 : Math.max(1, Math.ceil(retryMs / 1000)),
    resetSeconds: Math.max(0, Math.ceil(fullMs / 1000)),
  };
}

interface ScriptedRedis {
  orchTenantBucket(key: string, rate: number, capacity: number): Promise<[number, string, number, number]>;
}

export interface TenantLimit {
  /** Steady requests per second. */
  rate: number;
  /** Extra requests allowed at once above the steady rate: the bucket holds rate + burst. */
  burst: number;
}

/** Bucket capacity for a limit: one second's worth plus the burst (at least one request). */
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
    if (!('orchTenantBucket' in this.client)) this.client.defineCommand('orchTenantBucket', { numberOfKeys: 1, lua: TENANT_BUCKET_LUA });
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
      const reply = await (this.client as unknown as ScriptedRedis).orchTenantBucket(`orch:ratelimit:tenant:{${tenantId}}`, limit.rate, capacity);
      return { decision: toDecision(reply, capacity), limit };
    } catch (error) {
      if (Date.now() - this.lastWarning > 10_000) {
        this.lastWarning = Date.now();
        this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'tenant rate limit unavailable (Redis); admitting requests');
      }
      return undefined;
    }
  }
}
