import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes registered at bootstrap so operators can filter in Temporal Web UI. */
export const TENANT_ID = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const CONNECTOR_ID = defineSearchAttributeKey('ConnectorId', SearchAttributeType.KEYWORD);
export const POLICY_ID = defineSearchAttributeKey('PolicyId', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_NAMES = [TENANT_ID.name, CONNECTOR_ID.name, POLICY_ID.name];
