/** A forked Node process of the bench (baseline worker or client), talking over IPC. */
import { ChildProcess, fork } from 'node:child_process';

const OUTPUT_TAIL = 16 * 1024;

export class BenchChild {
  private tail = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => (this.tail = (this.tail + chunk.toString()).slice(-OUTPUT_TAIL));
    process.stdout?.on('data', keep);
    process.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => process.once('exit', (code) => resolve(code)));
  }

  static fork(name: string, modulePath: string, env: Record<string, string>): BenchChild {
    const child = fork(modulePath, [], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new BenchChild(name, child);
  }

  get pid(): number {
    return this.process.pid!;
  }

  get output(): string {
    return this.tail;
  }

  /** The next IPC message of `type` (others go to `onOther`); fails if the process exits first. */
  next<T extends { type: string }>(type: string, timeoutMs: number, onOther?: (message: { type: string }) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`${this.name}: no "${type}" within ${timeoutMs} ms\n${this.tail}`)), timeoutMs);
      const onMessage = (message: { type: string }) => {
        if (message?.type === type) finish(undefined, message as T);
        else onOther?.(message);
      };
      const onExit = (code: number | null) => finish(new Error(`${this.name} exited (${code}) before "${type}"\n${this.tail}`));
      const finish = (error?: Error, message?: T) => {
        clearTimeout(timer);
        this.process.off('message', onMessage);
        this.process.off('exit', onExit);
        if (error) reject(error);
        else resolve(message!);
      };
      this.process.on('message', onMessage);
      this.process.once('exit', onExit);
    });
  }

  send(message: object): void {
    this.process.send(message);
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
    await this.exited;
  }
}
