import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import SEARCH_ATTRIBUTES from '../../domain/search-attributes.json';

/**
 * Custom search attributes, so operators can filter in Temporal Web UI. Their names and types are
 * defined once, in domain/search-attributes.json, which the scripts that register them read too.
 */
export const TENANT_ID = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const CONNECTOR_ID = defineSearchAttributeKey('ConnectorId', SearchAttributeType.KEYWORD);
export const POLICY_ID = defineSearchAttributeKey('PolicyId', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_NAMES = Object.keys(SEARCH_ATTRIBUTES) as (keyof typeof SEARCH_ATTRIBUTES)[];
