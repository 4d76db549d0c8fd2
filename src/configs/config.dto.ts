import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNumber, IsObject, IsUUID, Max, Min, ValidateNested } from 'class-validator';
import { MAX_STORED_INT, Omittable } from '../common/request-params';
import { ConfigDocument, ConfigEntity } from './config.entity';

export class PolicyVersionRefDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID()
  policyId: string;

  @ApiProperty({ example: 2, minimum: 1, maximum: MAX_STORED_INT }) @IsInt() @Min(1) @Max(MAX_STORED_INT)
  version: number;
}

export class ApiRateLimitDto {
  @ApiProperty({ example: 50 }) @IsNumber() @Min(0.001) @Max(1_000_000)
  requestsPerSecond: number;

  @ApiProperty({ example: 100 }) @IsInt() @Min(0) @Max(1_000_000)
  burst: number;
}

export class CreateConfigDto {
  @ApiPropertyOptional({
    description: 'Connector id or name → the exact policy version its new jobs run under.',
    example: { 'billing-api': { policyId: '3f0e…', version: 2 } },
  })
  @Omittable() @IsObject()
  bindings?: Record<string, PolicyVersionRefDto>;

  @ApiPropertyOptional({ type: PolicyVersionRefDto, description: 'For connectors without a binding.' })
  @Omittable() @ValidateNested() @Type(() => PolicyVersionRefDto)
  defaultPolicy?: PolicyVersionRefDto;

  @ApiPropertyOptional({ type: ApiRateLimitDto })
  @Omittable() @ValidateNested() @Type(() => ApiRateLimitDto)
  apiRateLimit?: ApiRateLimitDto;

  @ApiPropertyOptional({ example: { dlqAutoPurge: false } })
  @Omittable() @IsObject()
  features?: Record<string, boolean>;
}

export class VersionDto {
  @ApiProperty({ example: 2, minimum: 1, maximum: MAX_STORED_INT }) @IsInt() @Min(1) @Max(MAX_STORED_INT)
  version: number;
}

export class ConfigView {
  @ApiProperty({ example: 2 }) version: number;
  @ApiProperty({ example: { bindings: {}, defaultPolicy: null, apiRateLimit: null, features: {} } }) document: ConfigDocument;
  @ApiProperty() createdBy: string;
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional({ description: 'Whether this version is the active one.' }) active?: boolean;

  static of(entity: ConfigEntity, active?: boolean): ConfigView {
    return { version: entity.version, document: entity.document, createdBy: entity.createdBy, createdAt: entity.createdAt.toISOString(), ...(active === undefined ? {} : { active }) };
  }
}

export class ConfigList {
  @ApiProperty({ type: [ConfigView] }) items: ConfigView[];
  @ApiProperty({ nullable: true, type: Number }) activeVersion: number | null;
}
