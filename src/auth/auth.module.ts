import { Module } from '@nestjs/common';
import { TokenVerifier } from './token-verifier';

/**
 * Authentication, plane-per-port, permissions and impersonation. Its AuthGuard is registered
 * globally by ApiModule, which orders every guard and interceptor in one place.
 */
@Module({
  providers: [TokenVerifier],
  exports: [TokenVerifier],
})
export class AuthModule {}
