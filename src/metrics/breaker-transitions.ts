import { Counter } from 'prom-client';

/**
 * Every breaker transition, automatic (worker) or by an operator (api), in one metric (SPEC §3.4).
 * One instance per process, registered in the default registry that both /metrics endpoints serve.
 */
export const breakerTransitions = new Counter({
  name: 'orchestrator_breaker_transitions_total',
  help: 'Circuit breaker transitions, by new state and by who caused them (automatic or operator)',
  labelNames: ['connector', 'transition', 'trigger'],
});
