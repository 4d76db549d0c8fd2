import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { AppError } from '../common/app-error';

/** A row's position in a newest-first listing. */
export interface KeysetPosition {
  at: Date;
  id: string;
}

/** Opaque to clients: base64url of the last row's sort key. */
export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id])).toString('base64url');
}

export function decodeCursor(value: string): KeysetPosition {
  try {
    const [at, id] = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(at);
    if (Number.isNaN(date.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) throw new Error('bad cursor');
    return { at: date, id };
  } catch {
    throw AppError.validation([{ field: 'cursor', message: 'is not a cursor this API returned' }], 'The cursor is invalid.');
  }
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
