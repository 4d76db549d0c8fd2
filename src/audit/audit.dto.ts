import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsString, Length, Max, Min, Matches } from 'class-validator';
import { AuditEntryEntity } from './audit.entity';
import { QueryNumber, Omittable, IsInstant } from '../common/request-params';

/** A page cursor: the last entry's id (any id is a valid position). */
export const AUDIT_CURSOR = /^[0-9]{1,18}$/;

export class ListAuditQuery {
  @ApiPropertyOptional({ example: 'POST /connectors', description: 'Exact action: `<METHOD> <route>` or `impersonation.denied`.' })
  @Omittable() @IsString() @Length(1, 200)
  action?: string;

  @ApiPropertyOptional({ example: 'alice', description: 'The authenticated subject (the platform-admin when impersonating).' })
  @Omittable() @IsString() @Length(1, 255)
  actor?: string;

  @ApiPropertyOptional({ example: '/connectors/4f1c…', description: 'A resource path; also matches everything below it.' })
  @Omittable() @IsString() @Length(1, 2048)
  target?: string;

  @ApiPropertyOptional({ description: 'Only impersonated requests (true) or only direct ones (false).' })
  @Omittable() @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value)) @IsBoolean()
  impersonated?: boolean;

  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z', description: 'At or after this instant.' })
  @Omittable() @IsInstant()
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-31T00:00:00Z', description: 'Before this instant.' })
  @Omittable() @IsInstant()
  to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @Omittable() @QueryNumber() @IsInt() @Min(1) @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: "From the previous page's nextCursor." })
  @Omittable() @Matches(AUDIT_CURSOR, { message: 'cursor is not a cursor this API returned' })
  cursor?: string;
}

class IdentityView {
  @ApiProperty({ example: 'acme' }) tenantId: string;
  @ApiProperty({ example: 'alice' }) subject: string;
}

export class AuditEntryView {
  @ApiProperty({ example: '42' }) id: string;
  @ApiProperty() at: string;
  @ApiProperty({ example: 'acme', description: 'The tenant acted in.' }) tenantId: string;
  @ApiProperty({ type: IdentityView, description: 'Who authenticated.' }) actor: IdentityView;
  @ApiProperty({ type: IdentityView, nullable: true, description: 'Who the actor acted as (impersonation), or asked to.' })
  impersonated: IdentityView | null;
  @ApiProperty({ example: 'PATCH /connectors/:id' }) action: string;
  @ApiProperty({ example: '/connectors/4f1c…' }) target: string;
  @ApiProperty({ example: 'PATCH' }) method: string;
  @ApiProperty({ enum: ['control', 'exec'], nullable: true, type: String }) plane: string | null;
  @ApiProperty({ example: 200 }) status: number;
  @ApiProperty({ enum: ['succeeded', 'failed', 'denied'] }) outcome: 'succeeded' | 'failed' | 'denied';
  @ApiProperty({ nullable: true, type: String, example: 'CONNECTOR_NOT_FOUND' }) errorCode: string | null;
  @ApiProperty({ nullable: true, type: String }) requestId: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'SHA-256 (hex) of the request body bytes.' }) requestDigest: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'SHA-256 (hex) of the response body.' }) responseDigest: string | null;

  static of(row: AuditEntryEntity): AuditEntryView {
    const impersonated =
      row.impersonatedTenantId !== null || row.impersonatedSubject !== null
        ? { tenantId: row.impersonatedTenantId ?? row.actorTenantId, subject: row.impersonatedSubject ?? row.actorSubject }
        : null;
    return {
      id: row.id,
      at: row.createdAt.toISOString(),
      tenantId: row.tenantId,
      actor: { tenantId: row.actorTenantId, subject: row.actorSubject },
      impersonated,
      action: row.action,
      target: row.target,
      method: row.method,
      plane: row.plane,
      status: row.status,
      outcome: row.status === 403 ? 'denied' : row.status < 400 ? 'succeeded' : 'failed',
      errorCode: row.errorCode,
      requestId: row.requestId,
      requestDigest: row.requestDigest?.trim() ?? null,
      responseDigest: row.responseDigest?.trim() ?? null,
    };
  }
}

export class AuditPage {
  @ApiProperty({ type: [AuditEntryView] }) items: AuditEntryView[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next (older) page; null on the last page.' })
  nextCursor: string | null;
}
