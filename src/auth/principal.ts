import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';

export const ROLES = ['admin', 'operator', 'executor', 'viewer', 'platform-admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, resolved once per request by the AuthGuard; the single source of the tenant. */
export interface Principal {
  tenantId: string;
  subject: string;
  roles: Role[];
  /**
   * Set when a platform-admin impersonates (`x-impersonate-tenant` / `x-impersonate-user`): the real,
   * authenticated identity. `tenantId` and `subject` above are then the impersonated ones.
   */
  impersonator?: { tenantId: string; subject: string };
}

export type Plane = 'control' | 'exec';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
    /** The plane of the route (or of the port, for public routes); labels the request's metrics. */
    plane?: Plane;
  }
}

export const PLANE_KEY = 'orchestrator:plane';
export const PUBLIC_KEY = 'orchestrator:public';
export const PERMISSION_KEY = 'orchestrator:permission';

export type Permission = 'control:read' | 'control:write' | 'control:operate' | 'exec:execute' | 'exec:read' | 'exec:read:tenant' | 'platform:impersonate';

/**
 * What each role may do (SPEC §4): admin writes control, operator reads and steers, executor runs
 * jobs and reads its own (`exec:read` alone); `exec:read:tenant` reads every job of the tenant.
 */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: ['control:read', 'control:write', 'control:operate', 'exec:read', 'exec:read:tenant'],
  operator: ['control:read', 'control:operate', 'exec:read', 'exec:read:tenant'],
  executor: ['exec:execute', 'exec:read'],
  viewer: ['control:read', 'exec:read', 'exec:read:tenant'],
  'platform-admin': ['control:read', 'control:write', 'control:operate', 'exec:execute', 'exec:read', 'exec:read:tenant', 'platform:impersonate'],
};

/** Whose jobs and events a caller reads: the tenant's, or with `submittedBy` only that subject's. */
export interface ReadScope {
  tenantId: string;
  submittedBy?: string;
}

export function readScopeOf(principal: Principal): ReadScope {
  return hasPermission(principal, 'exec:read:tenant') ? { tenantId: principal.tenantId } : { tenantId: principal.tenantId, submittedBy: principal.subject };
}

export function hasPermission(principal: Pick<Principal, 'roles'>, permission: Permission): boolean {
  return principal.roles.some((role) => ROLE_PERMISSIONS[role].includes(permission));
}

/** Which plane (and so which port and JWT audience) a controller belongs to. */
export const ApiPlane = (plane: Plane) => SetMetadata(PLANE_KEY, plane);
/** Reachable on every port without credentials (health, metrics, docs, signed webhooks). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
/** The permission a route needs; the caller needs a role that grants it. */
export const RequirePermission = (permission: Permission) => SetMetadata(PERMISSION_KEY, permission);

export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<Request>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return principal;
});
