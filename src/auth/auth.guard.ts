import { CanActivate, ExecutionContext, HttpStatus, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { trace } from '@opentelemetry/api';
import type { Request, Response } from 'express';
import { AppError } from '../common/app-error';
import { routeOf } from '../common/http-route';
import { Environment } from '../config/environment';
import { impersonate, requestedImpersonation } from './impersonation';
import { PlaneRoutes } from './plane-routes';
import { hasPermission, PERMISSION_KEY, Permission, Plane, PLANE_KEY, Principal, PUBLIC_KEY, ROLES } from './principal';
import { RefusalRecorder } from './refusal-recorder';
import { TokenVerifier } from './token-verifier';

const DEV_PRINCIPAL: Principal = { tenantId: 'dev', subject: 'dev', roles: [...ROLES] };
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Global guard: keeps each plane's routes on its own port, authenticates the caller (or, with
 * AUTH_MODE=disabled, runs as tenant `dev` with every role), applies impersonation for
 * platform-admins and checks the route's permission. Refused impersonation attempts, and refused
 * control-plane writes, are audited here since they never reach the AuditInterceptor.
 */
@Injectable()
export class AuthGuard implements CanActivate, OnModuleInit {
  private readonly logger = new Logger(AuthGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly environment: Environment,
    private readonly verifier: TokenVerifier,
    private readonly refusals: RefusalRecorder,
    private readonly routes: PlaneRoutes,
  ) {}

  onModuleInit() {
    if (this.environment.AUTH_MODE === 'disabled') {
      this.logger.warn('AUTH_MODE=disabled: every request runs as tenant "dev" with all roles. Never use this outside local development.');
    }
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<Request>();
    const plane = this.reflector.getAllAndOverride<Plane | undefined>(PLANE_KEY, targets);
    const portPlane = this.routes.planeOfPort(request.socket.localPort);
    if (plane && portPlane && plane !== portPlane) {
      throw new AppError('ROUTE_NOT_FOUND', `Cannot ${request.method} ${request.path}`);
    }
    request.plane = plane ?? portPlane;
    // The request's server span (common/server-span.ts) says on which plane it was (public routes too), and below whose request.
    if (request.plane) trace.getActiveSpan()?.setAttribute('orchestrator.plane', request.plane);
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    if (!plane) throw new Error(`Route ${request.method} ${request.path} declares neither @ApiPlane nor @Public`);

    let principal = await this.authenticate(request, context.switchToHttp().getResponse<Response>(), plane);

    const requested = requestedImpersonation(request.headers);
    if (requested) {
      try {
        principal = impersonate(principal, requested);
      } catch (error) {
        if (error instanceof AppError && error.status === HttpStatus.FORBIDDEN) {
          await this.refusals.record(request, principal, plane, {
            action: 'impersonation.denied',
            target: request.path,
            status: error.status,
            errorCode: error.code,
            requested,
          });
        }
        throw error;
      }
    }
    request.principal = principal;
    trace.getActiveSpan()?.setAttribute('orchestrator.tenant_id', principal.tenantId);

    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, targets);
    if (permission && !hasPermission(principal, permission)) {
      const error = new AppError('FORBIDDEN', `Your roles do not grant the permission "${permission}".`);
      if ((plane === 'control' && !READ_METHODS.has(request.method)) || principal.impersonator) {
        await this.refusals.record(request, principal, plane, {
          action: `${request.method} ${routeOf(request)}`,
          target: request.path,
          status: error.status,
          errorCode: error.code,
        });
      }
      throw error;
    }
    return true;
  }

  private async authenticate(request: Request, response: Response, plane: Plane): Promise<Principal> {
    if (this.environment.AUTH_MODE === 'disabled') return DEV_PRINCIPAL;
    try {
      return await this.verifier.verify(request.headers.authorization, plane);
    } catch (error) {
      if (error instanceof AppError && error.status === HttpStatus.UNAUTHORIZED) {
        // RFC 6750 §3: the scheme expected, and whether a token was sent but refused.
        const invalid = request.headers.authorization ? ', error="invalid_token"' : '';
        response.setHeader('WWW-Authenticate', `Bearer realm="orchestrator-${plane}"${invalid}`);
      }
      throw error;
    }
  }

  /** undefined when one PORT serves both planes. */
}
