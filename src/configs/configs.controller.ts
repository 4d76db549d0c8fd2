import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPlane, CurrentPrincipal, Principal, RequirePermission } from '../auth/principal';
import { AppError } from '../common/app-error';
import { ApiProblemResponses } from '../common/api-problem-responses';
import { ConfigList, ConfigView, CreateConfigDto, VersionDto } from './config.dto';
import { ConfigsService } from './configs.service';
import { versionParam } from '../common/request-params';

const versionNumber = versionParam('CONFIG_NOT_FOUND', 'Config versions are numbers from 1.');

@ApiTags('configs')
@ApiBearerAuth()
@ApiPlane('control')
@ApiProblemResponses(400, 401, 403)
@Controller('configs')
export class ConfigsController {
  constructor(private readonly configs: ConfigsService) {}

  @Post()
  @RequirePermission('control:write')
  @ApiOperation({ summary: 'Create an immutable config version (not active until activated)' })
  @ApiCreatedResponse({ type: ConfigView })
  async create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateConfigDto): Promise<ConfigView> {
    return ConfigView.of(await this.configs.create(principal.tenantId, dto, principal.subject));
  }

  @Get()
  @RequirePermission('control:read')
  @ApiOperation({ summary: 'List config versions, newest first' })
  @ApiOkResponse({ type: ConfigList })
  async list(@CurrentPrincipal() principal: Principal): Promise<ConfigList> {
    const [configs, active] = await Promise.all([this.configs.list(principal.tenantId), this.configs.active(principal.tenantId)]);
    return { items: configs.map((config) => ConfigView.of(config, config.version === active?.version)), activeVersion: active?.version ?? null };
  }

  @Get('active')
  @RequirePermission('control:read')
  @ApiOperation({ summary: 'The active config version' })
  @ApiOkResponse({ type: ConfigView })
  @ApiProblemResponses(404)
  async active(@CurrentPrincipal() principal: Principal): Promise<ConfigView> {
    const active = await this.configs.active(principal.tenantId);
    if (!active) throw new AppError('NO_ACTIVE_CONFIG', 'No config version has been activated.');
    return ConfigView.of(active, true);
  }

  @Post('activate')
  @HttpCode(200)
  @RequirePermission('control:write')
  @ApiOperation({ summary: 'Make a version active for new jobs (running jobs keep theirs)' })
  @ApiOkResponse({ type: ConfigView })
  @ApiProblemResponses(404)
  async activate(@CurrentPrincipal() principal: Principal, @Body() body: VersionDto): Promise<ConfigView> {
    return ConfigView.of(await this.configs.activate(principal.tenantId, body.version, principal.subject), true);
  }

  @Post('rollback')
  @HttpCode(200)
  @RequirePermission('control:write')
  @ApiOperation({ summary: 'Re-activate the version active before the current one' })
  @ApiOkResponse({ type: ConfigView })
  @ApiProblemResponses(409)
  async rollback(@CurrentPrincipal() principal: Principal): Promise<ConfigView> {
    return ConfigView.of(await this.configs.rollback(principal.tenantId, principal.subject), true);
  }

  // After the literal routes so that `active` is not read as a version.
  @Get(':version')
  @RequirePermission('control:read')
  @ApiOperation({ summary: 'Get one config version' })
  @ApiOkResponse({ type: ConfigView })
  @ApiProblemResponses(404)
  async get(@CurrentPrincipal() principal: Principal, @Param('version', versionNumber) version: number): Promise<ConfigView> {
    return ConfigView.of(await this.configs.get(principal.tenantId, version));
  }
}
