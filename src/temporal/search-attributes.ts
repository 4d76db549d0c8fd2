import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type SEARCH_ATTRIBUTES from '../../domain/search-attributes.json';

/**
 * Custom search attributes, so operators can filter in Temporal Web UI. Their names and types are
 * defined once, in domain/search-attributes.json, which the scripts that register them read too;
 * naming one here that the file lacks does not compile.
 */
type SearchAttributeName = keyof typeof SEARCH_ATTRIBUTES;
const keyword = (name: SearchAttributeName) => defineSearchAttributeKey(name, SearchAttributeType.KEYWORD);

export const TENANT_ID = keyword('TenantId');
export const CONNECTOR_ID = keyword('ConnectorId');
export const POLICY_ID = keyword('PolicyId');
export const JOB_STATUS = keyword('JobStatus');
