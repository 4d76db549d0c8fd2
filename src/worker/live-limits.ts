import { Injectable } from '@nestjs/common';
import type { LimitsSource } from '../../activities/ports';
import type { JobSpec } from '../../domain/job';
import { resilienceLimits, type ResilienceLimits } from '../../domain/policy';
import { GoverningPolicy } from '../configs/governing-policy';
import { ConnectorSnapshots } from '../connectors/connector-snapshots.module';

/** A change of a connector's limits reaches every worker within this time. */
export const LIVE_LIMITS_CACHE_MS = 2_000;
const MAX_CACHED = 10_000;

/**
 * The connector's live limits for every attempt, running jobs included (SPEC §3.10): read from the
 * policy that governs the connector now, cached briefly per connector. A storage error propagates
 * (the attempt is retried as a platform fault; no limits are guessed).
 */
@Injectable()
export class LiveLimits implements LimitsSource {
  private readonly cache = new Map<string, { limits: ResilienceLimits; until: number }>();

  constructor(
    private readonly connectors: ConnectorSnapshots,
    private readonly governing: GoverningPolicy,
  ) {}

  async forJob(job: Pick<JobSpec, 'tenantId' | 'connectorId'>): Promise<ResilienceLimits> {
    const key = `${job.tenantId}/${job.connectorId}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) return cached.limits;
    const connector = await this.connectors.find(job.tenantId, job.connectorId);
    const { pinned } = await this.governing.of(job.tenantId, { id: job.connectorId, policyId: connector?.policyId ?? null });
    const limits = resilienceLimits(pinned.document);
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(key, { limits, until: Date.now() + LIVE_LIMITS_CACHE_MS });
    return limits;
  }
}
