import { Global, Module } from '@nestjs/common';
import { RefusalRecorder } from '../auth/refusal-recorder';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';

/**
 * The operator audit log. Global, so that the auth guard's RefusalRecorder port resolves to it
 * without auth/ importing audit/. Its interceptor is registered by ApiModule.
 */
@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditService, { provide: RefusalRecorder, useExisting: AuditService }],
  exports: [AuditService, RefusalRecorder],
})
export class AuditModule {}
