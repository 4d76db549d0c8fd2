import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OTLP/HTTP endpoint that accepts trace exports and drops them (BENCH_OTLP=1): what the bench
 * measures is the cost of producing and sending spans, not of storing them.
 */
export async function startOtlpSink(): Promise<{ url: string; received: () => { requests: number; bytes: number }; stop: () => Promise<void> }> {
  let requests = 0;
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (bytes += chunk.length));
    request.on('end', () => {
      requests += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => ({ requests, bytes }),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
