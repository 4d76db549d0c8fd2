import { Module } from '@nestjs/common';
import { SearchAttributeRegistration } from './search-attribute-registration';
import { TemporalService } from './temporal.service';

@Module({ providers: [TemporalService, SearchAttributeRegistration], exports: [TemporalService] })
export class TemporalModule {}
