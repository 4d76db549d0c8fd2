import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';

export interface RecordedCall {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export type Responder = (call: RecordedCall, response: ServerResponse, index: number) => void | Promise<void>;

/** A real local HTTP server standing in for a connector's downstream, recording every call. */
export class Downstream {
  readonly calls: RecordedCall[] = [];
  private readonly routes = new Map<string, Responder>();
  private server?: Server;
  port = 0;
  /** Requests open right now, and the most ever open at once (connection close counts as the end). */
  inFlight = 0;
  maxInFlight = 0;

  /** Responds to `path` (exact, without query); `index` counts calls to that path from 0. */
  on(path: string, responder: Responder): this {
    this.routes.set(path, responder);
    return this;
  }

  callsTo(path: string): RecordedCall[] {
    return this.calls.filter((call) => call.path === path);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      response.once('close', () => (this.inFlight -= 1));
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = (request.url ?? '/').split('?')[0];
        const call: RecordedCall = { method: request.method ?? '', path, headers: request.headers, body: Buffer.concat(chunks).toString(), at: Date.now() };
        const index = this.callsTo(path).length;
        this.calls.push(call);
        const responder = this.routes.get(path);
        if (!responder) {
          response.writeHead(404).end();
          return;
        }
        void Promise.resolve(responder(call, response, index)).catch(() => response.destroy());
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

export function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
