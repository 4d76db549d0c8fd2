import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPlane, CurrentPrincipal, Principal, RequirePermission } from '../auth/principal';
import { ApiProblemResponses } from '../common/api-problem-responses';
import { EventPage, EventView, ListEventsQuery } from './event.dto';
import { EventsService } from './events.service';

@ApiTags('events')
@ApiBearerAuth()
@ApiPlane('exec')
@ApiProblemResponses(400, 401, 403)
@Controller('events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @RequirePermission('exec:read')
  @ApiOperation({ summary: 'Read the event log in id order' })
  @ApiOkResponse({ type: EventPage })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListEventsQuery): Promise<EventPage> {
    const events = await this.events.list(principal.tenantId, { ...query, limit: query.limit ?? 100 });
    return { items: events.map(EventView.of) };
  }
}
