/** What activities need from the outside world; the worker injects implementations (TypeORM, fetch). */
import type { AttemptRequest, FinishJobRequest, JobError } from '../workflows/job-types';
import type { HttpConnectorSpec, HttpResult } from './http-request';

export interface ConnectorSnapshot {
  id: string;
  name: string;
  type: string;
  enabled: boolean;
  spec: HttpConnectorSpec;
}

/** The job projection and event log, written as attempts progress. */
export interface JobLedger {
  /**
   * Marks the job running (creating its record if the api died before committing it), records
   * `job.started` on the first attempt and `attempt.started`; returns the connector, if it still exists.
   */
  startAttempt(request: AttemptRequest): Promise<ConnectorSnapshot | null>;
  attemptSucceeded(request: AttemptRequest, result: HttpResult): Promise<void>;
  attemptFailed(request: AttemptRequest, error: JobError): Promise<void>;
  finishJob(request: FinishJobRequest): Promise<void>;
}

export interface ActivityDependencies {
  ledger: JobLedger;
  fetch: typeof fetch;
  /** Cap on a connector response body kept as a job result. */
  maxResponseBytes: number;
}
