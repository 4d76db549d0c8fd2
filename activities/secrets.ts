/**
 * Connector authentication from secret refs. The value is resolved in the worker right before the
 * call, put in one request header and nowhere else: never in a result, an error message or a log.
 */
import type { HttpAuth } from '../domain/connector-spec';
import { ConfigurationError } from '../domain/job';
import type { HttpRequestPlan } from './http-request';


const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Adds the connector's credential to the plan (mutating it) and marks the header as a credential. */
export async function authorize(plan: HttpRequestPlan, auth: HttpAuth | undefined, resolve: (secretRef: string) => Promise<string>): Promise<void> {
  if (!auth || auth.type === 'none') return;
  if (!auth.secretRef) throw new ConfigurationError(`The connector's ${auth.type} auth names no secret ref.`);
  const secret = await resolve(auth.secretRef);
  // The value never appears in the message: only which ref is unusable.
  if (!HEADER_VALUE.test(secret) || secret.length === 0) {
    throw new ConfigurationError(`Secret ref ${auth.secretRef} holds a value that cannot be sent in an HTTP header (empty, or control characters).`);
  }
  let name: string;
  let value: string;
  switch (auth.type) {
    case 'bearer':
      [name, value] = ['authorization', `Bearer ${secret}`];
      break;
    case 'basic':
      [name, value] = ['authorization', `Basic ${Buffer.from(auth.username !== undefined ? `${auth.username}:${secret}` : secret.includes(':') ? secret : `${secret}:`).toString('base64')}`];
      break;
    case 'header':
      if (!auth.headerName) throw new ConfigurationError("The connector's header auth names no header.");
      [name, value] = [auth.headerName.toLowerCase(), `${auth.prefix ?? ''}${secret}`];
      break;
    default:
      throw new ConfigurationError(`Unknown auth type "${String(auth.type)}".`);
  }
  plan.headers[name] = value;
  plan.credentialHeaders = [...(plan.credentialHeaders ?? []), name];
}
