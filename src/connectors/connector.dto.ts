import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { AUTH_TYPES, AuthType, HttpAuth, HttpOperation, isHttpSpec, StripeRoute } from '../../domain/connector-spec';
import { ConnectorEntity, ConnectorType } from './connector.entity';
import { Omittable } from '../common/request-params';

const CONNECTOR_TYPES: ConnectorType[] = ['http', 'stripe'];
export const DEFAULT_TOLERANCE_SECONDS = 300;
const TASK_QUEUE = /^[A-Za-z0-9_.-]+$/;
const TASK_QUEUE_RULE = 'taskQueue may contain letters, digits, ".", "_" and "-"';

const EXAMPLE_OPERATIONS: Record<string, HttpOperation> = {
  createCharge: {
    method: 'POST',
    path: '/charges',
    body: { amount: '{amount}', currency: '{currency}' },
    successStatuses: [200, 201],
    inputFields: ['amount', 'currency'],
  },
  getCustomer: { method: 'GET', path: '/customers/{customerId}' },
};
const EXAMPLE_ROUTES: Record<string, StripeRoute> = {
  'invoice.paid': { connector: 'billing-api', operation: 'createCharge' },
  'customer.*': { connector: 'crm', operation: 'syncCustomer' },
};

const isType = (type: ConnectorType) => (dto: { type?: ConnectorType }, value: unknown) => dto.type === type || value !== undefined;

export class HttpAuthDto implements HttpAuth {
  @ApiProperty({
    enum: AUTH_TYPES,
    example: 'bearer',
    description:
      '`bearer`: `Authorization: Bearer <secret>`; `basic`: `Authorization: Basic …` of `username:secret` (or of the secret when it is ' +
      '`user:password` and no username is given); `header`: `<headerName>: <prefix><secret>`.',
  })
  @IsIn(AUTH_TYPES, { message: `type must be one of ${AUTH_TYPES.join(', ')}` })
  type: AuthType;

  @ApiPropertyOptional({ example: 'billing-api-token', description: 'Secret ref id or name (required unless type is none); stored as the id.' })
  @Omittable() @IsString() @Length(1, 200)
  secretRef?: string;

  @ApiPropertyOptional({ example: 'api', description: '`basic` only: the user name; the secret is then the password.' })
  // eslint-disable-next-line no-control-regex -- the document's pattern states the NUL refusal too
  @Omittable() @IsString() @Matches(/^[^:\r\n\x00]{0,200}$/, { message: 'username must not contain ":" or line breaks' })
  username?: string;

  @ApiPropertyOptional({ example: 'X-Api-Key', description: '`header` only: the header that carries the secret.' })
  @Omittable() @IsString() @Length(1, 100)
  headerName?: string;

  @ApiPropertyOptional({ example: 'Token ', description: '`header` only: text put before the secret.' })
  @Omittable() @IsString() @Matches(/^[\x20-\x7e]{0,100}$/, { message: 'prefix must be printable ASCII (at most 100 characters)' })
  prefix?: string;
}

export class CreateConnectorDto {
  @ApiProperty({ example: 'billing-api', description: 'Unique per tenant; usable instead of the id in POST /execute.' })
  @IsString() @Matches(/^[a-z0-9][a-z0-9._-]{0,62}$/, { message: 'name must be 1-63 lowercase letters, digits, ".", "_" or "-"' })
  name: string;

  @ApiProperty({ enum: CONNECTOR_TYPES, example: 'http', description: '`http`: outbound calls. `stripe`: webhook ingress at `POST /webhooks/<id>` (exec plane).' })
  @IsIn(CONNECTOR_TYPES, { message: `type must be one of ${CONNECTOR_TYPES.join(', ')}` })
  type: ConnectorType;

