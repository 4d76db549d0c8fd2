import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TypedSearchAttributes } from '@temporalio/common';
import { impersonate, requestedImpersonation } from '../../src/auth/impersonation';
import { hasPermission, Principal, ROLE_PERMISSIONS, ROLES } from '../../src/auth/principal';
import { tenantVisibilityQuery, visibilityLiteral, workflowBelongsTo } from '../../src/auth/tenant-scope';
import { AppError } from '../../src/common/app-error';
import { TENANT_ID } from '../../src/temporal/search-attributes';

const ADMIN: Principal = { tenantId: 'ops', subject: 'root', roles: ['platform-admin'] };

function thrown(call: () => unknown): AppError {
  try {
    call();
  } catch (error) {
    assert.ok(error instanceof AppError);
    return error;
  }
  assert.fail('did not throw');
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
      assert.equal(hasPermission({ roles: [role as Principal['roles'][number]] }, permission as never), granted);
    });
  }

  test('only platform-admin may impersonate', () => {
    assert.deepEqual(ROLES.filter((role) => ROLE_PERMISSIONS[role].includes('platform:impersonate')), ['platform-admin']);
  });
});

describe('impersonation', () => {
  test('no headers → nothing requested', () => {
    assert.equal(requestedImpersonation({}), undefined);
  });

  test('platform-admin acts as the target tenant and user, remembered as impersonator', () => {
    const requested = requestedImpersonation({ 'x-impersonate-tenant': 'acme', 'x-impersonate-user': 'alice' })!;
    assert.deepEqual(impersonate(ADMIN, requested), {
      tenantId: 'acme',
      subject: 'alice',
      roles: ['platform-admin'],
      impersonator: { tenantId: 'ops', subject: 'root' },
    });
  });

  test('only the tenant: keeps the admin as subject', () => {
    const principal = impersonate(ADMIN, { tenantId: 'acme', subject: null });
    assert.equal(principal.tenantId, 'acme');
    assert.equal(principal.subject, 'root');
  });

  for (const roles of [['admin'], ['operator', 'executor'], ['viewer'], []] as Principal['roles'][]) {
    test(`roles [${roles.join(', ')}] → 403 naming the permission`, () => {
      const error = thrown(() => impersonate({ tenantId: 'a', subject: 'u', roles }, { tenantId: 'b', subject: null }));
      assert.equal(error.status, 403);
      assert.equal(error.code, 'FORBIDDEN');
      assert.match(error.message, /platform:impersonate/);
    });
  }

  test('malformed header values → 400 listing the headers', () => {
    const error = thrown(() => impersonate(ADMIN, { tenantId: '../x', subject: 'has space' }));
    assert.equal(error.status, 400);
    assert.deepEqual(error.extra.errors?.map((e) => e.field), ['x-impersonate-tenant', 'x-impersonate-user']);
    assert.equal(thrown(() => impersonate(ADMIN, { tenantId: '', subject: null })).status, 400);
  });
});

describe('Temporal tenant scope', () => {
  test('visibility queries always start with the tenant clause, values quoted', () => {
    assert.equal(tenantVisibilityQuery('acme'), "TenantId = 'acme'");
    assert.equal(tenantVisibilityQuery('acme', "ConnectorId = 'c1'"), "TenantId = 'acme' AND (ConnectorId = 'c1')");
    assert.equal(visibilityLiteral("a'b\\c"), "'a\\'b\\\\c'");
  });

  test('a workflow belongs to the tenant of its TenantId search attribute only', () => {
    const description = { typedSearchAttributes: new TypedSearchAttributes([{ key: TENANT_ID, value: 'acme' }]) };
    assert.equal(workflowBelongsTo(description, 'acme'), true);
    assert.equal(workflowBelongsTo(description, 'other'), false);
    assert.equal(workflowBelongsTo({ typedSearchAttributes: new TypedSearchAttributes() }, 'acme'), false);
  });
});
