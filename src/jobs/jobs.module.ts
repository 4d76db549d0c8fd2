import { Module } from '@nestjs/common';
import { ConfigsModule } from '../configs/configs.module';
import { ConnectorsModule } from '../connectors/connectors.module';
import { EventsModule } from '../events/events.module';
import { PoliciesModule } from '../policies/policies.module';
import { TemporalModule } from '../temporal/temporal.module';
import { JobsQueryModule } from './jobs-query';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';

@Module({
  imports: [JobsQueryModule, ConnectorsModule, PoliciesModule, ConfigsModule, EventsModule, TemporalModule],
  controllers: [JobsController],
  providers: [JobsService],
  exports: [JobsService],
})
export class JobsModule {}
