import { Module } from '@nestjs/common';
import { ConnectorsModule } from '../connectors/connectors.module';
import { EventsModule } from '../events/events.module';
import { JobsModule } from '../jobs/jobs.module';
import { SecretsModule } from '../secrets/secrets.module';
import { WebhookInboxController } from './webhook-inbox.controller';
import { WebhookIngressController } from './webhook-ingress.controller';
import { WebhooksService } from './webhooks.service';

@Module({
  imports: [ConnectorsModule, EventsModule, JobsModule, SecretsModule],
  // The inbox controller first: `webhooks/inbox` must not be taken for a connector id.
  controllers: [WebhookInboxController, WebhookIngressController],
  providers: [WebhooksService],
})
export class WebhooksModule {}
