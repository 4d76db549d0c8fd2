import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Connection } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { Downstream, json } from '../support/downstream';
import { http, TestPlatform } from '../support/platform';
import { freePort, PlatformProcess } from '../support/processes';
import { MutualTlsProxy, mintCertificates, TestCertificates } from '../support/mtls-proxy';
import { serviceEnv } from '../support/services';

/**
 * Temporal behind mTLS: nginx `stream` terminates TLS in front of the test's (plaintext) Temporal
 * frontend and requires a client certificate signed by the test CA. The api and the worker reach it
 * only through the proxy, configured by TEMPORAL_TLS_* alone.
 */
describe('Temporal over mTLS (TEMPORAL_TLS_*)', () => {
  const downstream = new Downstream();
  let certificates: TestCertificates;
  let proxy: MutualTlsProxy;
  let platform: TestPlatform;

  beforeAll(async () => {
    downstream.on('/ping', (_call, response) => json(response, 200, { pong: true }));
    await downstream.start();
    certificates = mintCertificates();
    proxy = await new MutualTlsProxy(serviceEnv().TEMPORAL_ADDRESS, certificates).start();
    platform = new TestPlatform({
      TEMPORAL_ADDRESS: proxy.address,
      TEMPORAL_TLS_CA_PATH: certificates.caCert,
      TEMPORAL_TLS_CERT_PATH: certificates.clientCert,
      TEMPORAL_TLS_KEY_PATH: certificates.clientKey,
      // The proxy's certificate names this host, not 127.0.0.1's DNS name: SNI and verification use it.
      TEMPORAL_TLS_SERVER_NAME: certificates.serverName,
    });
    await platform.start();
  });
  afterAll(async () => {
    await platform?.stop();
    await proxy?.stop();
    await downstream.stop();
  });

  test('api and worker connect with a client certificate: readiness sees Temporal and a job succeeds end to end', async () => {
    const health = await http('GET', `${platform.control}/health`);
    expect(health.body.details.temporal.status).toBe('up');
    expect(platform.workers[0].output).toContain('"mtls":true');

    const connector = await platform.createConnector(downstream.url, { ping: { method: 'GET', path: '/ping' } });
    const accepted = await platform.execute({ connector: connector.id, operation: 'ping' });
    expect(accepted.status).toBe(202);
    const job = await platform.waitForJob(accepted.body.id);
    expect(job.status).toBe('succeeded');
    expect(job.result.body).toStrictEqual({ pong: true });
    expect(downstream.callsTo('/ping').length).toBe(1);
  });

  const tlsWithout = (clientCertPair?: { crt: Buffer; key: Buffer }) => ({
    address: proxy.address,
    connectTimeout: 3_000,
    tls: { serverRootCACertificate: readFileSync(certificates.caCert), serverNameOverride: certificates.serverName, clientCertPair },
  });

  test('the proxy refuses a client without a certificate, and one whose certificate another CA signed', async () => {
    await expect(Connection.connect(tlsWithout())).rejects.toThrow();
    await expect(
      Connection.connect(tlsWithout({ crt: readFileSync(certificates.strangerCert), key: readFileSync(certificates.strangerKey) })),
    ).rejects.toThrow();
    // The same client with the right certificate gets through (the refusals above are about the certificate).
    const connection = await Connection.connect(tlsWithout({ crt: readFileSync(certificates.clientCert), key: readFileSync(certificates.clientKey) }));
    expect((await connection.healthService.check({})).status).toBe(1);
    await connection.close();
    expect(proxy.output).toMatch(/client sent no required SSL certificate|certificate verify failed|unable to get local issuer/);
  });

  test('a worker configured without the client certificate cannot connect and stops at boot', async () => {
    const port = await freePort();
    const worker = PlatformProcess.spawn('worker', {
      ...platform.env({ WORKER_HEALTH_PORT: String(port) }),
      TEMPORAL_TLS_CERT_PATH: '',
      TEMPORAL_TLS_KEY_PATH: '',
    });
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([worker.exited, new Promise<'running'>((resolve) => (timer = setTimeout(() => resolve('running'), 30_000)))]);
    clearTimeout(timer);
    if (code === 'running') await worker.stop('SIGKILL');
    expect(code).not.toBe('running');
    expect(code).not.toBe(0);
  });
});
