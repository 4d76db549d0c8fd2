import { Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks } from '@temporalio/worker';
import type { Environment } from '../config/environment';

interface Started {
  provider: NodeTracerProvider;
  processor: SpanProcessor;
  resource: Resource;
}

/** One tracer provider per process (OpenTelemetry's is global anyway); undefined while tracing is off. */
let started: Started | undefined;

/**
 * Starts tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set, before anything else loads; otherwise no
 * provider, exporter or context manager exists and every span is OpenTelemetry's no-op. The
 * exporter and batch processor read the standard OTEL_* variables themselves (endpoint, headers,
 * timeouts, OTEL_BSP_*); OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over our default name.
 */
export function startTracing(environment: Pick<Environment, 'OTEL_EXPORTER_OTLP_ENDPOINT'>, defaultServiceName: string): void {
  if (!environment.OTEL_EXPORTER_OTLP_ENDPOINT || started) return;
  const resource = Resource.default()
    .merge(new Resource({ [ATTR_SERVICE_NAME]: defaultServiceName }))
    .merge(envDetectorSync.detect());
  const processor = new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // W3C traceparent/baggage propagation and the AsyncLocalStorage context manager.
  provider.register();
  // Postgres queries and Redis commands as client spans, only inside a trace (a request, a job):
  // pools' health checks and background sweeps make none. Patched when pg and ioredis load.
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [new PgInstrumentation({ requireParentSpan: true }), new IORedisInstrumentation({ requireParentSpan: true })],
  });
  started = { provider, processor, resource };
}

export const tracer = () => trace.getTracer('orchestrator');

export const isTracing = () => started !== undefined;

/** The trace the current code runs in, or null when tracing is off (no valid span). */
export function currentTraceId(): string | null {
  return traceLogFields().traceId ?? null;
}

/** For every log line: the trace and span it was written in (none while tracing is off). */
export function traceLogFields(): { traceId?: string; spanId?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? { traceId: spanContext.traceId, spanId: spanContext.spanId } : {};
}

/**
 * The workflow bundle's interceptors record their spans inside the sandbox and hand them out
 * through this sink; with tracing off the sink drops them (it must exist: the bundle always calls it).
 */
export function workflowSpanSinks(): InjectedSinks<{ exporter: { export(spans: unknown[]): void } }> {
  if (started) return { exporter: makeWorkflowExporter(started.processor, started.resource) } as never;
  return { exporter: { export: { fn: () => undefined } } };
}

/** Flushes the spans still batched when the process stops. */
@Injectable()
class TracingShutdown implements OnApplicationShutdown {
  async onApplicationShutdown() {
    await started?.provider.shutdown().catch(() => undefined);
  }
}

@Module({ providers: [TracingShutdown] })
export class TracingModule {}
