import { createServer, Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';

export interface ReceivedSpan {
  service: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
}

interface OtlpValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number }
interface OtlpAttribute { key: string; value: OtlpValue }
interface OtlpTraces {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: (Omit<ReceivedSpan, 'service' | 'attributes' | 'parentSpanId'> & { parentSpanId?: string; attributes: OtlpAttribute[] })[] }[] }[];
}

const valueOf = (value: OtlpValue): unknown => value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue));
const attributesOf = (attributes: OtlpAttribute[]) => Object.fromEntries(attributes.map(({ key, value }) => [key, valueOf(value)]));

/** A real OTLP/HTTP trace receiver (the JSON encoding, which @opentelemetry/exporter-trace-otlp-http sends). */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.method !== 'POST' || request.url !== '/v1/traces' || !String(request.headers['content-type']).startsWith('application/json')) {
          response.writeHead(415).end();
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString()) as OtlpTraces;
        for (const { resource, scopeSpans } of body.resourceSpans) {
          const service = String(attributesOf(resource.attributes)['service.name']);
          for (const { spans } of scopeSpans) {
            for (const span of spans) this.spans.push({ ...span, service, parentSpanId: span.parentSpanId ?? '', attributes: attributesOf(span.attributes) });
          }
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  /** Waits until a span of `traceId` satisfies `found` (exporters batch). */
  async waitFor(traceId: string, found: (span: ReceivedSpan) => boolean, timeoutMs = 20_000): Promise<ReceivedSpan> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const span = this.trace(traceId).find(found);
      if (span) return span;
      if (Date.now() > deadline) throw new Error(`no such span in trace ${traceId}; have: ${this.trace(traceId).map((s) => `${s.service}/${s.name}`).join(', ')}`);
      await delay(100);
    }
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
