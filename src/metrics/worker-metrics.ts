import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import type { ActivityMetrics, BreakerTransition } from '../../activities/ports';
import type { ErrorType, WaitReason } from '../../domain/job';
import { recordBreakerTransition } from './breaker-transitions';

/** Worker-side Prometheus counters, fed by the activities. Labels are bounded: connector id, never job id. */
@Injectable()
export class WorkerMetrics implements ActivityMetrics {
  private readonly attempts = new Counter({
    name: 'orchestrator_attempts_total',
    help: 'Connector calls made, by outcome and, for failures, error type (none for successes)',
    labelNames: ['connector', 'outcome', 'error_type'],
  });
  private readonly denials = new Counter({
    name: 'orchestrator_permit_denials_total',
    help: 'Attempts held back (the job waits) by the breaker, rate limit, concurrency limit or an unreachable Redis, by wait reason',
    labelNames: ['connector', 'reason'],
  });

  attempt(connectorId: string, outcome: 'succeeded' | 'failed', errorType?: ErrorType) {
    this.attempts.inc({ connector: connectorId, outcome, error_type: errorType ?? 'none' });
  }

  permitDenied(connectorId: string, reason: WaitReason) {
    this.denials.inc({ connector: connectorId, reason });
  }

  breakerTransition(connectorId: string, transition: BreakerTransition) {
    recordBreakerTransition(connectorId, transition, 'automatic');
  }
}
