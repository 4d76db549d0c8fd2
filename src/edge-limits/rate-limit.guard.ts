import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { PUBLIC_KEY } from '../auth/principal';
import { AppError } from '../common/app-error';
import { rateLimitHeaders, TenantRateLimiter } from './rate-limit';

/**
 * Global guard after the AuthGuard: every authenticated request takes a token from its tenant's
 * bucket; an empty bucket answers 429 RATE_LIMITED with Retry-After. Every limited response carries
 * the RateLimit header fields. Public routes (health, metrics, signed webhooks) are not counted.
 */
@Injectable()
export class TenantRateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: TenantRateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<Request>();
    const principal = request.principal;
    if (!principal) {
      if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;
      throw new Error('TenantRateLimitGuard ran before the AuthGuard: register AuthGuard first (ApiModule)');
    }
    const taken = await this.limiter.take(principal.tenantId);
    if (!taken) return true;
    const { decision, limit } = taken;
    const response = context.switchToHttp().getResponse<Response>();
    for (const [name, value] of Object.entries(rateLimitHeaders(decision, limit))) response.setHeader(name, value);
    if (!decision.allowed) {
      throw new AppError('RATE_LIMITED', `Tenant request rate exceeded; retry in ${decision.retryAfterSeconds} s.`, {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
    return true;
  }
}
