import { Module } from '@nestjs/common';
import { SecretResolver } from './secret-resolver';

/** Resolving secret refs to values, without the control-plane routes: the worker's and the webhook ingress's need. */
@Module({ providers: [SecretResolver], exports: [SecretResolver] })
export class SecretResolverModule {}
