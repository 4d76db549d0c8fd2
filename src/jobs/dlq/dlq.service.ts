import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, SelectQueryBuilder } from 'typeorm';
import { AppError } from '../../common/app-error';
import { JobEntity } from '../job.entity';
import { JobsService } from '../jobs.service';
import { BulkReplayResult, DlqFilterDto } from './dlq.dto';

const BULK_LIMIT = 1000;

/** The dead-letter queue: jobs that failed terminally and were neither replayed nor purged. */
@Injectable()
export class DlqService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: JobsService,
  ) {}

  private query(tenantId: string, filter: DlqFilterDto): SelectQueryBuilder<JobEntity> {
    const query = this.dataSource
      .getRepository(JobEntity)
      .createQueryBuilder('j')
      .where('j.tenant_id = :tenantId', { tenantId })
      .andWhere(`j.status IN ('failed', 'timed_out')`)
      .andWhere('j.replayed_by IS NULL AND j.dlq_purged_at IS NULL')
      .orderBy('j.completed_at', 'DESC')
      .addOrderBy('j.id', 'DESC');
    if (filter.connector) query.andWhere('j.connector_id = :connector', { connector: filter.connector });
    if (filter.operation) query.andWhere('j.operation = :operation', { operation: filter.operation });
    if (filter.errorType) query.andWhere(`j.error->>'type' = :errorType`, { errorType: filter.errorType });
    if (filter.failedAfter) query.andWhere('j.completed_at > :failedAfter', { failedAfter: new Date(filter.failedAfter) });
    if (filter.failedBefore) query.andWhere('j.completed_at < :failedBefore', { failedBefore: new Date(filter.failedBefore) });
    return query;
  }

  list(tenantId: string, filter: DlqFilterDto, limit: number): Promise<JobEntity[]> {
    return this.query(tenantId, filter).limit(limit).getMany();
  }

  async entry(tenantId: string, id: string): Promise<JobEntity> {
    const job = await this.query(tenantId, {}).andWhere('j.id = :id', { id }).getOne();
    if (!job) throw new AppError('DLQ_ENTRY_NOT_FOUND', `Job ${id} is not in the dead-letter queue.`);
    return job;
  }

  /** A new job for the same connector and operation (optionally with edited input), linked both ways. */
  async replay(tenantId: string, id: string, input?: Record<string, unknown>): Promise<JobEntity> {
    const original = await this.entry(tenantId, id);
    // A large input is read back from the payload store; the new job's row then references the
    // very same (content-addressed) object, which is not written again.
    const replayInput = input ?? (await this.jobs.withPayloads(original)).input ?? {};
    const { job } = await this.jobs.execute(
      tenantId,
      { connector: original.connectorId, operation: original.operation, input: replayInput },
      { replayOf: original.id, submittedBy: original.submittedBy },
    );
    return job;
  }

  /** Replays every entry the filter matches (up to `limit`), or only counts them with `dryRun`. */
  async replayMatching(tenantId: string, filter: DlqFilterDto, dryRun: boolean, limit = BULK_LIMIT): Promise<BulkReplayResult> {
    const matching = await this.query(tenantId, filter).limit(limit).getMany();
    const result: BulkReplayResult = { count: matching.length, dryRun, replayed: [], failed: [] };
    if (dryRun) return result;
    for (const original of matching) {
      try {
        const job = await this.replay(tenantId, original.id);
        result.replayed.push({ original: original.id, job: job.id });
      } catch (error) {
        result.failed.push({ original: original.id, code: error instanceof AppError ? error.code : 'INTERNAL_ERROR' });
      }
    }
    return result;
  }

  async purge(tenantId: string, id: string): Promise<void> {
    const entry = await this.entry(tenantId, id);
    await this.dataSource.getRepository(JobEntity).update({ id: entry.id, tenantId }, { dlqPurgedAt: new Date() });
  }
}
