import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module';
import { AuthGuard } from './auth.guard';
import { TokenVerifier } from './token-verifier';

/** Authentication, plane-per-port, permissions and impersonation (a global guard). */
@Module({
  imports: [AuditModule],
  providers: [TokenVerifier, { provide: APP_GUARD, useClass: AuthGuard }],
})
export class AuthModule {}
