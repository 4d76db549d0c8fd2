import { Module } from '@nestjs/common';
import { PoliciesService } from './policies.service';

/** The policy store without its controllers, for processes that read policies but serve no policy routes (the worker). */
@Module({ providers: [PoliciesService], exports: [PoliciesService] })
export class PolicyStoreModule {}
