import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, IncomingMessage, request as forward, Server, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { AppError } from '../common/app-error';
import { problemDocument } from '../common/problem-details.filter';
import type { Environment } from '../config/environment';

/** Where `npm run build` puts the console's static files (console/vite.config.ts): dist/console. */
export const CONSOLE_BUILD_DIR = join(__dirname, '..', '..', 'console');

/** What the web app needs to know at start, from the api's environment (never a secret). */
export interface ConsoleSettings {
  authMode: 'jwt' | 'disabled';
  oidc: { issuer: string; clientId: string } | null;
  temporalUiUrl: string | null;
  temporalNamespace: string;
}

export function consoleSettings(environment: Environment): ConsoleSettings {
  const { ORCH_OIDC_ISSUER: issuer, ORCH_OIDC_CLIENT_ID: clientId } = environment;
  return {
    authMode: environment.AUTH_MODE,
    oidc: issuer && clientId ? { issuer, clientId } : null,
    temporalUiUrl: environment.ORCH_TEMPORAL_UI_URL ?? null,
    temporalNamespace: environment.TEMPORAL_NAMESPACE,
  };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

// Hop-by-hop headers (RFC 9110 §7.6.1) are the proxy's own, never forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function forwardableHeaders(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

/**
 * The operator console's listener (SPEC §11): one origin that serves the web app and forwards
 * `/control/*` and `/exec/*` to the two planes on loopback, so the browser needs no CORS and the
 * planes keep checking every call (token, audience, roles) exactly as for any other client.
 */
export class OperatorConsole {
  constructor(
    private readonly options: {
      /** The planes on this process: `{ control, exec }` ports, or one port serving both. */
      planes: { control: number; exec: number };
      settings: ConsoleSettings;
      staticDir?: string;
    },
  ) {}

  async listen(port: number): Promise<Server> {
    const server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, resolve));
    return server;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://console.invalid');
    const plane = /^\/(control|exec)(\/.*)?$/.exec(url.pathname);
    if (plane) return this.forward(request, response, plane[1] as 'control' | 'exec', `${plane[2] ?? '/'}${url.search}`);
    if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405, { allow: 'GET, HEAD' }).end();
    if (url.pathname === '/console-settings.json') {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return void response.end(JSON.stringify(this.options.settings));
    }
    this.serveStatic(url.pathname, response);
  }

  private forward(request: IncomingMessage, response: ServerResponse, plane: 'control' | 'exec', path: string): void {
    const upstream = forward(
      {
        host: '127.0.0.1',
        port: this.options.planes[plane],
        method: request.method,
        path,
        headers: {
          ...forwardableHeaders(request.headers),
          // The api trusts loopback proxies (trust proxy), so audit and rate limits see the browser's address.
          'x-forwarded-for': [request.headers['x-forwarded-for'], request.socket.remoteAddress].filter(Boolean).join(', '),
          'x-forwarded-host': request.headers['x-forwarded-host'] ?? request.headers.host ?? '',
          'x-forwarded-proto': (request.headers['x-forwarded-proto'] as string | undefined) ?? 'http',
        },
      },
      (reply) => {
        response.writeHead(reply.statusCode ?? 502, forwardableHeaders(reply.headers));
        // Server-sent events must reach the browser as they come, not when a buffer fills.
        if (String(reply.headers['content-type'] ?? '').startsWith('text/event-stream')) response.flushHeaders();
        reply.pipe(response);
      },
    );
    upstream.on('error', () => {
      if (response.headersSent) return void response.destroy();
      const problem = problemDocument(new AppError('UPSTREAM_UNAVAILABLE', `The ${plane} plane did not answer.`), '', request.url ?? '');
      response.writeHead(problem.status, { 'content-type': 'application/problem+json' });
      response.end(JSON.stringify(problem));
    });
    // A browser that goes away (a closed event stream) ends the upstream request too.
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  }

  private serveStatic(pathname: string, response: ServerResponse): void {
    const root = this.options.staticDir ?? CONSOLE_BUILD_DIR;
    const index = join(root, 'index.html');
    if (!existsSync(index)) {
      response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      return void response.end('The operator console is not built: run `npm run build`.\n');
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return void response.writeHead(400).end();
    }
    let file = normalize(join(root, decoded));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      // Client-side routes (/jobs/…, /connectors/…) are the app's; a missing asset is a 404.
      if (pathname.startsWith('/assets/')) return void response.writeHead(404).end();
      file = index;
    }
    const hashed = file.includes(`${sep}assets${sep}`);
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    createReadStream(file).pipe(response);
  }
}
