import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isUniqueViolation } from '../database/postgres-errors';
import { ConnectorSpec, type HttpAuth, HttpConnectorSpec, HttpOperation, isHttpSpec, StripeConnectorSpec, StripeRoute } from '../../domain/connector-spec';
import { AppError, FieldError } from '../common/app-error';
import { byIdOrName, isUuid } from '../common/identifiers';
import { PoliciesService } from '../policies/policies.service';
import { SecretsService } from '../secrets/secrets.service';
import { ConnectorEntity, ConnectorType } from './connector.entity';
import { CreateConnectorDto, DEFAULT_TOLERANCE_SECONDS, UpdateConnectorDto } from './connector.dto';
import { validateAuth, validateBaseUrl, validateOperations, validateRoutes } from './operation-spec';


const HTTP_FIELDS = ['baseUrl', 'operations', 'auth', 'allowPrivateNetwork'] as const;
const STRIPE_FIELDS = ['signingSecretRef', 'toleranceSeconds', 'routes'] as const;

/** The type-specific part of a create or update body. */
interface SpecInput {
  baseUrl?: string;
  operations?: Record<string, HttpOperation>;
  auth?: HttpAuth;
  allowPrivateNetwork?: boolean;
  signingSecretRef?: string;
  toleranceSeconds?: number;
  routes?: Record<string, StripeRoute>;
}

