import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeTemporalSecurity, temporalConnectionSettings } from '../../src/temporal/temporal-connection-options';

const dir = mkdtempSync(join(tmpdir(), 'temporal-tls-'));
const file = (name: string, content: string) => {
  writeFileSync(join(dir, name), content);
  return join(dir, name);
};
const ca = file('ca.pem', 'CA');
const crt = file('client.pem', 'CRT');
const key = file('client.key', 'KEY');
const address = 'temporal.example.com:7233';

describe('Temporal connection settings', () => {
  test('plain address when nothing asks for TLS', () => {
    const settings = temporalConnectionSettings({ TEMPORAL_ADDRESS: address });
    expect(settings).toStrictEqual({ address });
    expect(describeTemporalSecurity(settings)).toStrictEqual({ tls: false, mtls: false, apiKey: false });
  });

  test('TEMPORAL_TLS=true alone: TLS with the system CAs', () => {
    expect(temporalConnectionSettings({ TEMPORAL_ADDRESS: address, TEMPORAL_TLS: true })).toStrictEqual({ address, tls: {} });
  });

  test('mTLS: CA, client pair and server name read from the files', () => {
    const settings = temporalConnectionSettings({
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TLS_CA_PATH: ca,
      TEMPORAL_TLS_CERT_PATH: crt,
      TEMPORAL_TLS_KEY_PATH: key,
      TEMPORAL_TLS_SERVER_NAME: 'frontend.internal',
    });
    expect(settings.tls?.serverRootCACertificate?.toString()).toBe('CA');
    expect(settings.tls?.clientCertPair?.crt.toString()).toBe('CRT');
    expect(settings.tls?.clientCertPair?.key.toString()).toBe('KEY');
    expect(settings.tls?.serverNameOverride).toBe('frontend.internal');
    expect(describeTemporalSecurity(settings)).toStrictEqual({ tls: true, mtls: true, apiKey: false });
  });

  test('an API key implies TLS (Temporal Cloud) and is passed to the SDK as is', () => {
    const settings = temporalConnectionSettings({ TEMPORAL_ADDRESS: address, TEMPORAL_API_KEY: 'secret-key' });
    expect(settings).toStrictEqual({ address, tls: {}, apiKey: 'secret-key' });
    expect(JSON.stringify(describeTemporalSecurity(settings))).not.toContain('secret-key');
  });
});
