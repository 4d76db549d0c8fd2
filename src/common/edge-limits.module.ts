import { Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ConfigsModule } from '../configs/configs.module';
import { ConfigTenantLimits } from './config-tenant-limits';
import { TenantLimitSource, TenantRateLimiter } from './rate-limit';
import { TenantRateLimitGuard } from './rate-limit.guard';
import { RequestTimeoutInterceptor } from './request-timeout.interceptor';

/**
 * Limits at the edge of the api: the per-tenant request rate (after authentication, so import
 * AuthModule first) and the request timeout. The body size cap lives in JsonBodyMiddleware.
 */
@Module({
  imports: [ConfigsModule],
  providers: [
    { provide: TenantLimitSource, useClass: ConfigTenantLimits },
    TenantRateLimiter,
    { provide: APP_GUARD, useClass: TenantRateLimitGuard },
    { provide: APP_INTERCEPTOR, useClass: RequestTimeoutInterceptor },
  ],
})
export class EdgeLimitsModule {}
