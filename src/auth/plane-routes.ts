import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Request } from 'express';
import { match } from 'path-to-regexp';
import { controllerRoutes } from '../common/http-route';
import { Environment } from '../config/environment';
import { Plane, PLANE_KEY } from './principal';

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** One route the api serves; `plane` undefined means every port (health, metrics, signed webhooks). */
export interface PlaneRoute {
  method: string;
  /** The Express template, e.g. `/jobs/:id`. */
  path: string;
  plane?: Plane;
}

/**
 * Every controller route, with its plane, read from Nest's metadata once the app is bootstrapped: the
 * answer to "which methods does this path allow on this port" (405 with `Allow`) and the list each
 * plane's OpenAPI document must match.
 */
@Injectable()
export class PlaneRoutes implements OnApplicationBootstrap {
  private routes: (PlaneRoute & { matches: (path: string) => boolean })[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    private readonly environment: Environment,
  ) {}

  onApplicationBootstrap(): void {
    this.routes = this.discovery.getControllers().flatMap(({ metatype }) => {
      if (!metatype) return [];
      return controllerRoutes(metatype as new () => unknown).map(({ method, path, handler }) => {
        const plane = this.reflector.getAllAndOverride<Plane | undefined>(PLANE_KEY, [handler, metatype]);
        const matcher = match(path, { decode: false });
        return { method, path, plane, matches: (candidate: string) => matcher(candidate) !== false };
      });
    });
  }

  list(): PlaneRoute[] {
    return this.routes.map(({ method, path, plane }) => ({ method, path, ...(plane ? { plane } : {}) }));
  }

  /** The plane a port serves; undefined when one port (`PORT`) serves both. */
  planeOfPort(port: number | undefined): Plane | undefined {
    if (this.environment.PORT !== undefined) return undefined;
    if (port === this.environment.CONTROL_PORT) return 'control';
    if (port === this.environment.EXEC_PORT) return 'exec';
    return undefined;
  }

  /**
   * The part of the whole document a port serves: its plane's operations and the ones on every port,
   * with `servers` set to the origin the request came to, so "Try it out" calls this very port.
   */
  documentFor(request: Request, document: OpenAPIObject): OpenAPIObject {
    const plane = this.planeOfPort(request.socket.localPort);
    const servers = [{ url: `${request.protocol}://${request.get('host') ?? request.hostname}` }];
    if (plane === undefined) return { ...document, servers };
    const paths = Object.fromEntries(
      Object.entries(document.paths).flatMap(([path, item]) => {
        const kept = Object.fromEntries(Object.entries(item).filter(([method]) => !HTTP_METHODS.has(method) || this.servedOn(plane, method, path)));
        return Object.keys(kept).some((key) => HTTP_METHODS.has(key)) ? [[path, kept]] : [];
      }),
    );
    return { ...document, info: { ...document.info, title: `${document.info.title} (${plane} plane)` }, servers, paths };
  }

  private servedOn(plane: Plane, method: string, documentPath: string): boolean {
    const path = documentPath.replace(/\{([^}]+)\}/g, ':$1');
    return this.routes.some((route) => route.method === method.toUpperCase() && route.path === path && (route.plane === undefined || route.plane === plane));
  }

  /** The methods a request's path allows on the port it came in on (GET implies HEAD); empty for an unknown path. */
  allowedMethods(request: Request): string[] {
    const portPlane = this.planeOfPort(request.socket.localPort);
    const matching = this.routes.filter((route) => (route.plane === undefined || portPlane === undefined || route.plane === portPlane) && route.matches(request.path));
    // A literal path (`/configs/activate`) is its own resource, not an instance of `/configs/:version`.
    const literal = matching.filter((route) => route.path === request.path);
    const methods = new Set((literal.length > 0 ? literal : matching).map((route) => route.method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  }
}
