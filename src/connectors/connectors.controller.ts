import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPlane, CurrentPrincipal, Principal, RequirePermission } from '../auth/principal';
import { ApiProblemResponses } from '../common/api-problem-responses';
import { ConnectorList, ConnectorView, CreateConnectorDto, UpdateConnectorDto } from './connector.dto';
import { BreakerActionDto, ConnectorStateList, ConnectorStateView } from './connector-state.dto';
import { ConnectorStateService } from './connector-state.service';
import { ConnectorsService } from './connectors.service';

@ApiTags('connectors')
@ApiBearerAuth()
@ApiPlane('control')
@ApiProblemResponses(400, 401, 403)
@Controller('connectors')
export class ConnectorsController {
  constructor(
    private readonly connectors: ConnectorsService,
    private readonly state: ConnectorStateService,
  ) {}

  @Post()
  @RequirePermission('control:write')
  @ApiOperation({
    summary: 'Create a connector',
    description: '`http`: outbound operations, auth from a secret ref. `stripe`: verified webhook ingress at `POST /webhooks/<id>` routed to http connector operations.',
  })
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

  // Declared before GET :id so that `state` is not taken for a connector id.
  @Get('state')
  @RequirePermission('control:read')
  @ApiOperation({ summary: 'Breaker, limiter, leases, recent errors and backlog of every connector' })
  @ApiOkResponse({ type: ConnectorStateList })
  async states(@CurrentPrincipal() principal: Principal): Promise<ConnectorStateList> {
    return { items: await this.state.all(principal.tenantId) };
  }

  @Get(':id/state')
  @RequirePermission('control:read')
  @ApiOperation({ summary: 'Breaker, limiter, leases, recent errors and backlog of one connector' })
  @ApiOkResponse({ type: ConnectorStateView })
  @ApiProblemResponses(404)
  async oneState(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ConnectorStateView> {
    return this.state.one(principal.tenantId, id);
  }

  @Post(':id/breaker')
  @HttpCode(200)
  @RequirePermission('control:operate')
  @ApiOperation({ summary: 'Reset (close) or force open the circuit breaker' })
  @ApiOkResponse({ type: ConnectorStateView })
  @ApiProblemResponses(404, 503)
  async breaker(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: BreakerActionDto): Promise<ConnectorStateView> {
    return this.state.breaker(principal.tenantId, id, body.action, principal.subject);
  }

  @Get(':id')
  @RequirePermission('control:read')
  @ApiOperation({ summary: 'Get a connector by id or name' })
  @ApiOkResponse({ type: ConnectorView })
  @ApiProblemResponses(404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ConnectorView> {
    return ConnectorView.of(await this.connectors.get(principal.tenantId, id));
  }

  @Patch(':id')
  @RequirePermission('control:write')
  @ApiOperation({
    summary: 'Update a connector (by id or name)',
    description: 'Fields given replace the stored ones (`operations`, `routes` and `auth` whole); `type` cannot change. Jobs already accepted keep running against the connector as it is when each attempt starts.',
  })
  @ApiOkResponse({ type: ConnectorView })
  @ApiProblemResponses(404, 409)
  async update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() dto: UpdateConnectorDto): Promise<ConnectorView> {
    return ConnectorView.of(await this.connectors.update(principal.tenantId, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('control:write')
  @ApiOperation({ summary: 'Delete a connector (by id or name)', description: '409 while a stripe connector routes events to it.' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblemResponses(404, 409)
  async delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.connectors.delete(principal.tenantId, id);
  }
}
