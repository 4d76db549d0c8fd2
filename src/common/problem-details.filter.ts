import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { codeForStatus } from '../../domain/errors';
import { AppError, FieldError } from './app-error';
import { isDatabaseUnavailable } from './database-unavailable';

/** How long a caller should wait before retrying a request that met a database outage. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  instance: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** The RFC 9457 body of an error: the filter below and the operator console's proxy both answer with it. */
export function problemDocument(appError: AppError, requestId: string, instance: string): ProblemDetails {
  return {
    type: `/problems/${appError.code.toLowerCase().replace(/_/g, '-')}`,
    title: appError.title,
    status: appError.status,
    detail: appError.message,
    code: appError.code,
    requestId,
    instance,
    ...(appError.extra.errors ? { errors: appError.extra.errors } : {}),
    ...appError.extra.extensions,
  };
}

/** The one place where any error becomes an RFC 9457 application/problem+json response. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  /** allowedMethods: the methods a request's path allows, so an unsupported method is 405, not 404. */
  constructor(private readonly allowedMethods: (request: Request) => string[] = () => []) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const appError = this.toAppError(exception, request);
    if (appError.status >= 500 && !(exception instanceof AppError)) {
      // Name, message and stack only: driver errors carry query parameters, which may hold secrets.
      const error = exception instanceof Error ? exception : new Error(String(exception));
      this.logger.error({ err: { type: error.name, message: error.message, stack: error.stack } }, 'unhandled error');
    }
    const problem = problemDocument(appError, String(request.id ?? ''), request.originalUrl ?? request.url);
    for (const [name, value] of Object.entries(appError.extra.headers ?? {})) response.setHeader(name, value);
    if (appError.extra.retryAfterSeconds !== undefined) {
      response.setHeader('Retry-After', String(appError.extra.retryAfterSeconds));
    }
    if (response.headersSent) return;
    response.status(appError.status).type('application/problem+json').send(JSON.stringify(problem));
  }

  private toAppError(exception: unknown, request: Request): AppError {
    const error = this.asAppError(exception);
    // A 404 on a path that other methods serve, but not this one (no route, or a route of the other
    // plane, or `/configs/:version` taking `/configs/activate`): the method is what is wrong.
    const allowed = error.status === 404 ? this.allowedMethods(request) : [];
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      return new AppError('METHOD_NOT_ALLOWED', `${request.method} is not supported on ${request.path}; use ${allowed.join(', ')}.`, { headers: { Allow: allowed.join(', ') } });
    }
    return error;
  }

  private asAppError(exception: unknown): AppError {
    if (exception instanceof AppError) return exception;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message =
        typeof body === 'object' && body && 'message' in body && typeof body.message === 'string'
          ? body.message
          : exception.message;
      // Terminus health failures keep their per-dependency details as a `checks` extension member.
      const details = typeof body === 'object' && body && 'details' in body ? { checks: body.details } : undefined;
      return new AppError(details ? 'NOT_READY' : codeForStatus(status), message, { status, extensions: details });
    }
    // A transaction that could not reach Postgres committed nothing: safe to retry.
    if (isDatabaseUnavailable(exception)) {
      return AppError.dependencyUnavailable('postgres', 'The database is unreachable; retry later.', DATABASE_RETRY_AFTER_SECONDS);
    }
    return new AppError('INTERNAL_ERROR', 'An unexpected error occurred.');
  }
}
