import type Redis from 'ioredis';
import type { AcquireResult, BreakerTransition, CallVerdict, ReportResult, ResiliencePort } from '../../activities/ports';
import type { PermitDecision } from '../../domain/execution';
import type { WaitReason } from '../../domain/job';
import type { ResilienceLimits } from '../../domain/policy';
import { ACQUIRE, CONNECTOR_KEYS, FORCE, LEASES, LEAVE, RENEW, REPORT, SNAPSHOT } from './resilience.scripts';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface LimiterSnapshot {
  breaker: { state: BreakerState; openUntil: string | null; windowCalls: number; windowFailures: number; probesInFlight: number };
  rateLimit: { permitsPerSecond: number; burst: number; available: number; nextPermitInMs: number } | null;
  concurrency: { maxInFlight: number; inFlight: number } | null;
}

/**
 * How long a reserved rate slot stays its job's after it is due: room for the wake-up's own latency
 * on a loaded worker (the limit holds however late, see ACQUIRE). A job later than this — or gone —
 * asks again at the back.
 */
export const RESERVED_SLOT_LATENESS_MS = 10_000;
/** How long a turn handed to a queued waiter keeps its slot: the wake-up's own latency, as for a reserved rate slot. */
export const TURN_MS = RESERVED_SLOT_LATENESS_MS;

/** The connector's keys, in the order of the scripts' KEYS (resilience.scripts.ts). */
export function connectorKeys(connectorId: string, prefix = 'orch:connector'): string[] {
  const tag = `${prefix}:{${connectorId}}`;
  return CONNECTOR_KEYS.map((name) => `${tag}:${name}`);
}
const keys = (connectorId: string) => connectorKeys(connectorId);

/** The commands `defineCommand` adds for our scripts. */
interface ScriptedRedis {
  orchAcquire(...args: (string | number)[]): Promise<[number, string, number, string, number, string[], number]>;
  orchRenew(...args: (string | number)[]): Promise<number>;
  orchReport(...args: (string | number)[]): Promise<[string, string[]]>;
  orchLeave(...args: (string | number)[]): Promise<string[]>;
  orchForce(...args: (string | number)[]): Promise<[string, string[]]>;
  orchSnapshot(...args: (string | number)[]): Promise<[string, number, number, number, number, number, number, number]>;
  orchLeases(...args: string[]): Promise<number>;
}

/** The shared circuit breaker, rate limiter and concurrency leases of every connector. */
export class ResilienceStore implements ResiliencePort {
  private readonly redis: ScriptedRedis;

  constructor(client: Redis) {
    const scripts = { orchAcquire: ACQUIRE, orchRenew: RENEW, orchReport: REPORT, orchLeave: LEAVE, orchForce: FORCE, orchSnapshot: SNAPSHOT, orchLeases: LEASES };
    for (const [name, lua] of Object.entries(scripts)) {
      if (!(name in client)) client.defineCommand(name, { numberOfKeys: CONNECTOR_KEYS.length, lua });
    }
    this.redis = client as unknown as ScriptedRedis;
  }

  /**
   * A permit now, or how long to wait. With a `waiter` (the job), a rate-limited wait reserves the
   * job's slot, and `retryAfterMs` is exactly when it is due; a job held back by concurrency or
   * half-open probes joins the connector's queue and sleeps `queuedSleepMs` unless woken (see
   * ACQUIRE). `woken`: jobs this call handed a turn, to be signalled. `insidePollMs` (0: it
   * cannot): how often the waiter can ask while waiting inside its attempt — a waiter near the
   * queue's head is then told to (`waitInside`), so that a freed slot is not left idle for a
   * wake-up's latency.
   */
  async acquire(
    connectorId: string,
    limits: ResilienceLimits,
    token: string,
    slotTtlMs: number,
    queuedSleepMs: number,
    waiter?: { jobId: string; tenantId: string },
    insidePollMs = 0,
  ): Promise<AcquireResult> {
    const breaker = limits.circuitBreaker;
    const [granted, reason, retryAfterMs, transition, probe, woken, waitInside] = await this.redis.orchAcquire(
      ...keys(connectorId),
      breaker.enabled ? 1 : 0,
      breaker.halfOpenMaxCalls,
      limits.rateLimit?.permitsPerSecond ?? 0,
      limits.rateLimit?.burst ?? 0,
      limits.concurrency?.maxInFlight ?? 0,
      slotTtlMs,
      token,
      queuedSleepMs,
      waiter?.jobId ?? '',
      RESERVED_SLOT_LATENESS_MS,
      waiter?.tenantId ?? '',
      '', // Redis' own clock
      insidePollMs,
    );
    const decision: PermitDecision = granted
      ? { granted: true, token, probe: probe === 1 }
      : { granted: false, reason: reason as WaitReason, retryAfterMs: Number(retryAfterMs), waitInside: waitInside === 1 };
    return { decision, transition: (transition || undefined) as BreakerTransition | undefined, woken };
  }

