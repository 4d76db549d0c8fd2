import type { TLSConfig } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import type { Environment } from '../config/environment';

/** What both the client `Connection` and the worker's `NativeConnection` take to reach the frontend securely. */
export interface TemporalConnectionSettings {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

type TemporalSecurityEnvironment = Pick<
  Environment,
  'TEMPORAL_ADDRESS' | 'TEMPORAL_TLS' | 'TEMPORAL_TLS_CA_PATH' | 'TEMPORAL_TLS_CERT_PATH' | 'TEMPORAL_TLS_KEY_PATH' | 'TEMPORAL_TLS_SERVER_NAME' | 'TEMPORAL_API_KEY'
>;

/**
 * Address, TLS and API key from the validated environment, in the SDK's own option shapes. Files are
 * read on each call, so a reconnect after a certificate rotation (mounted Secret) picks up the new one.
 */
export function temporalConnectionSettings(env: TemporalSecurityEnvironment): TemporalConnectionSettings {
  const settings: TemporalConnectionSettings = { address: env.TEMPORAL_ADDRESS };
  const wantsTls =
    env.TEMPORAL_TLS ??
    Boolean(env.TEMPORAL_TLS_CA_PATH || env.TEMPORAL_TLS_CERT_PATH || env.TEMPORAL_TLS_KEY_PATH || env.TEMPORAL_TLS_SERVER_NAME || env.TEMPORAL_API_KEY);
  if (wantsTls) {
    const tls: TLSConfig = {};
    if (env.TEMPORAL_TLS_CA_PATH) tls.serverRootCACertificate = readFileSync(env.TEMPORAL_TLS_CA_PATH);
    if (env.TEMPORAL_TLS_CERT_PATH && env.TEMPORAL_TLS_KEY_PATH) {
      tls.clientCertPair = { crt: readFileSync(env.TEMPORAL_TLS_CERT_PATH), key: readFileSync(env.TEMPORAL_TLS_KEY_PATH) };
    }
    if (env.TEMPORAL_TLS_SERVER_NAME) tls.serverNameOverride = env.TEMPORAL_TLS_SERVER_NAME;
    settings.tls = tls;
  }
  if (env.TEMPORAL_API_KEY) settings.apiKey = env.TEMPORAL_API_KEY;
  return settings;
}

/** For logs: which security is in use, never the key or file contents. */
export function describeTemporalSecurity(settings: TemporalConnectionSettings): { tls: boolean; mtls: boolean; apiKey: boolean } {
  return { tls: settings.tls !== undefined, mtls: settings.tls?.clientCertPair !== undefined, apiKey: settings.apiKey !== undefined };
}
