import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPlane, CurrentPrincipal, Principal, RequirePermission } from '../auth/principal';
import { ApiProblemResponses } from '../common/api-problem-responses';
import { AuditEntryView, AuditPage, ListAuditQuery } from './audit.dto';
import { AuditService } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@ApiPlane('control')
@ApiProblemResponses(400, 401, 403)
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequirePermission('control:read')
  @ApiOperation({
    summary: 'The operator audit log, newest first',
    description:
      'Every control-plane write (who, tenant, action, target, SHA-256 of the request and response bodies, request id), ' +
      'every impersonated request (with both identities) and every refused impersonation attempt. Bodies are never stored.',
  })
  @ApiOkResponse({ type: AuditPage })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListAuditQuery): Promise<AuditPage> {
    const page = await this.audit.list(principal.tenantId, query);
    return { items: page.items.map(AuditEntryView.of), nextCursor: page.nextCursor };
  }
}
