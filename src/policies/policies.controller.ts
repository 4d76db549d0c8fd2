import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPlane, CurrentPrincipal, Principal, RequirePermission } from '../auth/principal';
import { ApiProblemResponses } from '../common/api-problem-responses';
import { CreatePolicyDto, PolicyDocumentDto, PolicyList, PolicyVersionView, PolicyView } from './policy.dto';
import { PoliciesService } from './policies.service';
import { uuidParam, versionParam } from '../common/request-params';

const policyId = uuidParam('POLICY_NOT_FOUND', 'No policy has that id.');
const versionNumber = versionParam('POLICY_VERSION_NOT_FOUND', 'Versions are numbers from 1.');

@ApiTags('policies')
@ApiBearerAuth()
@ApiPlane('control')
@ApiProblemResponses(400, 401, 403)
@Controller('policies')
export class PoliciesController {
  constructor(private readonly policies: PoliciesService) {}

  @Post()
  @RequirePermission('control:write')
  @ApiOperation({ summary: 'Create a policy (version 1)', description: 'Sections left out take the default policy values.' })
  @ApiCreatedResponse({ type: PolicyView })
  @ApiProblemResponses(409)
  async create(@CurrentPrincipal() principal: Principal, @Body() dto: CreatePolicyDto): Promise<PolicyView> {
    const { name, ...document } = dto;
    return PolicyView.of(...(await this.policies.create(principal.tenantId, name, document)));
  }

  @Post(':id/versions')
  @RequirePermission('control:write')
  @ApiOperation({ summary: 'Add an immutable version; new jobs use it, running jobs keep theirs' })
  @ApiCreatedResponse({ type: PolicyView })
  @ApiProblemResponses(404)
  async addVersion(@CurrentPrincipal() principal: Principal, @Param('id', policyId) id: string, @Body() dto: PolicyDocumentDto): Promise<PolicyView> {
    return PolicyView.of(...(await this.policies.addVersion(principal.tenantId, id, dto)));
  }

  @Get()
  @RequirePermission('control:read')
  @ApiOperation({ summary: "List the tenant's policies with their latest version" })
  @ApiOkResponse({ type: PolicyList })
  async list(@CurrentPrincipal() principal: Principal): Promise<PolicyList> {
    return { items: (await this.policies.list(principal.tenantId)).map((pair) => PolicyView.of(...pair)) };
  }

  @Get(':id')
  @RequirePermission('control:read')
  @ApiOperation({ summary: 'Get a policy and its latest version' })
  @ApiOkResponse({ type: PolicyView })
  @ApiProblemResponses(404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id', policyId) id: string): Promise<PolicyView> {
    return PolicyView.of(...(await this.policies.get(principal.tenantId, id)));
  }

  @Get(':id/versions/:version')
  @RequirePermission('control:read')
  @ApiOperation({ summary: 'Get one version of a policy' })
  @ApiOkResponse({ type: PolicyVersionView })
  @ApiProblemResponses(404)
  async getVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('id', policyId) id: string,
    @Param('version', versionNumber) version: number,
  ): Promise<PolicyVersionView> {
    return PolicyVersionView.of(await this.policies.getVersion(principal.tenantId, id, version));
  }
}
