import { Injectable, NestMiddleware } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import { Environment, HISTORY_SAFE_BODY_BYTES } from '../config/environment';
import { AppError } from './app-error';

declare module 'express-serve-static-core' {
  interface Request {
    /** The exact bytes received; webhook signatures are verified on these. */
    rawBody?: Buffer;
  }
}

const JSON_TYPES = ['application/json', 'application/*+json'];
const BODY_ERRORS: Record<string, (limit: BodyLimit) => AppError> = {
  'entity.too.large': ({ bytes, storeConfigured }) =>
    new AppError(
      'PAYLOAD_TOO_LARGE',
      storeConfigured
        ? `The request body is larger than ${bytes} bytes (ORCH_MAX_BODY_BYTES).`
        : `The request body is larger than ${bytes} bytes, the most that can travel without a payload store; set PAYLOAD_STORE_ENDPOINT to accept larger bodies.`,
      { extensions: { limitBytes: bytes } },
    ),
  'entity.parse.failed': () => new AppError('MALFORMED_JSON', 'The request body is not valid JSON.'),
  'encoding.unsupported': () => unsupportedMediaType(),
  'charset.unsupported': () => unsupportedMediaType(),
};

interface BodyLimit {
  bytes: number;
  storeConfigured: boolean;
}

/**
 * Without a payload store a body goes whole into Temporal's history and Postgres rows, so the
 * limit is capped at what a history holds safely; with one, ORCH_MAX_BODY_BYTES alone decides.
 */
export function bodyLimit(environment: Environment): BodyLimit {
  const storeConfigured = Boolean(environment.PAYLOAD_STORE_ENDPOINT && environment.PAYLOAD_STORE_BUCKET);
  return { bytes: storeConfigured ? environment.ORCH_MAX_BODY_BYTES : Math.min(environment.ORCH_MAX_BODY_BYTES, HISTORY_SAFE_BODY_BYTES), storeConfigured };
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function unsupportedMediaType() {
  return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
}

/** Where a value holds a NUL character (which Postgres text cannot store): `input.note`, `query.name`, … */
function nulFields(value: unknown, path: string): string[] {
  if (typeof value === 'string') return value.includes('\u0000') ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => nulFields(item, `${path}[${index}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => {
      const field = path ? `${path}.${key}` : key;
      return key.includes('\u0000') ? [field] : nulFields(item, field);
    });
  }
  return [];
}

function refuseNul(fields: string[]): void {
  if (fields.length === 0) return;
  throw AppError.validation(fields.map((field) => ({ field, message: 'must not contain the NUL character (\\u0000)' })));
}

/**
 * Parses JSON bodies inside Nest (not as bare Express middleware) so that a too-large, malformed
 * or wrongly typed body reaches the problem+json filter like every other error.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  private readonly parse: express.RequestHandler;
  private readonly limit: BodyLimit;

  constructor(environment: Environment) {
    this.limit = bodyLimit(environment);
    this.parse = express.json({
      limit: this.limit.bytes,
      type: JSON_TYPES,
      verify: (req: Request, _res, buffer) => {
        req.rawBody = buffer;
      },
    });
  }

  async use(request: Request, response: Response, next: NextFunction): Promise<void> {
    refuseNul([...(safeDecode(request.path).includes('\u0000') ? ['path'] : []), ...nulFields(request.query, 'query')]);
    const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
    if (hasBody && !request.is(JSON_TYPES)) throw unsupportedMediaType();
    await new Promise<void>((resolve, reject) =>
      this.parse(request, response, (error?: unknown) => (error ? reject(error) : resolve())),
    ).catch((error: { type?: string }) => {
      throw BODY_ERRORS[error.type ?? '']?.(this.limit) ?? error;
    });
    refuseNul(nulFields(request.body, '').map((field) => field || 'body'));
    // No body is not an empty object: the validation pipe tells a required body from an omitted one.
    if (!hasBody) request.body = undefined;
    next();
  }
}
