import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiPlane, CurrentPrincipal, Principal, RequirePermission } from '../auth/principal';
import { AppError } from '../common/app-error';
import { ApiProblemResponses } from '../common/api-problem-responses';
import { ExecuteRequestDto, JobPage, JobView, ListJobsQuery } from './job.dto';
import { JobsService } from './jobs.service';

const uuidPipe = new ParseUUIDPipe({ exceptionFactory: () => AppError.notFound('JOB_NOT_FOUND', 'No job has that id.') });

@ApiTags('jobs')
@ApiBearerAuth()
@ApiPlane('exec')
@ApiProblemResponses(401, 403)
@Controller()
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post('execute')
  @HttpCode(202)
  @RequirePermission('exec:execute')
  @ApiOperation({ summary: 'Run a connector operation as a durable job', description: '202 means the execution exists in Temporal.' })
  @ApiAcceptedResponse({ type: JobView, headers: { Location: { description: 'The job URL', schema: { type: 'string' } } } })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retries with the same key and body return the same job.' })
  @ApiProblemResponses(400, 404, 409, 413, 415, 503)
  async execute(
    @CurrentPrincipal() principal: Principal,
    @Body() request: ExecuteRequestDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<JobView> {
    const job = await this.jobs.execute(principal.tenantId, request);
    response.setHeader('Location', `/jobs/${job.id}`);
    return JobView.of(job);
  }

  @Get('jobs')
  @RequirePermission('exec:read')
  @ApiOperation({ summary: 'List jobs, newest first' })
  @ApiOkResponse({ type: JobPage })
  @ApiProblemResponses(400)
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListJobsQuery): Promise<JobPage> {
    const page = await this.jobs.list(principal.tenantId, query);
    return { items: page.items.map(JobView.of), nextCursor: page.nextCursor };
  }

  @Get('jobs/:id')
  @RequirePermission('exec:read')
  @ApiOperation({ summary: 'Get a job: status, attempts, result or error' })
  @ApiOkResponse({ type: JobView })
  @ApiProblemResponses(404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id', uuidPipe) id: string): Promise<JobView> {
    return JobView.of(await this.jobs.get(principal.tenantId, id));
  }
}
