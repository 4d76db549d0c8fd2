// `npm run token -- --tenant <id> --roles <role,…> [options]`: mints a bearer token the api accepts,
// signed HS256 with ORCH_JWT_SHARED_SECRET — the first admin token of a deployment, a token for a
// backend service, a smoke test. Deployments on ORCH_JWT_JWKS_URL get tokens from their identity
// provider instead (this command refuses: it holds no private key).
//
//   --tenant ID         tenant_id claim (required; letters, digits, _ . -, at most 64)
//   --roles LIST        comma-separated: admin, operator, executor, viewer, platform-admin (required)
//   --sub SUBJECT       sub claim (default: token-<tenant>), who the audit log names
//   --plane P           control, exec or both (default both): the audiences in `aud`
//   --expires SECONDS   lifetime (default 3600; at most 31 days)
//
// Reads ORCH_JWT_ISSUER, ORCH_JWT_AUDIENCE_CONTROL, ORCH_JWT_AUDIENCE_EXEC and ORCH_JWT_SHARED_SECRET
// from the environment (the api's own), prints the token alone on stdout, the claims on stderr.
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { Role, ROLES } from './principal';

const TENANT_ID = /^[\w.-]{1,64}$/;
const MAX_SECONDS = 31 * 24 * 3600;

export interface TokenRequest {
  tenant: string;
  roles: Role[];
  sub: string;
  audiences: string[];
  expiresInSeconds: number;
}

class Usage extends Error {}

export function parseTokenArguments(argv: string[], env: NodeJS.ProcessEnv): TokenRequest & { issuer: string; secret: string } {
  const options = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    if (!['--tenant', '--roles', '--sub', '--plane', '--expires'].includes(flag)) throw new Usage(`unknown option ${argv[i]}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Usage(`${flag} needs a value`);
    options.set(flag, value);
  }
  const tenant = options.get('--tenant') ?? '';
  if (!TENANT_ID.test(tenant)) throw new Usage('--tenant: required; letters, digits, _ . - (at most 64)');
  const roles = (options.get('--roles') ?? '').split(',').map((role) => role.trim()).filter(Boolean);
  const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
  if (roles.length === 0 || unknown.length) throw new Usage(`--roles: required, a comma-separated list of ${ROLES.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`);
  const plane = options.get('--plane') ?? 'both';
  if (!['control', 'exec', 'both'].includes(plane)) throw new Usage('--plane: control, exec or both');
  const expires = options.get('--expires') ?? '3600';
  if (!/^\d+$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_SECONDS) throw new Usage(`--expires: whole seconds, 1 to ${MAX_SECONDS}`);

  if (env.ORCH_JWT_JWKS_URL) throw new Usage('ORCH_JWT_JWKS_URL is set: tokens come from your identity provider, which holds the signing key');
  const secret = env.ORCH_JWT_SHARED_SECRET ?? '';
  if (secret.length < 32) throw new Usage('ORCH_JWT_SHARED_SECRET: must be set (at least 32 characters), as for the api');
  const issuer = env.ORCH_JWT_ISSUER ?? '';
  if (!issuer) throw new Usage('ORCH_JWT_ISSUER: must be set, as for the api');
  const audience = { control: env.ORCH_JWT_AUDIENCE_CONTROL ?? '', exec: env.ORCH_JWT_AUDIENCE_EXEC ?? '' };
  const audiences = plane === 'both' ? [audience.control, audience.exec] : [audience[plane as 'control' | 'exec']];
  if (audiences.some((aud) => !aud)) throw new Usage('ORCH_JWT_AUDIENCE_CONTROL / ORCH_JWT_AUDIENCE_EXEC: must be set, as for the api');
  return { tenant, roles: roles as Role[], sub: options.get('--sub') ?? `token-${tenant}`, audiences, expiresInSeconds: Number(expires), issuer, secret };
}

export async function mintToken(request: TokenRequest & { issuer: string; secret: string }): Promise<string> {
  return new SignJWT({ tenant_id: request.tenant, roles: request.roles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(request.issuer)
    .setAudience(request.audiences)
    .setSubject(request.sub)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${request.expiresInSeconds}s`)
    .sign(new TextEncoder().encode(request.secret));
}

if (require.main === module) {
  (async () => {
    const request = parseTokenArguments(process.argv.slice(2), process.env);
    const token = await mintToken(request);
    const expires = new Date(Date.now() + request.expiresInSeconds * 1000).toISOString();
    process.stderr.write(`token: tenant ${request.tenant}, roles ${request.roles.join(',')}, sub ${request.sub}, aud ${request.audiences.join(',')}, expires ${expires}\n`);
    process.stdout.write(`${token}\n`);
  })().catch((error: unknown) => {
    process.stderr.write(`token: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof Usage ? 2 : 1);
  });
}
