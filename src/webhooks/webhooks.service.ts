import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { trace } from '@opentelemetry/api';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { IncomingHttpHeaders } from 'node:http';
import { DataSource } from 'typeorm';
import type { StripeConnectorSpec } from '../../domain/connector-spec';
import { isTerminal, SecretUnavailableError } from '../../domain/job';
import { AppError } from '../common/app-error';
import { ConnectorsService } from '../connectors/connectors.service';
import { routeFor } from '../connectors/operation-spec';
import { EventsService } from '../events/events.service';
import { keysetPage } from '../database/keyset-page';
import { JobsQuery } from '../jobs/jobs-query';
import { JobsService } from '../jobs/jobs.service';
import { PayloadStore } from '../payload-store/payload-store.service';
import { SecretResolver } from '../secrets/secret-resolver';
import { SignatureRejected, verifyStripeEvent } from './stripe-verifier';
import { ListInboxQuery, WebhookReceipt } from './webhook.dto';
import { WebhookInboxEntity } from './webhook-inbox.entity';

const DEFAULT_PAGE_SIZE = 50;
/** How long one api process owns the routing of an event before another may take it over. */
const CLAIM_SECONDS = 30;
/** Request headers never archived: they could carry credentials of whoever relays the webhooks. */
const UNARCHIVED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);

/** The Temporal workflow id of the execution an event starts: provider retries map onto it. */
export function webhookWorkflowId(connectorId: string, eventId: string): string {
  return `webhook-${connectorId}-${eventId}`;
}

