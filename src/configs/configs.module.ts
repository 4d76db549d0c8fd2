import { Module } from '@nestjs/common';
import { ConnectorsModule } from '../connectors/connectors.module';
import { EventsModule } from '../events/events.module';
import { ConfigsController } from './configs.controller';
import { ConfigsService } from './configs.service';
import { GoverningPolicyModule } from './governing-policy';

@Module({
  imports: [EventsModule, ConnectorsModule, GoverningPolicyModule],
  controllers: [ConfigsController],
  providers: [ConfigsService],
  exports: [ConfigsService, GoverningPolicyModule],
})
export class ConfigsModule {}
