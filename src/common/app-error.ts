import { HttpStatus } from '@nestjs/common';

/** A field-level validation problem, listed in problem+json `errors`. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * An error with a stable `code` that survives process boundaries and becomes an RFC 9457
 * problem+json response. Services throw these; only the exception filter turns them into HTTP.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: HttpStatus,
    message: string,
    readonly extra: { errors?: FieldError[]; retryAfterSeconds?: number; extensions?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }

  static notFound(code: string, message: string) {
    return new AppError(code, HttpStatus.NOT_FOUND, message);
  }

  static validation(errors: FieldError[], message = 'The request is invalid.') {
    return new AppError('VALIDATION_FAILED', HttpStatus.BAD_REQUEST, message, { errors });
  }

  static conflict(code: string, message: string) {
    return new AppError(code, HttpStatus.CONFLICT, message);
  }

  static unavailable(code: string, message: string, retryAfterSeconds = 5) {
    return new AppError(code, HttpStatus.SERVICE_UNAVAILABLE, message, { retryAfterSeconds });
  }
}
