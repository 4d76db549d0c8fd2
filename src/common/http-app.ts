import type { INestApplication } from '@nestjs/common';
import type { Request } from 'express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { ProblemSchema } from './api-problem-responses';
import { ProblemDetailsFilter } from './problem-details.filter';
import { createValidationPipe } from './validation.pipe';

/** What every HTTP surface shares: JSON logs, problem+json errors, DTO validation, OpenAPI at /docs. */
export interface HttpAppOptions {
  docs: boolean;
  /** The methods a path allows (405 with `Allow` for the others); without it an unknown method is a 404. */
  allowedMethods?: (request: Request) => string[];
}

export function configureHttpApp(app: INestApplication, title: string, options: HttpAppOptions = { docs: true }): void {
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new ProblemDetailsFilter(options.allowedMethods));
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  if (!options.docs) return;
  const config = new DocumentBuilder()
    .setTitle(title)
    .setDescription(
      'Durable execution of connector operations on Temporal. Control plane (connectors, policies, …) and exec plane ' +
        '(execute, jobs, events) listen on separate ports unless PORT serves both. Errors are RFC 9457 problem+json.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ProblemSchema] });
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
