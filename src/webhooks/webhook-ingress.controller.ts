import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiConsumes, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiPlane, Public } from '../auth/principal';
import { ApiProblemResponses } from '../common/api-problem-responses';
import { WebhookReceipt } from './webhook.dto';
import { WebhooksService } from './webhooks.service';

/** Provider ingress on the exec plane. No JWT: the provider's signature over the raw body is the credential. */
@ApiTags('webhooks')
@ApiPlane('exec')
@Public()
@Controller('webhooks')
export class WebhookIngressController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post(':connectorId')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Stripe webhook ingress',
    description:
      'Verifies `Stripe-Signature` on the raw body with the connector’s signing secret and tolerance, deduplicates on the event id ' +
      '(a repeat answers 200 and starts nothing), archives the delivery in the inbox, records `webhook.received`, and starts the ' +
      'routed execution with workflow id `webhook-<connectorId>-<eventId>`. A bad or missing signature, a stale timestamp or an ' +
      'altered body is a 400 that stores and starts nothing.',
  })
  @ApiConsumes('application/json')
  @ApiHeader({ name: 'Stripe-Signature', required: true, description: '`t=<unix time>,v1=<hex HMAC-SHA256>`' })
  @ApiOkResponse({ type: WebhookReceipt })
  @ApiProblemResponses(400, 404, 409, 413, 415, 503)
  async receive(@Param('connectorId') connectorId: string, @Req() request: Request): Promise<WebhookReceipt> {
    return this.webhooks.receive(connectorId, request.rawBody, request.headers);
  }
}

