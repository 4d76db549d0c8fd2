import { ConnectorEntity } from '../connectors/connector.entity';
import { EventEntity } from '../events/job-event.entity';
import { JobEntity } from '../jobs/job.entity';
import { PolicyEntity, PolicyVersionEntity } from '../policies/policy.entity';

export const ENTITIES = [ConnectorEntity, PolicyEntity, PolicyVersionEntity, JobEntity, EventEntity];
