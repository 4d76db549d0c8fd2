
import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '../common/app-error';
import { hasPermission, Principal } from './principal';

export const IMPERSONATE_TENANT_HEADER = 'x-impersonate-tenant';
export const IMPERSONATE_USER_HEADER = 'x-impersonate-user';

const TENANT_ID = /^[\w.-]{1,64}$/;
const SUBJECT = /^[\x21-\x7e]{1,255}$/; // printable ASCII, no spaces or control characters

export interface ImpersonationRequest {
  tenantId: string | null;
  subject: string | null;
}

/** What the caller asked to be, or undefined when neither header is present. */
export function requestedImpersonation(headers: IncomingHttpHeaders): ImpersonationRequest | undefined {
  const tenant = headers[IMPERSONATE_TENANT_HEADER];
  const user = headers[IMPERSONATE_USER_HEADER];
  if (tenant === undefined && user === undefined) return undefined;
  const one = (value: string | string[] | undefined) => (value === undefined ? null : Array.isArray(value) ? value.join(',') : value.trim());
  return { tenantId: one(tenant), subject: one(user) };
}

/**
 * The principal a request acts as. Only a role granting `platform:impersonate` (platform-admin) may
 * act as another tenant and/or user; it keeps its own roles and is remembered as `impersonator`.
 * Throws 403 for anyone else (the caller audits that) and 400 for malformed header values.
 */
export function impersonate(principal: Principal, requested: ImpersonationRequest): Principal {
  if (!hasPermission(principal, 'platform:impersonate')) {
    throw new AppError('FORBIDDEN', 'Impersonation needs the permission "platform:impersonate" (role platform-admin).');
  }
  const errors = [];
  if (requested.tenantId !== null && !TENANT_ID.test(requested.tenantId)) {
    errors.push({ field: IMPERSONATE_TENANT_HEADER, message: 'must be a tenant id (1-64 letters, digits, "_", "." or "-")' });
  }
  if (requested.subject !== null && !SUBJECT.test(requested.subject)) {
    errors.push({ field: IMPERSONATE_USER_HEADER, message: 'must be 1-255 printable characters without spaces' });
  }
  if (errors.length > 0) throw AppError.validation(errors, 'The impersonation headers are invalid.');
  return {
    tenantId: requested.tenantId ?? principal.tenantId,
    subject: requested.subject ?? principal.subject,
    roles: principal.roles,
    impersonator: { tenantId: principal.tenantId, subject: principal.subject },
  };
}
