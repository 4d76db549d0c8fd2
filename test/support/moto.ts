import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ROOT } from './paths';
import { freePort } from './processes';

/** The moto_server that scripts/bootstrap.sh installs into .data/tools/moto-<version>. */
function motoServerPath(): string {
  const tools = join(ROOT, '.data', 'tools');
  const folder = readdirSync(tools).find((name) => name.startsWith('moto-'));
  if (!folder) throw new Error('moto is not installed: run scripts/bootstrap.sh (npm test does).');
  return join(tools, folder, 'bin', 'moto_server');
}

/**
 * An S3-compatible server of a test's own (moto, in memory), which the test may stop and start
 * again on the same port — a payload store outage. `start` also creates the bucket.
 */
export class MotoServer {
  private child?: ChildProcess;
  port = 0;

  constructor(readonly bucket = 'orchestrator-payloads') {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What the api and worker read to use this server as their payload store. */
  env(): Record<string, string> {
    return { PAYLOAD_STORE_ENDPOINT: this.url, PAYLOAD_STORE_BUCKET: this.bucket, PAYLOAD_STORE_ACCESS_KEY_ID: 'test', PAYLOAD_STORE_SECRET_ACCESS_KEY: 'test' };
  }

  async start(): Promise<this> {
    this.port ||= await freePort();
    this.child = spawn(motoServerPath(), ['-H', '127.0.0.1', '-p', String(this.port)], { stdio: 'ignore' });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await fetch(`${this.url}/moto-api/`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('moto did not start');
      await delay(200);
    }
    // In memory: a restarted server has no bucket until it is created again.
    const created = await fetch(`${this.url}/${this.bucket}`, { method: 'PUT' });
    if (!created.ok) throw new Error(`bucket not created: ${created.status}`);
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
