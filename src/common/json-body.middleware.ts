import { Injectable, NestMiddleware } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import { Environment } from '../config/environment';
import { AppError } from './app-error';

declare module 'express-serve-static-core' {
  interface Request {
    /** The exact bytes received; webhook signatures are verified on these. */
    rawBody?: Buffer;
  }
}

const JSON_TYPES = ['application/json', 'application/*+json'];
const BODY_ERRORS: Record<string, () => AppError> = {
  'entity.too.large': () => new AppError('PAYLOAD_TOO_LARGE', 'The request body is larger than allowed.'),
  'entity.parse.failed': () => new AppError('MALFORMED_JSON', 'The request body is not valid JSON.'),
  'encoding.unsupported': () => unsupportedMediaType(),
  'charset.unsupported': () => unsupportedMediaType(),
};

function unsupportedMediaType() {
  return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
}

/**
 * Parses JSON bodies inside Nest (not as bare Express middleware) so that a too-large, malformed
 * or wrongly typed body reaches the problem+json filter like every other error.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  private readonly parse: express.RequestHandler;

  constructor(environment: Environment) {
    this.parse = express.json({
      limit: environment.ORCH_MAX_BODY_BYTES,
      type: JSON_TYPES,
      verify: (req: Request, _res, buffer) => {
        req.rawBody = buffer;
      },
    });
  }

  async use(request: Request, response: Response, next: NextFunction): Promise<void> {
    const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
    if (hasBody && !request.is(JSON_TYPES)) throw unsupportedMediaType();
    await new Promise<void>((resolve, reject) =>
      this.parse(request, response, (error?: unknown) => (error ? reject(error) : resolve())),
    ).catch((error: { type?: string }) => {
      throw BODY_ERRORS[error.type ?? '']?.() ?? error;
    });
    next();
  }
}
