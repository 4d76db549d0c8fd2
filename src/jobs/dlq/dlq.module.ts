import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs.module';
import { DlqController } from './dlq.controller';
import { DlqService } from './dlq.service';

@Module({ imports: [JobsModule], controllers: [DlqController], providers: [DlqService] })
export class DlqModule {}
