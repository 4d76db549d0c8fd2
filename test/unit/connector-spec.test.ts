import { describe, expect, test } from '@jest/globals';
import { routeFor, validateAuth, validateBaseUrl, validateOperations, validateRoutes } from '../../src/connectors/operation-spec';

const fields = (errors: { field: string }[]) => errors.map((error) => error.field);

describe('validating http operations', () => {
  test('inputFields: placeholders must name a declared field (or one inside it)', () => {
    const errors = validateOperations({
      charge: {
        method: 'POST',
        path: '/customers/{customer.id}/charges',
        query: { expand: '{expand}' },
        headers: { 'X-Region': '{region}' },
        body: { amount: '{amount}', note: '{memo}' },
        inputFields: ['customer', 'amount', 'expand'],
      },
    });
    expect(fields(errors)).toStrictEqual(['operations.charge.headers.X-Region', 'operations.charge.body']);
    expect(errors[1].message).toMatch(/\{memo\} names an input field that inputFields does not declare/);
  });

  test('without inputFields any valid placeholder is accepted; bad ones are named where they are', () => {
    expect(validateOperations({ get: { method: 'GET', path: '/things/{id}' } })).toStrictEqual([]);
    expect(fields(validateOperations({ get: { method: 'GET', path: '/x', query: { q: '{1bad}' } } }))).toStrictEqual(['operations.get.query.q']);
  });

  test('inputFields itself, header names and unknown properties are checked', () => {
    expect(fields(validateOperations({ a: { method: 'GET', path: '/', inputFields: ['ok', 'not ok'] } }))).toStrictEqual(['operations.a.inputFields']);
    expect(fields(validateOperations({ a: { method: 'GET', path: '/', headers: { 'Bad Header': 'x' } } }))).toStrictEqual(['operations.a.headers.Bad Header']);
    expect(fields(validateOperations({ a: { method: 'FETCH', path: 'x', timeout: 1 } }))).toStrictEqual(['operations.a.timeout', 'operations.a.method', 'operations.a.path']);
  });
});

describe('validating base URLs and auth', () => {
  test('base URLs', () => {
    expect(validateBaseUrl('https://api.example.com/v1')).toStrictEqual([]);
    expect(fields(validateBaseUrl('ftp://x'))).toStrictEqual(['baseUrl']);
    expect(validateBaseUrl('https://user:pw@api.example.com')[0].message).toMatch(/credentials/);
    expect(validateBaseUrl('https://api.example.com/v1?key=1')[0].message).toMatch(/query/);
  });

  test('auth blocks', () => {
    expect(validateAuth({ type: 'bearer', secretRef: 'x' })).toStrictEqual([]);
    expect(validateAuth({ type: 'none' })).toStrictEqual([]);
    expect(fields(validateAuth({ type: 'oauth' as never }))).toStrictEqual(['auth.type']);
    expect(fields(validateAuth({ type: 'bearer' }))).toStrictEqual(['auth.secretRef']);
    expect(fields(validateAuth({ type: 'header', secretRef: 'x' }))).toStrictEqual(['auth.headerName']);
    expect(fields(validateAuth({ type: 'header', secretRef: 'x', headerName: 'Host' }))).toStrictEqual(['auth.headerName']);
    expect(fields(validateAuth({ type: 'bearer', secretRef: 'x', username: 'u', headerName: 'X-K' }))).toStrictEqual(['auth.username', 'auth.headerName']);
  });
});

describe('stripe routes', () => {
  test('shape', () => {
    expect(validateRoutes({ 'invoice.paid': { connector: 'c', operation: 'o' }, 'customer.*': { connector: 'c', operation: 'o' }, '*': { connector: 'c', operation: 'o' } })).toStrictEqual([]);
    expect(fields(validateRoutes({ 'Invoice Paid': { connector: 'c', operation: 'o' } }))).toStrictEqual(['routes.Invoice Paid']);
    expect(fields(validateRoutes({ 'invoice.paid': { connector: '', extra: 1 } }))).toStrictEqual(['routes.invoice.paid.connector', 'routes.invoice.paid.operation', 'routes.invoice.paid.extra']);
  });

  test('matching: exact, then the longest prefix, then *', () => {
    const routes = { 'invoice.paid': 'exact', 'invoice.*': 'invoice', 'invoice.payment_failed.*': 'longer', '*': 'any' };
    expect(routeFor(routes, 'invoice.paid')?.route).toBe('exact');
    expect(routeFor(routes, 'invoice.created')?.route).toBe('invoice');
    expect(routeFor(routes, 'invoice.payment_failed.x')?.route).toBe('longer');
    expect(routeFor(routes, 'charge.succeeded')?.route).toBe('any');
    expect(routeFor({ 'invoice.*': 1 }, 'charge.succeeded')).toBe(undefined);
    expect(routeFor({ 'invoice.*': 1 }, 'invoiced')).toBe(undefined);
  });
});
