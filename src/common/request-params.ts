import { ParseUUIDPipe, PipeTransform } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { isRFC3339, ValidateBy, ValidateIf } from 'class-validator';
import type { ErrorCode } from '../../domain/errors';
import { AppError } from './app-error';

/**
 * The field may be left out; `null` is a value like any other and must pass the field's rules.
 * (class-validator's IsOptional also skips null, which the document would have to call nullable.)
 */
export const Omittable = () => ValidateIf((_object: unknown, value: unknown) => value !== undefined);

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

/**
 * A point in time as RFC 3339 `date-time` (what the document's `format: date-time` means), on a real
 * calendar day; leap seconds are refused because JavaScript dates cannot hold them.
 */
export function IsInstant(): PropertyDecorator {
  return ValidateBy({
    name: 'isInstant',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && isRFC3339(value) && isCalendarInstant(value),
      defaultMessage: (args) => `${args?.property ?? 'value'} must be an RFC 3339 date-time, e.g. 2026-01-01T00:00:00Z`,
    },
  });
}

function isCalendarInstant(value: string): boolean {
  const [year, month, day, second] = (/^(\d{4})-(\d{2})-(\d{2})[Tt ]\d{2}:\d{2}:(\d{2})/.exec(value) ?? []).slice(1).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return day >= 1 && day <= daysInMonth && second < 60 && !Number.isNaN(Date.parse(value));
}
