import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { EventNotifications } from './event-notifications.service';
import { EventStoreModule } from './event-store.module';

@Module({ imports: [EventStoreModule], controllers: [EventsController], providers: [EventNotifications], exports: [EventStoreModule] })
export class EventsModule {}
