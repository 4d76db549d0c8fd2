import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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
    assert.deepEqual(fields(errors), ['operations.charge.headers.X-Region', 'operations.charge.body']);
    assert.match(errors[1].message, /\{memo\} names an input field that inputFields does not declare/);
  });

  test('without inputFields any valid placeholder is accepted; bad ones are named where they are', () => {
    assert.deepEqual(validateOperations({ get: { method: 'GET', path: '/things/{id}' } }), []);
    assert.deepEqual(fields(validateOperations({ get: { method: 'GET', path: '/x', query: { q: '{1bad}' } } })), ['operations.get.query.q']);
  });

  test('inputFields itself, header names and unknown properties are checked', () => {
    assert.deepEqual(fields(validateOperations({ a: { method: 'GET', path: '/', inputFields: ['ok', 'not ok'] } })), ['operations.a.inputFields']);
    assert.deepEqual(fields(validateOperations({ a: { method: 'GET', path: '/', headers: { 'Bad Header': 'x' } } })), ['operations.a.headers.Bad Header']);
    assert.deepEqual(fields(validateOperations({ a: { method: 'FETCH', path: 'x', timeout: 1 } })), ['operations.a.timeout', 'operations.a.method', 'operations.a.path']);
  });
});

describe('validating base URLs and auth', () => {
  test('base URLs', () => {
    assert.deepEqual(validateBaseUrl('https://api.example.com/v1'), []);
    assert.deepEqual(fields(validateBaseUrl('ftp://x')), ['baseUrl']);
    assert.match(validateBaseUrl('https://user:pw@api.example.com')[0].message, /credentials/);
    assert.match(validateBaseUrl('https://api.example.com/v1?key=1')[0].message, /query/);
  });

  test('auth blocks', () => {
    assert.deepEqual(validateAuth({ type: 'bearer', secretRef: 'x' }), []);
    assert.deepEqual(validateAuth({ type: 'none' }), []);
    assert.deepEqual(fields(validateAuth({ type: 'oauth' as never })), ['auth.type']);
    assert.deepEqual(fields(validateAuth({ type: 'bearer' })), ['auth.secretRef']);
    assert.deepEqual(fields(validateAuth({ type: 'header', secretRef: 'x' })), ['auth.headerName']);
    assert.deepEqual(fields(validateAuth({ type: 'header', secretRef: 'x', headerName: 'Host' })), ['auth.headerName']);
    assert.deepEqual(fields(validateAuth({ type: 'bearer', secretRef: 'x', username: 'u', headerName: 'X-K' })), ['auth.username', 'auth.headerName']);
  });
});

describe('stripe routes', () => {
  test('shape', () => {
    assert.deepEqual(validateRoutes({ 'invoice.paid': { connector: 'c', operation: 'o' }, 'customer.*': { connector: 'c', operation: 'o' }, '*': { connector: 'c', operation: 'o' } }), []);
    assert.deepEqual(fields(validateRoutes({ 'Invoice Paid': { connector: 'c', operation: 'o' } })), ['routes.Invoice Paid']);
    assert.deepEqual(fields(validateRoutes({ 'invoice.paid': { connector: '', extra: 1 } })), ['routes.invoice.paid.connector', 'routes.invoice.paid.operation', 'routes.invoice.paid.extra']);
  });

  test('matching: exact, then the longest prefix, then *', () => {
    const routes = { 'invoice.paid': 'exact', 'invoice.*': 'invoice', 'invoice.payment_failed.*': 'longer', '*': 'any' };
    assert.equal(routeFor(routes, 'invoice.paid')?.route, 'exact');
    assert.equal(routeFor(routes, 'invoice.created')?.route, 'invoice');
    assert.equal(routeFor(routes, 'invoice.payment_failed.x')?.route, 'longer');
    assert.equal(routeFor(routes, 'charge.succeeded')?.route, 'any');
    assert.equal(routeFor({ 'invoice.*': 1 }, 'charge.succeeded'), undefined);
    assert.equal(routeFor({ 'invoice.*': 1 }, 'invoiced'), undefined);
  });
});
