const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** The lookup for resources addressable by id or by their per-tenant name, always within the tenant. */
export function byIdOrName(tenantId: string, idOrName: string): { tenantId: string; id: string } | { tenantId: string; name: string } {
  return isUuid(idOrName) ? { tenantId, id: idOrName } : { tenantId, name: idOrName };
}
