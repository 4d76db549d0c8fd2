/**
 * The connector's downstream for both sides: a bare local HTTP server in its own process (so its
 * CPU neither hides in nor disturbs the load generator), answering every POST /work with 200 JSON.
 * Run as a child (`fork`) it reports its port over IPC; the parent side is `startDownstream`.
 */
import { ChildProcess, fork } from 'node:child_process';
import { createServer } from 'node:http';

interface Ready {
  type: 'ready';
  port: number;
}
interface Calls {
  type: 'calls';
  count: number;
}
/** When each call arrived, by its Idempotency-Key (`<jobId>:<step>`): the order jobs were served in. */
export interface CallLogEntry {
  key: string;
  at: number;
}
interface CallLog {
  type: 'call-log';
  calls: CallLogEntry[];
}

export interface DownstreamHandle {
  url: string;
  pid: number;
  /** Calls answered so far. */
  calls(): Promise<number>;
  /** Every call answered so far, with the time its request arrived. */
  callLog(): Promise<CallLogEntry[]>;
  stop(): Promise<void>;
}

export async function startDownstream(delayMs: number): Promise<DownstreamHandle> {
  const child: ChildProcess = fork(__filename, [], { env: { ...process.env, BENCH_DOWNSTREAM_DELAY_MS: String(delayMs) }, stdio: 'inherit' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the downstream exited (${code}) before listening`)));
    child.once('message', (message: Ready) => resolve(message.port));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    calls: () =>
      new Promise((resolve) => {
        child.once('message', (message: Calls) => resolve(message.count));
        child.send({ type: 'count' });
      }),
    callLog: () =>
      new Promise((resolve) => {
        child.once('message', (message: CallLog) => resolve(message.calls));
        child.send({ type: 'call-log' });
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function serve(): void {
  const delayMs = Number(process.env.BENCH_DOWNSTREAM_DELAY_MS ?? 0);
  let count = 0;
  const log: CallLogEntry[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const arrivedAt = Date.now();
      const answer = () => {
        if (request.method !== 'POST' || request.url !== '/work') {
          response.writeHead(404).end();
          return;
        }
        count += 1;
        log.push({ key: String(request.headers['idempotency-key'] ?? ''), at: arrivedAt });
        let received: unknown = null;
        try {
          received = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          // not JSON: answer anyway
        }
        const body = JSON.stringify({ ok: true, idempotencyKey: request.headers['idempotency-key'] ?? null, received });
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ type: 'ready', port: (server.address() as { port: number }).port } satisfies Ready);
  });
  process.on('message', (message: { type: string }) => {
    if (message.type === 'count') process.send?.({ type: 'calls', count } satisfies Calls);
    if (message.type === 'call-log') process.send?.({ type: 'call-log', calls: log } satisfies CallLog);
  });
  // Ends with its parent, whatever happens to it.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

if (require.main === module) serve();
