import { Module } from '@nestjs/common';
import { SecretResolverModule } from './secret-resolver.module';
import { SecretsController } from './secrets.controller';
import { SecretsService } from './secrets.service';

/** Secret refs (control plane) and the resolver the webhook ingress uses for signing secrets. */
@Module({
  imports: [SecretResolverModule],
  controllers: [SecretsController],
  providers: [SecretsService],
  exports: [SecretsService, SecretResolverModule],
})
export class SecretsModule {}
