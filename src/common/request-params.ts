import { ParseIntPipe, ParseUUIDPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import type { ErrorCode } from '../../domain/errors';
import { AppError } from './app-error';

/** Query strings are text: a numeric query parameter is converted before it is validated. */
export const QueryNumber = () => Transform(({ value }) => (value === undefined ? undefined : Number(value)));

/** A path id that is not a UUID names nothing: the same 404 as an unknown id. */
export function uuidParam(code: ErrorCode, message: string): ParseUUIDPipe {
  return new ParseUUIDPipe({ exceptionFactory: () => new AppError(code, message) });
}

/** A path version that is not a number names nothing: 404. */
export function versionParam(code: ErrorCode, message: string): ParseIntPipe {
  return new ParseIntPipe({ exceptionFactory: () => new AppError(code, message) });
}
