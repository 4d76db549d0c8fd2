import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { workflowSpanSinks } from '../../src/telemetry/tracing';
import { DIST, ROOT } from './paths';
import { serviceEnv } from './services';

export const HISTORY_FIXTURES = join(ROOT, 'test', 'fixtures', 'histories');
/** The prebuilt bundle the workers run (`npm run build`). */
const WORKFLOW_BUNDLE_PATH = join(DIST, 'workflow-bundle.js');

export async function fetchHistory(workflowId: string) {
  const connection = await Connection.connect({ address: serviceEnv().TEMPORAL_ADDRESS });
  try {
    return await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
  } finally {
    await connection.close();
  }
}

/**
 * Replays a history against the current workflow bundle, with the worker's own sinks (the bundle's
 * tracing interceptors call one); throws DeterminismViolationError on drift.
 * `dataConverter`: the platform's (src/payload-store), for histories whose payloads are references.
 */
export async function replay(workflowId: string, history: Awaited<ReturnType<typeof fetchHistory>>, dataConverter?: DataConverter) {
  await Worker.runReplayHistory({ workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH }, dataConverter, sinks: workflowSpanSinks() }, history, workflowId);
}

/** With RECORD_HISTORIES=1, saves a history as a fixture for the replay test. */
export async function maybeRecord(name: string, history: Awaited<ReturnType<typeof fetchHistory>>) {
  if (process.env.RECORD_HISTORIES === '1') await writeFile(join(HISTORY_FIXTURES, `${name}.json`), historyToJSON(history) + '\n');
}
