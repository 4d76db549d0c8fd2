import { createConnection, createServer, Server, Socket } from 'node:net';
import { Transform } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';

/** An armed fault: the commit of the first transaction that sends `statement` is acknowledged to nobody. */
interface LostAcknowledgement {
  statement: string;
  fired: () => void;
}

/**
 * A loopback TCP proxy in front of a real service, for outages that hit only one platform: `cut()`
 * drops every open connection and refuses new ones (as a stopped server does), `restore()` listens
 * again on the same port.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private lostAcknowledgement?: LostAcknowledgement;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  async start(): Promise<this> {
    this.server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(this.watch(client, upstream)).pipe(upstream).pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /**
   * Postgres only: on the first connection that sends a statement containing `statement`, its next
   * `COMMIT` reaches the server and commits, but the connection drops before the answer gets back
   * (the client cannot tell whether it committed). Resolves once that happened.
   */
  loseCommitAcknowledgement(statement: string): Promise<void> {
    return new Promise((fired) => (this.lostAcknowledgement = { statement, fired }));
  }

  /** Passes the client's bytes on, unless the armed fault strikes this connection. */
  private watch(client: Socket, upstream: Socket): Transform {
    let sentStatement = false;
    const watcher = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        const fault = this.lostAcknowledgement;
        const text = fault ? chunk.toString('latin1') : '';
        if (fault && text.includes(fault.statement)) sentStatement = true;
        if (!fault || !sentStatement || !text.includes('COMMIT')) return done(null, chunk);
        this.lostAcknowledgement = undefined;
        // The COMMIT goes to the server alone; its answer is not passed back, then the client's side drops.
        watcher.unpipe(upstream);
        upstream.unpipe(client);
        upstream.end(chunk, () => {
          void delay(200).then(() => {
            client.destroy();
            fault.fired();
          });
        });
        done();
      },
    });
    return watcher;
  }

  async cut(): Promise<void> {
    const closed = new Promise((resolve) => this.server?.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  async restore(): Promise<void> {
    await this.start();
  }

  async stop(): Promise<void> {
    await this.cut();
  }
}
