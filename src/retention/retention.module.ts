import { Module } from '@nestjs/common';
import { TemporalModule } from '../temporal/temporal.module';
import { RetentionService } from './retention.service';

/** The retention sweep's targets and its Temporal Schedule (upserted by workers). */
@Module({ imports: [TemporalModule], providers: [RetentionService], exports: [RetentionService] })
export class RetentionModule {}
