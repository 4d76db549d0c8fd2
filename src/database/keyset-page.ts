import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { AppError } from '../common/app-error';

/** A row's position in a newest-first listing. */
export interface KeysetPosition {
  at: Date;
  id: string;
}

/**
 * A page cursor: the last row's time (epoch milliseconds) and id. Its shape is documented, and any
 * value of that shape is a valid position (a page of what is older), so no cursor is "unknown".
 */
export const KEYSET_CURSOR = /^([0-9]{1,15})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function encodeCursor(position: KeysetPosition): string {
  return `${position.at.getTime()}_${position.id}`;
}

export function decodeCursor(value: string): KeysetPosition {
  const match = KEYSET_CURSOR.exec(value);
  if (!match) throw AppError.validation([{ field: 'cursor', message: 'is not a cursor this API returned' }], 'The cursor is invalid.');
  return { at: new Date(Number(match[1])), id: match[2] };
}

/**
 * One newest-first page keyed on (`timeColumn`, id): stable under concurrent inserts, no OFFSET.
 * `positionOf` reads the same key back from a row to build the next cursor.
 */
export async function keysetPage<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  options: { alias: string; timeColumn: string; limit: number; cursor?: string; positionOf: (row: T) => KeysetPosition },
): Promise<{ items: T[]; nextCursor: string | null }> {
  const { alias, timeColumn, limit } = options;
  query.orderBy(`${alias}.${timeColumn}`, 'DESC').addOrderBy(`${alias}.id`, 'DESC').limit(limit + 1);
  if (options.cursor) {
    const cursor = decodeCursor(options.cursor);
    query.andWhere(`(${alias}.${timeColumn}, ${alias}.id) < (:cursorAt, :cursorId)`, { cursorAt: cursor.at, cursorId: cursor.id });
  }
  const rows = await query.getMany();
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(options.positionOf(last)) : null };
}
