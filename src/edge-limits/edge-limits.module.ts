import { Module } from '@nestjs/common';
import { ConfigsModule } from '../configs/configs.module';
import { ConfigTenantLimits } from './config-tenant-limits';
import { TenantLimitSource, TenantRateLimiter } from './rate-limit';

/**
 * Limits at the edge of the api: the per-tenant request rate (a guard that runs after
 * authentication) and the request timeout; ApiModule registers both in order. The body size cap lives in JsonBodyMiddleware.
 */
@Module({
  imports: [ConfigsModule],
  providers: [
    { provide: TenantLimitSource, useClass: ConfigTenantLimits },
    TenantRateLimiter,
  ],
  exports: [TenantRateLimiter],
})
export class EdgeLimitsModule {}