  /** Extends the call's slots; returns how many it still held (0: they had expired). */
  async renew(connectorId: string, token: string, slotTtlMs: number): Promise<number> {
    return Number(await this.redis.orchRenew(...keys(connectorId), token, slotTtlMs));
  }

  /** Frees the call's slots and feeds the breaker: the transition it caused, if any, and the jobs to wake. */
  async report(connectorId: string, limits: ResilienceLimits, token: string, probe: boolean, verdict: CallVerdict): Promise<ReportResult> {
    const breaker = limits.circuitBreaker;
    const [transition, woken] = await this.redis.orchReport(
      ...keys(connectorId),
      breaker.enabled ? 1 : 0,
      verdict,
      token,
      probe ? 1 : 0,
      breaker.windowMs,
      breaker.minimumCalls,
      breaker.failureRateThreshold,
      breaker.openMs,
      limits.concurrency?.maxInFlight ?? 0,
      breaker.halfOpenMaxCalls,
      TURN_MS,
    );
    return { transition: (transition || undefined) as BreakerTransition | undefined, woken };
  }

  /** A job that ended leaves the connector's queue (and hands on a turn it held): the jobs to wake. */
  async leave(connectorId: string, limits: ResilienceLimits, jobId: string): Promise<string[]> {
    const breaker = limits.circuitBreaker;
    return this.redis.orchLeave(...keys(connectorId), jobId, breaker.enabled ? 1 : 0, limits.concurrency?.maxInFlight ?? 0, breaker.halfOpenMaxCalls, TURN_MS);
  }

  /** Operator override: `reset` closes and clears the window, `open` opens for `openMs`. */
  async force(connectorId: string, action: 'reset' | 'open', limits: ResilienceLimits): Promise<ReportResult> {
    const [transition, woken] = await this.redis.orchForce(
      ...keys(connectorId),
      action,
      limits.circuitBreaker.openMs,
      limits.concurrency?.maxInFlight ?? 0,
      limits.circuitBreaker.halfOpenMaxCalls,
      TURN_MS,
    );
    return { transition: (transition || undefined) as BreakerTransition | undefined, woken };
  }

  /** Concurrency leases each connector holds now (0 for one without a limit or a call in flight). */
  async leasesHeld(connectorIds: readonly string[]): Promise<number[]> {
    return Promise.all(connectorIds.map(async (connectorId) => Number(await this.redis.orchLeases(...keys(connectorId)))));
  }

  async snapshot(connectorId: string, limits: ResilienceLimits): Promise<LimiterSnapshot> {
    const [state, openUntil, calls, failures, rateAvailable, leases, probes, nextPermitInMs] = await this.redis.orchSnapshot(
      ...keys(connectorId),
      limits.circuitBreaker.windowMs,
      limits.rateLimit?.permitsPerSecond ?? 0,
      limits.rateLimit?.burst ?? 0,
    );
    const rate = limits.rateLimit;
    return {
      breaker: {
        state: state as BreakerState,
        openUntil: Number(openUntil) > 0 && state === 'open' ? new Date(Number(openUntil)).toISOString() : null,
        windowCalls: Number(calls),
        windowFailures: Number(failures),
        probesInFlight: Number(probes),
      },
      rateLimit: rate ? { ...rate, available: Number(rateAvailable), nextPermitInMs: Number(nextPermitInMs) } : null,
      concurrency: limits.concurrency ? { maxInFlight: limits.concurrency.maxInFlight, inFlight: Number(leases) } : null,
    };
  }
}
