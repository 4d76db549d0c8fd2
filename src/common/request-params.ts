import { ParseIntPipe, ParseUUIDPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { AppError } from './app-error';

/** Query strings are text: a numeric query parameter is converted before it is validated. */
export const QueryNumber = () => Transform(({ value }) => (value === undefined ? undefined : Number(value)));

/** A path id that is not a UUID names nothing: the same 404 as an unknown id. */
export function uuidParam(code: string, message: string): ParseUUIDPipe {
  return new ParseUUIDPipe({ exceptionFactory: () => AppError.notFound(code, message) });
}

/** A path version that is not a number names nothing: 404. */
export function versionParam(code: string, message: string): ParseIntPipe {
  return new ParseIntPipe({ exceptionFactory: () => AppError.notFound(code, message) });
}
