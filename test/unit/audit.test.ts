import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { AuditEntryEntity } from '../../src/audit/audit.entity';
import { AuditEntryView } from '../../src/audit/audit.dto';
import { targetOf } from '../../src/audit/audit.interceptor';
import { routeOf } from '../../src/common/http-route';
import { responseDigest, sha256Hex } from '../../src/audit/digest';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

function request(path: string, routePath?: string): Request {
  return { path, route: routePath ? { path: routePath } : undefined } as unknown as Request;
}

describe('audit digests', () => {
  test('the response digest is the SHA-256 of the bytes Express sends', () => {
    const body = { id: 'c1', name: 'x', nested: { a: [1, 2] } };
    expect(responseDigest(body)).toBe(sha(JSON.stringify(body)));
    expect(responseDigest('text')).toBe(sha('text'));
    expect(responseDigest(undefined)).toBe(null);
    expect(sha256Hex(Buffer.from('{"value":"s3cret"}'))).toBe(sha('{"value":"s3cret"}'));
  });
});

describe('audit action and target', () => {
  test('action uses the route template; target the path', () => {
    const req = request('/connectors/c1/breaker', '/connectors/:id/breaker');
    expect(routeOf(req)).toBe('/connectors/:id/breaker');
    expect(targetOf(req, 200, { connectorId: 'c1' })).toBe('/connectors/c1/breaker');
  });

  test('a create names the created resource', () => {
    expect(targetOf(request('/connectors', '/connectors'), 201, { id: 'c9' })).toBe('/connectors/c9');
    expect(targetOf(request('/policies/p1/versions', '/policies/:id/versions'), 201, { id: 'p1' })).toBe('/policies/p1/versions');
    expect(targetOf(request('/configs/activate', '/configs/activate'), 200, { id: 'x' })).toBe('/configs/activate');
  });

  test('the view shows both identities and an outcome', () => {
    const row = Object.assign(new AuditEntryEntity(), {
      id: '7', tenantId: 'acme', actorTenantId: 'ops', actorSubject: 'root', impersonatedTenantId: 'acme', impersonatedSubject: 'alice',
      action: 'POST /connectors', target: '/connectors/c1', method: 'POST', plane: 'control', status: 201, errorCode: null,
      requestId: 'r1', requestDigest: 'a'.repeat(64), responseDigest: null, createdAt: new Date(0),
    });
    const view = AuditEntryView.of(row);
    expect(view.actor).toStrictEqual({ tenantId: 'ops', subject: 'root' });
    expect(view.impersonated).toStrictEqual({ tenantId: 'acme', subject: 'alice' });
    expect(view.outcome).toBe('succeeded');
    expect(AuditEntryView.of({ ...row, status: 403 } as AuditEntryEntity).outcome).toBe('denied');
    expect(AuditEntryView.of({ ...row, impersonatedTenantId: null, impersonatedSubject: null } as AuditEntryEntity).impersonated).toBe(null);
  });
});
