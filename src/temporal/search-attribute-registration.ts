import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { temporal as proto } from '@temporalio/proto';
import SEARCH_ATTRIBUTES from '../../domain/search-attributes.json';
import { Environment } from '../config/environment';
import { TemporalService } from './temporal.service';

const INDEXED_TYPES: Record<string, proto.api.enums.v1.IndexedValueType> = {
  Keyword: proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
};

/**
 * Registers the platform's custom search attributes (domain/search-attributes.json) in its
 * namespace at start-up when they are missing, as the scripts do for local servers. Not fatal: on
 * Temporal Cloud they are added through its own API (the operator service refuses), and a missing
 * one then shows up as refused workflow starts.
 */
@Injectable()
export class SearchAttributeRegistration implements OnApplicationBootstrap {
  private readonly logger = new Logger(SearchAttributeRegistration.name);

  constructor(
    private readonly temporal: TemporalService,
    private readonly environment: Environment,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const namespace = this.environment.TEMPORAL_NAMESPACE;
    try {
      await this.temporal.use(async (client) => {
        const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
        const known = new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
        const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !known.has(name));
        if (missing.length === 0) return;
        await client.connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_TYPES[type]])),
        });
        this.logger.log({ added: missing.map(([name]) => name) }, 'registered search attributes');
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'could not check or register the search attributes');
    }
  }
}
