import type { PinnedPolicy } from '../policies/policies.service';

export interface GoverningPolicyOf {
  pinned: PinnedPolicy;
  configVersion: number | null;
}

/**
 * Which policy governs a connector now (config binding → connector policy → default). A port: the
 * configs slice implements it (src/configs/governing-policy.ts), which itself depends on connectors.
 */
export abstract class ConnectorPolicySource {
  abstract of(tenantId: string, connector: { id: string; policyId: string | null }): Promise<GoverningPolicyOf>;
  /** The same for several connectors of one tenant, reading the active config and each policy version once. */
  abstract ofEach(tenantId: string, connectors: { id: string; policyId: string | null }[]): Promise<GoverningPolicyOf[]>;
}
