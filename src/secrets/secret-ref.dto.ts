import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Length, Matches } from 'class-validator';
import { SECRET_PROVIDERS, SecretProvider, SecretRefEntity } from './secret-ref.entity';
import { MAX_SECRET_BYTES } from './secret-references';
import { Omittable } from '../common/request-params';

export class CreateSecretRefDto {
  @ApiProperty({ example: 'billing-api-token', description: 'Unique per tenant; connectors may name the ref by name or id.' })
  @IsString() @Matches(/^[a-z0-9][a-z0-9._-]{0,62}$/, { message: 'name must be 1-63 lowercase letters, digits, ".", "_" or "-"' })
  name: string;

  @ApiProperty({
    enum: SECRET_PROVIDERS,
    example: 'local',
    description:
      '`env`: a variable of the worker environment (name starts with `SECRET_`); `file`: a file under ORCH_SECRET_FILES_DIR ' +
      '(mounted Kubernetes/Docker secrets); `local`: the value itself, encrypted at rest with AES-256-GCM under ORCH_SECRETS_KEY.',
  })
  @IsIn(SECRET_PROVIDERS, { message: `provider must be one of ${SECRET_PROVIDERS.join(', ')}` })
  provider: SecretProvider;

  @ApiPropertyOptional({ example: 'SECRET_BILLING_TOKEN', description: '`env` only: the variable name.' })
  @Omittable() @IsString() @Length(1, 207)
  envVar?: string;

  @ApiPropertyOptional({ example: '/run/secrets/orchestrator/billing-token', description: '`file` only: absolute path inside ORCH_SECRET_FILES_DIR.' })
  @Omittable() @IsString() @Length(1, 1024)
  path?: string;

  @ApiPropertyOptional({
    example: 'sk_live_…',
    writeOnly: true,
    description: '`local` only: the secret value. Write-only: never returned, never logged.',
  })
  @Omittable() @IsString() @Length(1, MAX_SECRET_BYTES, { message: `value must be 1 to ${MAX_SECRET_BYTES} characters` })
  value?: string;
}

export class SecretRefView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'billing-api-token' }) name: string;
  @ApiProperty({ enum: SECRET_PROVIDERS, example: 'local' }) provider: SecretProvider;
  @ApiPropertyOptional({ example: 'SECRET_BILLING_TOKEN', description: '`env` refs.' }) envVar?: string;
  @ApiPropertyOptional({ example: '/run/secrets/orchestrator/billing-token', description: '`file` refs.' }) path?: string;
  @ApiPropertyOptional({ example: '3f2a9c0d1e4b5a67', description: '`local` refs: fingerprint of the ORCH_SECRETS_KEY that sealed the value (key rotation).' })
  keyId?: string;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;

  static of(entity: SecretRefEntity): SecretRefView {
    return {
      id: entity.id,
      name: entity.name,
      provider: entity.provider,
      ...(entity.provider === 'env' ? { envVar: entity.reference ?? '' } : {}),
      ...(entity.provider === 'file' ? { path: entity.reference ?? '' } : {}),
      ...(entity.provider === 'local' ? { keyId: entity.keyId ?? '' } : {}),
      createdAt: entity.createdAt.toISOString(),
      updatedAt: entity.updatedAt.toISOString(),
    };
  }
}

export class SecretRefList {
  @ApiProperty({ type: [SecretRefView] }) items: SecretRefView[];
}
