import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { DEPENDENCIES, ERROR_CATALOGUE, ERROR_CODES } from '../../domain/errors';

const CODE_TABLE = ERROR_CODES.map((code) => `\`${code}\` (${ERROR_CATALOGUE[code].status}): ${ERROR_CATALOGUE[code].title}`).join('; ');

class FieldErrorSchema {
  @ApiProperty({ example: 'operation' }) field: string;
  @ApiProperty({ example: 'operation must be a string' }) message: string;
}

/** RFC 9457 problem details, as every error response carries them. */
export class ProblemSchema {
  @ApiProperty({ example: '/problems/job-not-found' }) type: string;
  @ApiProperty({ example: 'Job not found', description: "The code's title from the catalogue." }) title: string;
  @ApiProperty({ example: 404 }) status: number;
  @ApiProperty({ example: 'Job 2b1c… does not exist.' }) detail: string;
  @ApiProperty({ example: 'JOB_NOT_FOUND', enum: ERROR_CODES, description: `Stable machine-readable error code, one of the catalogue (domain/errors.ts): ${CODE_TABLE}.` }) code: string;
  @ApiProperty({ example: '5f0c6f7e-2a0b-4c36-9d6e-0b7a1b2c3d4e' }) requestId: string;
  @ApiProperty({ example: '/jobs/2b1c…' }) instance: string;
  @ApiPropertyOptional({ type: [FieldErrorSchema] }) errors?: FieldErrorSchema[];
  @ApiPropertyOptional({ enum: DEPENDENCIES, description: 'DEPENDENCY_UNAVAILABLE: the dependency that is down.' })
  dependency?: string;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed or invalid request (problem+json lists the fields)',
  401: 'Missing or invalid credentials',
  403: 'Your roles lack the permission',
  404: 'Not found (also: belongs to another tenant)',
  409: 'Conflicts with the current state',
  413: 'Body too large',
  415: 'Body is not application/json',
  422: 'Idempotency-Key reused with a different body',
  503: 'A dependency is down; see Retry-After',
};

/** Documents problem+json responses for the given statuses. */
export function ApiProblemResponses(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status], content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemSchema' } } } }),
    ),
  );
}
