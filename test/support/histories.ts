import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WORKFLOW_BUNDLE_PATH } from '../../src/worker/temporal-worker.service';
import { serviceEnv } from './services';

/** Committed histories live in the source tree (test/fixtures/histories), not in dist. */
export const HISTORY_FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'histories');

export async function fetchHistory(workflowId: string) {
  const connection = await Connection.connect({ address: serviceEnv().TEMPORAL_ADDRESS });
  try {
    return await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
  } finally {
    await connection.close();
  }
}

/** Replays a history against the current workflow bundle; throws DeterminismViolationError on drift. */
export async function replay(workflowId: string, history: Awaited<ReturnType<typeof fetchHistory>>) {
  await Worker.runReplayHistory({ workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }, history, workflowId);
}

/** With RECORD_HISTORIES=1, saves a history as a fixture for the replay test. */
export async function maybeRecord(name: string, history: Awaited<ReturnType<typeof fetchHistory>>) {
  if (process.env.RECORD_HISTORIES === '1') await writeFile(join(HISTORY_FIXTURES, `${name}.json`), historyToJSON(history) + '\n');
}
