import { HttpOperation, templateFields } from '../../activities/http-request';
import type { FieldError } from '../common/app-error';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const OPERATION_NAME = /^[A-Za-z][\w.-]{0,62}$/;
const KNOWN_KEYS = new Set(['method', 'path', 'query', 'headers', 'body', 'successStatuses']);

function isStringMap(value: unknown): value is Record<string, string> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

/** Field-level problems in an `operations` map; empty when it is valid. */
export function validateOperations(operations: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  const entries = Object.entries(operations);
  if (entries.length === 0) errors.push({ field: 'operations', message: 'must define at least one operation' });
  for (const [name, raw] of entries) {
    const at = (key: string) => `operations.${name}${key ? `.${key}` : ''}`;
    if (!OPERATION_NAME.test(name)) errors.push({ field: at(''), message: 'operation names start with a letter: letters, digits, ".", "_", "-"' });
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      errors.push({ field: at(''), message: 'must be an object' });
      continue;
    }
    const operation = raw as Partial<HttpOperation>;
    for (const key of Object.keys(operation)) if (!KNOWN_KEYS.has(key)) errors.push({ field: at(key), message: 'is not a known property' });
    if (!METHODS.includes(operation.method as string)) errors.push({ field: at('method'), message: `must be one of ${METHODS.join(', ')}` });
    if (typeof operation.path !== 'string' || !operation.path.startsWith('/')) errors.push({ field: at('path'), message: 'must be a string starting with "/"' });
    if (operation.query !== undefined && !isStringMap(operation.query)) errors.push({ field: at('query'), message: 'must map names to string templates' });
    if (operation.headers !== undefined && !isStringMap(operation.headers)) errors.push({ field: at('headers'), message: 'must map names to string templates' });
    if (
      operation.successStatuses !== undefined &&
      !(Array.isArray(operation.successStatuses) && operation.successStatuses.every((s) => Number.isInteger(s) && s >= 100 && s <= 599))
    ) {
      errors.push({ field: at('successStatuses'), message: 'must be a list of HTTP status codes' });
    }
    if (errors.length === 0) {
      for (const field of templateFields(operation as HttpOperation)) {
        if (!/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(field)) errors.push({ field: at('path'), message: `placeholder {${field}} is not a valid input field path` });
      }
    }
  }
  return errors;
}
