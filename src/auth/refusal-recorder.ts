import type { Request } from 'express';
import type { Plane, Principal } from './principal';

/** What the guard refused, for the operator audit log. */
export interface Refusal {
  action: string;
  target: string;
  status: number;
  errorCode: string;
  /** Who the caller asked to act as, when an impersonation was refused. */
  requested?: { tenantId: string | null; subject: string | null };
}

/**
 * Where the auth guard records the requests it refuses (they never reach the audit interceptor).
 * A port, so that auth/ does not depend on audit/: the audit slice provides it (AuditModule, global).
 */
export abstract class RefusalRecorder {
  abstract record(request: Request, principal: Principal, plane: Plane, refusal: Refusal): Promise<void>;
}
