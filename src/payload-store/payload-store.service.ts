import { Global, Injectable, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataConverter } from '@temporalio/common';
import { DataSource } from 'typeorm';
import { AppError } from '../common/app-error';
import { Environment } from '../config/environment';
import { PayloadObjectStore, PayloadStoreUnavailableError, type PayloadRef } from './object-store';
import { payloadDataConverter } from './temporal-storage';

export type { PayloadRef } from './object-store';

/** A value as a row keeps it: inline, or (above the threshold) a reference to the stored bytes. */
export interface StoredValue<T> {
  value: T | null;
  ref: PayloadRef | null;
}

/**
 * The large-payload store of this process (SPEC §12), or nothing when PAYLOAD_STORE_ENDPOINT is
 * unset. Owns the start-up check (bucket reachable, else one line and exit), readiness, Temporal's
 * data converter, and the claim check of Postgres rows (job input/result, webhook bodies).
 */
@Injectable()
export class PayloadStore implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PayloadStore.name);
  readonly objects?: PayloadObjectStore;

  constructor(
    private readonly environment: Environment,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    const { PAYLOAD_STORE_ENDPOINT: endpoint, PAYLOAD_STORE_BUCKET: bucket, PAYLOAD_STORE_ACCESS_KEY_ID: accessKeyId, PAYLOAD_STORE_SECRET_ACCESS_KEY: secretAccessKey } = environment;
    if (endpoint && bucket) {
      this.objects = new PayloadObjectStore({
        endpoint,
        bucket,
        region: environment.PAYLOAD_STORE_REGION,
        credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
      });
    }
  }

  get enabled(): boolean {
    return this.objects !== undefined;
  }

  get thresholdBytes(): number {
    return this.environment.PAYLOAD_STORE_THRESHOLD_BYTES;
  }

  /** Objects live under the Temporal namespace, so deployments sharing a bucket stay apart. */
  get namespace(): string {
    return this.environment.TEMPORAL_NAMESPACE;
  }

  async onModuleInit() {
    if (!this.objects) return;
    try {
      await this.objects.checkBucket();
    } catch (error) {
      // Like a bad variable: one line, and the process does not start half-configured.
      process.stderr.write(`Invalid configuration: PAYLOAD_STORE_BUCKET: ${(error as Error).message}\n`);
      process.exit(78);
    }
    this.logger.log({ endpoint: this.objects.settings.endpoint, bucket: this.objects.settings.bucket, thresholdBytes: this.thresholdBytes }, 'payload store ready');
  }

  /** Temporal's data converter for this process (client and worker alike); undefined without a store. */
  dataConverter(): DataConverter | undefined {
    return payloadDataConverter(this.objects, {
      namespace: this.namespace,
      thresholdBytes: this.thresholdBytes,
      // Workflows whose payloads do not name their tenant: their job row does.
      lookup: async (workflowId) => {
        const [row] = (await this.dataSource.query('SELECT tenant_id FROM jobs WHERE workflow_id = $1 LIMIT 1', [workflowId])) as { tenant_id: string }[];
        return row?.tenant_id;
      },
    });
  }

  /** For readiness: the bucket answers now (true when no store is configured). */
  async isReachable(): Promise<boolean> {
    if (!this.objects) return true;
    try {
      await this.objects.checkBucket();
      return true;
    } catch {
      return false;
    }
  }

  /** The value inline when small (or no store), else written to the store and referenced. */
  async offload<T>(tenantId: string, value: T): Promise<StoredValue<T>> {
    if (!this.objects || value === null || value === undefined) return { value, ref: null };
    const bytes = Buffer.from(JSON.stringify(value), 'utf8');
    if (bytes.byteLength <= this.thresholdBytes) return { value, ref: null };
    return { value: null, ref: await this.call(() => this.objects!.put(this.namespace, tenantId, bytes, 'application/json')) };
  }

  /** The whole value of a row's column, read back from the store when the row holds a reference. */
  async resolve<T>(value: T | null, ref: PayloadRef | null | undefined): Promise<T | null> {
    if (!ref) return value;
    if (!this.objects) throw AppError.dependencyUnavailable('payload-store', 'This value is kept in the payload store, which is not configured (PAYLOAD_STORE_ENDPOINT).');
    return JSON.parse((await this.call(() => this.objects!.get(ref.key))).toString('utf8')) as T;
  }

  /** Raw bytes (webhook bodies) above the threshold, stored as they are. */
  async offloadBytes(tenantId: string, bytes: Buffer, contentType: string): Promise<PayloadRef | null> {
    if (!this.objects || bytes.byteLength <= this.thresholdBytes) return null;
    return this.call(() => this.objects!.put(this.namespace, tenantId, bytes, contentType));
  }

  async readBytes(ref: PayloadRef): Promise<Buffer> {
    if (!this.objects) throw AppError.dependencyUnavailable('payload-store', 'This value is kept in the payload store, which is not configured (PAYLOAD_STORE_ENDPOINT).');
    return this.call(() => this.objects!.get(ref.key));
  }

  async stream(ref: PayloadRef) {
    if (!this.objects) throw AppError.dependencyUnavailable('payload-store', 'This value is kept in the payload store, which is not configured (PAYLOAD_STORE_ENDPOINT).');
    return this.call(() => this.objects!.stream(ref.key));
  }

  /**
   * Deletes the objects of `refs` that no row references any more (keys are content-addressed,
   * so another job or delivery may share one). Returns how many it deleted.
   */
  async deleteUnreferenced(keys: string[]): Promise<number> {
    if (!this.objects || keys.length === 0) return 0;
    const stillUsed = (await this.dataSource.query(
      `SELECT k FROM unnest($1::text[]) AS k WHERE EXISTS (SELECT 1 FROM jobs WHERE input_payload_ref->>'key' = k OR result_payload_ref->>'key' = k)
         OR EXISTS (SELECT 1 FROM webhook_inbox WHERE raw_body_payload_ref->>'key' = k)`,
      [keys],
    )) as { k: string }[];
    const used = new Set(stillUsed.map((row) => row.k));
    const unused = [...new Set(keys)].filter((key) => !used.has(key));
    await this.call(() => this.objects!.delete(unused));
    return unused.length;
  }

  /** Deletes objects outright (keys known to belong to one job alone). */
  async deleteObjects(keys: string[]): Promise<void> {
    if (!this.objects || keys.length === 0) return;
    await this.call(() => this.objects!.delete(keys));
  }

  /** A store failure on a request path is a 503 the caller may retry, never a 500. */
  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof PayloadStoreUnavailableError) {
        this.logger.warn({ err: error.message }, 'payload store call failed');
        throw AppError.dependencyUnavailable(
          'payload-store',
          error.missing ? 'A stored value of this resource is missing from the payload store (deleted, or the store lost its data).' : 'The payload store is unreachable; retry later.',
        );
      }
      throw error;
    }
  }

  onApplicationShutdown() {
    this.objects?.close();
  }
}

@Global()
@Module({ providers: [PayloadStore], exports: [PayloadStore] })
export class PayloadStoreModule {}
