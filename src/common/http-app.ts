import type { INestApplication } from '@nestjs/common';
import type { Request } from 'express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { ProblemSchema } from './api-problem-responses';
import { documentValidationRules } from './documented-validation';
import { ProblemDetailsFilter } from './problem-details.filter';
import { createValidationPipe } from './validation.pipe';

/** What every HTTP surface shares: JSON logs, problem+json errors, DTO validation, OpenAPI at /docs. */
export interface HttpAppOptions {
  docs: boolean;
  /** The methods a path allows (405 with `Allow` for the others); without it an unknown method is a 404. */
  allowedMethods?: (request: Request) => string[];
  /** The document a request to /docs or /docs-json gets (e.g. only its port's plane); the whole one without it. */
  documentFor?: (request: Request, document: OpenAPIObject) => OpenAPIObject;
}

/** The OpenAPI document of every route of the app (both planes); /docs serves it, or a per-request part of it. */
export function apiDocument(app: INestApplication, title: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(title)
    .setDescription(
      'Durable execution of connector operations on Temporal. Control plane (connectors, policies, …) and exec plane ' +
        '(execute, jobs, events) listen on separate ports unless PORT serves both; each port documents its own plane. ' +
        'Errors are RFC 9457 problem+json.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  return closeRequestSchemas(documentValidationRules(app, SwaggerModule.createDocument(app, config, { extraModels: [ProblemSchema] })));
}

/**
 * The validation pipe refuses fields a DTO does not declare (forbidNonWhitelisted), so every object
 * schema a request body uses, nested ones included, says `additionalProperties: false`. Free-form
 * objects (no declared properties, e.g. a job's `input`) stay open to any JSON without NUL, and so
 * does every string that states no pattern of its own.
 */
const JSON_VALUE = 'JsonValue';
/** Text Postgres can store: JsonBodyMiddleware answers a NUL anywhere in a body with 400. */
const NUL_FREE = '^[^\\x00]*$';

function closeRequestSchemas(document: OpenAPIObject): OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Record<string, unknown>>;
  const closed = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const object = node as Record<string, unknown>;
    const ref = typeof object.$ref === 'string' ? object.$ref.replace('#/components/schemas/', '') : undefined;
    if (ref !== undefined) {
      if (closed.has(ref) || !schemas[ref]) return;
      closed.add(ref);
      return visit(schemas[ref]);
    }
    if (object.properties && typeof object.properties === 'object' && object.additionalProperties === undefined) object.additionalProperties = false;
    if (object.type === 'object' && !object.properties && object.additionalProperties === undefined) {
      object.additionalProperties = { $ref: `#/components/schemas/${JSON_VALUE}` };
      object.propertyNames = { pattern: NUL_FREE };
    }
    if (object.type === 'string' && object.pattern === undefined && object.enum === undefined && object.format === undefined) object.pattern = NUL_FREE;
    Object.values(object).forEach(visit);
  };
  schemas[JSON_VALUE] = {
    description: 'Any JSON value whose text holds no NUL character (Postgres cannot store it).',
    nullable: true,
    anyOf: [
      { type: 'string', pattern: NUL_FREE },
      { type: 'number' },
      { type: 'boolean' },
      { type: 'array', items: { $ref: `#/components/schemas/${JSON_VALUE}` } },
      { type: 'object', propertyNames: { pattern: NUL_FREE }, additionalProperties: { $ref: `#/components/schemas/${JSON_VALUE}` } },
    ],
  };
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item)) visit((operation as { requestBody?: unknown } | undefined)?.requestBody);
  }
  return document;
}

/** What every HTTP surface shares: JSON logs, problem+json errors, DTO validation, OpenAPI at /docs. */
export function configureHttpApp(app: INestApplication, title: string, options: HttpAppOptions = { docs: true }): void {
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new ProblemDetailsFilter(options.allowedMethods));
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  if (!options.docs) return;
  const { documentFor } = options;
  SwaggerModule.setup('docs', app, () => apiDocument(app, title), {
    jsonDocumentUrl: 'docs-json',
    ...(documentFor ? { patchDocumentOnRequest: <TRequest>(request: TRequest, _response: unknown, document: OpenAPIObject) => documentFor(request as Request, document) } : {}),
  });
}
