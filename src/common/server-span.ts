import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { isTracing, tracer } from '../telemetry/tracing';
import { routeOf } from './http-route';

/**
 * The api's server span, one per request, continuing an incoming `traceparent`. Named by the route
 * template once routing is done (never the raw path: ids would make names unbounded).
 */
export function serverSpanMiddleware(request: Request, response: Response, next: NextFunction): void {
  if (!isTracing()) return next();
  const parent = propagation.extract(context.active(), request.headers);
  const span = tracer().startSpan(`${request.method}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method } }, parent);
  const active = trace.setSpan(parent, span);
  // Body parsing resumes on the request stream's events: bind them, or the handler loses the span.
  context.bind(active, request);
  context.bind(active, response);
  response.once('close', () => endServerSpan(span, request, response));
  context.with(active, next);
}

function endServerSpan(span: Span, request: Request, response: Response) {
  span.setAttribute('http.response.status_code', response.statusCode);
  if (request.route) {
    const route = routeOf(request);
    span.updateName(`${request.method} ${route}`);
    span.setAttribute('http.route', route);
  }
  if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
