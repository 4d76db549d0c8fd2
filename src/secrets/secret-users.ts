/**
 * Who uses a secret ref, asked before it is deleted. A port: the connectors slice, which owns the
 * `connectors` table, implements it (src/connectors/connector-secret-users.ts); connectors already
 * depend on secrets (to validate refs), so secrets cannot import them back.
 */
export abstract class SecretUsers {
  /** Names of the tenant's connectors that use the ref (auth or signing secret), in name order. */
  abstract namesUsing(tenantId: string, secretRefId: string): Promise<string[]>;
}
