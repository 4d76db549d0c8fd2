import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TemporalModule } from '../temporal/temporal.module';
import { DependencyIndicators, HealthController } from './health.controller';
import { ShutdownState } from './shutdown-state';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), TemporalModule],
  controllers: [HealthController],
  providers: [DependencyIndicators, ShutdownState],
  exports: [ShutdownState],
})
export class HealthModule {}
