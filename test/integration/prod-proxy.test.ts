import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ROOT } from '../support/paths';
import { freePort } from '../support/processes';

/**
 * The compose prod proxy (deploy/nginx/templates/default.conf.template) as nginx itself runs it:
 * rendered like the image does (DOMAIN), upstreams pointed at stub servers that record what
 * reaches them, then real HTTPS requests by host name. Debian's nginx (1.22) lacks `http2 on;`
 * and the upstream `resolve` parameter of the 1.28 image: only those two are adapted.
 */
describe('compose prod proxy routing (nginx)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orch-proxy-'));
  const seen: { upstream: string; path: string }[] = [];
  const stubs: Server[] = [];
  let nginx: ChildProcess;
  let httpsPort = 0;
  let log = '';

  async function stub(name: string): Promise<number> {
    const server = createServer((req, res) => {
      seen.push({ upstream: name, path: req.url ?? '' });
      res.writeHead(200, { 'content-type': 'text/plain' }).end(name);
    });
    stubs.push(server);
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return port;
  }

  function get(host: string, path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: httpsPort, path, servername: host, headers: { host }, ca: readFileSync(join(dir, 'tls', 'tls.crt')) },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  beforeAll(async () => {
    const [control, exec, operatorConsole, ui] = [await stub('control'), await stub('exec'), await stub('console'), await stub('ui')];
    [httpsPort] = [await freePort()];
    const [httpPort, healthPort] = [await freePort(), await freePort()];
    mkdirSync(join(dir, 'tls'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=example.test',
      '-addext', 'subjectAltName=DNS:*.example.test', '-keyout', join(dir, 'tls', 'tls.key'), '-out', join(dir, 'tls', 'tls.crt')], { stdio: 'ignore' });
    writeFileSync(join(dir, 'operator.htpasswd'), `operator:${execFileSync('openssl', ['passwd', '-apr1', 'pw']).toString().trim()}\n`);
    const rendered = readFileSync(join(ROOT, 'deploy/nginx/templates/default.conf.template'), 'utf8')
      .replaceAll('${DOMAIN}', 'example.test')
      .replace('server api:4000 resolve;', `server 127.0.0.1:${control};`)
      .replace('server api:4001 resolve;', `server 127.0.0.1:${exec};`)
      .replace('server api:4002 resolve;', `server 127.0.0.1:${operatorConsole};`)
      .replace('server temporal-ui:8080 resolve;', `server 127.0.0.1:${ui};`)
      .replaceAll(/^\s*http2 on;$/gm, '')
      .replaceAll('listen 443 ssl', `listen 127.0.0.1:${httpsPort} ssl`)
      .replace('listen 80 default_server', `listen 127.0.0.1:${httpPort} default_server`)
      .replace('listen 127.0.0.1:8081', `listen 127.0.0.1:${healthPort}`)
      .replaceAll('/etc/nginx/tls/', `${dir}/tls/`)
      .replace('/etc/nginx/auth/operator.htpasswd', join(dir, 'operator.htpasswd'));
    expect(rendered).not.toMatch(/ resolve;|server (api|temporal-ui):/);
    writeFileSync(join(dir, 'default.conf'), rendered);
    writeFileSync(
      join(dir, 'nginx.conf'),
      `daemon off;\nmaster_process off;\npid ${dir}/nginx.pid;\nerror_log stderr warn;\nevents {}\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  include ${dir}/default.conf;\n}\n`,
    );
    execFileSync('nginx', ['-t', '-q', '-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    nginx.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    for (let i = 0; ; i++) {
      try {
        await get('orchestrator-control.example.test', '/health');
        break;
      } catch (error) {
        if (i > 50 || nginx.exitCode !== null) throw new Error(`nginx did not start: ${log} ${String(error)}`);
        await delay(100);
      }
    }
    seen.length = 0;
  });
  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await exited;
    }
    await Promise.all(stubs.map((server) => new Promise((resolve) => server.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });

  test('the control host proxies the control plane but no spelling of /metrics', async () => {
    for (const path of ['/metrics', '/Metrics', '/METRICS', '/metrics/', '//metrics', '/metrics/x', '/%6detrics', '/%6Detrics?x=1', '/./metrics']) {
      expect({ path, status: (await get('orchestrator-control.example.test', path)).status }).toStrictEqual({ path, status: 404 });
    }
    expect(seen).toStrictEqual([]);
    for (const path of ['/connectors', '/docs', '/health/ready', '/metricsx']) {
      expect(await get('orchestrator-control.example.test', path)).toStrictEqual({ status: 200, body: 'control' });
    }
    expect(seen.map((s) => s.path)).toStrictEqual(['/connectors', '/docs', '/health/ready', '/metricsx']);
  });

  test('the exec host proxies the exec routes only', async () => {
    seen.length = 0;
    for (const path of ['/execute', '/jobs', '/jobs/123/cancel', '/events/stream?jobId=1', '/webhooks/c1']) {
      expect({ path, ...(await get('orchestrator-exec.example.test', path)) }).toStrictEqual({ path, status: 200, body: 'exec' });
    }
    expect(seen.every((s) => s.upstream === 'exec')).toBe(true);
    seen.length = 0;
    for (const path of ['/', '/metrics', '/Metrics', '/docs', '/docs-json', '/health', '/health/ready', '/connectors', '/jobsx', '/JOBS', '//metrics', '/jobs/../docs']) {
      expect({ path, status: (await get('orchestrator-exec.example.test', path)).status }).toStrictEqual({ path, status: 404 });
    }
    expect(seen).toStrictEqual([]);
  });

  test('the operator host serves the console (app and its /control, /exec forwarding); Temporal Web UI is on its own host behind basic auth', async () => {
    seen.length = 0;
    for (const path of ['/', '/jobs/123', '/control/connectors', '/exec/events/stream?jobId=1']) {
      expect({ path, ...(await get('operator.example.test', path)) }).toStrictEqual({ path, status: 200, body: 'console' });
    }
    expect(seen.map((s) => [s.upstream, s.path])).toStrictEqual([
      ['console', '/'],
      ['console', '/jobs/123'],
      ['console', '/control/connectors'],
      ['console', '/exec/events/stream?jobId=1'],
    ]);
    seen.length = 0;
    expect((await get('temporal.example.test', '/')).status).toBe(401);
    expect(seen).toStrictEqual([]);
  });
});
