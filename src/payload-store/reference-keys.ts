/**
 * The store keys behind the external-storage references in a Temporal history (our driver puts
 * `claimData.key` in each). The history is read raw: references are not resolved, only collected.
 */
export function referenceKeys(value: unknown, keys = new Set<string>()): Set<string> {
  if (!value || typeof value !== 'object' || ArrayBuffer.isView(value)) return keys;
  const payload = value as { metadata?: Record<string, Uint8Array | undefined>; data?: Uint8Array | null };
  if (payload.metadata && typeof payload.metadata === 'object' && payload.data && ArrayBuffer.isView(payload.data)) {
    const messageType = payload.metadata.messageType ? Buffer.from(payload.metadata.messageType).toString() : '';
    if (messageType === 'temporal.api.sdk.v1.ExternalStorageReference') {
      try {
        const reference = JSON.parse(Buffer.from(payload.data).toString('utf8')) as { claimData?: { key?: unknown } };
        if (typeof reference.claimData?.key === 'string') keys.add(reference.claimData.key);
      } catch {
        // Not one of ours: nothing to collect.
      }
    }
    return keys;
  }
  for (const item of Array.isArray(value) ? value : Object.values(value)) referenceKeys(item, keys);
  return keys;
}
