import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { catchError, concatMap, finalize, from, Observable, throwError } from 'rxjs';
import { Plane, PLANE_KEY } from '../auth/principal';
import { AppError } from '../common/app-error';
import { AuditOutcome, AuditService } from './audit.service';
import { responseDigest } from './digest';
import { routeOf } from '../common/http-route';
import { codeForStatus } from '../../domain/errors';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What the audit log says about a request: which route and which resource. */
/** The resource a request touched; a create (201 on a route without parameters) names the created resource. */
export function targetOf(request: Request, status: number, body: unknown): string {
  const id = typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined;
  const created = status === 201 && !routeOf(request).includes(':') && (typeof id === 'string' || typeof id === 'number');
  return created ? `${request.path.replace(/\/+$/, '')}/${String(id)}` : request.path;
}

function failure(error: unknown): Pick<AuditOutcome, 'status' | 'errorCode'> {
  if (error instanceof AppError) return { status: error.status, errorCode: error.code };
  if (error instanceof HttpException) return { status: error.getStatus(), errorCode: codeForStatus(error.getStatus()) };
  return { status: 500, errorCode: 'INTERNAL_ERROR' };
}

/**
 * Audits every control-plane write and every impersonated request (any plane, any method), by HTTP
 * method and route, so controllers need nothing. The entry is written before the response leaves
 * (failures included, with their status and error code), holding only digests of the bodies.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    const principal = request.principal;
    if (!principal) return next.handle(); // public routes: health, metrics, signed webhooks
    const plane = this.reflector.getAllAndOverride<Plane | undefined>(PLANE_KEY, [context.getHandler(), context.getClass()]) ?? null;
    const controlWrite = plane === 'control' && !READ_METHODS.has(request.method);
    if (!controlWrite && !principal.impersonator) return next.handle();

    const action = `${request.method} ${routeOf(request)}`;
    let recorded = false;
    const record = (outcome: Omit<AuditOutcome, 'action'>) => {
      recorded = true;
      return this.audit.record(request, principal, plane, { action, ...outcome });
    };
    const successStatus = (): number => {
      if (response.headersSent) return response.statusCode; // the handler answered itself (@Res)
      const declared = Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as number | undefined;
      return declared ?? (response.statusCode !== 200 ? response.statusCode : request.method === 'POST' ? 201 : 200);
    };
    // A handler that writes the response itself (@Res) returns nothing: digest what it sent instead.
    let sent: string | null = null;
    const send = response.send;
    response.send = function (this: Response, body?: unknown) {
      sent ??= responseDigest(body);
      return send.call(this, body);
    } as Response['send'];

    return next.handle().pipe(
      // Streams (SSE) emit many values: the first one records the request, once.
      concatMap(async (value: unknown) => {
        if (!recorded) {
          const status = successStatus();
          await record({ target: targetOf(request, status, value), status, responseDigest: response.headersSent ? sent : responseDigest(value) });
        }
        return value;
      }),
      catchError((error: unknown) =>
        from(recorded ? Promise.resolve() : record({ target: request.path, ...failure(error) })).pipe(concatMap(() => throwError(() => error))),
      ),
      finalize(() => {
        // Ended without a value or error (the client went away, or a stream): still on the record.
        if (recorded) return;
        const answered = response.headersSent;
        void record({ target: request.path, status: answered ? response.statusCode : 499, errorCode: answered ? null : 'CLIENT_CLOSED', responseDigest: sent });
      }),
    );
  }
}
