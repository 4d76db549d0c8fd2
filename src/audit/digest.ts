import { createHash } from 'node:crypto';

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The digest of a response body exactly as Express sends it: `res.json` serialises objects with
 * `JSON.stringify`, strings and buffers go out as they are, and nothing is sent for `undefined`.
 */
export function responseDigest(body: unknown): string | null {
  if (body === undefined || body === null) return null;
  if (Buffer.isBuffer(body) || typeof body === 'string') return sha256Hex(body);
  if (typeof body === 'object' || typeof body === 'number' || typeof body === 'boolean') return sha256Hex(JSON.stringify(body));
  return null;
}
