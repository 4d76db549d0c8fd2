import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import type { ActivityMetrics, BreakerTransition } from '../../activities/ports';
import type { WaitReason } from '../../domain/job';
import { breakerTransitions } from './breaker-transitions';

/** Worker-side Prometheus counters, fed by the activities. */
@Injectable()
export class WorkerMetrics implements ActivityMetrics {
  private readonly attempts = new Counter({
    name: 'orchestrator_attempts_total',
    help: 'Connector calls made, by outcome',
    labelNames: ['connector', 'outcome'],
  });
  private readonly denials = new Counter({
    name: 'orchestrator_permit_denials_total',
    help: 'Attempts held back by the breaker, rate limit, concurrency limit or an unreachable Redis',
    labelNames: ['connector', 'reason'],
  });

  attempt(connectorId: string, outcome: 'succeeded' | 'failed') {
    this.attempts.inc({ connector: connectorId, outcome });
  }

  permitDenied(connectorId: string, reason: WaitReason) {
    this.denials.inc({ connector: connectorId, reason });
  }

  breakerTransition(connectorId: string, transition: BreakerTransition) {
    breakerTransitions.inc({ connector: connectorId, transition, trigger: 'automatic' });
  }
}
