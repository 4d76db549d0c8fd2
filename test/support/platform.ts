import { setTimeout as delay } from 'node:timers/promises';
import { freePort, PlatformProcess } from './processes';
import { createDatabase, serviceEnv, uniqueName } from './services';
import { isTerminal } from '../../domain/job';

export interface HttpReply<T = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  status: number;
  headers: Headers;
  body: T;
}

/** Sends a request; JSON in and out unless `raw` gives the exact body and content type. */
export async function http<T = any>( // eslint-disable-line @typescript-eslint/no-explicit-any
  method: string,
  url: string,
  options: { json?: unknown; raw?: string | Buffer; contentType?: string; headers?: Record<string, string> } = {},
): Promise<HttpReply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Buffer | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  } else if (options.raw !== undefined) {
    body = options.raw;
    if (options.contentType) headers['content-type'] = options.contentType;
  }
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** Runs a TestPlatform with AUTH_MODE=jwt: the env the api and workers get, and headers its helpers send (see test/support/auth.ts). */
export interface PlatformAuth {
  env(): Record<string, string>;
  headers(plane: 'control' | 'exec'): Promise<Record<string, string>>;
}

/**
 * A whole platform for one test file: its own database and task queue, an api process (control and
 * exec on their own ports) and worker processes, all on the shared test Temporal/Postgres/Redis.
 */
export class TestPlatform {
  readonly workers: PlatformProcess[] = [];
  api!: PlatformProcess;
  control = '';
  exec = '';
  databaseUrl = '';
  readonly taskQueue = uniqueName('q');

  constructor(
    private readonly overrides: Record<string, string> = {},
    /**
     * auth: without it the platform runs with AUTH_MODE=disabled (tenant `dev`). databaseVia: how
     * the processes reach the database (e.g. through a TcpProxy that a test cuts); the test itself
     * keeps using `databaseUrl` directly. postgres: the admin URL of another Postgres server to create
     * the platform's database on (a test's own, which it restarts); the shared one otherwise.
     */
    readonly options: { auth?: PlatformAuth; databaseVia?: (url: string) => string; postgres?: string } = {},
  ) {}

  /** What the helpers below send: the auth's default identity, or nothing with AUTH_MODE=disabled. */
  async authHeaders(plane: 'control' | 'exec'): Promise<Record<string, string>> {
    return this.options.auth ? this.options.auth.headers(plane) : {};
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...serviceEnv(),
      DATABASE_URL: this.options.databaseVia ? this.options.databaseVia(this.databaseUrl) : this.databaseUrl,
      AUTH_MODE: 'disabled',
      ...this.options.auth?.env(),
      ORCH_TASK_QUEUE: this.taskQueue,
      CONNECTOR_RETRY_BASE_SECONDS: '1',
      // Tests call a downstream on loopback (connectors with allowPrivateNetwork: true); the SSRF
      // guard needs the deployment's consent too. Override with 'false' to test the guard itself.
      ORCH_ALLOW_PRIVATE_NETWORK: 'true',
      ...this.overrides,
      ...extra,
    };
  }

  async start(options: { workers?: number } = {}): Promise<this> {
    this.databaseUrl = await createDatabase({ adminUrl: this.options.postgres });
    const [controlPort, execPort] = [await freePort(), await freePort()];
    this.control = `http://127.0.0.1:${controlPort}`;
    this.exec = `http://127.0.0.1:${execPort}`;
    await this.startApi();
    for (let i = 0; i < (options.workers ?? 1); i++) await this.startWorker();
    return this;
  }

  /** (Re)starts the api on the platform's ports, e.g. after a test killed it. */
  async startApi(): Promise<PlatformProcess> {
    this.api = PlatformProcess.spawn('api', this.env({ CONTROL_PORT: new URL(this.control).port, EXEC_PORT: new URL(this.exec).port }));
    await this.api.waitForHttp(`${this.control}/health/live`);
    return this.api;
  }

  async startWorker(extra: Record<string, string> = {}, options: { dist?: string } = {}): Promise<PlatformProcess> {
    // `extra` may name the health port itself (a test that scrapes the worker's /metrics).
    const env = this.env({ WORKER_HEALTH_PORT: String(await freePort()), ...extra });
    const worker = PlatformProcess.spawn('worker', env, options.dist);
    this.workers.push(worker);
    await worker.waitForHttp(`http://127.0.0.1:${env.WORKER_HEALTH_PORT}/health/live`);
    return worker;
  }

  async stop(): Promise<void> {
    await Promise.all([this.api?.stop(), ...this.workers.map((worker) => worker.stop('SIGKILL'))]);
  }

  /** Creates an `http` connector aimed at `baseUrl`; returns its body. */
  async createConnector(baseUrl: string, operations: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const reply = await http('POST', `${this.control}/connectors`, {
      headers: await this.authHeaders('control'),
      json: { name: uniqueName('c').replace('_', '-'), type: 'http', baseUrl, operations, allowPrivateNetwork: true, ...extra },
    });
    if (reply.status !== 201) throw new Error(`connector not created: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body as { id: string; name: string };
  }

  /** Creates a policy; sections not given take the defaults. Returns its body. */
  async createPolicy(document: Record<string, unknown>) {
    const reply = await http('POST', `${this.control}/policies`, { headers: await this.authHeaders('control'), json: { name: uniqueName('p').replace('_', '-'), ...document } });
    if (reply.status !== 201) throw new Error(`policy not created: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body as { id: string; latestVersion: number };
  }

  async events(query: string) {
    return (await http('GET', `${this.exec}/events?limit=500&${query}`, { headers: await this.authHeaders('exec') })).body.items as { id: string; type: string; jobId: string | null; data: Record<string, unknown> }[];
  }

  async execute(body: Record<string, unknown>, headers: Record<string, string> = {}) {
    return http('POST', `${this.exec}/execute`, { json: body, headers: { ...(await this.authHeaders('exec')), ...headers } });
  }

  /** Polls GET /jobs/:id until the job reaches a terminal status. */
  async waitForJob(id: string, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = await http('GET', `${this.exec}/jobs/${id}`, { headers: await this.authHeaders('exec') });
      if (isTerminal(reply.body?.status)) return reply.body;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${reply.body?.status} after ${timeoutMs} ms`);
      await delay(100);
    }
  }
}
