import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsObject, IsOptional, IsString, IsUrl, IsUUID, Length, Matches } from 'class-validator';
import type { HttpConnectorSpec, HttpOperation } from '../../activities/http-request';
import { ConnectorEntity } from './connector.entity';

const EXAMPLE_OPERATIONS: Record<string, HttpOperation> = {
  createCharge: { method: 'POST', path: '/charges', body: { amount: '{amount}', currency: '{currency}' }, successStatuses: [200, 201] },
  getCustomer: { method: 'GET', path: '/customers/{customerId}' },
};

export class CreateConnectorDto {
  @ApiProperty({ example: 'billing-api', description: 'Unique per tenant; usable instead of the id in POST /execute.' })
  @IsString() @Matches(/^[a-z0-9][a-z0-9._-]{0,62}$/, { message: 'name must be 1-63 lowercase letters, digits, ".", "_" or "-"' })
  name: string;

  @ApiProperty({ enum: ['http'], example: 'http' })
  @IsIn(['http'])
  type: 'http';

  @ApiProperty({ example: 'https://billing.example.com/v1' })
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'baseUrl must be an http(s) URL' })
  baseUrl: string;

  @ApiProperty({
    description: 'Operation name → request template. `{field}` placeholders in path, query, headers and body are filled from the job input.',
    example: EXAMPLE_OPERATIONS,
  })
  @IsObject()
  operations: Record<string, HttpOperation>;

  @ApiPropertyOptional({ default: true })
  @IsOptional() @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ format: 'uuid', description: 'Policy bound to this connector; the tenant default policy when omitted.' })
  @IsOptional() @IsUUID()
  policyId?: string;

  @ApiPropertyOptional({ example: 'payments', description: 'Dedicated worker pool queue; the default queue when omitted.' })
  @IsOptional() @IsString() @Length(1, 200) @Matches(/^[\w.-]+$/, { message: 'taskQueue may contain letters, digits, ".", "_" and "-"' })
  taskQueue?: string;

  @ApiPropertyOptional({ default: false, description: 'Allow loopback/private targets (needs ORCH_ALLOW_PRIVATE_NETWORK too).' })
  @IsOptional() @IsBoolean()
  allowPrivateNetwork?: boolean;
}

export class ConnectorView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'billing-api' }) name: string;
  @ApiProperty({ enum: ['http', 'stripe'] }) type: string;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) policyId: string | null;
  @ApiProperty({ nullable: true, type: String }) taskQueue: string | null;
  @ApiProperty({ example: 'https://billing.example.com/v1' }) baseUrl: string;
  @ApiProperty({ example: EXAMPLE_OPERATIONS }) operations: Record<string, HttpOperation>;
  @ApiProperty() allowPrivateNetwork: boolean;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;

  static of(entity: ConnectorEntity): ConnectorView {
    const spec: HttpConnectorSpec = entity.spec;
    return {
      id: entity.id,
      name: entity.name,
      type: entity.type,
      enabled: entity.enabled,
      policyId: entity.policyId,
      taskQueue: entity.taskQueue,
      baseUrl: spec.baseUrl,
      operations: spec.operations,
      allowPrivateNetwork: spec.allowPrivateNetwork ?? false,
      createdAt: entity.createdAt.toISOString(),
      updatedAt: entity.updatedAt.toISOString(),
    };
  }
}

export class ConnectorList {
  @ApiProperty({ type: [ConnectorView] }) items: ConnectorView[];
}
