import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppError, FieldError } from '../common/app-error';
import { isUuid } from '../common/identifiers';
import { MAX_STORED_INT } from '../common/request-params';
import { isUniqueViolation } from '../database/postgres-errors';
import { ConnectorsService } from '../connectors/connectors.service';
import { EventsService } from '../events/events.service';
import { PoliciesService } from '../policies/policies.service';
import { ConfigDocument, ConfigEntity, PolicyVersionRef } from './config.entity';
import { CreateConfigDto } from './config.dto';
import { GoverningPolicy } from './governing-policy';


/**
 * Immutable config versions and one active pointer per tenant. The pointer is the latest row of
 * `config_activations`; activate and rollback append a row in one statement, so they are atomic.
 */
@Injectable()
export class ConfigsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventsService,
    private readonly connectors: ConnectorsService,
    private readonly policies: PoliciesService,
    private readonly governing: GoverningPolicy,
  ) {}

  async create(tenantId: string, dto: CreateConfigDto, createdBy: string): Promise<ConfigEntity> {
    const document = await this.validate(tenantId, dto);
    for (let tries = 0; ; tries++) {
      try {
        const [row]: { version: number }[] = await this.dataSource.query(
          `INSERT INTO configs (tenant_id, version, document, created_by)
           SELECT $1::varchar, COALESCE(max(version), 0) + 1, $2::jsonb, $3::varchar FROM configs WHERE tenant_id = $1::varchar RETURNING version`,
          [tenantId, JSON.stringify(document), createdBy],
        );
        return this.get(tenantId, row.version);
      } catch (error) {
        // Two creators raced for the same version number: take the next one.
        if (tries < 3 && isUniqueViolation(error)) continue;
        throw error;
      }
    }
  }

  list(tenantId: string): Promise<ConfigEntity[]> {
    return this.dataSource.getRepository(ConfigEntity).find({ where: { tenantId }, order: { version: 'DESC' } });
  }

  async get(tenantId: string, version: number): Promise<ConfigEntity> {
    const config = await this.dataSource.getRepository(ConfigEntity).findOneBy({ tenantId, version });
    if (!config) throw new AppError('CONFIG_NOT_FOUND', `Config version ${version} does not exist.`);
    return config;
  }

  /** The active config, or null when none was ever activated. */
  active(tenantId: string): Promise<ConfigEntity | null> {
    return this.governing.activeConfig(tenantId);
  }

  async activate(tenantId: string, version: number, by: string): Promise<ConfigEntity> {
    const config = await this.get(tenantId, version);
    await this.movePointer(tenantId, version, 'activate', by);
    return config;
  }

  /**
   * Re-activates the version that was active before the current one (like `kubectl rollout undo`:
   * two rollbacks in a row return to where they started).
   */
  async rollback(tenantId: string, by: string): Promise<ConfigEntity> {
    const rows: { version: number }[] = await this.dataSource.query(
      'SELECT version FROM config_activations WHERE tenant_id = $1 ORDER BY id DESC LIMIT 2',
      [tenantId],
    );
    if (rows.length < 2) throw new AppError('NOTHING_TO_ROLL_BACK', 'No earlier config version was ever active.');
    await this.movePointer(tenantId, rows[1].version, 'rollback', by, rows[0].version);
    return this.get(tenantId, rows[1].version);
  }

  private async movePointer(tenantId: string, version: number, action: 'activate' | 'rollback', by: string, from?: number) {
    await this.dataSource.transaction(async (manager) => {
      // Serialise pointer moves per tenant so the "previous" version of a rollback is well defined.
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`configs:${tenantId}`]);
      await manager.query(
        'INSERT INTO config_activations (tenant_id, version, action, activated_by) VALUES ($1, $2, $3, $4)',
        [tenantId, version, action, by],
      );
      await this.events.append(manager, tenantId, null, 'config.activated', { version, action, by, ...(from ? { from } : {}) });
    });
  }

  /** Every reference must exist in the tenant; connector names are stored as ids. */
  private async validate(tenantId: string, dto: CreateConfigDto): Promise<ConfigDocument> {
    const errors: FieldError[] = [];
    const bindings: Record<string, PolicyVersionRef> = {};
    const checkRef = async (field: string, ref: unknown): Promise<PolicyVersionRef | null> => {
      const candidate = ref as Partial<PolicyVersionRef> | null;
      if (!candidate || typeof candidate.policyId !== 'string' || !isUuid(candidate.policyId) || !Number.isInteger(candidate.version) || candidate.version! < 1 || candidate.version! > MAX_STORED_INT) {
        errors.push({ field, message: `must be { policyId: uuid, version: integer from 1 to ${MAX_STORED_INT} }` });
        return null;
      }
      if (!(await this.policies.versionExists(tenantId, candidate.policyId, candidate.version as number))) errors.push({ field, message: `names no version ${candidate.version} of a policy ${candidate.policyId} of this tenant` });
      return { policyId: candidate.policyId, version: candidate.version as number };
    };
    for (const [key, ref] of Object.entries(dto.bindings ?? {})) {
      const connector = await this.connectors.find(tenantId, key);
      if (!connector) errors.push({ field: `bindings.${key}`, message: 'names no connector of this tenant' });
      const checked = await checkRef(`bindings.${key}`, ref);
      if (connector && checked) bindings[connector.id] = checked;
    }
    const defaultPolicy = dto.defaultPolicy ? await checkRef('defaultPolicy', dto.defaultPolicy) : null;
    for (const [flag, value] of Object.entries(dto.features ?? {})) {
      if (typeof value !== 'boolean') errors.push({ field: `features.${flag}`, message: 'must be true or false' });
    }
    if (errors.length > 0) throw AppError.validation(errors);
    return { bindings, defaultPolicy, apiRateLimit: dto.apiRateLimit ? { ...dto.apiRateLimit } : null, features: { ...dto.features } };
  }
}
