// Recognises a Postgres outage from the errors node-postgres and TypeORM throw; no imports, so the
// problem filter can use it without depending on the database slice.

/** Socket-level failures of the connection to Postgres (refused, reset, timed out, name lookup). */
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** SQLSTATE class 08 (connection exception) and 57P01–57P03 (the server shutting down or starting). */
const UNAVAILABLE_SQLSTATE = /^(08\d{3}|57P0[123])$/;
/** What node-postgres says when a connection dies or cannot be had in time. */
const UNAVAILABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/;
/**
 * TypeORM releases a transaction's query runner when its connection errors (the server went away
 * mid-transaction); the transaction's next query then throws this instead of a connection error.
 */
const RELEASED_BY_CONNECTION_ERROR = 'QueryRunnerAlreadyReleasedError';

/**
 * Whether an error means the database could not be reached (an outage, answered 503 with
 * Retry-After) rather than a problem with the query. Looks through TypeORM's wrapper and causes.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    const candidate = current as { name?: unknown; code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
    if (candidate.name === RELEASED_BY_CONNECTION_ERROR) return true;
    if (typeof candidate.code === 'string' && (CONNECTION_ERRNOS.has(candidate.code) || UNAVAILABLE_SQLSTATE.test(candidate.code))) return true;
    if (typeof candidate.message === 'string' && UNAVAILABLE_MESSAGE.test(candidate.message)) return true;
    current = candidate.driverError ?? candidate.cause;
  }
  return false;
}
