/** What a connector is: its kind, operations and authentication, as stored and pinned into jobs. Pure. */

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface HttpOperation {
  method: HttpMethod;
  /** Path template over the input, e.g. `/customers/{customerId}/charges`. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Body template: strings that are exactly `{field}` take the input value with its type. Omitted: the whole input. */
  body?: unknown;
  /** Statuses that count as success; default: any 2xx. */
  successStatuses?: number[];
  /**
   * The input fields the operation reads (dotted paths). When given, every template placeholder must
   * name one of them or a field inside one; checked when the connector is saved.
   */
  inputFields?: string[];
}

export interface HttpConnectorSpec {
  baseUrl: string;
  operations: Record<string, HttpOperation>;
  /** Let this connector reach loopback/private addresses (only if the deployment allows it too). */
  allowPrivateNetwork?: boolean;
  /** Credentials from a secret ref; none when omitted. */
  auth?: HttpAuth;
}

/** Where a Stripe event goes: an operation of another (http) connector of the same tenant, by id. */
export interface StripeRoute {
  connector: string;
  operation: string;
}

/** What a running job calls: the connector's definition as it was when the job started (SPEC §3.10). */
export interface ConnectorDefinition {
  name: string;
  type: string;
  spec: ConnectorSpec;
}

/** Stripe webhook ingress. It calls nothing itself, so it has no operations (an empty map). */
export interface StripeConnectorSpec {
  signingSecretRef: string;
  toleranceSeconds: number;
  /** Event type (exact, `prefix.*`, or `*`) → route. */
  routes: Record<string, StripeRoute>;
  operations: Record<string, never>;
}

export type ConnectorSpec = HttpConnectorSpec | StripeConnectorSpec;

export function isHttpSpec(spec: ConnectorSpec): spec is HttpConnectorSpec {
  return typeof (spec as HttpConnectorSpec).baseUrl === 'string';
}

export const AUTH_TYPES = ['none', 'bearer', 'basic', 'header'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

/**
 * How an `http` connector authenticates. `secretRef` is a secret ref id (names are resolved to ids
 * when the connector is saved).
 * - `bearer`: `Authorization: Bearer <secret>`
 * - `basic`: `Authorization: Basic base64(username:secret)`, or base64(secret) when the secret
 *   itself is `user:password` and no `username` is given
 * - `header`: `<headerName>: <prefix><secret>`, e.g. `X-Api-Key`
 */
export interface HttpAuth {
  type: AuthType;
  secretRef?: string;
  username?: string;
  headerName?: string;
  prefix?: string;
}

/** Header names a credential may not be put in: they would change how the request is framed or routed. */
export const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'upgrade',
  'te',
  'trailer',
  'keep-alive',
  'expect',
  'idempotency-key',
  'accept',
]);

/** `{field}` or `{dotted.path}` in a template: replaced by that input value. */
export const TEMPLATE_PLACEHOLDER = /\{([\w.]+)\}/g;

/** Placeholders a template names, so that connectors can be validated before any job runs. */
export function templateFields(operation: HttpOperation): string[] {
  return [...new Set(templateFieldsByLocation(operation).map(([, field]) => field))];
}

/** Each placeholder with where it appears: `path`, `query.<name>`, `headers.<name>` or `body`. */
export function templateFieldsByLocation(operation: HttpOperation): [location: string, field: string][] {
  const found: [string, string][] = [];
  const scan = (location: string, template: unknown) => {
    for (const match of JSON.stringify(template ?? null).matchAll(TEMPLATE_PLACEHOLDER)) found.push([location, match[1]]);
  };
  scan('path', operation.path);
  for (const [name, template] of Object.entries(operation.query ?? {})) scan(`query.${name}`, template);
  for (const [name, template] of Object.entries(operation.headers ?? {})) scan(`headers.${name}`, template);
  scan('body', operation.body);
  return found;
}
