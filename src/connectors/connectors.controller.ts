import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPlane, CurrentPrincipal, Principal, RequirePermission } from '../auth/principal';
import { ApiProblemResponses } from '../common/api-problem-responses';
import { ConnectorList, ConnectorView, CreateConnectorDto } from './connector.dto';
import { ConnectorsService } from './connectors.service';

@ApiTags('connectors')
@ApiBearerAuth()
@ApiPlane('control')
@ApiProblemResponses(400, 401, 403)
@Controller('connectors')
export class ConnectorsController {
  constructor(private readonly connectors: ConnectorsService) {}

  @Post()
  @RequirePermission('control:write')
  @ApiOperation({ summary: 'Create a connector' })
  @ApiCreatedResponse({ type: ConnectorView })
  @ApiProblemResponses(409)
  async create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateConnectorDto): Promise<ConnectorView> {
    return ConnectorView.of(await this.connectors.create(principal.tenantId, dto));
  }

  @Get()
  @RequirePermission('control:read')
  @ApiOperation({ summary: "List the tenant's connectors" })
  @ApiOkResponse({ type: ConnectorList })
  async list(@CurrentPrincipal() principal: Principal): Promise<ConnectorList> {
    return { items: (await this.connectors.list(principal.tenantId)).map(ConnectorView.of) };
  }

  @Get(':id')
  @RequirePermission('control:read')
  @ApiOperation({ summary: 'Get a connector by id or name' })
  @ApiOkResponse({ type: ConnectorView })
  @ApiProblemResponses(404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ConnectorView> {
    return ConnectorView.of(await this.connectors.get(principal.tenantId, id));
  }
}
