/** How an `http` connector turns (operation, input) into a request and a response into an outcome. */
import { ConnectorSpec, HttpMethod, HttpOperation, isHttpSpec, TEMPLATE_PLACEHOLDER } from '../domain/connector-spec';
import { ConfigurationError, JobError } from '../domain/job';

export interface HttpRequestPlan {
  url: URL;
  method: HttpMethod;
  headers: Record<string, string>;
  body?: string;
  /** Whether this connector may reach private addresses (the deployment must allow it too). */
  allowPrivateNetwork?: boolean;
  /** Headers that carry credentials: dropped when a redirect leaves the origin. */
  credentialHeaders?: string[];
}

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  truncated: boolean;
}

const WHOLE_PLACEHOLDER = /^\{([\w.]+)\}$/;
/** Response headers worth keeping in a job result; everything else is dropped. */
const SAFE_RESPONSE_HEADERS = ['content-type', 'etag', 'location', 'retry-after', 'x-request-id', 'last-modified'];

function lookup(input: Record<string, unknown>, path: string): unknown {
  let value: unknown = input;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !(key in value)) {
      throw new ConfigurationError(`The input has no field "${path}" that the operation template needs.`);
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function fillString(template: string, input: Record<string, unknown>, encode: (s: string) => string = (s) => s): string {
  return template.replace(TEMPLATE_PLACEHOLDER, (_match, path: string) => {
    const value = lookup(input, path);
    return encode(typeof value === 'string' ? value : JSON.stringify(value));
  });
}

function fillBody(template: unknown, input: Record<string, unknown>): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(template);
    return whole ? lookup(input, whole[1]) : fillString(template, input);
  }
  if (Array.isArray(template)) return template.map((item) => fillBody(item, input));
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([key, value]) => [key, fillBody(value, input)]));
  }
  return template;
}

export function planRequest(
  spec: ConnectorSpec,
  operationName: string,
  input: Record<string, unknown>,
  idempotencyKey: string,
): HttpRequestPlan {
  const operation = Object.prototype.hasOwnProperty.call(spec.operations, operationName) ? spec.operations[operationName] : undefined;
  if (!operation || !isHttpSpec(spec)) throw new ConfigurationError(`The connector has no operation "${operationName}".`);
  const base = spec.baseUrl.endsWith('/') ? spec.baseUrl.slice(0, -1) : spec.baseUrl;
  const url = new URL(base + fillString(operation.path, input, encodeURIComponent));
  for (const [name, template] of Object.entries(operation.query ?? {})) url.searchParams.set(name, fillString(template, input));
  const headers: Record<string, string> = { accept: 'application/json', 'idempotency-key': idempotencyKey };
  for (const [name, template] of Object.entries(operation.headers ?? {})) headers[name.toLowerCase()] = fillString(template, input);
  const allowPrivateNetwork = spec.allowPrivateNetwork === true;
  if (operation.method === 'GET' || operation.method === 'DELETE') return { url, method: operation.method, headers, allowPrivateNetwork };
  headers['content-type'] = 'application/json';
  const body = operation.body === undefined ? input : fillBody(operation.body, input);
  return { url, method: operation.method, headers, body: JSON.stringify(body), allowPrivateNetwork };
}

export function isSuccess(spec: ConnectorSpec, operationName: string, status: number): boolean {
  const expected = (spec.operations as Record<string, HttpOperation>)[operationName]?.successStatuses;
  return expected && expected.length > 0 ? expected.includes(status) : status >= 200 && status < 300;
}

/** SPEC §3.2: 5xx, 408 and 429 are retryable, other statuses are not. */
export function httpError(status: number): JobError {
  const retryable = status >= 500 || status === 408 || status === 429;
  return { type: 'HttpError', message: `The connector answered HTTP ${status}.`, retryable, httpStatus: status };
}

/** `Retry-After` as delay-seconds or an HTTP-date, in ms from `now`; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Reads at most `maxBytes` of the body; JSON when the type says so and it parses, text otherwise. */
export async function readResponse(response: Response, maxBytes: number): Promise<HttpResult> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > maxBytes) {
        chunks.push(value.subarray(0, maxBytes - size));
        truncated = true;
        await reader.cancel();
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const headers = Object.fromEntries(SAFE_RESPONSE_HEADERS.flatMap((name) => {
    const value = response.headers.get(name);
    return value === null ? [] : [[name, value]];
  }));
  let body: unknown = text;
  if (!truncated && /\bjson\b/.test(headers['content-type'] ?? '') && text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: response.status, headers, body, truncated };
}
