#!/usr/bin/env node
// Load balancer of the native prod-like run (scripts/prodlike.sh, PRODLIKE_PROXY=node, the
// default): one loopback port per plane, each spread round-robin over every api process — the
// part a Kubernetes Service/Ingress plays for the Helm chart. Node built-ins only; no build step.
//
//   node deploy/prodlike/proxy.mjs CONFIG.json
//   CONFIG: { "planes": [{ "name": "exec", "port": 8001, "backends": [{ "api": "api-1", "port": 4001 }] }],
//             "apis": { "api-1": "http://127.0.0.1:4000/health/ready" }, "accessLog": "/path/proxy-access.log" }
//
// Routing follows readiness, like Kubernetes endpoints: every api's GET /health/ready is polled
// every 250 ms and an api that answers anything but 200 (draining after SIGTERM, a dependency
// down, not started) gets no new requests. That is what lets the api's drain
// (ORCH_SHUTDOWN_DRAIN_SECONDS) work: by the time it stops accepting, nothing is sent to it.
// Failover is also passive (for what readiness has not caught yet):
//   - a request that never reached an api (connection refused) goes to the next one, POST included:
//     nothing was started, so nothing can be started twice;
//   - idempotent requests (not POST/PATCH) are also resent after a reset, a timeout or a 502/503,
//     and so is POST /execute with an Idempotency-Key (the key makes a resend return the same job);
//   - any other POST/PATCH that reached an api is not resent: the api may have acted on it.
import fs from 'node:fs';
import http from 'node:http';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const HEALTH_INTERVAL_MS = 250;
const MAX_TRIES = 3;
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** Errors raised before a request could reach the api. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

const log = fs.createWriteStream(config.accessLog, { flags: 'a' });
const note = (line) => log.write(`${new Date().toISOString()} ${line}\n`);
// Idle upstream connections are dropped after 2 s (the api closes its own after 5 s), so the proxy
// never sends on a connection the api is closing.
const agent = new http.Agent({ keepAlive: true, timeout: 2_000, maxSockets: 256 });

// ---- readiness ---------------------------------------------------------------------------------
const ready = new Map(Object.keys(config.apis).map((api) => [api, false]));
function check(api) {
  const request = http.get(config.apis[api], { timeout: 1_000 }, (response) => {
    response.resume();
    setReady(api, response.statusCode === 200, `HTTP ${response.statusCode}`);
  });
  request.on('timeout', () => request.destroy(new Error('timeout')));
  request.on('error', (error) => setReady(api, false, error.code ?? error.message));
}
function setReady(api, isReady, detail) {
  if (ready.get(api) !== isReady) note(`health ${api} ${isReady ? 'ready' : `not ready (${detail})`}`);
  ready.set(api, isReady);
}
setInterval(() => Object.keys(config.apis).forEach(check), HEALTH_INTERVAL_MS);
Object.keys(config.apis).forEach(check);

// ---- routing -----------------------------------------------------------------------------------
/** Next backend round-robin: ready ones first; when none is ready, any (the checks may lag). */
function pick(plane, tried) {
  const untried = plane.backends.filter((backend) => !tried.includes(backend));
  const candidates = untried.some((backend) => ready.get(backend.api)) ? untried.filter((backend) => ready.get(backend.api)) : untried;
  if (candidates.length === 0) return undefined;
  plane.next = ((plane.next ?? -1) + 1) % plane.backends.length;
  for (let i = 0; i < plane.backends.length; i++) {
    const backend = plane.backends[(plane.next + i) % plane.backends.length];
    if (candidates.includes(backend)) return backend;
  }
  return candidates[0];
}

function forward(backend, request, body, headers) {
  return new Promise((resolve) => {
    const upstream = http.request(
      { host: '127.0.0.1', port: backend.port, method: request.method, path: request.url, headers, agent, timeout: 300_000 },
      (response) => resolve({ response, upstream }),
    );
    upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('upstream timeout'), { code: 'ETIMEDOUT' })));
    upstream.on('error', (error) => resolve({ error, upstream }));
    upstream.end(body);
  });
}

async function handle(plane, request, response) {
  const started = Date.now();
  const chunks = [];
  let size = 0;
  for await (const chunk of request) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      response.writeHead(413, { 'content-type': 'text/plain' }).end('request body too large\n');
      return;
    }
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
  headers['content-length'] = String(body.length);
  headers['x-forwarded-for'] = request.socket.remoteAddress;
  headers['x-forwarded-proto'] = 'http';
  const path = request.url.split('?')[0];
  const resendable = !['POST', 'PATCH'].includes(request.method) || (path === '/execute' && Boolean(request.headers['idempotency-key']));

  const tried = [];
  const outcomes = [];
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const backend = pick(plane, tried);
    if (!backend) break;
    tried.push(backend);
    const { response: upstreamResponse, error, upstream } = await forward(backend, request, body, headers);
    if (error) {
      outcomes.push(`${backend.api}:${error.code ?? error.message}`);
      if (NOT_SENT.has(error.code) || resendable) continue;
      break;
    }
    const status = upstreamResponse.statusCode;
    if ((status === 502 || status === 503) && resendable && attempt + 1 < MAX_TRIES && tried.length < plane.backends.length) {
      outcomes.push(`${backend.api}:${status}`);
      upstreamResponse.resume();
      continue;
    }
    outcomes.push(`${backend.api}:${status}`);
    const responseHeaders = Object.fromEntries(Object.entries(upstreamResponse.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
    response.writeHead(status, responseHeaders);
    response.flushHeaders();
    upstreamResponse.pipe(response);
    response.on('close', () => upstream.destroy());
    // An api that cuts a response (an event stream at shutdown) cuts it for the client too.
    upstreamResponse.on('close', () => {
      if (!upstreamResponse.complete) response.destroy();
    });
    upstreamResponse.on('end', () => note(`${plane.name} ${request.method} ${request.url} ${status} via ${outcomes.join(',')} ${Date.now() - started}ms`));
    return;
  }
  note(`${plane.name} ${request.method} ${request.url} 502 via ${outcomes.join(',') || 'none'} ${Date.now() - started}ms`);
  response.writeHead(502, { 'content-type': 'text/plain' }).end('no api could take the request\n');
}

const servers = config.planes.map((plane) =>
  http
    .createServer((request, response) => {
      handle(plane, request, response).catch((error) => {
        note(`${plane.name} ${request.method} ${request.url} error ${error.stack}`);
        if (!response.headersSent) response.writeHead(502).end();
        else response.destroy();
      });
    })
    .listen(plane.port, '127.0.0.1'),
);
note(`listening: ${config.planes.map((plane) => `${plane.name} :${plane.port}`).join(', ')}`);

process.on('SIGTERM', () => {
  servers.forEach((server) => server.close());
  setTimeout(() => process.exit(0), 1_000).unref();
});
