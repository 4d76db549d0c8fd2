import { Counter, Gauge } from 'prom-client';
import type { BreakerTransition } from '../../activities/ports';

/**
 * Every breaker transition, automatic (worker) or by an operator (api), in one metric (SPEC §3.4).
 * One instance per process, registered in the default registry that both /metrics endpoints serve.
 */
export const breakerTransitions = new Counter({
  name: 'orchestrator_breaker_transitions_total',
  help: 'Circuit breaker transitions, by new state and by who caused them (automatic or operator)',
  labelNames: ['connector', 'transition', 'trigger'],
});

/** resilience4j-style: one series per state, 1 for the state this process last saw the breaker enter. */
const breakerState = new Gauge({
  name: 'orchestrator_breaker_state',
  help: 'Circuit breaker state per connector as this process last saw it change (1 = current state)',
  labelNames: ['connector', 'state'],
});

const STATE_AFTER: Record<BreakerTransition, 'open' | 'half_open' | 'closed'> = { opened: 'open', half_opened: 'half_open', closed: 'closed' };

export function recordBreakerTransition(connector: string, transition: BreakerTransition, trigger: 'automatic' | 'operator') {
  breakerTransitions.inc({ connector, transition, trigger });
  for (const state of Object.values(STATE_AFTER)) breakerState.set({ connector, state }, state === STATE_AFTER[transition] ? 1 : 0);
}
