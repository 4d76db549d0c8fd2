import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface ObjectStoreSettings {
  endpoint: string;
  bucket: string;
  region: string;
  /** Static credentials; absent = the standard AWS chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** A stored object's address: content-addressed under a namespace and tenant prefix. */
export interface PayloadRef {
  key: string;
  size: number;
  sha256: string;
}

/** Why a store call failed, for one log line or a problem detail: never the credentials. */
export class PayloadStoreUnavailableError extends Error {
  readonly retryable = true;
  /** The store answered, but the object is not there (deleted, or an in-memory store restarted). */
  missing = false;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The S3-compatible object store that holds large payloads (SPEC §12). Keys are
 * `<namespace>/<tenant>/<sha256>`: the same bytes for the same tenant are one object, so writing
 * twice is harmless and a reference can be checked against what it reads back.
 */
export class PayloadObjectStore {
  private readonly client: S3Client;

  constructor(readonly settings: ObjectStoreSettings) {
    this.client = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      credentials: settings.credentials,
      // Path-style and checksums only when required: S3-compatible servers (MinIO, moto) reject
      // virtual-host buckets on a bare host and the CRC32 checksums newer SDKs send (SPEC §8).
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    });
  }

  static keyFor(namespace: string, tenantId: string, digest: string): string {
    return `${encodeURIComponent(namespace)}/${encodeURIComponent(tenantId)}/${digest}`;
  }

  /** Throws PayloadStoreUnavailableError naming the endpoint and bucket when the bucket cannot be reached. */
  async checkBucket(): Promise<void> {
    await this.call('reach the bucket', () => this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket })));
  }

  async put(namespace: string, tenantId: string, bytes: Uint8Array, contentType = 'application/octet-stream'): Promise<PayloadRef> {
    const digest = sha256(bytes);
    const key = PayloadObjectStore.keyFor(namespace, tenantId, digest);
    // Content-addressed: an object already there holds these very bytes, so it is not sent again.
    if (!(await this.exists(key))) {
      await this.call('write', () => this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: key, Body: bytes, ContentType: contentType, ContentLength: bytes.byteLength })));
    }
    return { key, size: bytes.byteLength, sha256: digest };
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: key }));
      return true;
    } catch (error) {
      if (error instanceof NotFound || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw this.unavailable('read', error);
    }
  }

  /** The object's bytes, checked against the digest in its key. */
  async get(key: string): Promise<Buffer> {
    const response = await this.call('read', () => this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: key })));
    const bytes = Buffer.from(await response.Body!.transformToByteArray());
    const expected = key.slice(key.lastIndexOf('/') + 1);
    if (sha256(bytes) !== expected) throw new PayloadStoreUnavailableError(`payload store (bucket "${this.settings.bucket}"): object ${key} does not match its digest`);
    return bytes;
  }

  /** The object as a stream (large results are sent on without being held whole). */
  async stream(key: string): Promise<{ body: Readable; size?: number; contentType?: string }> {
    const response = await this.call('read', () => this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: key })));
    return { body: response.Body as Readable, size: response.ContentLength, contentType: response.ContentType };
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      await this.call('delete', () => this.client.send(new DeleteObjectsCommand({ Bucket: this.settings.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })));
    }
  }

  /** Keys under a prefix (tests and operators count objects). */
  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('list', () => this.client.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: prefix, ContinuationToken: token })));
      keys.push(...(page.Contents ?? []).map((object) => object.Key!));
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }

  close(): void {
    this.client.destroy();
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw this.unavailable(what, error);
    }
  }

  private unavailable(what: string, error: unknown): PayloadStoreUnavailableError {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const reason = (error as { name?: string }).name ?? 'Error';
    const detail = status ? `${reason} (HTTP ${status})` : `${reason}: ${(error as Error).message ?? ''}`.trim();
    const failure = new PayloadStoreUnavailableError(`payload store (bucket "${this.settings.bucket}" at ${this.settings.endpoint}): cannot ${what}: ${detail}`);
    failure.missing = reason === 'NoSuchKey';
    return failure;
  }
}
