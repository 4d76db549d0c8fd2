import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import type { PolicyDocument } from '../../domain/policy';
import { PolicyEntity, PolicyVersionEntity } from './policy.entity';
import { Omittable } from '../common/request-params';

const DAY_MS = 24 * 3600 * 1000;

export class RetryPolicyDto {
  @ApiProperty({ example: 4, description: 'Attempts in all, the first included.' })
  @IsInt() @Min(1, { message: 'maxAttempts must be at least 1' }) @Max(1000)
  maxAttempts: number;

  @ApiProperty({ example: 1000 }) @IsInt() @Min(0) @Max(DAY_MS)
  initialIntervalMs: number;

  @ApiProperty({ example: 2 }) @IsNumber() @Min(1, { message: 'backoffCoefficient must be at least 1' }) @Max(100)
  backoffCoefficient: number;

  @ApiProperty({ example: 60000 }) @IsInt() @Min(0) @Max(DAY_MS)
  maxIntervalMs: number;

  @ApiProperty({ example: 0.2, description: 'Fraction 0..1; each delay is drawn from [d·(1−jitter), d].' })
  @IsNumber() @Min(0) @Max(1)
  jitter: number;

  @ApiProperty({ example: ['http_409'], description: 'Error types (HttpError, NetworkError, AttemptTimeout) or http_<status> never retried.' })
  @IsArray() @IsString({ each: true }) @Matches(/^(http_\d{3}|[A-Z][A-Za-z]+)$/, { each: true, message: 'nonRetryable entries are error types or http_<status>' })
  nonRetryable: string[];

  @ApiProperty({ example: true }) @IsBoolean()
  respectRetryAfter: boolean;
}

export class TimeoutsDto {
  @ApiProperty({ example: 30000 }) @IsInt() @Min(100, { message: 'attemptMs must be at least 100' }) @Max(DAY_MS)
  attemptMs: number;

  @ApiProperty({ example: 900000, description: 'Bounds the whole job, waits included.' })
  @IsInt() @Min(100, { message: 'totalMs must be at least 100' }) @Max(30 * DAY_MS)
  totalMs: number;
}

export class CircuitBreakerDto {
  @ApiProperty({ example: true }) @IsBoolean()
  enabled: boolean;

  @ApiProperty({ example: 0.5, description: 'Failure rate (0..1] in the window that opens the breaker.' })
  @IsNumber() @Min(0.01) @Max(1)
  failureRateThreshold: number;

  @ApiProperty({ example: 10, description: 'Calls in the window before the rate is judged.' })
  @IsInt() @Min(1) @Max(100000)
  minimumCalls: number;

  @ApiProperty({ example: 60000 }) @IsInt() @Min(100) @Max(DAY_MS)
  windowMs: number;

  @ApiProperty({ example: 30000 }) @IsInt() @Min(1, { message: 'openMs must be positive' }) @Max(DAY_MS)
  openMs: number;

  @ApiProperty({ example: 1 }) @IsInt() @Min(1) @Max(1000)
  halfOpenMaxCalls: number;

  @ApiPropertyOptional({ example: 5000, nullable: true, type: Number, description: 'Calls slower than this count as failures; null or absent: none do.' })
  @IsOptional() @IsInt() @Min(1) @Max(DAY_MS)
  slowCallMs?: number | null;
}

export class RateLimitDto {
  @ApiProperty({ example: 5 }) @IsNumber() @Min(0.001) @Max(100000)
  permitsPerSecond: number;

  @ApiProperty({ example: 2 }) @IsInt() @Min(0) @Max(100000)
  burst: number;
}

export class ConcurrencyDto {
  @ApiProperty({ example: 2 }) @IsInt() @Min(1) @Max(100000)
  maxInFlight: number;
}

/**
 * A policy version (SPEC §5); immutable once written. A section left out takes the default
 * policy's value (CONNECTOR_MAX_RETRIES / CONNECTOR_RETRY_BASE_SECONDS for `retry`); within a
 * section every field is required. `rateLimit` and `concurrency` are off unless given.
 */
export class PolicyDocumentDto implements Partial<PolicyDocument> {
  @ApiPropertyOptional({ type: RetryPolicyDto }) @Omittable() @ValidateNested() @Type(() => RetryPolicyDto)
  retry?: RetryPolicyDto;

  @ApiPropertyOptional({ type: TimeoutsDto }) @Omittable() @ValidateNested() @Type(() => TimeoutsDto)
  timeouts?: TimeoutsDto;

  @ApiPropertyOptional({ type: CircuitBreakerDto }) @Omittable() @ValidateNested() @Type(() => CircuitBreakerDto)
  circuitBreaker?: CircuitBreakerDto;

  @ApiPropertyOptional({ type: RateLimitDto, nullable: true }) @IsOptional() @ValidateNested() @Type(() => RateLimitDto)
  rateLimit?: RateLimitDto | null;

  @ApiPropertyOptional({ type: ConcurrencyDto, nullable: true }) @IsOptional() @ValidateNested() @Type(() => ConcurrencyDto)
  concurrency?: ConcurrencyDto | null;

  @ApiPropertyOptional({ enum: ['fail_open', 'fail_closed'], example: 'fail_open', description: 'When Redis is unreachable: call without limits (default), or wait.' })
  @Omittable() @IsIn(['fail_open', 'fail_closed'])
  onRedisUnavailable?: 'fail_open' | 'fail_closed';
}

export class CreatePolicyDto extends PolicyDocumentDto {
  @ApiProperty({ example: 'payments-strict', description: 'Unique per tenant.' })
  @Matches(/^[a-z0-9][a-z0-9._-]{0,99}$/, { message: 'name must be 1-100 lowercase letters, digits, ".", "_" or "-"' })
  name: string;
}

export class PolicyVersionView {
  @ApiProperty({ format: 'uuid' }) policyId: string;
  @ApiProperty({ example: 1 }) version: number;
  @ApiProperty({ type: PolicyDocumentDto }) document: PolicyDocument;
  @ApiProperty() createdAt: string;

  static of(version: PolicyVersionEntity): PolicyVersionView {
    return { policyId: version.policyId, version: version.version, document: version.document, createdAt: version.createdAt.toISOString() };
  }
}

export class PolicyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'payments-strict' }) name: string;
  @ApiProperty({ example: 2 }) latestVersion: number;
  @ApiProperty({ type: PolicyVersionView }) latest: PolicyVersionView;
  @ApiProperty() createdAt: string;

  static of(policy: PolicyEntity, latest: PolicyVersionEntity): PolicyView {
    return { id: policy.id, name: policy.name, latestVersion: policy.latestVersion, latest: PolicyVersionView.of(latest), createdAt: policy.createdAt.toISOString() };
  }
}

export class PolicyList {
  @ApiProperty({ type: [PolicyView] }) items: PolicyView[];
}
