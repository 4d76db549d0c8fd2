import { AUTH_TYPES, HTTP_METHODS, HttpAuth, HttpOperation, RESERVED_HEADERS, templateFieldsByLocation } from '../../domain/connector-spec';
import type { FieldError } from '../common/app-error';

const OPERATION_NAME = /^[A-Za-z][\w.-]{0,62}$/;
const KNOWN_KEYS = new Set(['method', 'path', 'query', 'headers', 'body', 'successStatuses', 'inputFields']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const FIELD_PATH = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/;

/** Whether `field` is one of `declared` or lies inside one (`customer` covers `customer.id`). */
function isDeclared(field: string, declared: readonly string[]): boolean {
  return declared.some((name) => field === name || field.startsWith(`${name}.`));
}

function isStringMap(value: unknown): value is Record<string, string> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

/** Field-level problems in an `operations` map; empty when it is valid. */
export function validateOperations(operations: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  const entries = Object.entries(operations);
  if (entries.length === 0) errors.push({ field: 'operations', message: 'must define at least one operation' });
  for (const [name, raw] of entries) {
    const before = errors.length;
    const at = (key: string) => `operations.${name}${key ? `.${key}` : ''}`;
    if (!OPERATION_NAME.test(name)) errors.push({ field: at(''), message: 'operation names start with a letter: letters, digits, ".", "_", "-"' });
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      errors.push({ field: at(''), message: 'must be an object' });
      continue;
    }
    const operation = raw as Partial<HttpOperation>;
    for (const key of Object.keys(operation)) if (!KNOWN_KEYS.has(key)) errors.push({ field: at(key), message: 'is not a known property' });
    if (!(HTTP_METHODS as readonly string[]).includes(operation.method as string)) errors.push({ field: at('method'), message: `must be one of ${HTTP_METHODS.join(', ')}` });
    if (typeof operation.path !== 'string' || !operation.path.startsWith('/')) errors.push({ field: at('path'), message: 'must be a string starting with "/"' });
    if (operation.query !== undefined && !isStringMap(operation.query)) errors.push({ field: at('query'), message: 'must map names to string templates' });
    if (operation.headers !== undefined && !isStringMap(operation.headers)) errors.push({ field: at('headers'), message: 'must map names to string templates' });
    else for (const header of Object.keys(operation.headers ?? {})) if (!HEADER_NAME.test(header)) errors.push({ field: at(`headers.${header}`), message: 'is not a valid HTTP header name' });
    if (
      operation.successStatuses !== undefined &&
      !(Array.isArray(operation.successStatuses) && operation.successStatuses.every((s) => Number.isInteger(s) && s >= 100 && s <= 599))
    ) {
      errors.push({ field: at('successStatuses'), message: 'must be a list of HTTP status codes' });
    }
    const declared = operation.inputFields;
    if (declared !== undefined && !(Array.isArray(declared) && declared.every((f) => typeof f === 'string' && FIELD_PATH.test(f)))) {
      errors.push({ field: at('inputFields'), message: 'must be a list of input field paths such as "amount" or "customer.id"' });
    }
    if (errors.length === before) {
      for (const [location, field] of templateFieldsByLocation(operation as HttpOperation)) {
        if (!FIELD_PATH.test(field)) {
          errors.push({ field: at(location), message: `placeholder {${field}} is not a valid input field path` });
        } else if (declared && !isDeclared(field, declared)) {
          errors.push({ field: at(location), message: `placeholder {${field}} names an input field that inputFields does not declare` });
        }
      }
    }
  }
  return errors;
}

/** Problems with an http connector's base URL beyond "is an http(s) URL". */
export function validateBaseUrl(baseUrl: string): FieldError[] {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return [{ field: 'baseUrl', message: 'baseUrl must be an http(s) URL' }];
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return [{ field: 'baseUrl', message: 'baseUrl must be an http(s) URL' }];
  if (url.username || url.password) return [{ field: 'baseUrl', message: 'must not embed credentials: use auth with a secret ref' }];
  if (url.search || url.hash || baseUrl.includes('?') || baseUrl.includes('#')) return [{ field: 'baseUrl', message: 'must not have a query or fragment: put those in the operations' }];
  return [];
}

/** Shape problems of an `auth` block (the secret ref's existence is checked by the service). */
export function validateAuth(auth: Partial<HttpAuth>): FieldError[] {
  const errors: FieldError[] = [];
  const type = auth.type;
  if (!AUTH_TYPES.includes(type as never)) return [{ field: 'auth.type', message: `must be one of ${AUTH_TYPES.join(', ')}` }];
  if (type !== 'none' && !auth.secretRef) errors.push({ field: 'auth.secretRef', message: `is required for ${type} auth` });
  if (type === 'none' && auth.secretRef !== undefined) errors.push({ field: 'auth.secretRef', message: 'is not used without auth' });
  if (type !== 'basic' && auth.username !== undefined) errors.push({ field: 'auth.username', message: 'is used by basic auth only' });
  if (type === 'header') {
    if (!auth.headerName) errors.push({ field: 'auth.headerName', message: 'is required for header auth' });
    else if (!HEADER_NAME.test(auth.headerName)) errors.push({ field: 'auth.headerName', message: 'is not a valid HTTP header name' });
    else if (RESERVED_HEADERS.has(auth.headerName.toLowerCase())) errors.push({ field: 'auth.headerName', message: `cannot carry a credential: "${auth.headerName}" is set by the platform` });
  } else {
    if (auth.headerName !== undefined) errors.push({ field: 'auth.headerName', message: 'is used by header auth only' });
    if (auth.prefix !== undefined) errors.push({ field: 'auth.prefix', message: 'is used by header auth only' });
  }
  return errors;
}

/** `*`, an exact event type (`invoice.paid`) or a prefix pattern (`invoice.*`). */
export const EVENT_PATTERN = /^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$/;

/** Shape problems of a stripe connector's `routes` (targets are checked by the service). */
export function validateRoutes(routes: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  for (const [pattern, route] of Object.entries(routes)) {
    const at = `routes.${pattern}`;
    if (!EVENT_PATTERN.test(pattern)) errors.push({ field: at, message: 'keys are event types ("invoice.paid"), prefixes ("invoice.*") or "*"' });
    if (route === null || typeof route !== 'object' || Array.isArray(route)) {
      errors.push({ field: at, message: 'must be { connector, operation }' });
      continue;
    }
    const { connector, operation, ...rest } = route as Record<string, unknown>;
    if (typeof connector !== 'string' || connector.length === 0) errors.push({ field: `${at}.connector`, message: 'must name a connector (id or name)' });
    if (typeof operation !== 'string' || operation.length === 0) errors.push({ field: `${at}.operation`, message: 'must name an operation' });
    for (const key of Object.keys(rest)) errors.push({ field: `${at}.${key}`, message: 'is not a known property' });
  }
  return errors;
}

/** The route for an event type: exact match, then the longest matching `prefix.*`, then `*`. */
export function routeFor<T>(routes: Record<string, T>, eventType: string): { pattern: string; route: T } | undefined {
  if (Object.prototype.hasOwnProperty.call(routes, eventType)) return { pattern: eventType, route: routes[eventType] };
  const prefixes = Object.keys(routes)
    .filter((pattern) => pattern.endsWith('.*') && eventType.startsWith(pattern.slice(0, -1)))
    .sort((a, b) => b.length - a.length);
  if (prefixes.length > 0) return { pattern: prefixes[0], route: routes[prefixes[0]] };
  return Object.prototype.hasOwnProperty.call(routes, '*') ? { pattern: '*', route: routes['*'] } : undefined;
}
