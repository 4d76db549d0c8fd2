import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import { AppError } from '../common/app-error';
import { PoliciesService } from '../policies/policies.service';
import { ConnectorEntity } from './connector.entity';
import { CreateConnectorDto } from './connector.dto';
import { validateOperations } from './operation-spec';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UNIQUE_VIOLATION = '23505';

@Injectable()
export class ConnectorsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly policies: PoliciesService,
  ) {}

  private get repository() {
    return this.dataSource.getRepository(ConnectorEntity);
  }

  async create(tenantId: string, dto: CreateConnectorDto): Promise<ConnectorEntity> {
    const errors = validateOperations(dto.operations);
    if (errors.length > 0) throw AppError.validation(errors);
    if (dto.policyId) {
      await this.policies.find(tenantId, dto.policyId).catch(() => {
        throw AppError.validation([{ field: 'policyId', message: 'names no policy of this tenant' }]);
      });
    }
    try {
      return await this.repository.save(
        this.repository.create({
          tenantId,
          name: dto.name,
          type: dto.type,
          enabled: dto.enabled ?? true,
          policyId: dto.policyId ?? null,
          taskQueue: dto.taskQueue ?? null,
          spec: { baseUrl: dto.baseUrl, operations: dto.operations, allowPrivateNetwork: dto.allowPrivateNetwork ?? false },
        }),
      );
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION) {
        throw AppError.conflict('CONNECTOR_NAME_TAKEN', `A connector named "${dto.name}" already exists.`);
      }
      throw error;
    }
  }

  list(tenantId: string): Promise<ConnectorEntity[]> {
    return this.repository.find({ where: { tenantId }, order: { name: 'ASC' } });
  }

  /** By id or by name, within the tenant; another tenant's connector is simply not found. */
  async get(tenantId: string, idOrName: string): Promise<ConnectorEntity> {
    const connector = await this.repository.findOneBy(UUID.test(idOrName) ? { tenantId, id: idOrName } : { tenantId, name: idOrName });
    if (!connector) throw AppError.notFound('CONNECTOR_NOT_FOUND', `Connector "${idOrName}" does not exist.`);
    return connector;
  }
}
