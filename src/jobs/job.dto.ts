import type { PayloadRef } from '../payload-store/object-store';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsObject, IsString, IsUUID, Length, Max, Min, Matches } from 'class-validator';
import { JOB_STATUSES, type JobError, type JobStatus, type WaitReason } from '../../domain/job';
import { JobEntity } from './job.entity';
import { QueryNumber, Omittable, IsInstant } from '../common/request-params';
import { KEYSET_CURSOR } from '../database/keyset-page';

export class ExecuteRequestDto {
  @ApiProperty({ example: 'billing-api', description: 'Connector id or name.' })
  @IsString() @Length(1, 200)
  connector: string;

  @ApiProperty({ example: 'createCharge' })
  @IsString() @Length(1, 200)
  operation: string;

  @ApiPropertyOptional({ example: { amount: 1200, currency: 'eur' }, description: 'Fills the operation template.' })
  @Omittable() @IsObject()
  input?: Record<string, unknown>;

  @ApiPropertyOptional({ format: 'uuid', description: "Run under this policy instead of the connector's." })
  @Omittable() @IsUUID()
  policy?: string;
}

export class JobErrorView {
  @ApiProperty({ example: 'HttpError' }) type: string;
  @ApiProperty({ example: 'The connector answered HTTP 400.' }) message: string;
  @ApiProperty() retryable: boolean;
  @ApiPropertyOptional({ example: 400 }) httpStatus?: number;
}

class PinnedPolicyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 1 }) version: number;
}

class JobLinks {
  @ApiProperty({ example: '/jobs/7d4f…' }) self: string;
  @ApiProperty({ example: '/events?jobId=7d4f…' }) events: string;
  @ApiProperty({ example: '/jobs/7d4f…/cancel' }) cancel: string;
  @ApiPropertyOptional({ example: '/jobs/7d4f…/result', description: 'Present when the result is kept in the payload store: the whole result, streamed from it.' })
  result?: string;
}

/** Where a large value is kept (SPEC §12): its size and digest, never the store's key or credentials. */
export class StoredPayloadView {
  @ApiProperty({ example: 10485760 }) size: number;
  @ApiProperty({ example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }) sha256: string;
}

export class JobPayloadsView {
  @ApiProperty({ type: StoredPayloadView, nullable: true }) input: StoredPayloadView | null;
  @ApiProperty({ type: StoredPayloadView, nullable: true }) result: StoredPayloadView | null;
}

function storedView(ref: PayloadRef | null | undefined): StoredPayloadView | null {
  return ref ? { size: ref.size, sha256: ref.sha256 } : null;
}

export class JobView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: JOB_STATUSES }) status: JobStatus;
  @ApiProperty({ enum: ['circuit_open', 'rate_limited', 'concurrency_limited'], nullable: true, type: String }) waitReason: WaitReason | null;
  @ApiProperty({ format: 'uuid' }) connectorId: string;
  @ApiProperty({ example: 'createCharge' }) operation: string;
  @ApiProperty({ type: PinnedPolicyView }) policy: PinnedPolicyView;
  @ApiProperty({ nullable: true, type: Number }) configVersion: number | null;
  @ApiProperty({ example: 1 }) attempts: number;
  @ApiProperty({
    example: { amount: 1200, currency: 'eur' },
    nullable: true,
    description: 'The input the job was accepted with (what a replay starts from). Null in lists when it is kept in the payload store (`payloads.input`); `GET /jobs/:id` returns it whole.',
  })
  input: Record<string, unknown> | null;
  @ApiProperty({ nullable: true, description: 'The connector response: { status, headers, body, truncated }. Kept in the payload store above PAYLOAD_STORE_THRESHOLD_BYTES: null in lists, whole on `GET /jobs/:id` up to PAYLOAD_STORE_INLINE_RESULT_MAX_BYTES, above that at `links.result`.', example: { status: 201, headers: { 'content-type': 'application/json' }, body: { id: 'ch_1' }, truncated: false } })
  result: unknown;
  @ApiProperty({ type: JobErrorView, nullable: true }) error: JobError | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) startedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) completedAt: string | null;
  @ApiProperty({ example: 'job-7d4f…' }) workflowId: string;
  @ApiProperty({ nullable: true, type: String }) runId: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The failed job this one replays.' }) replayOf: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The job that replayed this one.' }) replayedBy: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'alice', description: 'The token subject that submitted the job (a replay keeps the original\'s); null for webhook deliveries.' })
  submittedBy: string | null;
  @ApiProperty({ nullable: true, type: String, example: '4bf92f3577b34da6a3ce929d0e0e4736', description: 'The OpenTelemetry trace id of the job; null when tracing is off.' })
  traceId: string | null;
  @ApiProperty({ type: JobLinks }) links: JobLinks;
  @ApiProperty({ type: JobPayloadsView, description: 'Which values are kept in the payload store (large payloads); null fields are inline.' })
  payloads: JobPayloadsView;

  static of(job: JobEntity): JobView {
    return {
      id: job.id,
      status: job.status,
      waitReason: job.waitReason,
      connectorId: job.connectorId,
      operation: job.operation,
      policy: { id: job.policyId, version: job.policyVersion },
      configVersion: job.configVersion,
      attempts: job.attempts,
      input: job.input,
      result: job.result ?? null,
      error: job.error,
      createdAt: job.createdAt.toISOString(),
      startedAt: job.startedAt?.toISOString() ?? null,
      completedAt: job.completedAt?.toISOString() ?? null,
      workflowId: job.workflowId,
      runId: job.runId,
      replayOf: job.replayOf,
      replayedBy: job.replayedBy,
      submittedBy: job.submittedBy,
      traceId: job.traceId ?? null,
      links: {
        self: `/jobs/${job.id}`,
        events: `/events?jobId=${job.id}`,
        cancel: `/jobs/${job.id}/cancel`,
        ...(job.resultPayloadRef ? { result: `/jobs/${job.id}/result` } : {}),
      },
      payloads: { input: storedView(job.inputPayloadRef), result: storedView(job.resultPayloadRef) },
    };
  }
}

export class ListJobsQuery {
  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @Omittable() @IsIn(JOB_STATUSES)
  status?: JobStatus;

  @ApiPropertyOptional({ format: 'uuid', description: 'Connector id.' })
  @Omittable() @IsUUID()
  connector?: string;

  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z' })
  @Omittable() @IsInstant()
  createdAfter?: string;

  @ApiPropertyOptional({ example: '2026-12-31T00:00:00Z' })
  @Omittable() @IsInstant()
  createdBefore?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @Omittable() @QueryNumber() @IsInt() @Min(1) @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: "From the previous page's nextCursor." })
  @Omittable() @Matches(KEYSET_CURSOR, { message: 'cursor is not a cursor this API returned' })
  cursor?: string;
}

export class JobPage {
  @ApiProperty({ type: [JobView] }) items: JobView[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next (older) page; null on the last page.' })
  nextCursor: string | null;
}
