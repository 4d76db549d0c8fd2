import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { SSE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { EMPTY, Observable, throwError, timeout } from 'rxjs';
import { Environment } from '../config/environment';
import { AppError } from '../common/app-error';

export const NO_REQUEST_TIMEOUT_KEY = 'orchestrator:no-request-timeout';
/** For handlers that legitimately hold the response open (streams). SSE routes are exempt already. */
export const NoRequestTimeout = () => SetMetadata(NO_REQUEST_TIMEOUT_KEY, true);

/** RFC 7240 `Prefer: wait=N` may hold a response for up to this many seconds (SPEC §4). */
export const MAX_PREFER_WAIT_SECONDS = 60;
const PREFER_WAIT_GRACE_MS = 5_000;

/**
 * The deadline for a request: ORCH_REQUEST_TIMEOUT_MS, or longer when the caller asked to wait
 * (`Prefer: wait=N`, N capped at 60): N s plus a grace, so a long poll ends by its own answer.
 * 0 = no deadline.
 */
export function requestDeadlineMs(baseMs: number, prefer: string | string[] | undefined): number {
  if (baseMs === 0) return 0;
  const header = Array.isArray(prefer) ? prefer.join(',') : (prefer ?? '');
  const wait = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?(?=$|[,;\s])/i.exec(header);
  if (!wait) return baseMs;
  return Math.max(baseMs, Math.min(Number(wait[1]), MAX_PREFER_WAIT_SECONDS) * 1000 + PREFER_WAIT_GRACE_MS);
}

/**
 * Bounds how long a handler may take: past the deadline the caller gets 503 REQUEST_TIMEOUT
 * (problem+json, Retry-After) instead of a hanging connection. The late result is discarded.
 * Event streams (SSE, Accept: text/event-stream) and @NoRequestTimeout() routes are exempt.
 */
@Injectable()
export class RequestTimeoutInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly environment: Environment,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    const targets = [context.getHandler(), context.getClass()];
    const streaming =
      this.reflector.getAllAndOverride<boolean>(SSE_METADATA, targets) ||
      this.reflector.getAllAndOverride<boolean>(NO_REQUEST_TIMEOUT_KEY, targets) ||
      /text\/event-stream/i.test(request.headers.accept ?? '');
    const deadline = streaming ? 0 : requestDeadlineMs(this.environment.ORCH_REQUEST_TIMEOUT_MS, request.headers.prefer);
    if (deadline === 0) return next.handle();
    const timedOut = () =>
      new AppError('REQUEST_TIMEOUT', `The request did not complete within ${deadline} ms; retry later.`, {
        retryAfterSeconds: 5,
      });
    return next.handle().pipe(
      timeout({
        first: deadline,
        // A handler that already started answering (it writes the response itself, e.g. a stream) is left alone.
        with: () => (response.headersSent ? EMPTY : throwError(timedOut)),
      }),
    );
  }
}
