import { Injectable } from '@nestjs/common';
import { ConfigsService } from '../configs/configs.service';
import { TenantLimit, TenantLimitSource } from './rate-limit';

/** A tenant's API rate limit from its active config (`apiRateLimit`), when it sets one. */
@Injectable()
export class ConfigTenantLimits extends TenantLimitSource {
  constructor(private readonly configs: ConfigsService) {
    super();
  }

  async limitFor(tenantId: string): Promise<TenantLimit | null> {
    const limit = (await this.configs.active(tenantId))?.document.apiRateLimit;
    return limit ? { rate: limit.requestsPerSecond, burst: limit.burst } : null;
  }
}
