import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { IsIn, IsInt, IsUUID, Matches, Max, Min } from 'class-validator';
import type { EventType } from '../../domain/events';
import { EventEntity } from './job-event.entity';
import { QueryNumber, Omittable } from '../common/request-params';

/** An event id: the log's bigint sequence, as text (an `after` cursor, an SSE `Last-Event-ID`). */
export const EVENT_ID = /^[0-9]{1,18}$/;

export const EVENT_TYPES: EventType[] = [
  'job.accepted', 'job.started', 'attempt.started', 'attempt.succeeded', 'attempt.failed', 'job.waiting', 'job.succeeded',
  'job.failed', 'job.cancelled', 'job.timed_out', 'breaker.opened', 'breaker.half_opened', 'breaker.closed',
  'webhook.received', 'config.activated',
];

export class ListEventsQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @Omittable() @IsUUID()
  jobId?: string;

  @ApiPropertyOptional({ enum: EVENT_TYPES })
  @Omittable() @IsIn(EVENT_TYPES)
  type?: EventType;

  @ApiPropertyOptional({ description: 'Only events after this event id.', example: '120' })
  @Omittable() @Matches(EVENT_ID, { message: 'after must be an event id' })
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @Omittable() @QueryNumber() @IsInt() @Min(1) @Max(500)
  limit?: number;
}

/** The same filters as GET /events, minus `limit`: a stream is unbounded. */
export class StreamEventsQuery extends OmitType(ListEventsQuery, ['limit'] as const) {}

export class EventView {
  @ApiProperty({ example: '121', description: 'Monotonic; use as `after` to resume.' }) id: string;
  @ApiProperty({ enum: EVENT_TYPES }) type: EventType;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) jobId: string | null;
  @ApiProperty({ example: { attempt: 1, httpStatus: 201 } }) data: Record<string, unknown>;
  @ApiProperty() createdAt: string;

  static of(event: EventEntity): EventView {
    return { id: event.id, type: event.type, jobId: event.jobId, data: event.data, createdAt: event.createdAt.toISOString() };
  }
}

export class EventPage {
  @ApiProperty({ type: [EventView] }) items: EventView[];
}
