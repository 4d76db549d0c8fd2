import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPlane, CurrentPrincipal, Principal, RequirePermission } from '../auth/principal';
import { ApiProblemResponses } from '../common/api-problem-responses';
import { CreateSecretRefDto, SecretRefList, SecretRefView } from './secret-ref.dto';
import { SecretsService } from './secrets.service';

@ApiTags('secret-refs')
@ApiBearerAuth()
@ApiPlane('control')
@ApiProblemResponses(400, 401, 403)
@Controller('secret-refs')
export class SecretsController {
  constructor(private readonly secrets: SecretsService) {}

  @Post()
  @RequirePermission('control:write')
  @ApiOperation({
    summary: 'Create a secret ref',
    description: 'The value (`local`) is encrypted at rest and write-only: no response ever contains it. Connectors name the ref in `auth.secretRef` or `signingSecretRef`.',
  })
  @ApiCreatedResponse({ type: SecretRefView })
  @ApiProblemResponses(409)
  async create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateSecretRefDto): Promise<SecretRefView> {
    return SecretRefView.of(await this.secrets.create(principal.tenantId, dto));
  }

  @Get()
  @RequirePermission('control:read')
  @ApiOperation({ summary: "List the tenant's secret refs (never their values)" })
  @ApiOkResponse({ type: SecretRefList })
  async list(@CurrentPrincipal() principal: Principal): Promise<SecretRefList> {
    return { items: (await this.secrets.list(principal.tenantId)).map(SecretRefView.of) };
  }

  @Get(':id')
  @RequirePermission('control:read')
  @ApiOperation({ summary: 'Get a secret ref by id or name (never its value)' })
  @ApiOkResponse({ type: SecretRefView })
  @ApiProblemResponses(404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<SecretRefView> {
    return SecretRefView.of(await this.secrets.get(principal.tenantId, id));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('control:write')
  @ApiOperation({ summary: 'Delete a secret ref', description: '409 while a connector uses it.' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblemResponses(404, 409)
  async delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.secrets.delete(principal.tenantId, id);
  }
}
