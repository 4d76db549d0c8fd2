import { QueryFailedError } from 'typeorm';

/** Postgres `unique_violation`: the insert collided with a unique key (a name taken, a race lost). */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505';
}

