import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Request } from 'express';
import { AuditEntryEntity } from '../../src/audit/audit.entity';
import { AuditEntryView } from '../../src/audit/audit.dto';
import { routeOf, targetOf } from '../../src/audit/audit.interceptor';
import { responseDigest, sha256Hex } from '../../src/audit/digest';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

function request(path: string, routePath?: string): Request {
  return { path, route: routePath ? { path: routePath } : undefined } as unknown as Request;
}

describe('audit digests', () => {
  test('the response digest is the SHA-256 of the bytes Express sends', () => {
    const body = { id: 'c1', name: 'x', nested: { a: [1, 2] } };
    assert.equal(responseDigest(body), sha(JSON.stringify(body)));
    assert.equal(responseDigest('text'), sha('text'));
    assert.equal(responseDigest(undefined), null);
    assert.equal(sha256Hex(Buffer.from('{"value":"s3cret"}')), sha('{"value":"s3cret"}'));
  });
});

describe('audit action and target', () => {
  test('action uses the route template; target the path', () => {
    const req = request('/connectors/c1/breaker', '/connectors/:id/breaker');
    assert.equal(routeOf(req), '/connectors/:id/breaker');
    assert.equal(targetOf(req, 200, { connectorId: 'c1' }), '/connectors/c1/breaker');
  });

  test('a create names the created resource', () => {
    assert.equal(targetOf(request('/connectors', '/connectors'), 201, { id: 'c9' }), '/connectors/c9');
    assert.equal(targetOf(request('/policies/p1/versions', '/policies/:id/versions'), 201, { id: 'p1' }), '/policies/p1/versions');
    assert.equal(targetOf(request('/configs/activate', '/configs/activate'), 200, { id: 'x' }), '/configs/activate');
  });

  test('the view shows both identities and an outcome', () => {
    const row = Object.assign(new AuditEntryEntity(), {
      id: '7', tenantId: 'acme', actorTenantId: 'ops', actorSubject: 'root', impersonatedTenantId: 'acme', impersonatedSubject: 'alice',
      action: 'POST /connectors', target: '/connectors/c1', method: 'POST', plane: 'control', status: 201, errorCode: null,
      requestId: 'r1', requestDigest: 'a'.repeat(64), responseDigest: null, createdAt: new Date(0),
    });
    const view = AuditEntryView.of(row);
    assert.deepEqual(view.actor, { tenantId: 'ops', subject: 'root' });
    assert.deepEqual(view.impersonated, { tenantId: 'acme', subject: 'alice' });
    assert.equal(view.outcome, 'succeeded');
    assert.equal(AuditEntryView.of({ ...row, status: 403 } as AuditEntryEntity).outcome, 'denied');
    assert.equal(AuditEntryView.of({ ...row, impersonatedTenantId: null, impersonatedSubject: null } as AuditEntryEntity).impersonated, null);
  });
});
