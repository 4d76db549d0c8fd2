import { describe, expect, test } from '@jest/globals';
import { TypedSearchAttributes } from '@temporalio/common';
import { impersonate, requestedImpersonation } from '../../src/auth/impersonation';
import { hasPermission, Principal, readScopeOf, ROLE_PERMISSIONS, ROLES } from '../../src/auth/principal';
import { tenantVisibilityQuery, visibilityLiteral, workflowBelongsTo } from '../../src/auth/tenant-scope';
import { AppError } from '../../src/common/app-error';
import { TENANT_ID } from '../../src/temporal/search-attributes';

const ADMIN: Principal = { tenantId: 'ops', subject: 'root', roles: ['platform-admin'] };

function thrown(call: () => unknown): AppError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('did not throw');
}

describe('roles and permissions (SPEC §4)', () => {
  const table: [string, string, boolean][] = [
    ['admin', 'control:write', true],
    ['admin', 'exec:execute', false],
    ['operator', 'control:read', true],
    ['operator', 'control:operate', true],
    ['operator', 'control:write', false],
    ['executor', 'exec:execute', true],
    ['executor', 'exec:read', true],
    ['executor', 'control:read', false],
    ['viewer', 'control:read', true],
    ['viewer', 'exec:read', true],
    ['viewer', 'control:write', false],
    ['viewer', 'exec:execute', false],
    ['platform-admin', 'platform:impersonate', true],
  ];
  for (const [role, permission, granted] of table) {
    test(`${role} ${granted ? 'has' : 'lacks'} ${permission}`, () => {
      expect(hasPermission({ roles: [role as Principal['roles'][number]] }, permission as never)).toBe(granted);
    });
  }

  test('an executor reads its own jobs; every other reading role, alone or with executor, the tenant\'s', () => {
    const scope = (...roles: Principal['roles']) => readScopeOf({ tenantId: 't', subject: 'alice', roles });
    expect(scope('executor')).toStrictEqual({ tenantId: 't', submittedBy: 'alice' });
    for (const role of ['admin', 'operator', 'viewer', 'platform-admin'] as const) {
      expect([role, scope(role)]).toStrictEqual([role, { tenantId: 't' }]);
      expect(scope('executor', role)).toStrictEqual({ tenantId: 't' });
    }
  });

  test('only platform-admin may impersonate', () => {
    expect(ROLES.filter((role) => ROLE_PERMISSIONS[role].includes('platform:impersonate'))).toStrictEqual(['platform-admin']);
  });
});

describe('impersonation', () => {
  test('no headers → nothing requested', () => {
    expect(requestedImpersonation({})).toBe(undefined);
  });

  test('platform-admin acts as the target tenant and user, remembered as impersonator', () => {
    const requested = requestedImpersonation({ 'x-impersonate-tenant': 'acme', 'x-impersonate-user': 'alice' })!;
    expect(impersonate(ADMIN, requested)).toStrictEqual({
      tenantId: 'acme',
      subject: 'alice',
      roles: ['platform-admin'],
      impersonator: { tenantId: 'ops', subject: 'root' },
    });
  });

  test('only the tenant: keeps the admin as subject', () => {
    const principal = impersonate(ADMIN, { tenantId: 'acme', subject: null });
    expect(principal.tenantId).toBe('acme');
    expect(principal.subject).toBe('root');
  });

  for (const roles of [['admin'], ['operator', 'executor'], ['viewer'], []] as Principal['roles'][]) {
    test(`roles [${roles.join(', ')}] → 403 naming the permission`, () => {
      const error = thrown(() => impersonate({ tenantId: 'a', subject: 'u', roles }, { tenantId: 'b', subject: null }));
      expect(error.status).toBe(403);
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toMatch(/platform:impersonate/);
    });
  }

  test('malformed header values → 400 listing the headers', () => {
    const error = thrown(() => impersonate(ADMIN, { tenantId: '../x', subject: 'has space' }));
    expect(error.status).toBe(400);
    expect(error.extra.errors?.map((e) => e.field)).toStrictEqual(['x-impersonate-tenant', 'x-impersonate-user']);
    expect(thrown(() => impersonate(ADMIN, { tenantId: '', subject: null })).status).toBe(400);
  });
});

describe('Temporal tenant scope', () => {
  test('visibility queries always start with the tenant clause, values quoted', () => {
    expect(tenantVisibilityQuery('acme')).toBe("TenantId = 'acme'");
    expect(tenantVisibilityQuery('acme', "ConnectorId = 'c1'")).toBe("TenantId = 'acme' AND (ConnectorId = 'c1')");
    expect(visibilityLiteral("a'b\\c")).toBe("'a\\'b\\\\c'");
  });

  test('a workflow belongs to the tenant of its TenantId search attribute only', () => {
    const description = { typedSearchAttributes: new TypedSearchAttributes([{ key: TENANT_ID, value: 'acme' }]) };
    expect(workflowBelongsTo(description, 'acme')).toBe(true);
    expect(workflowBelongsTo(description, 'other')).toBe(false);
    expect(workflowBelongsTo({ typedSearchAttributes: new TypedSearchAttributes() }, 'acme')).toBe(false);
  });
});
