import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { resilienceLimits } from '../../domain/policy';
import { AppError } from '../common/app-error';
import { EventsService } from '../events/events.service';
import { recordBreakerTransition } from '../metrics/breaker-transitions';
import { ResilienceStore } from '../resilience/resilience-store';
import { Environment } from '../config/environment';
import { JobWakeUps } from '../temporal/job-wake-ups';
import { TemporalService } from '../temporal/temporal.service';
import { temporal as proto } from '@temporalio/proto';
import type { PinnedPolicy } from '../policies/policies.service';
import { ConnectorJobs } from './connector-jobs';
import { ConnectorPolicySource } from './connector-policy-source';
import { ConnectorEntity } from './connector.entity';
import { ConnectorStateView } from './connector-state.dto';
import { ConnectorsService } from './connectors.service';

const RECENT_ERRORS = 5;

interface TaskQueueState {
  name: string;
  workersPolling: number | null;
}

/** What operators see and steer per connector: breaker, limiter, leases, errors, backlog. */
@Injectable()
export class ConnectorStateService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly connectors: ConnectorsService,
    private readonly jobs: ConnectorJobs,
    private readonly governing: ConnectorPolicySource,
    private readonly resilience: ResilienceStore,
    private readonly events: EventsService,
    private readonly temporal: TemporalService,
    private readonly wakeUps: JobWakeUps,
    private readonly environment: Environment,
  ) {}

  async all(tenantId: string): Promise<ConnectorStateView[]> {
    const connectors = await this.connectors.list(tenantId);
    const governing = await this.governing.ofEach(tenantId, connectors);
    // Connectors share task queues: ask Temporal about each queue once.
    const queues = new Map<string, Promise<TaskQueueState>>();
    const queueOf = (name: string) => queues.get(name) ?? queues.set(name, this.taskQueue(name)).get(name)!;
    return Promise.all(connectors.map((connector, i) => this.state(connector, governing[i].pinned, queueOf)));
  }

  async one(tenantId: string, idOrName: string): Promise<ConnectorStateView> {
    const connector = await this.connectors.get(tenantId, idOrName);
    return this.state(connector, (await this.governing.of(tenantId, connector)).pinned);
  }

  /** Operator override of the breaker; the transition is recorded as an event like any other. */
  async breaker(tenantId: string, idOrName: string, action: 'reset' | 'open', by: string): Promise<ConnectorStateView> {
    const connector = await this.connectors.get(tenantId, idOrName);
    const { pinned } = await this.governing.of(tenantId, connector);
    const { transition, woken } = await this.redis(() => this.resilience.force(connector.id, action, resilienceLimits(pinned.document)));
    if (transition) {
      recordBreakerTransition(connector.id, transition, 'operator');
      await this.events.append(this.dataSource.manager, tenantId, null, transition === 'opened' ? 'breaker.opened' : 'breaker.closed', {
        connectorId: connector.id,
        manual: true,
        by,
      });
    }
    // Waiters would otherwise sleep until the old half-open time (reset) or their safety timer
    // (open): the queue's head gets its turns now, or learns the new half-open time.
    await this.wakeUps.wake(woken);
    return this.state(connector, pinned);
  }

  /** `pinned`: the governing policy, whose limits every running job of the connector applies. */
  private async state(connector: ConnectorEntity, pinned: PinnedPolicy, queueOf = (name: string) => this.taskQueue(name)): Promise<ConnectorStateView> {
    const [snapshot, recentErrors, backlog, taskQueue] = await Promise.all([
      this.resilience.snapshot(connector.id, resilienceLimits(pinned.document)).catch(() => undefined),
      this.recentErrors(connector),
      this.jobs.backlog(connector.tenantId, connector.id),
      queueOf(connector.taskQueue ?? this.environment.ORCH_TASK_QUEUE),
    ]);
    return {
      connectorId: connector.id,
      name: connector.name,
      policy: { id: pinned.policyId, version: pinned.version },
      breaker: snapshot?.breaker ?? { state: 'unknown', openUntil: null, windowCalls: 0, windowFailures: 0, probesInFlight: 0 },
      rateLimit: snapshot?.rateLimit ?? null,
      concurrency: snapshot?.concurrency ?? null,
      recentErrors,
      backlog,
      taskQueue,
      ...(snapshot ? {} : { unavailable: 'Breaker and limiter state (Redis) could not be read.' }),
    };
  }

  private async recentErrors(connector: ConnectorEntity) {
    const failures = await this.events.recentAttemptFailures(connector.tenantId, connector.id, RECENT_ERRORS);
    return failures.map((failure) => ({ jobId: failure.jobId, attempt: failure.attempt, error: failure.error, at: failure.at.toISOString() }));
  }

  /** Whether any worker polls a task queue: a connector's jobs stay `queued` while none does. */
  private async taskQueue(name: string): Promise<TaskQueueState> {
    try {
      const described = await this.temporal.use((client) =>
        client.workflowService.describeTaskQueue({
          namespace: this.environment.TEMPORAL_NAMESPACE,
          taskQueue: { name },
          taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        }),
      );
      return { name, workersPolling: new Set((described.pollers ?? []).map((poller) => poller.identity)).size };
    } catch {
      return { name, workersPolling: null };
    }
  }

  private async redis<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch {
      throw AppError.dependencyUnavailable('redis', 'Breaker state (Redis) is unreachable; retry later.');
    }
  }
}
