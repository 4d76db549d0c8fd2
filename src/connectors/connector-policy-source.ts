import type { PinnedPolicy } from '../policies/policies.service';

/**
 * Which policy governs a connector now (config binding → connector policy → default). A port: the
 * configs slice implements it (src/configs/governing-policy.ts), which itself depends on connectors.
 */
export abstract class ConnectorPolicySource {
  abstract of(tenantId: string, connector: { id: string; policyId: string | null }): Promise<{ pinned: PinnedPolicy; configVersion: number | null }>;
}
