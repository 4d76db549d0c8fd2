import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { PlaneRoutes } from './plane-routes';
import { TokenVerifier } from './token-verifier';

/**
 * Authentication, plane-per-port, permissions and impersonation. Its AuthGuard is registered
 * globally by ApiModule, which orders every guard and interceptor in one place.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [TokenVerifier, PlaneRoutes],
  exports: [TokenVerifier, PlaneRoutes],
})
export class AuthModule {}
