import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { EventType } from '../../workflows/job-types';
import { EventEntity } from './job-event.entity';

export interface EventFilter {
  jobId?: string;
  type?: EventType;
  /** Only events with a larger id (resume point). */
  after?: string;
  limit: number;
}

/** The event log: appended inside the transaction that changes the job, read back by id order. */
@Injectable()
export class EventsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async append(manager: EntityManager, tenantId: string, jobId: string | null, type: EventType, data: Record<string, unknown> = {}) {
    await manager.query('INSERT INTO events (tenant_id, job_id, type, data) VALUES ($1, $2, $3, $4)', [tenantId, jobId, type, JSON.stringify(data)]);
  }

  async list(tenantId: string, filter: EventFilter): Promise<EventEntity[]> {
    const query = this.dataSource
      .getRepository(EventEntity)
      .createQueryBuilder('e')
      .where('e.tenant_id = :tenantId', { tenantId })
      .orderBy('e.id', 'ASC')
      .limit(filter.limit);
    if (filter.jobId) query.andWhere('e.job_id = :jobId', { jobId: filter.jobId });
    if (filter.type) query.andWhere('e.type = :type', { type: filter.type });
    if (filter.after) query.andWhere('e.id > :after', { after: filter.after });
    return query.getMany();
  }
}
