import { Module } from '@nestjs/common';
import { ConnectorsModule } from '../connectors/connectors.module';
import { EventsModule } from '../events/events.module';
import { ConfigsController } from './configs.controller';
import { ConfigsService } from './configs.service';

@Module({ imports: [EventsModule, ConnectorsModule], controllers: [ConfigsController], providers: [ConfigsService], exports: [ConfigsService] })
export class ConfigsModule {}
