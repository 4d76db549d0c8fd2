import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';
import type { Session } from '../session';

export type Schemas = components['schemas'];

/** An RFC 9457 problem from the api (SPEC §4): `title` and `detail` are shown, `code` kept. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly code: string | undefined,
    readonly errors: { field: string; message: string }[] = [],
    readonly requestId?: string,
  ) {
    super(detail || title);
  }

  /** The message of the first validation error on `field` (or below it), for a form field. */
  fieldError(field: string): string | undefined {
    return this.errors.find((error) => error.field === field || error.field.startsWith(`${field}.`))?.message;
  }
}

async function problemOf(response: Response): Promise<ApiProblem> {
  const body = (await response.clone().json().catch(() => ({}))) as Record<string, unknown>;
  return new ApiProblem(
    response.status,
    String(body.title ?? response.statusText ?? 'Error'),
    String(body.detail ?? ''),
    body.code === undefined ? undefined : String(body.code),
    Array.isArray(body.errors) ? (body.errors as { field: string; message: string }[]) : [],
    body.requestId === undefined ? undefined : String(body.requestId),
  );
}

function headersFor(session: Session): Record<string, string> {
  return {
    ...(session.token ? { authorization: `Bearer ${session.token}` } : {}),
    ...(session.actingAs ? { 'x-impersonate-tenant': session.actingAs } : {}),
  };
}

/**
 * Typed clients of the two planes, through the console's own origin (`/control/*`, `/exec/*`).
 * The paths and bodies come from the api's OpenAPI document (console/openapi.json), so an API
 * change that the console does not follow fails `npm run build`.
 */
export function apiClients(session: Session) {
  const auth: Middleware = {
    onRequest({ request }) {
      for (const [name, value] of Object.entries(headersFor(session))) request.headers.set(name, value);
      return request;
    },
    async onResponse({ response }) {
      if (!response.ok) throw await problemOf(response);
      return response;
    },
  };
  const control = createClient<paths>({ baseUrl: '/control' });
  const exec = createClient<paths>({ baseUrl: '/exec' });
  control.use(auth);
  exec.use(auth);
  return { control, exec, headers: () => headersFor(session) };
}

export type Api = ReturnType<typeof apiClients>;

/** The body of a successful call (errors were thrown by the middleware). */
export async function data<T>(call: Promise<{ data?: T; error?: unknown }>): Promise<T> {
  const result = await call;
  return result.data as T;
}

export interface StreamedEvent {
  id: string;
  type: string;
  jobId: string | null;
  data: Record<string, unknown>;
  createdAt?: string;
}

/**
 * GET /exec/events/stream read with fetch (EventSource cannot send Authorization). Resumes with
 * Last-Event-ID after a dropped connection. Returns a function that stops it.
 */
export function streamEvents(api: Api, query: Record<string, string>, onEvent: (event: StreamedEvent) => void, onState?: (live: boolean) => void): () => void {
  const controller = new AbortController();
  let lastId: string | undefined;
  const run = async () => {
    while (!controller.signal.aborted) {
      try {
        const response = await fetch(`/exec/events/stream?${new URLSearchParams(query)}`, {
          headers: { accept: 'text/event-stream', ...api.headers(), ...(lastId ? { 'last-event-id': lastId } : {}) },
          signal: controller.signal,
        });
        if (!response.ok || !response.body) throw await problemOf(response);
        onState?.(true);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const lines = frame.split('\n');
            const id = lines.find((line) => line.startsWith('id:'))?.slice(3).trim();
            const payload = lines.filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart()).join('\n');
            if (!id || !payload) continue;
            lastId = id;
            onEvent(JSON.parse(payload) as StreamedEvent);
          }
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof ApiProblem && (error.status === 401 || error.status === 403)) return onState?.(false);
      }
      onState?.(false);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  };
  void run();
  return () => controller.abort();
}

/**
 * Saves an exec-plane resource as a file (a result kept in the payload store, streamed by
 * GET /jobs/:id/result): fetched with the session's token, which a plain link could not send.
 */
export async function downloadFile(api: Api, path: string, filename: string): Promise<void> {
  const response = await fetch(`/exec${path}`, { headers: api.headers() });
  if (!response.ok) throw await problemOf(response);
  const url = URL.createObjectURL(await response.blob());
  const anchor = Object.assign(document.createElement('a'), { href: url, download: filename });
  anchor.click();
  URL.revokeObjectURL(url);
}
