import { Injectable, Logger } from '@nestjs/common';
import type { WaiterWakeUps } from '../../activities/ports';
import { PERMIT_CHANGED_SIGNAL, workflowIdForJob } from '../../domain/execution';
import { TemporalService } from './temporal.service';

/**
 * Wakes waiting jobs: signals `permitChanged` to each job's workflow (the current run). Best
 * effort — a job that ended meanwhile cannot be signalled, and a wake-up lost to an outage is
 * caught by the waiter's own timer (and its turn lapses to the next waiter).
 */
@Injectable()
export class JobWakeUps implements WaiterWakeUps {
  private readonly logger = new Logger(JobWakeUps.name);

  constructor(private readonly temporal: TemporalService) {}

  async wake(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length === 0) return;
    try {
      const results = await this.temporal.use((client) =>
        Promise.allSettled(jobIds.map((jobId) => client.workflow.getHandle(workflowIdForJob(jobId)).signal(PERMIT_CHANGED_SIGNAL))),
      );
      const failed = results.filter((result) => result.status === 'rejected').length;
      if (failed > 0) this.logger.debug({ waiting: jobIds.length, failed }, 'some waiting jobs could not be woken (ended meanwhile?)');
    } catch (error) {
      this.logger.warn({ waiting: jobIds.length, error: String(error) }, 'waiting jobs not woken; their timers remain');
    }
  }
}
