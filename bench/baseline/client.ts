/**
 * The baseline's front: a bare Temporal client in its own process (the counterpart of the api
 * process), driven by the bench over IPC. `run`: `concurrency` loops of client.workflow.start until
 * `amount` are started or `durationMs` has passed. `pace`: starts at an even `rate` per second.
 * Reports each start's latency and the workflow ids.
 */
import { Client, Connection } from '@temporalio/client';
import { performance } from 'node:perf_hooks';
import { paced } from '../pacer';
import { WORK_INPUT, WORK_PATH } from '../work';
import type { CallInput } from './activities';

interface CommandBase {
  /** Workflow ids are `<prefix><n>`. */
  prefix: string;
  taskQueue: string;
  url: string;
  durationMs: number;
}

export type ClientCommand =
  | (CommandBase & { type: 'run'; concurrency: number; amount: number })
  | (CommandBase & { type: 'pace'; rate: number; maxInFlight: number });

export interface RunReport {
  type: 'report';
  /** Start latency of each accepted workflow, ms. */
  latenciesMs: number[];
  workflowIds: string[];
  errors: number;
  firstError?: string;
}

export interface Progress {
  type: 'progress';
  accepted: number;
}

async function execute(client: Client, command: ClientCommand): Promise<RunReport> {
  const report: RunReport = { type: 'report', latenciesMs: [], workflowIds: [], errors: 0 };
  const start = async (n: number) => {
    const workflowId = `${command.prefix}${n}`;
    const input: CallInput = { url: `${command.url}${WORK_PATH}`, body: { ...WORK_INPUT } };
    const began = performance.now();
    try {
      await client.workflow.start('baselineCall', { workflowId, taskQueue: command.taskQueue, args: [input] });
      report.latenciesMs.push(performance.now() - began);
      report.workflowIds.push(workflowId);
    } catch (error) {
      report.errors += 1;
      report.firstError ??= String(error);
    }
  };
  const progress = setInterval(() => process.send?.({ type: 'progress', accepted: report.workflowIds.length } satisfies Progress), 500);
  try {
    if (command.type === 'pace') {
      await paced(command.rate, command.durationMs, command.maxInFlight, start);
    } else {
      const deadline = Date.now() + command.durationMs;
      let issued = 0;
      const loop = async () => {
        while (issued < command.amount && Date.now() < deadline) await start(issued++);
      };
      await Promise.all(Array.from({ length: command.concurrency }, loop));
    }
  } finally {
    clearInterval(progress);
  }
  return report;
}

async function main() {
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE || 'default' });
  process.on('message', (command: ClientCommand) => {
    if (command.type !== 'run' && command.type !== 'pace') return;
    void execute(client, command).then((report) => process.send?.(report));
  });
  process.on('disconnect', () => void connection.close().finally(() => process.exit(0)));
  process.send?.({ type: 'ready' });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
