import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';

class BreakerView {
  @ApiProperty({ enum: ['closed', 'open', 'half_open'] }) state: string;
  @ApiProperty({ nullable: true, type: String, description: 'When an open breaker will half-open.' }) openUntil: string | null;
  @ApiProperty({ description: 'Calls counted in the current failure window.' }) windowCalls: number;
  @ApiProperty() windowFailures: number;
  @ApiProperty() probesInFlight: number;
}

class RateLimitStateView {
  @ApiProperty() permitsPerSecond: number;
  @ApiProperty() burst: number;
  @ApiProperty({ description: 'Calls that may go at once right now (up to burst + 1 after a quiet spell).' }) available: number;
  @ApiProperty({ description: 'Milliseconds until the next call would be admitted (0 when one is available now).' }) nextPermitInMs: number;
}

class ConcurrencyStateView {
  @ApiProperty() maxInFlight: number;
  @ApiProperty({ description: 'Leases held now, fleet-wide.' }) inFlight: number;
}

class RecentErrorView {
  @ApiProperty({ format: 'uuid' }) jobId: string;
  @ApiProperty() attempt: number;
  @ApiProperty({ example: { type: 'HttpError', message: 'The connector answered HTTP 503.', retryable: true, httpStatus: 503 } })
  error: Record<string, unknown>;
  @ApiProperty() at: string;
}

export class ConnectorStateView {
  @ApiProperty({ format: 'uuid' }) connectorId: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'The policy version that governs this connector: its limits are in force for every job, and new jobs get its retry and timeouts.', example: { id: '…', version: 2 } })
  policy: { id: string; version: number };
  @ApiProperty({ type: BreakerView }) breaker: BreakerView;
  @ApiProperty({ type: RateLimitStateView, nullable: true }) rateLimit: RateLimitStateView | null;
  @ApiProperty({ type: ConcurrencyStateView, nullable: true }) concurrency: ConcurrencyStateView | null;
  @ApiProperty({ type: [RecentErrorView] }) recentErrors: RecentErrorView[];
  @ApiProperty({ description: 'Jobs not finished yet, by status.', example: { queued: 0, running: 2, waiting: 5 } })
  backlog: Record<string, number>;
  @ApiPropertyOptional({ description: 'Set when Redis could not be read.' }) unavailable?: string;
}

export class ConnectorStateList {
  @ApiProperty({ type: [ConnectorStateView] }) items: ConnectorStateView[];
}

export class BreakerActionDto {
  @ApiProperty({ enum: ['reset', 'open'], description: '`reset` closes the breaker and clears its window; `open` opens it for the policy’s openMs.' })
  @IsIn(['reset', 'open'])
  action: 'reset' | 'open';
}
