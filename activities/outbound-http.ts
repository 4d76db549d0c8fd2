/**
 * The HTTP client connectors call through: the SSRF guard on every connection (after DNS
 * resolution) and on every redirect hop, redirects followed by hand (bounded), and credentials never
 * carried to another origin.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Agent, fetch as undiciFetch, Response as UndiciResponse } from 'undici';
import type { OutboundHttp, OutboundRequest } from './ports';
import { AddressPolicy, addressPolicy, checkUrl, findForbiddenTarget, guardedLookup, Resolver, systemResolver } from './ssrf';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const DEFAULT_MAX_REDIRECTS = 5;
const CONNECT_TIMEOUT_MS = 10_000;
/** Statuses whose responses have no body (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * undici's own Response class is not the global one that the rest of the code (and `instanceof`)
 * knows; the body stream and headers carry over unchanged.
 */
function toGlobalResponse(response: UndiciResponse): Response {
  return new Response(NULL_BODY_STATUSES.has(response.status) ? null : (response.body as ReadableStream<Uint8Array> | null), {
    status: response.status,
    statusText: response.statusText,
    headers: [...response.headers],
  });
}

/**
 * One HTTP client span per request sent (each redirect hop is a request), whose `traceparent` the
 * downstream receives. The span names no query string: it may carry a credential. No-op while tracing is off.
 */
function traced(method: string, url: URL, headers: Record<string, string>, call: (headers: Record<string, string>) => Promise<Response>): Promise<Response> {
  const attributes = { 'http.request.method': method, 'url.full': `${url.origin}${url.pathname}`, 'server.address': url.hostname };
  return trace.getTracer('orchestrator').startActiveSpan(method, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const carrier = { ...headers };
    propagation.inject(context.active(), carrier);
    try {
      const response = await call(carrier);
      span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      return response;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      throw error;
    } finally {
      span.end();
    }
  });
}

export interface OutboundHttpOptions {
  /** The deployment's ORCH_ALLOW_PRIVATE_NETWORK: without it no connector reaches non-public addresses. */
  deploymentAllowsPrivateNetwork: boolean;
  maxRedirects?: number;
  /** Overrides for tests: how addresses are judged and how names resolve. */
  policy?: (allowPrivateNetwork: boolean) => AddressPolicy;
  resolve?: Resolver;
}

export function createOutboundHttp(options: OutboundHttpOptions): OutboundHttp & { close(): Promise<void> } {
  const policyFor = options.policy ?? addressPolicy;
  const resolve = options.resolve ?? systemResolver;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  // One pooled agent per policy; every new connection resolves and checks again (no DNS rebinding).
  const agents = new Map<boolean, { agent: Agent; policy: AddressPolicy }>();
  const agentFor = (allowPrivate: boolean) => {
    let entry = agents.get(allowPrivate);
    if (!entry) {
      const policy = policyFor(allowPrivate);
      entry = { policy, agent: new Agent({ connect: { lookup: guardedLookup(policy, resolve), timeout: CONNECT_TIMEOUT_MS } }) };
      agents.set(allowPrivate, entry);
    }
    return entry;
  };

  return {
    async send(request: OutboundRequest): Promise<Response> {
      const { agent, policy } = agentFor(request.allowPrivateNetwork && options.deploymentAllowsPrivateNetwork);
      const credentials = new Set(['authorization', 'cookie', 'proxy-authorization', ...(request.credentialHeaders ?? []).map((h) => h.toLowerCase())]);
      let url = request.url;
      let method = request.method;
      let body = request.body;
      let headers = { ...request.headers };
      for (let hop = 0; ; hop++) {
        checkUrl(url, policy);
        let response: Response;
        try {
          response = await traced(method, url, headers, async (sent) =>
            toGlobalResponse(await undiciFetch(url, { method, headers: sent, body, redirect: 'manual', signal: request.signal, dispatcher: agent })),
          );
        } catch (error) {
          throw findForbiddenTarget(error) ?? error;
        }
        const location = response.headers.get('location');
        if (!REDIRECT_STATUSES.has(response.status) || !location || hop >= maxRedirects) return response;
        await response.body?.cancel().catch(() => undefined);
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          return response;
        }
        if (next.origin !== url.origin) headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !credentials.has(name.toLowerCase())));
        // As fetch does: 303 (and 301/302 after a POST) continue as a GET without the body.
        if ((response.status === 303 && method !== 'HEAD') || ((response.status === 301 || response.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
          headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !/^content-/i.test(name)));
        }
        url = next;
      }
    },

    async close() {
      await Promise.all([...agents.values()].map(({ agent }) => agent.close().catch(() => undefined)));
    },
  };
}
