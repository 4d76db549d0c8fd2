import { DynamicModule, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { Environment } from '../config/environment';
import { traceLogFields } from '../telemetry/tracing';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Anything that could carry a credential or secret value is cut from every log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.value',
  '*.secret',
  '*.password',
  '*.token',
];

/** Nest's start-up chatter (module wiring, one line per route): useful when debugging, noise otherwise. */
const BOOTSTRAP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);
const INFO = 30;

/**
 * Readable single-line logs for `npm start` / `npm run dev` (NODE_ENV=development, pino-pretty
 * installed — it is a dev dependency, absent from the production image), JSON everywhere else.
 */
export function prettyTransport(environment: Pick<Environment, 'NODE_ENV'>) {
  if (environment.NODE_ENV !== 'development') return undefined;
  try {
    require.resolve('pino-pretty');
  } catch {
    return undefined;
  }
  return {
    target: 'pino-pretty',
    options: {
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service,context,req,res,requestId',
      messageFormat: '{service} {if context}[{context}] {end}{msg}',
    },
  };
}

/** pino logs; every api line carries the request id (taken from X-Request-Id when sane). */
@Module({})
export class LoggingModule {
  static forRoot(service: 'api' | 'worker'): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [Environment],
          useFactory: (environment: Environment) => ({
            pinoHttp: {
              level: environment.LOG_LEVEL,
              transport: prettyTransport(environment),
              hooks: {
                // Nest's bootstrap lines arrive at info: log them at debug instead.
                logMethod(args, method, level) {
                  const [first] = args as unknown[];
                  const context = typeof first === 'object' && first !== null ? (first as { context?: unknown }).context : undefined;
                  if (level === INFO && typeof context === 'string' && BOOTSTRAP_CONTEXTS.has(context)) return this.debug(...(args as [string]));
                  return method.apply(this, args);
                },
              },
              customSuccessMessage: (request: IncomingMessage, response: ServerResponse) => `${request.method} ${request.url} ${response.statusCode}`,
              base: { service },
              // Lines written inside a span (a request, an activity) name its trace.
              mixin: traceLogFields,
              redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
              genReqId: (request: IncomingMessage, response: ServerResponse) => {
                const incoming = request.headers['x-request-id'];
                const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
                response.setHeader('X-Request-Id', id);
                return id;
              },
              // Also evaluated when the response line is written: by then the guard has named the
              // tenant and a job route the job (response.locals.logFields, src/jobs/job-log-fields.ts).
              customProps: (request: IncomingMessage, response: ServerResponse) => {
                const tenantId = (request as { principal?: { tenantId?: string } }).principal?.tenantId;
                const about = (response as { locals?: { logFields?: Record<string, string> } }).locals?.logFields;
                return { requestId: (request as IncomingMessage & { id?: string }).id, ...(tenantId ? { tenantId } : {}), ...about };
              },
              // Probes and scrapes would drown the log.
              autoLogging: { ignore: (request: IncomingMessage) => /^\/(health|metrics)/.test(request.url ?? '') },
            },
          }),
        }),
      ],
    };
  }
}
