import { AuditEntryEntity } from './audit/audit.entity';
import { ConfigEntity } from './configs/config.entity';
import { ConnectorEntity } from './connectors/connector.entity';
import { EventEntity } from './events/job-event.entity';
import { JobEntity } from './jobs/job.entity';
import { PolicyEntity, PolicyVersionEntity } from './policies/policy.entity';
import { SecretRefEntity } from './secrets/secret-ref.entity';
import { WebhookInboxEntity } from './webhooks/webhook-inbox.entity';

export const ENTITIES = [ConfigEntity, ConnectorEntity, PolicyEntity, PolicyVersionEntity, JobEntity, EventEntity, AuditEntryEntity, SecretRefEntity, WebhookInboxEntity];
