import { StoredPayloadView } from '../jobs/job.dto';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, IsUUID, Length, Max, Min, Matches } from 'class-validator';
import { INBOX_STATUSES, InboxStatus, WebhookInboxEntity } from './webhook-inbox.entity';
import { QueryNumber, Omittable } from '../common/request-params';
import { KEYSET_CURSOR } from '../database/keyset-page';

class InboxErrorView {
  @ApiProperty({ example: 'DEPENDENCY_UNAVAILABLE' }) code: string;
  @ApiProperty({ example: 'The workflow engine is unreachable; retry later.' }) message: string;
}

/** What the ingress answers Stripe (any 2xx stops its redeliveries). */
export class WebhookReceipt {
  @ApiProperty({ example: true }) received: true;
  @ApiProperty({ description: 'This event id was delivered before; nothing new was started.', example: false }) duplicate: boolean;
  @ApiProperty({ format: 'uuid' }) inboxId: string;
  @ApiProperty({ enum: INBOX_STATUSES, example: 'routed' }) status: InboxStatus;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) jobId: string | null;
}

export class InboxEntryView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) connectorId: string;
  @ApiProperty({ example: 'stripe' }) provider: string;
  @ApiProperty({ example: 'evt_1NqJ2e2eZvKYlo2C' }) eventId: string;
  @ApiProperty({ example: 'invoice.paid' }) eventType: string;
  @ApiProperty({ enum: INBOX_STATUSES, description: '`routed`: a job started; `ignored`: no route for the type; `failed`: routing failed (retry it).' })
  status: InboxStatus;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) jobId: string | null;
  @ApiProperty({ type: InboxErrorView, nullable: true }) error: InboxErrorView | null;
  @ApiProperty({ example: 1 }) routeAttempts: number;
  @ApiProperty() receivedAt: string;
  @ApiProperty({ nullable: true, type: String }) routedAt: string | null;
  @ApiProperty({ example: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': 't=1700000000,v1=…' }, description: 'Request headers as received (credentials such as Authorization removed).' })
  headers: Record<string, string>;
  @ApiProperty({ example: '{"id":"evt_1NqJ2e2eZvKYlo2C","object":"event","type":"invoice.paid",…}', nullable: true, type: String, description: 'The raw body, exactly as signed (UTF-8); null when it is kept in the payload store (`bodyPayload`).' })
  body: string | null;
  @ApiProperty({ type: StoredPayloadView, nullable: true, description: 'Set when the body was above PAYLOAD_STORE_THRESHOLD_BYTES and is kept in the payload store: its size and sha256.' })
  bodyPayload: StoredPayloadView | null;

  static of(entry: WebhookInboxEntity): InboxEntryView {
    return {
      id: entry.id,
      connectorId: entry.connectorId,
      provider: entry.provider,
      eventId: entry.eventId,
      eventType: entry.eventType,
      status: entry.status,
      jobId: entry.jobId,
      error: entry.error,
      routeAttempts: entry.routeAttempts,
      receivedAt: entry.receivedAt.toISOString(),
      routedAt: entry.routedAt?.toISOString() ?? null,
      headers: entry.headers,
      body: entry.rawBodyPayloadRef ? null : entry.body.toString('utf8'),
      bodyPayload: entry.rawBodyPayloadRef ? { size: entry.rawBodyPayloadRef.size, sha256: entry.rawBodyPayloadRef.sha256 } : null,
    };
  }
}

export class ListInboxQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Stripe connector id.' })
  @Omittable() @IsUUID()
  connector?: string;

  @ApiPropertyOptional({ enum: INBOX_STATUSES })
  @Omittable() @IsIn(INBOX_STATUSES)
  status?: InboxStatus;

  @ApiPropertyOptional({ example: 'invoice.paid' })
  @Omittable() @IsString() @Length(1, 255)
  eventType?: string;

  @ApiPropertyOptional({ example: 'evt_1NqJ2e2eZvKYlo2C' })
  @Omittable() @IsString() @Length(1, 255)
  eventId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @Omittable() @QueryNumber() @IsInt() @Min(1) @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: "From the previous page's nextCursor." })
  @Omittable() @Matches(KEYSET_CURSOR, { message: 'cursor is not a cursor this API returned' })
  cursor?: string;
}

export class InboxPage {
  @ApiProperty({ type: [InboxEntryView] }) items: InboxEntryView[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next (older) page; null on the last page.' })
  nextCursor: string | null;
}
