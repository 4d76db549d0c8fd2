import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiPlane, CurrentPrincipal, Principal, readScopeOf, RequirePermission } from '../auth/principal';
import { ApiProblemResponses } from '../common/api-problem-responses';
import { AppError } from '../common/app-error';
import { Environment } from '../config/environment';
import { EventPage, EventView, ListEventsQuery, StreamEventsQuery, EVENT_ID } from './event.dto';
import { EventNotifications } from './event-notifications.service';
import { streamEvents } from './event-stream';
import { EventsService } from './events.service';

@ApiTags('events')
@ApiBearerAuth()
@ApiPlane('exec')
@ApiProblemResponses(400, 401, 403)
@Controller('events')
export class EventsController {
  constructor(
    private readonly events: EventsService,
    private readonly notifications: EventNotifications,
    private readonly environment: Environment,
  ) {}

  @Get('stream')
  @RequirePermission('exec:read')
  @ApiOperation({
    summary: 'Server-Sent Events of the event log',
    description: '`id:` is the event id; reconnect with `Last-Event-ID` to resume with no gap and no duplicate. Comment lines keep the connection alive.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An endless text/event-stream' })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id.', schema: { type: 'string', pattern: EVENT_ID.source } })
  async stream(
    @CurrentPrincipal() principal: Principal,
    @Query() query: StreamEventsQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    if (lastEventId !== undefined && !EVENT_ID.test(lastEventId)) {
      throw AppError.validation([{ field: 'Last-Event-ID', message: 'must be an event id' }]);
    }
    const { after, ...filter } = query;
    await streamEvents(response, this.events, this.notifications, {
      scope: readScopeOf(principal),
      filter,
      after: lastEventId ?? after ?? (await this.events.tail(principal.tenantId)),
      keepAliveMs: this.environment.ORCH_SSE_KEEPALIVE_SECONDS * 1000,
    });
  }

  @Get()
  @RequirePermission('exec:read')
  @ApiOperation({ summary: 'Read the event log in id order', description: 'An `executor` reads the events of the jobs it submitted; other readers the tenant\'s.' })
  @ApiOkResponse({ type: EventPage })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListEventsQuery): Promise<EventPage> {
    const events = await this.events.list(readScopeOf(principal), { ...query, limit: query.limit ?? 100 });
    return { items: events.map(EventView.of) };
  }
}
