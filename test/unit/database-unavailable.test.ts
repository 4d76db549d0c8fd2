import { describe, expect, test } from '@jest/globals';
import { QueryRunnerAlreadyReleasedError, QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from '../../src/common/database-unavailable';

describe('isDatabaseUnavailable: a Postgres outage (503) told apart from a bad query (SPEC §4)', () => {
  test('socket errors, connection-class SQLSTATEs and a server shutting down or starting are outages', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('the database system is shutting down'), { code: '57P03' }))).toBe(true);
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  test("a transaction whose connection died between two queries (TypeORM released its runner) is an outage, not a 500", () => {
    expect(isDatabaseUnavailable(new QueryRunnerAlreadyReleasedError())).toBe(true);
  });

  test('a query the database refused is not an outage', () => {
    expect(isDatabaseUnavailable(new QueryFailedError('INSERT …', [], Object.assign(new Error('duplicate key value'), { code: '23505' })))).toBe(false);
    expect(isDatabaseUnavailable(new Error('something else'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});
