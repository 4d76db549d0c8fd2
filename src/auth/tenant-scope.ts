import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { AppError } from '../common/app-error';
import { TENANT_ID } from '../temporal/search-attributes';

/**
 * Tenant isolation on the Temporal side (SPEC §4: "every read and write is scoped to the caller's
 * tenant, in Postgres and in Temporal"). Two checks, both required for a call by workflow id:
 *  1. the workflow id comes from a row found by (tenant_id, id) in Postgres, never from the caller;
 *  2. the workflow itself carries the caller's `TenantId` search attribute.
 * Listing goes through a visibility query that always starts with the tenant clause.
 */

/** Quotes a value for a Temporal visibility query (SQL-like string literal). */
export function visibilityLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A visibility query restricted to `tenantId`; `extra` is ANDed in parentheses. */
export function tenantVisibilityQuery(tenantId: string, extra?: string): string {
  const clause = `TenantId = ${visibilityLiteral(tenantId)}`;
  return extra ? `${clause} AND (${extra})` : clause;
}

export function workflowBelongsTo(description: Pick<WorkflowExecutionDescription, 'typedSearchAttributes'>, tenantId: string): boolean {
  return description.typedSearchAttributes.get(TENANT_ID) === tenantId;
}

/**
 * Describes the workflow `workflowId` (taken from the tenant's own Postgres row) and checks its
 * TenantId; a workflow of another tenant, or none at all, is reported as `notFound()` — the same
 * answer, so nothing reveals that it exists.
 */
export async function describeTenantWorkflow(
  client: Client,
  tenantId: string,
  workflowId: string,
  notFound: () => AppError,
): Promise<WorkflowExecutionDescription> {
  let description: WorkflowExecutionDescription;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch (error) {
    if ((error as { name?: string }).name === 'WorkflowNotFoundError') throw notFound();
    throw error;
  }
  if (!workflowBelongsTo(description, tenantId)) throw notFound();
  return description;
}
