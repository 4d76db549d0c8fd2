import { Module } from '@nestjs/common';
import { SecretResolver } from './secret-resolver';
import { SecretsController } from './secrets.controller';
import { SecretsService } from './secrets.service';

/** Secret refs (control plane) and the resolver the webhook ingress uses for signing secrets. */
@Module({
  controllers: [SecretsController],
  providers: [SecretsService, SecretResolver],
  exports: [SecretsService, SecretResolver],
})
export class SecretsModule {}
