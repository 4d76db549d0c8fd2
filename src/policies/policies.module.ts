import { Module } from '@nestjs/common';
import { PoliciesController } from './policies.controller';
import { PolicyStoreModule } from './policy-store.module';

@Module({ imports: [PolicyStoreModule], controllers: [PoliciesController], exports: [PolicyStoreModule] })
export class PoliciesModule {}
