import { collectDefaultMetrics } from 'prom-client';

// Process metrics (CPU, memory, event loop) once per process, whichever module loads first.
collectDefaultMetrics();
