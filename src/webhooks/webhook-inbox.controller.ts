import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPlane, CurrentPrincipal, Principal, RequirePermission } from '../auth/principal';
import { ApiProblemResponses } from '../common/api-problem-responses';
import { InboxEntryView, InboxPage, ListInboxQuery } from './webhook.dto';
import { WebhooksService } from './webhooks.service';

/** The archive of verified deliveries, for operators (control plane). */
@ApiTags('webhooks')
@ApiBearerAuth()
@ApiPlane('control')
@ApiProblemResponses(400, 401, 403)
@Controller('webhooks/inbox')
export class WebhookInboxController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @RequirePermission('control:read')
  @ApiOperation({ summary: 'List archived webhook deliveries, newest first', description: 'Raw body and headers as received; filters by connector, status, event type and id.' })
  @ApiOkResponse({ type: InboxPage })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListInboxQuery): Promise<InboxPage> {
    const page = await this.webhooks.list(principal.tenantId, query);
    return { items: page.items.map(InboxEntryView.of), nextCursor: page.nextCursor };
  }

  @Post(':id/retry')
  @HttpCode(200)
  @RequirePermission('control:operate')
  @ApiOperation({
    summary: 'Route an archived event again',
    description:
      'Through the connector’s current routes: starts a job for a failed or ignored event, or a new run (same workflow id) for one ' +
      'whose job has ended. 409 while its job is still running.',
  })
  @ApiOkResponse({ type: InboxEntryView })
  @ApiProblemResponses(404, 409, 503)
  async retry(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<InboxEntryView> {
    return InboxEntryView.of(await this.webhooks.retry(principal.tenantId, id));
  }
}
