import { AppError } from '../common/app-error';

export interface JobCursor {
  createdAt: Date;
  id: string;
}

/** Opaque to clients: base64url of the last row's sort key. */
export function encodeCursor(cursor: JobCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id])).toString('base64url');
}

export function decodeCursor(value: string): JobCursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (Number.isNaN(date.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw AppError.validation([{ field: 'cursor', message: 'is not a cursor this API returned' }], 'The cursor is invalid.');
  }
}