/**
 * Provider webhook ingress (Stripe): verify on the raw body, deduplicate on the event id, archive
 * the delivery in the inbox with a `webhook.received` event, then route it to a connector operation
 * as an ordinary job whose workflow id is derived from the event.
 */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly connectors: ConnectorsService,
    private readonly secrets: SecretResolver,
    private readonly jobs: JobsService,
    private readonly jobsQuery: JobsQuery,
    private readonly events: EventsService,
    private readonly payloads: PayloadStore,
  ) {}

  private get inbox() {
    return this.dataSource.getRepository(WebhookInboxEntity);
  }

  /** Verifies and ingests one delivery. Anything refused (4xx) stores nothing and starts nothing. */
  async receive(connectorId: string, rawBody: Buffer | undefined, headers: IncomingHttpHeaders): Promise<WebhookReceipt> {
    const connector = await this.connectors.findStripe(connectorId);
    if (!connector) throw new AppError('WEBHOOK_ENDPOINT_NOT_FOUND', `No webhook endpoint ${connectorId}.`);
    // No principal on this public route: the ingress span takes the connector's tenant.
    trace.getActiveSpan()?.setAttribute('orchestrator.tenant_id', connector.tenantId);
    const spec = connector.spec as StripeConnectorSpec;
    const signature = headers['stripe-signature'];
    if (typeof signature !== 'string' || signature.length === 0) {
      throw new AppError('WEBHOOK_SIGNATURE_MISSING', 'The Stripe-Signature header is missing.');
    }
    if (!rawBody || rawBody.length === 0) throw new AppError('WEBHOOK_BODY_MISSING', 'The webhook has no body.');

    let secret: string;
    try {
      secret = await this.secrets.resolve(connector.tenantId, spec.signingSecretRef);
    } catch (error) {
      if (!(error instanceof SecretUnavailableError)) throw error;
      // The provider retries on a 5xx, so events are not lost while an operator fixes the secret.
      this.logger.warn({ connectorId, reason: error.message }, 'webhook signing secret unavailable');
      throw new AppError('WEBHOOK_SECRET_UNAVAILABLE', 'The signing secret of this endpoint is not available; retry later.', { retryAfterSeconds: 60 });
    }
    let event;
    try {
      event = verifyStripeEvent(rawBody, signature, secret, spec.toleranceSeconds);
    } catch (error) {
      if (!(error instanceof SignatureRejected)) throw error;
      throw new AppError('WEBHOOK_SIGNATURE_INVALID', `The Stripe-Signature does not verify: ${error.message}.`);
    }
    if (!connector.enabled) throw new AppError('CONNECTOR_DISABLED', `Connector "${connector.name}" is disabled.`);

    // A large body is archived by reference (store first: the row never points at nothing). A store
    // outage is a 503, so Stripe delivers again.
    const bodyRef = await this.payloads.offloadBytes(connector.tenantId, rawBody, 'application/json');
    const archived = await this.dataSource.transaction(async (manager) => {
      const [row]: { id: string }[] = await manager.query(
        `INSERT INTO webhook_inbox (tenant_id, connector_id, provider, event_id, event_type, headers, body, raw_body_payload_ref, status, route_attempts, claimed_until)
         VALUES ($1, $2, 'stripe', $3, $4, $5, $6, $7, 'received', 1, now() + interval '${CLAIM_SECONDS} seconds')
         ON CONFLICT (connector_id, event_id) DO NOTHING RETURNING id`,
        [connector.tenantId, connector.id, event.id, event.type, JSON.stringify(archivedHeaders(headers)), bodyRef ? Buffer.alloc(0) : rawBody, bodyRef ? JSON.stringify(bodyRef) : null],
      );
      if (row) {
        await this.events.append(manager, connector.tenantId, null, 'webhook.received', {
          connectorId: connector.id,
          inboxId: row.id,
          provider: 'stripe',
          eventId: event.id,
          eventType: event.type,
        });
      }
      return row;
    });
    if (archived) {
      const entry = await this.route(await this.inbox.findOneByOrFail({ id: archived.id }), { retry: false });
      return receipt(entry, false);
    }

    // A repeat delivery: it starts nothing, unless the first one never got its job started (routing
    // failed, or its api died mid-way) — then this delivery finishes the job with the same workflow id.
    const existing = await this.inbox.findOneByOrFail({ connectorId: connector.id, eventId: event.id });
    const claimed = await this.claim(existing.id, ['received', 'failed']);
    if (!claimed) return receipt(existing, true);
    return receipt(await this.route(claimed, { retry: false }), true);
  }

  async list(tenantId: string, query: ListInboxQuery): Promise<{ items: WebhookInboxEntity[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const builder = this.inbox.createQueryBuilder('w').where('w.tenant_id = :tenantId', { tenantId });
    if (query.connector) builder.andWhere('w.connector_id = :connector', { connector: query.connector });
    if (query.status) builder.andWhere('w.status = :status', { status: query.status });
    if (query.eventType) builder.andWhere('w.event_type = :eventType', { eventType: query.eventType });
    if (query.eventId) builder.andWhere('w.event_id = :eventId', { eventId: query.eventId });
    return keysetPage(builder, { alias: 'w', timeColumn: 'received_at', limit, cursor: query.cursor, positionOf: (row) => ({ at: row.receivedAt, id: row.id }) });
  }

  /**
   * Routes an archived event again through the connector's current routes: a failed or ignored
   * event, or one whose job has ended (a new run under the same workflow id). 409 while its job runs.
   */
  async retry(tenantId: string, id: string): Promise<WebhookInboxEntity> {
    const entry = /^[0-9a-f-]{36}$/i.test(id) ? await this.inbox.findOneBy({ tenantId, id }) : null;
    if (!entry) throw new AppError('WEBHOOK_INBOX_ENTRY_NOT_FOUND', `Inbox entry ${id} does not exist.`);
    const claimed = await this.claim(entry.id, ['received', 'routed', 'ignored', 'failed']);
    if (!claimed) throw new AppError('WEBHOOK_ROUTING_IN_PROGRESS', 'This event is being routed right now; retry in a moment.');
    return this.route(claimed, { retry: true });
  }

  /** Takes the routing of an entry for CLAIM_SECONDS if nobody holds it; null if someone does (or the status does not allow it). */
  private async claim(id: string, statuses: string[]): Promise<WebhookInboxEntity | null> {
    const result = await this.dataSource.query(
      `UPDATE webhook_inbox SET claimed_until = now() + interval '${CLAIM_SECONDS} seconds', route_attempts = route_attempts + 1
        WHERE id = $1 AND status = ANY($2) AND (claimed_until IS NULL OR claimed_until < now())
        RETURNING id`,
      [id, statuses],
    );
    // TypeORM answers an UPDATE … RETURNING with [rows, rowCount].
    const rows = (Array.isArray(result[0]) ? result[0] : result) as { id: string }[];
    return rows.length > 0 ? this.inbox.findOneByOrFail({ id }) : null;
  }

  private async route(entry: WebhookInboxEntity, { retry }: { retry: boolean }): Promise<WebhookInboxEntity> {
    const workflowId = webhookWorkflowId(entry.connectorId, entry.eventId);
    const finish = async (change: Partial<WebhookInboxEntity>) => {
      await this.inbox.update({ id: entry.id }, { claimedUntil: null, ...change });
      return this.inbox.findOneByOrFail({ id: entry.id });
    };

    const connector = await this.connectors.findStripe(entry.connectorId);
    if (!connector || connector.tenantId !== entry.tenantId) {
      return finish({ status: 'failed', error: { code: 'CONNECTOR_NOT_FOUND', message: 'The stripe connector no longer exists.' } });
    }
    const match = routeFor((connector.spec as StripeConnectorSpec).routes, entry.eventType);
    if (!match) return finish({ status: 'ignored', error: null, routedAt: new Date() });

    const previous = await this.jobsQuery.latestByWorkflowId(entry.tenantId, workflowId);
    if (previous && !isTerminal(previous.status)) {
      if (retry) {
        await finish({});
        throw new AppError('WEBHOOK_JOB_RUNNING', `The job ${previous.id} of this event is still running.`);
      }
      return finish({ status: 'routed', jobId: previous.id, error: null, routedAt: new Date() });
    }
    // Not a retry: an earlier delivery already started the job (its inbox update was lost).
    if (previous && !retry) return finish({ status: 'routed', jobId: previous.id, error: null, routedAt: new Date() });

    try {
      const body = entry.rawBodyPayloadRef ? await this.payloads.readBytes(entry.rawBodyPayloadRef) : entry.body;
      const { job } = await this.jobs.execute(
        entry.tenantId,
        { connector: match.route.connector, operation: match.route.operation, input: JSON.parse(body.toString('utf8')) as Record<string, unknown> },
        { workflowId },
      );
      return await finish({ status: 'routed', jobId: job.id, error: null, routedAt: new Date() });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        // A concurrent delivery started it; its own routing records the job.
        return finish({});
      }
      const code = error instanceof AppError ? error.code : 'INTERNAL_ERROR';
      const message = error instanceof AppError ? error.message : 'The job could not be started.';
      if (!(error instanceof AppError)) this.logger.error({ err: error, inboxId: entry.id }, 'routing a webhook failed');
      const failed = await finish({ status: 'failed', error: { code, message } });
      // A dependency outage: answer 503 so that the provider delivers again (and routes it then).
      // A configuration problem: the event is archived as failed; an operator retries it.
      if (error instanceof AppError && error.status === HttpStatus.SERVICE_UNAVAILABLE) throw error;
      return failed;
    }
  }
}

function archivedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([name, value]) => !UNARCHIVED_HEADERS.has(name) && value !== undefined)
      .map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)]),
  );
}

function receipt(entry: WebhookInboxEntity, duplicate: boolean): WebhookReceipt {
  return { received: true, duplicate, inboxId: entry.id, status: entry.status, jobId: entry.jobId };
}
