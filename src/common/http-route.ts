import type { Request } from 'express';

/** The route template a request matched (`/jobs/:id`), or its path when no route matched. */
export function routeOf(request: Request): string {
  const path: unknown = (request.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : request.path;
}
