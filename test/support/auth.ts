import { CryptoKey, exportJWK, exportSPKI, generateKeyPair, JWK, SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { http, HttpReply } from './platform';

export type Plane = 'control' | 'exec';
export type TestRole = 'admin' | 'operator' | 'executor' | 'viewer' | 'platform-admin';

export const TEST_ISSUER = 'https://id.orchestrator.test/';
export const TEST_AUDIENCE: Record<Plane, string> = { control: 'orchestrator-control-test', exec: 'orchestrator-exec-test' };

/** Who a token speaks for. */
export interface Identity {
  tenant: string;
  sub?: string;
  roles?: TestRole[] | string[];
}

export interface TokenOptions {
  /** The audience: a plane's audience, or any value(s). Default: both planes' audiences. */
  aud?: Plane | string | string[];
  iss?: string;
  /** Seconds from now; negative = already expired. Default 3600. */
  expiresIn?: number;
  /** Seconds from now for `nbf`. */
  notBefore?: number;
  /** Extra or overriding claims. */
  claims?: Record<string, unknown>;
  /** Claims to leave out (e.g. `exp`, `sub`, `tenant_id`). */
  omit?: string[];
}

/** A signing key: the HS256 shared secret, or an asymmetric private key with its `kid`. */
export interface SigningKey {
  alg: 'HS256' | 'RS256' | 'ES256';
  key: Uint8Array | CryptoKey;
  kid?: string;
}

/** Mints a JWT with jose's SignJWT. */
export async function mintToken(signer: SigningKey, identity: Identity, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const aud = options.aud === undefined ? [TEST_AUDIENCE.control, TEST_AUDIENCE.exec] : options.aud === 'control' || options.aud === 'exec' ? TEST_AUDIENCE[options.aud] : options.aud;
  const claims: Record<string, unknown> = {
    iss: options.iss ?? TEST_ISSUER,
    sub: identity.sub ?? `user-${identity.tenant}`,
    aud,
    tenant_id: identity.tenant,
    roles: identity.roles ?? ['admin', 'executor'],
    iat: now,
    exp: now + (options.expiresIn ?? 3600),
    ...(options.notBefore !== undefined ? { nbf: now + options.notBefore } : {}),
    ...options.claims,
  };
  for (const name of options.omit ?? []) delete claims[name];
  return new SignJWT(claims).setProtectedHeader({ alg: signer.alg, typ: 'JWT', ...(signer.kid ? { kid: signer.kid } : {}) }).sign(signer.key);
}

/** An unsigned `alg: none` token (RFC 7519 §6), which must never be accepted. */
export function unsecuredToken(identity: Identity, aud: Plane): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const payload = { iss: TEST_ISSUER, sub: 'mallory', aud: TEST_AUDIENCE[aud], tenant_id: identity.tenant, roles: identity.roles ?? ['admin'], iat: now, exp: now + 3600 };
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Test side of the api's JWT configuration: the env to start it with, and tokens it accepts. */
export abstract class TestAuth {
  /** Whom TestPlatform's own helpers (createConnector, execute, …) act as. */
  constructor(readonly defaultIdentity: Identity = { tenant: 'tenant-default', roles: ['admin', 'executor', 'operator'] }) {}

  abstract env(): Record<string, string>;
  abstract signer(): SigningKey;

  token(identity: Identity, options: TokenOptions = {}): Promise<string> {
    return mintToken(this.signer(), identity, options);
  }

  /** For TestPlatform: headers of the default identity. */
  async headers(plane: Plane): Promise<Record<string, string>> {
    return bearer(await this.token(this.defaultIdentity, { aud: plane }));
  }

  /** A caller of `platform` as `identity`, with one token that is valid on both planes. */
  async client(platform: { control: string; exec: string }, identity: Identity): Promise<Caller> {
    return new Caller(platform, await this.token(identity), identity);
  }
}

/** HS256 with ORCH_JWT_SHARED_SECRET (fresh random secret per instance). */
export class SharedSecretAuth extends TestAuth {
  readonly secret = randomBytes(32).toString('base64url');

  env(): Record<string, string> {
    return {
      AUTH_MODE: 'jwt',
      ORCH_JWT_ISSUER: TEST_ISSUER,
      ORCH_JWT_AUDIENCE_CONTROL: TEST_AUDIENCE.control,
      ORCH_JWT_AUDIENCE_EXEC: TEST_AUDIENCE.exec,
      ORCH_JWT_SHARED_SECRET: this.secret,
    };
  }

  signer(): SigningKey {
    return { alg: 'HS256', key: new TextEncoder().encode(this.secret) };
  }
}

export interface KeyPair {
  alg: 'RS256' | 'ES256';
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export async function newKeyPair(alg: 'RS256' | 'ES256', kid = `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}`): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, publicKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** The public key's SPKI PEM bytes: what an attacker would use as an HMAC secret (HS/RS confusion). */
export async function publicKeyPem(pair: KeyPair): Promise<Uint8Array> {
  return new TextEncoder().encode(await exportSPKI(pair.publicKey));
}

/** RS256/ES256 keys published by a local JWKS endpoint (ORCH_JWT_JWKS_URL), with rotation and fetch counting. */
export class JwksAuth extends TestAuth {
  private server?: Server;
  private port = 0;
  readonly keys: KeyPair[] = [];
  /** The kids the endpoint currently publishes. */
  published = new Set<string>();
  fetches = 0;
  /** The key the default identity's tokens are signed with. */
  current?: KeyPair;
  /** When set, the endpoint answers with this status instead of the keys. */
  failWith?: number;

  constructor(
    defaultIdentity?: Identity,
    private readonly extraEnv: Record<string, string> = {},
  ) {
    super(defaultIdentity);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/.well-known/jwks.json`;
  }

  async addKey(alg: 'RS256' | 'ES256', publish = true): Promise<KeyPair> {
    const pair = await newKeyPair(alg);
    this.keys.push(pair);
    if (publish) this.published.add(pair.kid);
    this.current ??= pair;
    return pair;
  }

  /** Publishes `pairs` only (key rotation). */
  publishOnly(...pairs: KeyPair[]): void {
    this.published = new Set(pairs.map((pair) => pair.kid));
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      if (request.url !== '/.well-known/jwks.json') return void response.writeHead(404).end();
      this.fetches += 1;
      if (this.failWith) return void response.writeHead(this.failWith).end();
      const keys = this.keys.filter((pair) => this.published.has(pair.kid)).map((pair) => pair.publicJwk);
      response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  env(): Record<string, string> {
    return {
      AUTH_MODE: 'jwt',
      ORCH_JWT_ISSUER: TEST_ISSUER,
      ORCH_JWT_AUDIENCE_CONTROL: TEST_AUDIENCE.control,
      ORCH_JWT_AUDIENCE_EXEC: TEST_AUDIENCE.exec,
      ORCH_JWT_JWKS_URL: this.url,
      ...this.extraEnv,
    };
  }

  signer(pair: KeyPair | undefined = this.current): SigningKey {
    if (!pair) throw new Error('JwksAuth: add a key first');
    return { alg: pair.alg, key: pair.privateKey, kid: pair.kid };
  }
}

type RequestOptions = Parameters<typeof http>[2];

/** Calls a platform's planes as one identity (one token, valid on both planes). */
export class Caller {
  constructor(
    private readonly platform: { control: string; exec: string },
    readonly token: string,
    readonly identity: Identity,
  ) {}

  request<T = any>(plane: Plane, method: string, path: string, options: RequestOptions = {}): Promise<HttpReply<T>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const base = plane === 'control' ? this.platform.control : this.platform.exec;
    return http<T>(method, `${base}${path}`, { ...options, headers: { ...bearer(this.token), ...options?.headers } });
  }

  control<T = any>(method: string, path: string, options: RequestOptions = {}) { // eslint-disable-line @typescript-eslint/no-explicit-any
    return this.request<T>('control', method, path, options);
  }

  exec<T = any>(method: string, path: string, options: RequestOptions = {}) { // eslint-disable-line @typescript-eslint/no-explicit-any
    return this.request<T>('exec', method, path, options);
  }
}

/** A row of GET /audit, as the audit and impersonation tests read it. */
export interface AuditRow {
  id: string;
  at: string;
  tenantId: string;
  actor: { tenantId: string; subject: string };
  impersonated: { tenantId: string; subject: string } | null;
  action: string;
  target: string;
  method: string;
  plane: string;
  status: number;
  outcome: string;
  errorCode: string | null;
  requestId: string;
  requestDigest: string | null;
  responseDigest: string | null;
}
