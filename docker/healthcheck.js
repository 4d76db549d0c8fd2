'use strict';
// Container HEALTHCHECK for the orchestrator images (no curl/wget in the slim base image).
//
//   node docker/healthcheck.js api     -> GET http://127.0.0.1:${PORT || CONTROL_PORT || 4000}/health/ready
//   node docker/healthcheck.js worker  -> GET http://127.0.0.1:${WORKER_HEALTH_PORT || 4003}/health/ready
//   node docker/healthcheck.js api /health/live   (optional path override)
//
// Exit 0 on a 2xx answer within 4 s, 1 otherwise. A worker with WORKER_HEALTH_PORT=0 has no
// health server; it is then reported healthy while the process runs.
const role = process.argv[2] === 'worker' ? 'worker' : 'api';
const path = process.argv[3] || '/health/ready';
const env = process.env;
const port = role === 'worker' ? env.WORKER_HEALTH_PORT || '4003' : env.PORT || env.CONTROL_PORT || '4000';

if (port === '0') process.exit(0);

fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(4000) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
