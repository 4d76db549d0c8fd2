import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ExternalStorage,
  StorageDriverClaim,
  type DataConverter,
  type Payload,
  type StorageDriver,
  type StorageDriverStoreContext,
} from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { PayloadObjectStore } from './object-store';

const PayloadProto = temporal.api.common.v1.Payload;

/**
 * The tenant a payload belongs to when the caller knows it (the api starting a job's workflow):
 * set around the Temporal call, read by the driver below in the same async context.
 */
export const payloadTenant = new AsyncLocalStorage<string>();

/** Finds a workflow's tenant from its job row when the payload does not say (see tenantOf). */
export type WorkflowTenantLookup = (workflowId: string) => Promise<string | undefined>;

/**
 * The tenant prefix of a payload's key: the api's hint, else the `job.tenantId` / `tenantId` that
 * every job workflow input and attempt activity input carries, else the job row of the workflow.
 * Never a guess: a payload whose tenant is unknown fails the task, which Temporal retries.
 */
async function tenantOf(context: StorageDriverStoreContext, payload: Payload, lookup?: WorkflowTenantLookup): Promise<string> {
  const hinted = payloadTenant.getStore();
  if (hinted) return hinted;
  const encoding = payload.metadata?.encoding ? Buffer.from(payload.metadata.encoding).toString() : '';
  if (encoding === 'json/plain' && payload.data) {
    try {
      const value = JSON.parse(Buffer.from(payload.data).toString('utf8')) as { job?: { tenantId?: unknown }; tenantId?: unknown };
      const tenant = value?.job?.tenantId ?? value?.tenantId;
      if (typeof tenant === 'string' && tenant) return tenant;
    } catch {
      // Not an object of ours: fall through to the lookup.
    }
  }
  const workflowId = context.target?.kind === 'workflow' ? context.target.id : undefined;
  const found = workflowId && lookup ? await lookup(workflowId) : undefined;
  if (found) return found;
  throw new Error(`payload store: no tenant known for a payload of ${context.target?.kind ?? 'unknown'} ${context.target?.id ?? ''}`.trim());
}

/**
 * Temporal's external storage (SDK 1.24) with our S3 driver: a payload above the threshold is
 * written as its serialized proto and travels in history as a reference holding the key.
 */
export class S3StorageDriver implements StorageDriver {
  readonly name = 'orchestrator-s3';
  readonly type = 'orchestrator.s3driver';

  constructor(
    private readonly objects: PayloadObjectStore,
    private readonly namespace: string,
    private readonly lookup?: WorkflowTenantLookup,
  ) {}

  async store(context: StorageDriverStoreContext, payloads: Payload[]): Promise<StorageDriverClaim[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        const tenant = await tenantOf(context, payload, this.lookup);
        const ref = await this.objects.put(this.namespace, tenant, PayloadProto.encode(payload).finish());
        return new StorageDriverClaim({ key: ref.key });
      }),
    );
  }

  async retrieve(_context: unknown, claims: StorageDriverClaim[]): Promise<Payload[]> {
    return Promise.all(claims.map(async (claim) => PayloadProto.decode(await this.objects.get(claim.claimData.key!)) as Payload));
  }
}

/**
 * The one data converter of client (api), worker and replay: the default converters, plus external
 * storage when a store is configured. Without one it is undefined, i.e. the SDK's default, so
 * histories of small payloads are exactly what they were.
 */
export function payloadDataConverter(
  store: PayloadObjectStore | undefined,
  options: { namespace: string; thresholdBytes: number; lookup?: WorkflowTenantLookup },
): DataConverter | undefined {
  if (!store) return undefined;
  return {
    externalStorage: new ExternalStorage({
      drivers: [new S3StorageDriver(store, options.namespace, options.lookup)],
      payloadSizeThreshold: options.thresholdBytes,
    }),
  };
}
