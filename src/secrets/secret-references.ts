import { isAbsolute, posix } from 'node:path';

/**
 * `env` secret refs may name only variables with this prefix, so that a tenant cannot point a
 * connector at the platform's own configuration (DATABASE_URL, ORCH_SECRETS_KEY, …). With Kubernetes,
 * `envFrom: [{ prefix: SECRET_, secretRef: … }]` adds it.
 */
export const ENV_SECRET_PREFIX = 'SECRET_';
export const ENV_SECRET_NAME = /^SECRET_[A-Za-z0-9_]{1,200}$/;

/** Largest secret value accepted (local) or read (file). */
export const MAX_SECRET_BYTES = 64 * 1024;

/** Why a `file` ref path is unacceptable under `root`, or undefined when it is fine. */
export function filePathProblem(path: string, root: string): string | undefined {
  if (!isAbsolute(path) || posix.normalize(path) !== path || path.endsWith('/')) {
    return 'must be an absolute, normalized file path (no ".", ".." or trailing "/")';
  }
  if (!path.startsWith(`${root}/`)) return `must be inside ${root} (ORCH_SECRET_FILES_DIR)`;
  return undefined;
}
