import { CanActivate, ExecutionContext, HttpStatus, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppError } from '../common/app-error';
import { Environment } from '../config/environment';
import { PERMISSION_KEY, Permission, Plane, PLANE_KEY, Principal, PUBLIC_KEY, ROLE_PERMISSIONS, ROLES } from './principal';
import { TokenVerifier } from './token-verifier';

const DEV_PRINCIPAL: Principal = { tenantId: 'dev', subject: 'dev', roles: [...ROLES] };

/**
 * Global guard: keeps each plane's routes on its own port, authenticates the caller (or, with
 * AUTH_MODE=disabled, runs as tenant `dev` with every role) and checks the route's permission.
 */
@Injectable()
export class AuthGuard implements CanActivate, OnModuleInit {
  private readonly logger = new Logger(AuthGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly environment: Environment,
    private readonly verifier: TokenVerifier,
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
    const portPlane = this.planeOfPort(request.socket.localPort);
    if (plane && portPlane && plane !== portPlane) {
      throw new AppError('ROUTE_NOT_FOUND', HttpStatus.NOT_FOUND, `Cannot ${request.method} ${request.path}`);
    }
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    if (!plane) throw new Error(`Route ${request.method} ${request.path} declares neither @ApiPlane nor @Public`);

    const principal =
      this.environment.AUTH_MODE === 'disabled' ? DEV_PRINCIPAL : await this.verifier.verify(request.headers.authorization, plane);
    request.principal = principal;

    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, targets);
    if (permission && !principal.roles.some((role) => ROLE_PERMISSIONS[role].includes(permission))) {
      throw new AppError('FORBIDDEN', HttpStatus.FORBIDDEN, `Your roles do not grant the permission "${permission}".`);
    }
    return true;
  }

  /** undefined when one PORT serves both planes. */
  private planeOfPort(port: number | undefined): Plane | undefined {
    if (this.environment.PORT !== undefined) return undefined;
    if (port === this.environment.CONTROL_PORT) return 'control';
    if (port === this.environment.EXEC_PORT) return 'exec';
    return undefined;
  }
}
