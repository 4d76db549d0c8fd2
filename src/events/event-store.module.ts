import { Module } from '@nestjs/common';
import { EventsService } from './events.service';

/** The event log without its HTTP surface: what the worker (and other slices) append and read through. */
@Module({ providers: [EventsService], exports: [EventsService] })
export class EventStoreModule {}