@Injectable()
export class ConnectorsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly policies: PoliciesService,
    private readonly secrets: SecretsService,
  ) {}

  private get repository() {
    return this.dataSource.getRepository(ConnectorEntity);
  }

  async create(tenantId: string, dto: CreateConnectorDto): Promise<ConnectorEntity> {
    const spec = await this.buildSpec(tenantId, dto.type, dto);
    await this.checkPolicy(tenantId, dto.policyId);
    return this.saving(dto.name, () =>
      this.repository.save(
        this.repository.create({
          tenantId,
          name: dto.name,
          type: dto.type,
          enabled: dto.enabled ?? true,
          policyId: dto.policyId ?? null,
          taskQueue: dto.taskQueue ?? null,
          spec,
        }),
      ),
    );
  }

  /** Partial update; the result is validated as a whole, like a create. Running jobs keep what they pinned. */
  async update(tenantId: string, idOrName: string, dto: UpdateConnectorDto): Promise<ConnectorEntity> {
    const connector = await this.get(tenantId, idOrName);
    const body = dto as Record<string, unknown>;
    const patch: SpecInput = Object.fromEntries(
      [...HTTP_FIELDS, ...STRIPE_FIELDS].filter((field) => body[field] !== undefined).map((field) => [field, body[field]]),
    );
    if (Object.keys(patch).length > 0) connector.spec = await this.buildSpec(tenantId, connector.type, { ...this.asInput(connector.spec), ...patch }, patch, connector.id);
    if (dto.policyId !== undefined) {
      await this.checkPolicy(tenantId, dto.policyId ?? undefined);
      connector.policyId = dto.policyId ?? null;
    }
    if (dto.taskQueue !== undefined) connector.taskQueue = dto.taskQueue ?? null;
    if (dto.name !== undefined) connector.name = dto.name;
    if (dto.enabled !== undefined) connector.enabled = dto.enabled;
    return this.saving(connector.name, () => this.repository.save(connector));
  }

  /** Refused while a stripe connector routes events to this one. Jobs already running fail as a configuration error. */
  async delete(tenantId: string, idOrName: string): Promise<void> {
    const connector = await this.get(tenantId, idOrName);
    const routers: { name: string }[] = await this.dataSource.query(
      `SELECT c.name FROM connectors c
        WHERE c.tenant_id = $1 AND c.type = 'stripe'
          AND EXISTS (SELECT 1 FROM jsonb_each(c.spec->'routes') r WHERE r.value->>'connector' = $2)
        ORDER BY c.name`,
      [tenantId, connector.id],
    );
    if (routers.length > 0) {
      throw new AppError(
        'CONNECTOR_IN_USE',
        `Connector "${connector.name}" receives events routed by ${routers.map((r) => `"${r.name}"`).join(', ')}; change those routes first.`,
      );
    }
    await this.repository.delete({ tenantId, id: connector.id });
  }

  list(tenantId: string): Promise<ConnectorEntity[]> {
    return this.repository.find({ where: { tenantId }, order: { name: 'ASC' } });
  }

  /** By id or by name, within the tenant; another tenant's connector is simply not found. */
  async get(tenantId: string, idOrName: string): Promise<ConnectorEntity> {
    const connector = await this.find(tenantId, idOrName);
    if (!connector) throw new AppError('CONNECTOR_NOT_FOUND', `Connector "${idOrName}" does not exist.`);
    return connector;
  }

  /** Like `get`, but null when there is none (callers that report it their own way). */
  find(tenantId: string, idOrName: string): Promise<ConnectorEntity | null> {
    return this.repository.findOneBy(byIdOrName(tenantId, idOrName));
  }

  /** A stripe connector by id alone, for the unauthenticated webhook ingress (the signature decides). */
  async findStripe(id: string): Promise<ConnectorEntity | null> {
    if (!isUuid(id)) return null;
    return this.repository.findOneBy({ id, type: 'stripe' });
  }

  private asInput(spec: ConnectorSpec): SpecInput {
    return isHttpSpec(spec) ? { ...spec } : { signingSecretRef: spec.signingSecretRef, toleranceSeconds: spec.toleranceSeconds, routes: spec.routes };
  }

  /**
   * Validates the type-specific settings and returns the spec to store, with secret refs and route
   * targets resolved to ids. `given` holds the fields the request itself set (for "not used by" errors).
   */
  private async buildSpec(tenantId: string, type: ConnectorType, input: SpecInput, given: SpecInput = input, selfId?: string): Promise<ConnectorSpec> {
    const errors: FieldError[] = [];
    const foreign = type === 'http' ? STRIPE_FIELDS : HTTP_FIELDS;
    for (const field of foreign) if (given[field] !== undefined) errors.push({ field, message: `is not used by ${type} connectors` });
    const spec = type === 'http' ? await this.httpSpec(tenantId, input, errors) : await this.stripeSpec(tenantId, input, errors, selfId);
    if (errors.length > 0) throw AppError.validation(errors);
    return spec;
  }

  private async httpSpec(tenantId: string, input: SpecInput, errors: FieldError[]): Promise<HttpConnectorSpec> {
    if (input.baseUrl === undefined) errors.push({ field: 'baseUrl', message: 'is required for http connectors' });
    else errors.push(...validateBaseUrl(input.baseUrl));
    if (input.operations === undefined) errors.push({ field: 'operations', message: 'is required for http connectors' });
    else errors.push(...validateOperations(input.operations));
    let auth: HttpAuth | undefined;
    if (input.auth) {
      const authErrors = validateAuth(input.auth);
      errors.push(...authErrors);
      if (authErrors.length === 0 && input.auth.type !== 'none') {
        const secretRef = await this.secrets.findId(tenantId, input.auth.secretRef!);
        if (!secretRef) errors.push({ field: 'auth.secretRef', message: `names no secret ref of this tenant` });
        auth = { ...stripUndefined(input.auth), secretRef };
      }
    }
    return {
      baseUrl: input.baseUrl!,
      operations: input.operations!,
      allowPrivateNetwork: input.allowPrivateNetwork ?? false,
      ...(auth ? { auth } : {}),
    };
  }

  private async stripeSpec(tenantId: string, input: SpecInput, errors: FieldError[], selfId?: string): Promise<StripeConnectorSpec> {
    let signingSecretRef: string | undefined;
    if (input.signingSecretRef === undefined) errors.push({ field: 'signingSecretRef', message: 'is required for stripe connectors' });
    else {
      signingSecretRef = await this.secrets.findId(tenantId, input.signingSecretRef);
      if (!signingSecretRef) errors.push({ field: 'signingSecretRef', message: 'names no secret ref of this tenant' });
    }
    const routes: Record<string, StripeRoute> = {};
    const given = input.routes ?? {};
    const shapeErrors = validateRoutes(given);
    errors.push(...shapeErrors);
    if (shapeErrors.length === 0) {
      for (const [pattern, route] of Object.entries(given)) {
        const at = `routes.${pattern}`;
        const target = await this.get(tenantId, route.connector).catch(() => undefined);
        if (!target || target.id === selfId) errors.push({ field: `${at}.connector`, message: `names no http connector of this tenant` });
        else if (!isHttpSpec(target.spec)) errors.push({ field: `${at}.connector`, message: `"${target.name}" is a ${target.type} connector; routes lead to http connectors` });
        else if (!Object.prototype.hasOwnProperty.call(target.spec.operations, route.operation)) {
          errors.push({ field: `${at}.operation`, message: `connector "${target.name}" has no operation "${route.operation}"` });
        } else routes[pattern] = { connector: target.id, operation: route.operation };
      }
    }
    return { signingSecretRef: signingSecretRef!, toleranceSeconds: input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS, routes, operations: {} };
  }

  private async checkPolicy(tenantId: string, policyId: string | undefined) {
    if (!policyId) return;
    await this.policies.find(tenantId, policyId).catch(() => {
      throw AppError.validation([{ field: 'policyId', message: 'names no policy of this tenant' }]);
    });
  }

  private async saving(name: string, save: () => Promise<ConnectorEntity>): Promise<ConnectorEntity> {
    try {
      return await save();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('CONNECTOR_NAME_TAKEN', `A connector named "${name}" already exists.`);
      }
      throw error;
    }
  }
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
