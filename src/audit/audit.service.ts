import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import type { Plane, Principal } from '../auth/principal';
import { sha256Hex } from './digest';
import { AuditEntryEntity } from './audit.entity';
import { ListAuditQuery } from './audit.dto';

const DEFAULT_PAGE_SIZE = 50;
const MAX_TEXT = { action: 200, target: 2048, subject: 255, requestId: 128 };

export interface AuditOutcome {
  action: string;
  target: string;
  status: number;
  errorCode?: string | null;
  responseDigest?: string | null;
  /** Who the caller asked to act as, when the request was refused (the principal is then the caller). */
  requested?: { tenantId: string | null; subject: string | null };
}

function clip(value: string, max: number): string {
  return value.length <= max ? value : value.slice(0, max);
}

/** The operator audit log: written by the AuditInterceptor and the AuthGuard, read by GET /audit. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Appends one entry for `request` made by `principal`. Never throws: the change it records has
   * already happened, so a failed insert is logged (loudly) instead of turning a success into an error.
   */
  async record(request: Request, principal: Principal, plane: Plane | null, outcome: AuditOutcome): Promise<void> {
    const actor = principal.impersonator ?? { tenantId: principal.tenantId, subject: principal.subject };
    const impersonated = outcome.requested ?? (principal.impersonator ? { tenantId: principal.tenantId, subject: principal.subject } : null);
    const row: Omit<AuditEntryEntity, 'id' | 'createdAt'> = {
      tenantId: principal.tenantId,
      actorTenantId: actor.tenantId,
      actorSubject: clip(actor.subject, MAX_TEXT.subject),
      impersonatedTenantId: impersonated?.tenantId ?? null,
      impersonatedSubject: impersonated?.subject ? clip(impersonated.subject, MAX_TEXT.subject) : null,
      action: clip(outcome.action, MAX_TEXT.action),
      target: clip(outcome.target, MAX_TEXT.target),
      method: request.method,
      plane,
      status: outcome.status,
      errorCode: outcome.errorCode ?? null,
      requestId: request.id === undefined ? null : clip(String(request.id), MAX_TEXT.requestId),
      requestDigest: request.rawBody && request.rawBody.length > 0 && !carriesSecretValue(request) ? sha256Hex(request.rawBody) : null,
      responseDigest: outcome.responseDigest ?? null,
    };
    try {
      await this.dataSource.getRepository(AuditEntryEntity).insert(row);
    } catch (error) {
      // Only identifiers: never the bodies (they may hold secret values).
      this.logger.error({ err: error, action: row.action, target: row.target, requestId: row.requestId }, 'could not write the audit entry');
    }
  }

  /** Newest first, within the tenant; keyset-paginated on id. */
  async list(tenantId: string, query: ListAuditQuery): Promise<{ items: AuditEntryEntity[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const builder = this.dataSource
      .getRepository(AuditEntryEntity)
      .createQueryBuilder('a')
      .where('a.tenant_id = :tenantId', { tenantId })
      .orderBy('a.id', 'DESC')
      .limit(limit + 1);
    if (query.action) builder.andWhere('a.action = :action', { action: query.action });
    if (query.actor) builder.andWhere('a.actor_subject = :actor', { actor: query.actor });
    if (query.target) {
      const prefix = query.target.replace(/\/+$/, '');
      builder.andWhere("(a.target = :target OR starts_with(a.target, :prefix || '/'))", { target: query.target, prefix });
    }
    if (query.impersonated !== undefined) {
      const any = '(a.impersonated_tenant_id IS NOT NULL OR a.impersonated_subject IS NOT NULL)';
      builder.andWhere(query.impersonated ? any : `NOT ${any}`);
    }
    if (query.from) builder.andWhere('a.created_at >= :from', { from: new Date(query.from) });
    if (query.to) builder.andWhere('a.created_at < :to', { to: new Date(query.to) });
    if (query.cursor) builder.andWhere('a.id < :cursor', { cursor: query.cursor });
    const rows = await builder.getMany();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? last.id : null };
  }
}


/** A secret-ref body holds the secret itself: even its digest would let a weak value be guessed offline. */
function carriesSecretValue(request: { path: string }): boolean {
  return request.path.startsWith('/secret-refs');
}
