import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DIST } from './paths';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A platform process (api or worker) run from the build, as in production, with captured output. */
export class PlatformProcess {
  output = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** `dist` is the build to run: another build (a worker version) lives in a copy of dist/. */
  static spawn(entry: 'api' | 'worker', env: Record<string, string>, dist = DIST): PlatformProcess {
    const child = spawn(process.execPath, [join(dist, 'src', `main-${entry}.js`)], {
      // Several apis and workers run at once in tests: no fixed metrics or console port unless a test asks for one.
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'info', ...(entry === 'api' ? { API_METRICS_PORT: '0', OPERATOR_PORT: '0' } : { WORKER_SDK_METRICS_PORT: '0' }), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new PlatformProcess(child);
  }

  /** Resolves when GET url answers 200; fails early if the process dies. */
  async waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (Date.now() < deadline) {
      if (exited) throw new Error(`process exited before ${url} answered:\n${this.output}`);
      try {
        if ((await fetch(url)).ok) return;
      } catch {
        // not listening yet
      }
      await delay(200);
    }
    throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${this.output.slice(-4000)}`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
