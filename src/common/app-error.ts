import { Dependency, ERROR_CATALOGUE, ErrorCode } from '../../domain/errors';

/** A field-level validation problem, listed in problem+json `errors`. */
export interface FieldError {
  field: string;
  message: string;
}

export interface AppErrorExtra {
  errors?: FieldError[];
  /** Sent as `Retry-After`; every 503 gets one (5 s unless said otherwise). */
  retryAfterSeconds?: number;
  extensions?: Record<string, unknown>;
  /** Response headers the problem needs (`Allow` on a 405). */
  headers?: Record<string, string>;
  /** Only for errors the framework raised with a status of its own (see ProblemDetailsFilter). */
  status?: number;
}

const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * An error with a stable `code` from the catalogue (domain/errors.ts), which fixes its HTTP status
 * and title; it becomes an RFC 9457 problem+json response. Services throw these; only the
 * exception filter turns them into HTTP.
 */
export class AppError extends Error {
  readonly status: number;
  readonly extra: AppErrorExtra;

  constructor(
    readonly code: ErrorCode,
    message: string,
    extra: AppErrorExtra = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.status = extra.status ?? ERROR_CATALOGUE[code].status;
    this.extra = this.status === 503 && extra.retryAfterSeconds === undefined ? { ...extra, retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS } : extra;
  }

  get title(): string {
    return ERROR_CATALOGUE[this.code].title;
  }

  static validation(errors: FieldError[], message = 'The request is invalid.') {
    return new AppError('VALIDATION_FAILED', message, { errors });
  }

  /** 503 DEPENDENCY_UNAVAILABLE with `Retry-After`, naming the dependency that is down. */
  static dependencyUnavailable(dependency: Dependency, message: string, retryAfterSeconds?: number) {
    return new AppError('DEPENDENCY_UNAVAILABLE', message, { retryAfterSeconds, extensions: { dependency } });
  }
}
