import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './processes';

export interface OidcAccount {
  tenant: string;
  roles: string[];
}

/**
 * A real OpenID Connect provider (test/support/oidc-provider.mjs, the `oidc-provider` package) in a
 * child process: one public client (code + PKCE), RS256 JWT access tokens for `audience` with the
 * accounts' `tenant_id` and `roles`; keys at `jwksUrl` for the api's ORCH_JWT_JWKS_URL.
 */
export class OidcProvider {
  private child?: ChildProcess;
  private output = '';
  port = 0;

  constructor(
    private readonly options: { clientId: string; redirectUri: string; audience: string; accounts: Record<string, OidcAccount> },
  ) {}

  get issuer(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get jwksUrl(): string {
    return `${this.issuer}/jwks`;
  }

  async start(): Promise<this> {
    this.port = await freePort();
    const { clientId, redirectUri, audience, accounts } = this.options;
    const child = spawn(process.execPath, [join(__dirname, 'oidc-provider.mjs'), String(this.port), clientId, redirectUri, audience, JSON.stringify(accounts)], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the OIDC provider did not start:\n${this.output}`)), 20_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.includes('ready ')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`the OIDC provider exited (${code}):\n${this.output}`)));
    });
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
