/**
 * The baseline worker: a bare Temporal Worker in its own process, serving the baseline workflow
 * (pre-bundled by the bench, so webpack's memory is not counted here) and its one activity.
 * Started by the bench with `fork`; says `ready` over IPC once it polls.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { activities } from './activities';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main() {
  const connection = await NativeConnection.connect({ address: required('TEMPORAL_ADDRESS') });
  const worker = await Worker.create({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: required('BENCH_TASK_QUEUE'),
    workflowBundle: { codePath: required('BENCH_WORKFLOW_BUNDLE') },
    activities,
  });
  const running = worker.run();
  process.send?.({ type: 'ready' });
  process.on('disconnect', () => worker.shutdown());
  await running;
  await connection.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
