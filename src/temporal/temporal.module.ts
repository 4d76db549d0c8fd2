import { Module } from '@nestjs/common';
import { JobWakeUps } from './job-wake-ups';
import { SearchAttributeRegistration } from './search-attribute-registration';
import { TemporalService } from './temporal.service';

@Module({ providers: [TemporalService, SearchAttributeRegistration, JobWakeUps], exports: [TemporalService, JobWakeUps] })
export class TemporalModule {}
