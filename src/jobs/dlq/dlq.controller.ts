import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPlane, CurrentPrincipal, Principal, RequirePermission } from '../../auth/principal';
import { ApiProblemResponses } from '../../common/api-problem-responses';
import { JobView } from '../job.dto';
import { BulkReplayDto, BulkReplayResult, DlqPage, ListDlqQuery, ReplayOneDto } from './dlq.dto';
import { DlqService } from './dlq.service';
import { uuidParam } from '../../common/request-params';
import { JobLogFields } from '../job-log-fields';

const entryId = uuidParam('DLQ_ENTRY_NOT_FOUND', 'No job has that id.');

@ApiTags('dlq')
@ApiBearerAuth()
@ApiPlane('control')
@ApiProblemResponses(400, 401, 403)
@Controller('dlq')
@UseInterceptors(JobLogFields)
export class DlqController {
  constructor(private readonly dlq: DlqService) {}

  @Get()
  @RequirePermission('control:read')
  @ApiOperation({ summary: 'Jobs that failed terminally (failed or timed_out), not yet replayed or purged' })
  @ApiOkResponse({ type: DlqPage })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListDlqQuery): Promise<DlqPage> {
    const { limit, ...filter } = query;
    return { items: (await this.dlq.list(principal.tenantId, filter, limit ?? 50)).map(JobView.of) };
  }

  @Post('replay')
  @HttpCode(200)
  @RequirePermission('control:operate')
  @ApiOperation({ summary: 'Replay every entry matching a filter; `dryRun` only counts them' })
  @ApiOkResponse({ type: BulkReplayResult })
  @ApiProblemResponses(503)
  replayMatching(@CurrentPrincipal() principal: Principal, @Body() body: BulkReplayDto): Promise<BulkReplayResult> {
    return this.dlq.replayMatching(principal.tenantId, body.filter, body.dryRun ?? false, body.limit);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @RequirePermission('control:operate')
  @ApiOperation({ summary: 'Replay one entry as a new job (optionally with edited input); the new job links to the original' })
  @ApiAcceptedResponse({ type: JobView })
  @ApiProblemResponses(404, 409, 503)
  async replay(@CurrentPrincipal() principal: Principal, @Param('id', entryId) id: string, @Body() body?: ReplayOneDto): Promise<JobView> {
    return JobView.of(await this.dlq.replay(principal.tenantId, id, body?.input));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('control:write')
  @ApiOperation({ summary: 'Purge an entry from the dead-letter queue (the job record stays)' })
  @ApiNoContentResponse()
  @ApiProblemResponses(404)
  async purge(@CurrentPrincipal() principal: Principal, @Param('id', entryId) id: string): Promise<void> {
    await this.dlq.purge(principal.tenantId, id);
  }
}
