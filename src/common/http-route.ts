import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { Request } from 'express';

/** The route template a request matched (`/jobs/:id`), or its path when no route matched. */
export function routeOf(request: Request): string {
  const path: unknown = (request.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : request.path;
}

/** A route a controller class declares: its method, Express template (`/jobs/:id`) and handler. */
export interface ControllerRoute {
  method: string;
  path: string;
  name: string;
  handler: (...args: unknown[]) => unknown;
}

/** The routes of one controller class, read from Nest's decorator metadata. */
export function controllerRoutes(controller: abstract new (...args: never[]) => unknown): ControllerRoute[] {
  const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
  const prototype = controller.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(prototype).flatMap((name) => {
    const handler = prototype[name];
    if (typeof handler !== 'function') return [];
    const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
    const own = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
    if (method === undefined || own === undefined) return [];
    const path = `/${[prefix, own].map((part) => part.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;
    return [{ method: RequestMethod[method], path, name, handler: handler as ControllerRoute['handler'] }];
  });
}
