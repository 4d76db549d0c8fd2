import 'reflect-metadata';
import { loadEnvironmentOrExit } from './config/environment';
import { startTracing } from './telemetry/tracing';

// Tracing starts before the rest of the process loads: the Postgres and Redis clients are
// instrumented as they are first required, so everything that uses them is imported after.
const environment = loadEnvironmentOrExit();
startTracing(environment, 'orchestrator-worker');
void import('./worker-process').then(({ runWorker }) => runWorker(environment));
