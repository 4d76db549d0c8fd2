import { ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { TemporalService } from './temporal.service';

/**
 * Creates a Temporal Schedule that starts `workflowType` every `everyMs`, or brings an existing one
 * in line (interval and action). Overlapping runs are skipped.
 */
export async function upsertSchedule(
  temporal: TemporalService,
  scheduleId: string,
  everyMs: number,
  action: { workflowType: string; taskQueue: string },
): Promise<void> {
  const startWorkflow = { type: 'startWorkflow' as const, ...action, args: [] };
  await temporal.use(async (client) => {
    try {
      await client.schedule.create({ scheduleId, spec: { intervals: [{ every: everyMs }] }, action: startWorkflow, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec: { intervals: [{ every: everyMs }] }, action: startWorkflow }));
    }
  });
}
