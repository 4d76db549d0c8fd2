import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { EventNotifications } from './event-notifications.service';
import { EventsService } from './events.service';

@Module({ controllers: [EventsController], providers: [EventsService, EventNotifications], exports: [EventsService] })
export class EventsModule {}
