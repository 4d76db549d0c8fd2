import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsString, IsUUID, Length, Max, Min, ValidateNested } from 'class-validator';
import { JobView } from '../job.dto';
import { OptionalBody } from '../../common/validation.pipe';
import { QueryNumber, Omittable, IsInstant } from '../../common/request-params';

const ERROR_TYPES = ['NetworkError', 'AttemptTimeout', 'HttpError', 'ConfigurationError', 'InternalError', 'TotalTimeout'];

export class DlqFilterDto {
  @ApiPropertyOptional({ format: 'uuid' }) @Omittable() @IsUUID()
  connector?: string;

  @ApiPropertyOptional({ example: 'createCharge' }) @Omittable() @IsString() @Length(1, 200)
  operation?: string;

  @ApiPropertyOptional({ enum: ERROR_TYPES }) @Omittable() @IsIn(ERROR_TYPES)
  errorType?: string;

  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z' }) @Omittable() @IsInstant()
  failedAfter?: string;

  @ApiPropertyOptional({ example: '2026-12-31T00:00:00Z' }) @Omittable() @IsInstant()
  failedBefore?: string;
}

export class ListDlqQuery extends DlqFilterDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @Omittable() @QueryNumber() @IsInt() @Min(1) @Max(200)
  limit?: number;
}

/** The whole body may be left out: the replay then uses the original input. */
@OptionalBody()
export class ReplayOneDto {
  @ApiPropertyOptional({ example: { amount: 1200, currency: 'eur' }, description: 'Replaces the original input.' })
  @Omittable() @IsObject()
  input?: Record<string, unknown>;
}

export class BulkReplayDto {
  @ApiProperty({ type: DlqFilterDto }) @IsObject() @ValidateNested() @Type(() => DlqFilterDto)
  filter: DlqFilterDto;

  @ApiPropertyOptional({ default: false, description: 'Only count what would be replayed.' })
  @Omittable() @IsBoolean()
  dryRun?: boolean;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 1000, description: 'At most this many replays per call.' })
  @Omittable() @IsInt() @Min(1) @Max(1000)
  limit?: number;
}

export class DlqPage {
  @ApiProperty({ type: [JobView] }) items: JobView[];
}

class ReplayedPair {
  @ApiProperty({ format: 'uuid' }) original: string;
  @ApiProperty({ format: 'uuid' }) job: string;
}

class ReplayFailure {
  @ApiProperty({ format: 'uuid' }) original: string;
  @ApiProperty({ example: 'CONNECTOR_DISABLED' }) code: string;
}

export class BulkReplayResult {
  @ApiProperty({ description: 'Jobs matching the filter (what a real run replays).' }) count: number;
  @ApiProperty() dryRun: boolean;
  @ApiProperty({ type: [ReplayedPair] }) replayed: ReplayedPair[];
  @ApiProperty({ type: [ReplayFailure] }) failed: ReplayFailure[];
}
