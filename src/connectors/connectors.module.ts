import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { PoliciesModule } from '../policies/policies.module';
import { ResilienceModule } from '../resilience/resilience.module';
import { SecretsModule } from '../secrets/secrets.module';
import { TemporalModule } from '../temporal/temporal.module';
import { ConnectorSecretUsersModule } from './connector-secret-users';
import { ConnectorStateGauges } from './connector-state-gauges';
import { ConnectorStateService } from './connector-state.service';
import { ConnectorsController } from './connectors.controller';
import { ConnectorsService } from './connectors.service';

@Module({
  imports: [ConnectorSecretUsersModule, PoliciesModule, ResilienceModule, EventsModule, SecretsModule, TemporalModule],
  controllers: [ConnectorsController],
  providers: [ConnectorsService, ConnectorStateService, ConnectorStateGauges],
  exports: [ConnectorsService],
})
export class ConnectorsModule {}
