import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res, UseInterceptors } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ApiPlane, CurrentPrincipal, Principal, readScopeOf, RequirePermission } from '../auth/principal';
import { AppError } from '../common/app-error';
import { ApiProblemResponses } from '../common/api-problem-responses';
import { ExecuteRequestDto, JobPage, JobView, ListJobsQuery } from './job.dto';
import { JobsService } from './jobs.service';
import { preferredWaitSeconds } from './prefer-wait';
import { TERMINAL_STATUSES } from '../../domain/job';
import { uuidParam } from '../common/request-params';
import { JobLogFields, logAboutJob } from './job-log-fields';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const uuidPipe = uuidParam('JOB_NOT_FOUND', 'No job has that id.');

@ApiTags('jobs')
@ApiBearerAuth()
@ApiPlane('exec')
@ApiProblemResponses(401, 403)
@Controller()
@UseInterceptors(JobLogFields)
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post('execute')
  @HttpCode(202)
  @RequirePermission('exec:execute')
  @ApiOperation({
    summary: 'Run a connector operation as a durable job',
    description: '202 means the execution exists in Temporal. With `Prefer: wait=N` (N ≤ 60) the response waits for the job to end: 200 with the final job, or 202 after N s.',
  })
  @ApiAcceptedResponse({ type: JobView, headers: { Location: { description: 'The job URL', schema: { type: 'string' } } } })
  @ApiOkResponse({ type: JobView, description: 'With `Prefer: wait=N`: the job ended within N s.' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Same key + same body → the same job (for ORCH_IDEMPOTENCY_TTL); same key + other body → 422.',
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
  })
  @ApiHeader({ name: 'Prefer', required: false, description: 'RFC 7240 `wait=N`, N ≤ 60.', example: 'wait=10' })
  @ApiProblemResponses(400, 404, 409, 413, 415, 422, 503)
  async execute(
    @CurrentPrincipal() principal: Principal,
    @Body() request: ExecuteRequestDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw AppError.validation([{ field: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters' }]);
    }
    const accepted = await this.jobs.execute(principal.tenantId, request, { idempotencyKey, submittedBy: principal.subject });
    logAboutJob(response, accepted.job);
    response.setHeader('Location', `/jobs/${accepted.job.id}`);
    if (accepted.replayed) response.setHeader('Idempotent-Replayed', 'true');
    const wait = preferredWaitSeconds(prefer);
    if (wait === undefined) {
      response.status(202).json(JobView.of(accepted.job));
      return;
    }
    // The status depends on how the wait ends, so this handler writes the response itself.
    const job = await this.jobs.awaitCompletion(accepted.job, wait);
    response.setHeader('Preference-Applied', `wait=${wait}`);
    response.status(TERMINAL_STATUSES.includes(job.status) ? 200 : 202).json(JobView.of(job));
  }

  @Post('jobs/:id/cancel')
  @HttpCode(202)
  @RequirePermission('exec:execute')
  @ApiOperation({ summary: 'Cancel a job; an in-flight downstream call is aborted promptly', description: 'The job ends with status `cancelled`.' })
  @ApiAcceptedResponse({ type: JobView })
  @ApiProblemResponses(404, 409, 503)
  async cancel(@CurrentPrincipal() principal: Principal, @Param('id', uuidPipe) id: string): Promise<JobView> {
    return JobView.of(await this.jobs.cancel(readScopeOf(principal), id));
  }

  @Get('jobs')
  @RequirePermission('exec:read')
  @ApiOperation({ summary: 'List jobs, newest first', description: 'An `executor` sees the jobs it submitted; operators, viewers and admins see the tenant\'s.' })
  @ApiOkResponse({ type: JobPage })
  @ApiProblemResponses(400)
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListJobsQuery): Promise<JobPage> {
    const page = await this.jobs.list(readScopeOf(principal), query);
    return { items: page.items.map(JobView.of), nextCursor: page.nextCursor };
  }

  @Get('jobs/:id')
  @RequirePermission('exec:read')
  @ApiOperation({ summary: 'Get a job: status, attempts, result or error', description: 'Input and result kept in the payload store (SPEC §12) are read back from it; 503 DEPENDENCY_UNAVAILABLE (`payload-store`) while it is unreachable.' })
  @ApiOkResponse({ type: JobView })
  @ApiProblemResponses(404, 503)
  async get(@CurrentPrincipal() principal: Principal, @Param('id', uuidPipe) id: string): Promise<JobView> {
    return JobView.of(await this.jobs.withPayloads(await this.jobs.get(readScopeOf(principal), id)));
  }

  @Get('jobs/:id/result')
  @RequirePermission('exec:read')
  @ApiOperation({
    summary: "Get a job's result alone",
    description: 'The connector response `{ status, headers, body, truncated }` as JSON; a result kept in the payload store (SPEC §12) is streamed from it, however large.',
  })
  @ApiOkResponse({ description: 'The result.', content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } } })
  @ApiProblemResponses(404, 503)
  async result(@CurrentPrincipal() principal: Principal, @Param('id', uuidPipe) id: string, @Res() response: Response): Promise<void> {
    const found = await this.jobs.result(readScopeOf(principal), id);
    if ('inline' in found) {
      response.status(200).json(found.inline);
      return;
    }
    response.status(200).type('application/json').setHeader('Content-Length', String(found.size));
    await pipeline(found.stored.body, response);
  }
}
