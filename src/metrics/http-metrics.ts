import type { NextFunction, Request, Response } from 'express';
import { Histogram } from 'prom-client';
import { routeOf } from '../common/http-route';

/** HTTP server RED metrics per route template (never the raw path), plane, method and status; buckets from 1 ms. */
const requestDuration = new Histogram({
  name: 'http_server_request_duration_seconds',
  help: 'api request duration, by route template, plane, method and status',
  labelNames: ['route', 'plane', 'method', 'status'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

export function httpMetricsMiddleware(request: Request, response: Response, next: NextFunction): void {
  const end = requestDuration.startTimer();
  response.once('close', () =>
    end({ route: request.route ? routeOf(request) : 'unmatched', plane: request.plane ?? 'none', method: request.method, status: String(response.statusCode) }),
  );
  next();
}
