import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiModule } from '../../src/api.module';
import { PlaneRoutes } from '../../src/auth/plane-routes';
import { apiDocument } from '../../src/common/http-app';
import { loadEnvironment } from '../../src/config/environment';
import { createDatabase, serviceEnv } from '../support/services';

const CONTROL_PORT = 4100;
const EXEC_PORT = 4101;

/** A request as the docs route sees it, arriving on one port. */
function arrivingOn(port: number): Request {
  return { socket: { localPort: port }, protocol: 'http', get: () => `127.0.0.1:${port}`, hostname: '127.0.0.1' } as unknown as Request;
}

function documented(document: OpenAPIObject): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => ['get', 'post', 'put', 'patch', 'delete'].includes(key))
      .map((method) => `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
  );
}

/** The router's routes (from the controllers, as Nest registers them) against each plane's OpenAPI document. */
describe('routes and documents agree', () => {
  let app: INestApplication;
  let routes: PlaneRoutes;
  let whole: OpenAPIObject;

  beforeAll(async () => {
    const environment = loadEnvironment({ ...serviceEnv(), DATABASE_URL: await createDatabase(), AUTH_MODE: 'disabled', CONTROL_PORT: String(CONTROL_PORT), EXEC_PORT: String(EXEC_PORT), OPERATOR_PORT: '0' });
    app = await NestFactory.create(ApiModule.forRoot(environment), { logger: false, bodyParser: false });
    await app.init();
    routes = app.get(PlaneRoutes);
    whole = apiDocument(app, 'Orchestrator API');
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  test('every route is documented on the port of its plane, and each document holds nothing else', () => {
    const all = routes.list();
    expect(all.length).toBeGreaterThan(30);
    for (const [plane, port] of [['control', CONTROL_PORT], ['exec', EXEC_PORT]] as const) {
      const served = all.filter((route) => route.plane === undefined || route.plane === plane).map((route) => `${route.method} ${route.path}`);
      const document = routes.documentFor(arrivingOn(port), whole);
      expect([plane, documented(document).sort()]).toStrictEqual([plane, [...new Set(served)].sort()]);
      expect(document.servers).toStrictEqual([{ url: `http://127.0.0.1:${port}` }]);
    }
  });

  test('the whole document is exactly the two planes together', () => {
    const planes = [CONTROL_PORT, EXEC_PORT].flatMap((port) => documented(routes.documentFor(arrivingOn(port), whole)));
    expect([...new Set(planes)].sort()).toStrictEqual(documented(whole).sort());
  });
});
