import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Gauge, register } from 'prom-client';
import { NON_TERMINAL_STATUSES } from '../../domain/job';
import { Environment } from '../config/environment';
import { ResilienceStore } from '../resilience/resilience-store';
import { ConnectorJobs } from './connector-jobs';

/**
 * Gauges read from the shared state at scrape time (prom-client `collect`), in the api: leases
 * in flight from Redis, the backlog from Postgres. Every api replica reports the same values
 * (query them with `max`); they keep being reported while no worker runs, when the backlog matters
 * most. A source that cannot be read leaves its gauge without series for that scrape, never stale.
 * Labels are bounded: connector ids and task queue names that connectors or jobs name, job statuses.
 */
const GAUGES = ['orchestrator_leases_in_flight', 'orchestrator_jobs_backlog'] as const;

@Injectable()
export class ConnectorStateGauges implements OnModuleDestroy {
  private readonly logger = new Logger(ConnectorStateGauges.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: ConnectorJobs,
    private readonly resilience: ResilienceStore,
    private readonly environment: Environment,
  ) {
    const leases: Gauge = new Gauge({
      name: GAUGES[0],
      help: 'Concurrency leases held now per connector (calls in flight under a concurrency limit), from Redis',
      labelNames: ['connector'],
      collect: () => this.collectLeases(leases),
    });
    const backlog: Gauge = new Gauge({
      name: GAUGES[1],
      help: 'Jobs not yet terminal per task queue and status (queued: not picked up yet; waiting: held back by a limit; running), from Postgres',
      labelNames: ['task_queue', 'status'],
      collect: () => this.collectBacklog(backlog),
    });
  }

  private async collectLeases(gauge: Gauge) {
    gauge.reset();
    try {
      const rows: { id: string }[] = await this.dataSource.query('SELECT id FROM connectors ORDER BY id');
      const held = await this.resilience.leasesHeld(rows.map((row) => row.id));
      rows.forEach((row, i) => gauge.set({ connector: row.id }, held[i]));
    } catch (error) {
      gauge.reset();
      this.logger.warn({ err: error }, 'leases in flight not read for this scrape');
    }
  }

  private async collectBacklog(gauge: Gauge) {
    gauge.reset();
    try {
      const [queues, open]: [{ task_queue: string }[], Awaited<ReturnType<ConnectorJobs['openByTaskQueue']>>] = await Promise.all([
        this.dataSource.query('SELECT DISTINCT task_queue FROM connectors WHERE task_queue IS NOT NULL'),
        this.jobs.openByTaskQueue(),
      ]);
      // Every known queue reports every status, 0 included: a drained queue stays a series (alerts compare over time).
      for (const taskQueue of new Set([this.environment.ORCH_TASK_QUEUE, ...queues.map((row) => row.task_queue)])) {
        for (const status of NON_TERMINAL_STATUSES) gauge.set({ task_queue: taskQueue, status }, 0);
      }
      for (const { taskQueue, status, count } of open) gauge.set({ task_queue: taskQueue, status }, count);
    } catch (error) {
      gauge.reset();
      this.logger.warn({ err: error }, 'backlog not read for this scrape');
    }
  }

  onModuleDestroy() {
    for (const name of GAUGES) register.removeSingleMetric(name);
  }
}
