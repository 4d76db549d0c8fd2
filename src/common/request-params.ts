import { ParseUUIDPipe, PipeTransform } from '@nestjs/common';
import { Transform } from 'class-transformer';
import type { ErrorCode } from '../../domain/errors';
import { AppError } from './app-error';

/** Query strings are text: a numeric query parameter is converted before it is validated. */
export const QueryNumber = () => Transform(({ value }) => (value === undefined ? undefined : Number(value)));

/** A path id that is not a UUID names nothing: the same 404 as an unknown id. */
export function uuidParam(code: ErrorCode, message: string): ParseUUIDPipe {
  return new ParseUUIDPipe({ exceptionFactory: () => new AppError(code, message) });
}

/** The largest value of a Postgres `int` column: a number above it can name no row. */
export const MAX_STORED_INT = 2_147_483_647;

/** A path version that is not a whole number from 1 to what an `int` column holds names nothing: 404. */
export function versionParam(code: ErrorCode, message: string): PipeTransform<string, number> {
  return {
    transform(value: string): number {
      const version = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
      if (!(version >= 1 && version <= MAX_STORED_INT)) throw new AppError(code, message);
      return version;
    },
  };
}
