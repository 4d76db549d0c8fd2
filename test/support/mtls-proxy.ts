import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { connect } from 'node:net';
import { freePort } from './processes';

/** Paths of PEM files minted for one test run: a CA, a server certificate it signed, client certificates. */
export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** Signed by the CA: accepted. */
  clientCert: string;
  clientKey: string;
  /** Signed by another CA: refused. */
  strangerCert: string;
  strangerKey: string;
  serverName: string;
}

function openssl(dir: string, args: string[]) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Generates the certificates with the openssl CLI (EC P-256, one day). */
export function mintCertificates(serverName = 'temporal.orchestrator.test'): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'orch-mtls-'));
  const ca = (name: string) => {
    openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`]);
  };
  const leaf = (name: string, issuer: string, extensions: string) => {
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.crt`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  };
  ca('ca');
  ca('stranger-ca');
  leaf('server', 'ca', `subjectAltName=DNS:${serverName},IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n`);
  leaf('client', 'ca', 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n');
  leaf('stranger', 'stranger-ca', 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n');
  const at = (file: string) => join(dir, file);
  return {
    dir,
    caCert: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    strangerCert: at('stranger.crt'),
    strangerKey: at('stranger.key'),
    serverName,
  };
}

/** Debian builds the stream module dynamically (libnginx-mod-stream); a static build needs no load_module. */
function streamModuleDirective(): string {
  const version = spawnSync('nginx', ['-V'], { encoding: 'utf8' });
  if (version.error) throw new Error(`nginx is not installed (${version.error.message}): apt-get install nginx-light libnginx-mod-stream`);
  const info = `${version.stdout}${version.stderr}`; // nginx -V prints to stderr
  if (/--with-stream(\s|$)/.test(info)) return '';
  const modules = /--modules-path=(\S+)/.exec(info)?.[1] ?? '/usr/lib/nginx/modules';
  const module = join(modules, 'ngx_stream_module.so');
  if (!existsSync(module)) throw new Error(`nginx has no stream module (${module}): apt-get install libnginx-mod-stream (scripts/bootstrap.sh does)`);
  return `load_module ${module};`;
}

/**
 * nginx `stream` in front of a plaintext Temporal frontend: terminates TLS with the test's server
 * certificate and lets a connection through only with a client certificate signed by the test CA.
 */
export class MutualTlsProxy {
  private child?: ChildProcess;
  private log = '';
  port = 0;

  constructor(
    private readonly upstream: string,
    private readonly certificates: TestCertificates,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port = await freePort();
    const dir = join(this.certificates.dir, 'nginx');
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, 'nginx.conf');
    writeFileSync(
      conf,
      `${streamModuleDirective()}
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log stderr info;
events {}
stream {
  server {
    listen 127.0.0.1:${this.port} ssl;
    ssl_certificate ${this.certificates.serverCert};
    ssl_certificate_key ${this.certificates.serverKey};
    ssl_client_certificate ${this.certificates.caCert};
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
    # gRPC clients offer h2 by ALPN.
    ssl_alpn h2;
    proxy_pass ${this.upstream};
  }
}
`,
    );
    execFileSync('nginx', ['-t', '-q', '-p', dir, '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = spawn('nginx', ['-p', dir, '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await listening(this.port))) {
      if (this.child.exitCode !== null) throw new Error(`nginx exited: ${this.log}`);
      if (Date.now() > deadline) throw new Error(`nginx did not listen on ${this.port}: ${this.log}`);
      await delay(100);
    }
    return this;
  }

  /** What nginx logged (handshake failures name the reason). */
  get output(): string {
    return this.log;
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child!.once('exit', resolve));
      this.child.kill('SIGQUIT');
      await exited;
    }
    rmSync(this.certificates.dir, { recursive: true, force: true });
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