  @ApiPropertyOptional({ example: 'https://billing.example.com/v1', description: '`http` (required): no credentials, query or fragment.' })
  @ValidateIf(isType('http'))
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'baseUrl must be an http(s) URL' })
  baseUrl?: string;

  @ApiPropertyOptional({
    description:
      '`http` (required): operation name → request template. `{field}` placeholders in path, query, headers and body are filled from ' +
      'the job input. `inputFields`, when given, lists the input fields templates may name.',
    example: EXAMPLE_OPERATIONS,
  })
  @ValidateIf(isType('http')) @IsObject()
  operations?: Record<string, HttpOperation>;

  @ApiPropertyOptional({ type: HttpAuthDto, description: '`http`: credentials from a secret ref; none when omitted.' })
  @Omittable() @IsObject() @ValidateNested() @Type(() => HttpAuthDto)
  auth?: HttpAuthDto;

  @ApiPropertyOptional({ default: false, description: '`http`: allow loopback/private/link-local targets (needs ORCH_ALLOW_PRIVATE_NETWORK=true too).' })
  @Omittable() @IsBoolean()
  allowPrivateNetwork?: boolean;

  @ApiPropertyOptional({ example: 'stripe-whsec', description: '`stripe` (required): secret ref (id or name) holding the endpoint signing secret (`whsec_…`).' })
  @ValidateIf(isType('stripe')) @IsString() @Length(1, 200)
  signingSecretRef?: string;

  @ApiPropertyOptional({ default: DEFAULT_TOLERANCE_SECONDS, example: 300, description: '`stripe`: how old a signature timestamp may be, in seconds.' })
  @Omittable() @IsInt() @Min(1) @Max(3600)
  toleranceSeconds?: number;

  @ApiPropertyOptional({
    description: '`stripe`: event type (exact, `prefix.*` or `*`) → the connector operation that handles it. Events with no route are archived and ignored.',
    example: EXAMPLE_ROUTES,
    type: 'object',
    additionalProperties: {
      type: 'object',
      required: ['connector', 'operation'],
      properties: {
        connector: { type: 'string', description: 'An http connector of the same tenant (id or name); stored as the id.' },
        operation: { type: 'string' },
      },
    },
  })
  @Omittable() @IsObject()
  routes?: Record<string, StripeRoute>;

  @ApiPropertyOptional({ default: true })
  @Omittable() @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ format: 'uuid', description: 'Policy bound to this connector; the tenant default policy when omitted.' })
  @Omittable() @IsUUID()
  policyId?: string;

  @ApiPropertyOptional({ example: 'payments', description: 'Dedicated worker pool queue: its jobs run only on workers whose WORKER_TASK_QUEUES lists it. The default queue when omitted.' })
  @Omittable() @IsString() @Length(1, 200) @Matches(TASK_QUEUE, { message: TASK_QUEUE_RULE })
  taskQueue?: string;
}

/**
 * PATCH body: any field of the create body but `type` (immutable). Maps (`operations`, `routes`)
 * and `auth` are replaced whole (`auth: { type: 'none' }` removes it). Only `policyId` and `taskQueue`
 * may be null: that clears them.
 */
export class UpdateConnectorDto extends PartialType(OmitType(CreateConnectorDto, ['type', 'policyId', 'taskQueue'] as const), { skipNullProperties: false }) {
  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String, description: 'null: the tenant default policy applies.' })
  @IsOptional() @IsUUID()
  policyId?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, example: 'payments', description: 'null: back to the default queue.' })
  @IsOptional() @IsString() @Length(1, 200) @Matches(TASK_QUEUE, { message: TASK_QUEUE_RULE })
  taskQueue?: string | null;
}

export class ConnectorView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'billing-api' }) name: string;
  @ApiProperty({ enum: CONNECTOR_TYPES }) type: ConnectorType;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) policyId: string | null;
  @ApiProperty({ nullable: true, type: String }) taskQueue: string | null;
  @ApiPropertyOptional({ example: 'https://billing.example.com/v1', description: '`http`' }) baseUrl?: string;
  @ApiPropertyOptional({ example: EXAMPLE_OPERATIONS, description: '`http`' }) operations?: Record<string, HttpOperation>;
  @ApiPropertyOptional({ type: HttpAuthDto, description: '`http`: `secretRef` is the ref id; the value is never shown.' }) auth?: HttpAuth;
  @ApiPropertyOptional({ description: '`http`' }) allowPrivateNetwork?: boolean;
  @ApiPropertyOptional({ format: 'uuid', description: '`stripe`: the signing secret ref id.' }) signingSecretRef?: string;
  @ApiPropertyOptional({ example: 300, description: '`stripe`' }) toleranceSeconds?: number;
  @ApiPropertyOptional({ example: EXAMPLE_ROUTES, description: '`stripe`: route targets as connector ids.' }) routes?: Record<string, StripeRoute>;
  @ApiPropertyOptional({ example: '/webhooks/4b3e…', description: '`stripe`: where Stripe delivers events (exec plane).' }) webhookPath?: string;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;

  static of(entity: ConnectorEntity): ConnectorView {
    const spec = entity.spec;
    const specific = isHttpSpec(spec)
      ? { baseUrl: spec.baseUrl, operations: spec.operations, auth: spec.auth ?? { type: 'none' as const }, allowPrivateNetwork: spec.allowPrivateNetwork ?? false }
      : { signingSecretRef: spec.signingSecretRef, toleranceSeconds: spec.toleranceSeconds, routes: spec.routes, webhookPath: `/webhooks/${entity.id}` };
    return {
      id: entity.id,
      name: entity.name,
      type: entity.type,
      enabled: entity.enabled,
      policyId: entity.policyId,
      taskQueue: entity.taskQueue,
      ...specific,
      createdAt: entity.createdAt.toISOString(),
      updatedAt: entity.updatedAt.toISOString(),
    };
  }
}

export class ConnectorList {
  @ApiProperty({ type: [ConnectorView] }) items: ConnectorView[];
}
